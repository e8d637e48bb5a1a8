/**
 * SVG charts of a simulated run. Hand-written SVG, no dependency; it renders in browsers and on GitHub.
 *
 * - `renderChart`: the hybrid, panel above panel on one time axis: offered traffic, how it was split and what was
 *   served; the failed requests stacked by cause; the Fargate side's traffic against its capacity; the Fargate weight;
 *   the tasks; the Lambda concurrency. The controller's alarms, each scale-out's first Fargate weight and full shift,
 *   and the injected faults are marked on every panel.
 * - `renderComparison`: every strategy of the run in small multiples on the same scales: served and failed requests.
 *
 * Without a zoom a chart shows the per-minute timeline; with one, the per-second samples of that window (simulate's
 * `detail` option). When there are too many samples to draw, a point stands for several and takes the highest value of
 * each series, failures included, so that a bad minute is never averaged away. Same run, same SVG, byte for byte.
 */
import { Faults, TaskSelection } from './faults';
import { monthlyCost } from './pricing';
import { FAILURE_CAUSES, FailureCause, Sample, SimulationRun, STRATEGIES, StrategyName, StrategyRun } from './simulate';

/** The minutes a zoomed chart shows, start included, end excluded. */
export interface ChartWindow {
  readonly fromMinute: number;
  readonly toMinute: number;
}

const WIDTH = 1000;
const LEFT = 70;
const RIGHT = 24;
const PLOT_WIDTH = WIDTH - LEFT - RIGHT;
/** Beyond this many minutes a point stands for several, which keeps a long trace's file small. */
const MAX_MINUTE_POINTS = 1500;
/** An hour at one point per second; a longer zoom draws a few seconds per point. */
const MAX_SECOND_POINTS = 3600;
/** Average width of a character at the font size used, to lay out legends and labels without measuring text. */
const CHAR_WIDTH = 6.2;
const BOLD_CHAR_WIDTH = 7;
const LINE_HEIGHT = 15;
/** Space between one panel's plot and the next panel's header. */
const PANEL_GAP = 26;

const COLORS = {
  offered: '#222222',
  lambda: '#1f77b4',
  fargate: '#ff7f0e',
  served: '#2ca02c',
  capacity: '#17becf',
  weight: '#ff7f0e',
  desired: '#7f7f7f',
  running: '#8c564b',
  healthy: '#2ca02c',
  concurrency: '#1f77b4',
  grid: '#e8e8e8',
  frame: '#999999',
  muted: '#666666',
  fault: '#6a3d9a',
  faultBand: '#cab2d6',
};

/** Failures are the red family and nothing else is, so a bad minute stands out. */
const FAILURE_STYLES: Record<FailureCause, { readonly label: string; readonly color: string }> = {
  lambdaThrottled: { label: 'Lambda throttled', color: '#67001f' },
  fargateOverloaded: { label: 'Fargate overloaded', color: '#d6604d' },
  noTarget: { label: 'no target', color: '#e31a1c' },
  deadTarget: { label: 'crashed or failing task', color: '#fb9a99' },
  injectedError: { label: 'injected 5xx', color: '#c51b7d' },
};

type MarkerKind = 'scaleOut' | 'scaleIn' | 'protect' | 'firstWeight' | 'fullShift' | 'fault';

const MARKER_STYLES: Record<MarkerKind, { readonly label: string; readonly color: string; readonly dash?: string; readonly width: number }> = {
  scaleOut: { label: 'scale-out alarm', color: '#555555', dash: '3 3', width: 1 },
  scaleIn: { label: 'scale-in alarm', color: '#1f77b4', dash: '3 3', width: 1 },
  protect: { label: 'Fargate error or overload alarm', color: '#b15928', dash: '3 3', width: 1 },
  firstWeight: { label: 'first Fargate weight', color: '#2ca02c', dash: '7 3', width: 1.3 },
  fullShift: { label: 'full shift to Fargate', color: '#00441b', width: 1.3 },
  fault: { label: 'crash or redeploy', color: COLORS.fault, width: 1.5 },
};

/** Layout of the comparison's small multiples: two columns, each a served plot above a failed plot. */
const COMPARISON = { margin: 16, columns: 2, gap: 28, axis: 46, servedHeight: 120, failedHeight: 64 };

const STRATEGY_LABELS: Record<StrategyName, string> = {
  lambdaOnly: 'Lambda only',
  fargateOnly: 'Fargate only',
  hybrid: 'Hybrid',
  oracle: 'Oracle (plan made in hindsight)',
};

/** What a chart draws: one sample per point, point i covering seconds [edges[i], edges[i + 1]). */
interface View {
  readonly samples: readonly Sample[];
  readonly edges: readonly number[];
  readonly fromS: number;
  readonly toS: number;
  readonly zoomed: boolean;
  /** Samples of the run behind each point (the last point may have fewer). */
  readonly samplesPerPoint: number;
  /** Requests that failed within the view. */
  readonly failed: number;
}

/** What is drawn over a plot besides its data: round times, the controller's markers, the faults. */
interface Decor {
  readonly ticks: readonly number[];
  readonly markers: readonly Marker[];
  readonly faults: readonly FaultMark[];
}

interface Frame {
  readonly left: number;
  readonly top: number;
  readonly width: number;
  readonly height: number;
}

interface Line {
  readonly label: string;
  readonly cls: string;
  readonly color: string;
  readonly values: readonly number[];
  readonly dashed?: boolean;
  readonly width?: number;
}

/** A filled area between two series: a stacked layer, or a line's area from zero. */
interface Band {
  readonly label: string;
  readonly cls: string;
  readonly color: string;
  readonly lower: readonly number[];
  readonly upper: readonly number[];
  readonly opacity?: number;
}

interface Plot {
  readonly cls: string;
  readonly bands: readonly Band[];
  /** Drawn in order: the last on top. */
  readonly lines: readonly Line[];
  readonly max: number;
  /** Said in the plot when it has nothing to draw. */
  readonly empty?: string;
}

interface Panel extends Plot {
  readonly title: string;
  readonly height: number;
}

/** A vertical line at one second. */
interface Marker {
  readonly kind: MarkerKind;
  readonly atS: number;
}

/** An injected fault, at an instant (crash, redeploy) or over a window (toS). */
interface FaultMark {
  readonly label: string;
  readonly fromS: number;
  readonly toS?: number;
}

interface LegendItem {
  readonly label: string;
  readonly color: string;
  readonly swatch: 'line' | 'dashed' | 'area' | 'band';
  readonly dash?: string;
}

/** The hybrid run: what it was offered, served and failed, and what its controller and Fargate side did. */
export function renderChart(run: SimulationRun, zoom?: ChartWindow): string {
  const hybrid = run.strategies.hybrid;
  const view = viewOf(hybrid, zoom);
  const markers = markersOf(hybrid, view);
  const faults = faultMarksIn(run.settings.faults, view);
  const out: string[] = [];
  out.push(text(LEFT, 22, chartTitle(run, view, 'the hybrid'), 'font-size="15" font-weight="bold"'));
  out.push(text(LEFT, 40, costLine(run), `fill="${COLORS.muted}"`));
  let top = 58;
  const legend = markerLegend(markers, faults);
  if (legend.length > 0) {
    const laid = renderLegend(legend, LEFT, top, LEFT + PLOT_WIDTH);
    out.push(laid.svg);
    top += laid.rows * LINE_HEIGHT;
  }
  const throughout = steadyFaults(run.settings.faults);
  if (throughout.length > 0) {
    out.push(text(LEFT, top, `Throughout: ${throughout.join(', ')}`, `fill="${COLORS.fault}"`));
    top += LINE_HEIGHT;
  }
  const x = xScale(view, LEFT, PLOT_WIDTH);
  const lane = renderFaultLabels(faults, x, top);
  out.push(lane.svg);
  top += lane.rows * 13 + (lane.rows > 0 ? 4 : 0);

  const decor = { ticks: timeTicks(view, 13), markers, faults };
  const frames: Frame[] = [];
  for (const panel of hybridPanels(view)) {
    const header = renderLegend(legendOf(panel), LEFT + panel.title.length * BOLD_CHAR_WIDTH + 16, top + 8, LEFT + PLOT_WIDTH, LEFT);
    const frame = { left: LEFT, top: top + 14 + (header.rows - 1) * LINE_HEIGHT, width: PLOT_WIDTH, height: panel.height };
    out.push(`<g class="panel ${panel.cls}">`);
    out.push(text(LEFT, top + 8, panel.title, 'font-weight="bold"'));
    out.push(header.svg);
    out.push(renderPlot(panel, frame, view, decor, [0, 0.5, 1]));
    out.push('</g>');
    frames.push(frame);
    top = frame.top + frame.height + PANEL_GAP;
  }
  const bottom = frames[frames.length - 1].top + frames[frames.length - 1].height;
  out.push(renderTimeAxis(view, decor.ticks, x, bottom));
  out.push(text(LEFT + PLOT_WIDTH / 2, bottom + 36, `time since the start of the trace (${timeUnit(view)})`, 'text-anchor="middle"'));
  return svgDocument(bottom + 44, out);
}

/** Every strategy of the run side by side on the same scales: requests served (against offered) and failed by cause. */
export function renderComparison(run: SimulationRun, zoom?: ChartWindow): string {
  const names = STRATEGIES.filter((name) => run.strategies[name] !== undefined);
  const { margin, columns, gap, axis, servedHeight, failedHeight } = COMPARISON;
  const panelWidth = (WIDTH - margin - RIGHT - (columns - 1) * gap) / columns;
  const plotWidth = panelWidth - axis;
  // Half-width panels: more than a point per pixel would only make the file bigger.
  const views = names.map((name) => viewOf(run.strategies[name]!, zoom, Math.floor(plotWidth)));
  const causes = presentCauses(views.flatMap((view) => view.samples));
  const servedMax = niceCeiling(Math.max(...views.map((view) => peakOf(view.samples, (s) => Math.max(s.offeredRps, s.servedRps)))));
  const failedMax = niceCeiling(Math.max(...views.map((view) => peakOf(view.samples, totalFailed))));
  const faults = faultMarksIn(run.settings.faults, views[0]);

  const out: string[] = [];
  out.push(text(margin, 22, chartTitle(run, views[0], 'every strategy on the same scales'), 'font-size="15" font-weight="bold"'));
  const legend: LegendItem[] = [
    { label: 'served', color: COLORS.served, swatch: 'band' },
    { label: 'offered', color: COLORS.offered, swatch: 'dashed' },
    ...causes.map((cause): LegendItem => ({ label: `failed: ${FAILURE_STYLES[cause].label}`, color: FAILURE_STYLES[cause].color, swatch: 'area' })),
    ...faultLegend(faults),
  ];
  const laid = renderLegend(legend, margin, 42, WIDTH - margin);
  out.push(laid.svg);

  const panelHeight = 20 + servedHeight + 18 + failedHeight + 30;
  const firstTop = 42 + laid.rows * LINE_HEIGHT + 10;
  names.forEach((name, index) => {
    const result = run.strategies[name]!;
    const view = views[index];
    const left = margin + (index % columns) * (panelWidth + gap);
    const top = firstTop + Math.floor(index / columns) * (panelHeight + 20);
    const plotLeft = left + axis;
    const x = xScale(view, plotLeft, plotWidth);
    const decor = { ticks: timeTicks(view, 5), markers: [], faults };
    const served = { left: plotLeft, top: top + 20, width: plotWidth, height: servedHeight };
    const failed = { left: plotLeft, top: served.top + servedHeight + 18, width: plotWidth, height: failedHeight };
    out.push(`<g class="strategy ${name}">`);
    out.push(text(left, top + 8, strategyTitle(run, name, result, view), 'font-weight="bold"'));
    out.push(renderPlot({
      cls: 'served',
      max: servedMax,
      bands: [fromZero('served', 'served', COLORS.served, view.samples.map((s) => s.servedRps), 0.35)],
      lines: [{ label: 'offered', cls: 'offered', color: COLORS.offered, values: view.samples.map((s) => s.offeredRps), dashed: true, width: 1.4 }],
    }, served, view, decor, [0, 1]));
    out.push(text(plotLeft, failed.top - 5, 'failed requests/s', `fill="${COLORS.muted}"`));
    out.push(renderPlot({ cls: 'failed', max: failedMax, bands: failureBands(view), lines: [], empty: 'none failed' }, failed, view, decor, [0, 1]));
    out.push(renderTimeAxis(view, decor.ticks, x, failed.top + failedHeight));
    out.push('</g>');
  });
  const rows = Math.ceil(names.length / columns);
  const bottom = firstTop + rows * (panelHeight + 20) - 20;
  out.push(text(WIDTH / 2, bottom + 14, `time since the start of the trace (${timeUnit(views[0])}); requests per second`, 'text-anchor="middle"'));
  return svgDocument(bottom + 28, out);
}

function hybridPanels(view: View): Panel[] {
  const s = view.samples;
  const lines = (specs: Array<[string, string, string, (sample: Sample) => number, boolean?]>): Line[] =>
    specs.map(([label, cls, color, value, dashed]) => ({ label, cls, color, values: s.map(value), dashed }));
  // Counts (tasks, concurrency) get an even scale of at least 2, so that the middle tick is a whole number too.
  const panel = (title: string, cls: string, height: number, plot: Omit<Plot, 'cls' | 'max'>, scale: number | 'count' | 'rate' = 'rate'): Panel => {
    const highest = Math.max(0, ...plot.bands.flatMap((band) => band.upper), ...plot.lines.flatMap((line) => line.values));
    const max = typeof scale === 'number' ? scale : scale === 'count' ? 2 * niceCeiling(highest / 2) : niceCeiling(highest);
    return { title, cls, height, ...plot, max };
  };
  return [
    panel('Requests per second', 'traffic', 170, {
      bands: [],
      lines: [
        ...lines([
          ['to Lambda', 'lambda', COLORS.lambda, (p) => p.lambdaRps],
          ['to Fargate', 'fargate', COLORS.fargate, (p) => p.fargateRps],
          ['served', 'served', COLORS.served, (p) => p.servedRps],
        ]),
        { label: 'offered', cls: 'offered', color: COLORS.offered, values: s.map((p) => p.offeredRps), dashed: true, width: 1.6 },
      ],
    }),
    panel(`Failed requests per second, by cause (${thousands(view.failed)} failed${view.zoomed ? ' in this window' : ''})`, 'failed', 110, {
      bands: failureBands(view),
      lines: [],
      empty: 'no failed requests',
    }),
    panel('Fargate: its traffic against its capacity (requests/s)', 'capacity', 110, {
      bands: [fromZero('capacity of its alive tasks', 'capacity', COLORS.capacity, s.map((p) => p.fargateCapacityRps), 0.2)],
      lines: lines([['to Fargate', 'fargate', COLORS.fargate, (p) => p.fargateRps]]),
    }),
    panel('Fargate weight (%)', 'weight', 70, { bands: [], lines: lines([['Fargate weight', 'weight', COLORS.weight, (p) => p.fargateWeight]]) }, 100),
    panel('Fargate tasks', 'tasks', 100, {
      bands: [],
      lines: lines([
        ['desired', 'desired', COLORS.desired, (p) => p.desiredTasks, true],
        ['running', 'running', COLORS.running, (p) => p.runningTasks],
        ['healthy', 'healthy', COLORS.healthy, (p) => p.healthyTasks],
      ]),
    }, 'count'),
    panel(`Lambda concurrency (peak of each ${view.zoomed ? 'second' : 'minute'})`, 'concurrency', 80, {
      bands: [],
      lines: lines([['concurrency', 'concurrency', COLORS.concurrency, (p) => p.lambdaConcurrency]]),
    }, 'count'),
  ];
}

/** The area under a series, drawn light with the series as its edge. */
function fromZero(label: string, cls: string, color: string, values: readonly number[], opacity: number): Band {
  return { label, cls, color, lower: values.map(() => 0), upper: values, opacity };
}

/** One stacked layer per cause that failed a request in the view, none for the others. */
function failureBands(view: View): Band[] {
  const bands: Band[] = [];
  let lower = view.samples.map(() => 0);
  for (const cause of presentCauses(view.samples)) {
    const upper = view.samples.map((sample, i) => lower[i] + sample.failedRps[cause]);
    bands.push({ label: FAILURE_STYLES[cause].label, cls: `failed-${cause}`, color: FAILURE_STYLES[cause].color, lower, upper });
    lower = upper;
  }
  return bands;
}

function presentCauses(samples: readonly Sample[]): FailureCause[] {
  return FAILURE_CAUSES.filter((cause) => samples.some((sample) => sample.failedRps[cause] > 0));
}

function totalFailed(sample: Sample): number {
  return FAILURE_CAUSES.reduce((sum, cause) => sum + sample.failedRps[cause], 0);
}

function peakOf(samples: readonly Sample[], value: (sample: Sample) => number): number {
  return samples.reduce((peak, sample) => Math.max(peak, value(sample)), 0);
}

/** The samples a chart of `result` draws: the minute timeline, or the per-second detail of the zoom window. */
function viewOf(result: StrategyRun, zoom: ChartWindow | undefined, maxPoints = Infinity): View {
  const traceSeconds = result.timeline.length * 60;
  if (!zoom) {
    return downsample(result.timeline, 60, Math.min(maxPoints, MAX_MINUTE_POINTS), 0, Math.max(60, traceSeconds), result.failed, false);
  }
  const fromS = zoom.fromMinute * 60;
  const toS = Math.min(zoom.toMinute * 60, traceSeconds);
  const samples = (result.detail ?? []).filter((sample) => sample.at >= fromS && sample.at < toS);
  if (!(toS > fromS) || samples.length !== Math.ceil(toS) - Math.ceil(fromS)) {
    throw new Error(`A chart of minutes ${zoom.fromMinute} to ${zoom.toMinute} needs their per-second samples: `
      + `run simulate with options.detail = { fromMinute: ${zoom.fromMinute}, toMinute: ${zoom.toMinute} } on a trace that lasts that long`);
  }
  const failed = samples.reduce((sum, sample) => sum + totalFailed(sample), 0);
  return downsample(samples, 1, Math.min(maxPoints, MAX_SECOND_POINTS), fromS, toS, failed, true);
}

/** Samples lasting `unit` seconds each, at most `maxPoints` of them, each point the peak of the samples it covers. */
function downsample(
  samples: readonly Sample[], unit: number, maxPoints: number, fromS: number, toS: number, failed: number, zoomed: boolean,
): View {
  const size = Math.max(1, Math.ceil(samples.length / maxPoints));
  const points: Sample[] = [];
  const edges: number[] = [];
  for (let start = 0; start < samples.length; start += size) {
    const chunk = samples.slice(start, start + size);
    points.push(size === 1 ? chunk[0] : peakSample(chunk));
    edges.push(chunk[0].at * unit);
  }
  edges.push(samples.length > 0 ? (samples[samples.length - 1].at + 1) * unit : toS);
  return { samples: points, edges, fromS, toS, zoomed, samplesPerPoint: size, failed };
}

/** The highest value of each series over the chunk: a bad second or minute stays as bad as it was. */
function peakSample(chunk: readonly Sample[]): Sample {
  const top = (value: (sample: Sample) => number) => peakOf(chunk, value);
  return {
    at: chunk[0].at,
    offeredRps: top((s) => s.offeredRps),
    lambdaRps: top((s) => s.lambdaRps),
    fargateRps: top((s) => s.fargateRps),
    servedRps: top((s) => s.servedRps),
    failedRps: Object.fromEntries(FAILURE_CAUSES.map((cause) => [cause, top((s) => s.failedRps[cause])])) as Record<FailureCause, number>,
    fargateCapacityRps: top((s) => s.fargateCapacityRps),
    fargateWeight: top((s) => s.fargateWeight),
    desiredTasks: top((s) => s.desiredTasks),
    runningTasks: top((s) => s.runningTasks),
    healthyTasks: top((s) => s.healthyTasks),
    lambdaConcurrency: top((s) => s.lambdaConcurrency),
  };
}

function xScale(view: View, left: number, width: number): (second: number) => number {
  return (second) => left + ((second - view.fromS) / (view.toS - view.fromS)) * width;
}

/** The controller's alarms going off and each scale-out's first Fargate weight and full shift, within the view. */
function markersOf(hybrid: StrategyRun, view: View): Marker[] {
  const markers: Marker[] = [];
  for (const change of hybrid.alarmChanges ?? []) {
    if (change.state === 'ALARM') {
      const kind = change.alarm === 'scaleOut' || change.alarm === 'scaleIn' ? change.alarm : 'protect';
      markers.push({ kind, atS: change.second });
    }
  }
  for (const transition of hybrid.transitions ?? []) {
    if (transition.firstFargateWeightAtS !== null) {
      markers.push({ kind: 'firstWeight', atS: transition.firstFargateWeightAtS });
    }
    if (transition.fullShiftAtS !== null) {
      markers.push({ kind: 'fullShift', atS: transition.fullShiftAtS });
    }
  }
  return markers.filter((marker) => marker.atS >= view.fromS && marker.atS <= view.toS);
}

/** The faults of the run that fall in the view, windows clipped to it, in time order. */
function faultMarksIn(faults: Faults, view: View): FaultMark[] {
  const marks: FaultMark[] = [
    ...faults.taskCrashes.map((crash) => ({ label: `crash: ${taskCount(crash.tasks)}`, fromS: crash.atMinute * 60 })),
    ...faults.redeploys.map((redeploy) => ({ label: `redeploy: ${redeploy.touches.join(', ')}`, fromS: redeploy.atMinute * 60 })),
    ...faults.unhealthyTasks.map((w) => ({ label: `unhealthy: ${taskCount(w.tasks)}`, fromS: w.fromMinute * 60, toS: w.toMinute * 60 })),
    ...faults.slowTasks.map((w) => ({ label: `slow tasks: ${percent(w.capacityFactor)} capacity`, fromS: w.fromMinute * 60, toS: w.toMinute * 60 })),
    ...faults.fargateErrorRate.map((w) => ({ label: `Fargate 5xx: ${percent(w.rate)}`, fromS: w.fromMinute * 60, toS: w.toMinute * 60 })),
  ];
  return marks
    .filter((mark) => (mark.toS === undefined ? mark.fromS >= view.fromS && mark.fromS <= view.toS : mark.toS > view.fromS && mark.fromS < view.toS))
    .map((mark) => (mark.toS === undefined ? mark : { ...mark, fromS: Math.max(mark.fromS, view.fromS), toS: Math.min(mark.toS, view.toS) }))
    .sort((a, b) => a.fromS - b.fromS || (a.label < b.label ? -1 : a.label > b.label ? 1 : 0));
}

/** Faults with no time of their own, said once above the panels. */
function steadyFaults(faults: Faults): string[] {
  const out: string[] = [];
  if (faults.lostEventRate > 0) {
    out.push(`${percent(faults.lostEventRate)} of the controller's events lost`);
  }
  if (faults.apiFailureRate > 0) {
    out.push(`${percent(faults.apiFailureRate)} of AWS call attempts failing`);
  }
  if (faults.metricDelaySeconds) {
    out.push(`metrics published ${faults.metricDelaySeconds.min} to ${faults.metricDelaySeconds.max} s late`);
  }
  return out;
}

function taskCount(tasks: TaskSelection): string {
  if (tasks === 'all') {
    return 'all tasks';
  }
  return tasks === 1 ? '1 task' : `${tasks} tasks`;
}

function markerLegend(markers: readonly Marker[], faults: readonly FaultMark[]): LegendItem[] {
  const kinds = (Object.keys(MARKER_STYLES) as MarkerKind[]).filter((kind) => kind !== 'fault' && markers.some((m) => m.kind === kind));
  return [
    ...kinds.map((kind): LegendItem => ({ label: MARKER_STYLES[kind].label, color: MARKER_STYLES[kind].color, swatch: 'line', dash: MARKER_STYLES[kind].dash })),
    ...faultLegend(faults),
  ];
}

function faultLegend(faults: readonly FaultMark[]): LegendItem[] {
  const items: LegendItem[] = [];
  if (faults.some((fault) => fault.toS === undefined)) {
    items.push({ label: `fault: ${MARKER_STYLES.fault.label}`, color: MARKER_STYLES.fault.color, swatch: 'line' });
  }
  if (faults.some((fault) => fault.toS !== undefined)) {
    items.push({ label: 'fault window', color: COLORS.faultBand, swatch: 'band' });
  }
  return items;
}

function legendOf(plot: Plot): LegendItem[] {
  return [
    ...plot.bands.map((band): LegendItem => ({ label: band.label, color: band.color, swatch: band.opacity === undefined ? 'area' : 'band' })),
    ...plot.lines.map((line): LegendItem => ({ label: line.label, color: line.color, swatch: line.dashed ? 'dashed' : 'line' })),
  ];
}

/** Items left to right from `x`, wrapping to `wrapX` on the next row when one would pass `maxX`. */
function renderLegend(items: readonly LegendItem[], x: number, y: number, maxX: number, wrapX = x): { svg: string; rows: number } {
  const out: string[] = [];
  let at = x;
  let row = 0;
  for (const item of items) {
    const width = 24 + item.label.length * CHAR_WIDTH;
    if (at + width > maxX && at > wrapX) {
      row++;
      at = wrapX;
    }
    const base = y + row * LINE_HEIGHT;
    out.push(legendSwatch(item, at, base));
    out.push(text(at + 22, base, item.label));
    at += width + 14;
  }
  return { svg: out.join('\n'), rows: items.length > 0 ? row + 1 : 1 };
}

function legendSwatch(item: LegendItem, x: number, y: number): string {
  switch (item.swatch) {
    case 'area':
      return `<rect x="${round1(x)}" y="${y - 9}" width="18" height="10" fill="${item.color}"/>`;
    case 'band':
      return `<rect x="${round1(x)}" y="${y - 9}" width="18" height="10" fill="${item.color}" fill-opacity="0.45" stroke="${item.color}"/>`;
    case 'dashed':
      return `<line x1="${round1(x)}" y1="${y - 4}" x2="${round1(x + 18)}" y2="${y - 4}" stroke="${item.color}" stroke-width="2" stroke-dasharray="4 3"/>`;
    default:
      return `<line x1="${round1(x)}" y1="${y - 4}" x2="${round1(x + 18)}" y2="${y - 4}" stroke="${item.color}" stroke-width="2"${item.dash ? ` stroke-dasharray="${item.dash}"` : ''}/>`;
  }
}

/** Fault names above the panels, each at its time, in as many rows as it takes for none to overlap. */
function renderFaultLabels(faults: readonly FaultMark[], x: (second: number) => number, top: number): { svg: string; rows: number } {
  const rowEnds: number[] = [];
  const out: string[] = [];
  for (const fault of faults) {
    const width = fault.label.length * CHAR_WIDTH;
    const start = Math.max(LEFT, Math.min(x(fault.fromS) + 3, LEFT + PLOT_WIDTH - width));
    let row = rowEnds.findIndex((end) => end + 8 <= start);
    if (row === -1) {
      row = rowEnds.length;
      rowEnds.push(0);
    }
    rowEnds[row] = start + width;
    out.push(text(start, top + 10 + row * 13, fault.label, `class="fault-label" fill="${COLORS.fault}"`));
  }
  return { svg: out.join('\n'), rows: rowEnds.length };
}

function renderPlot(plot: Plot, frame: Frame, view: View, decor: Decor, valueTicks: readonly number[]): string {
  const { markers, faults } = decor;
  const x = xScale(view, frame.left, frame.width);
  const y = (value: number) => frame.top + frame.height - (Math.min(value, plot.max) / plot.max) * frame.height;
  const right = frame.left + frame.width;
  const bottom = frame.top + frame.height;
  const out: string[] = [`<g class="plot ${plot.cls}">`];
  for (const fault of faults) {
    if (fault.toS !== undefined) {
      const from = round1(x(fault.fromS));
      out.push(`<rect class="fault-window" x="${from}" y="${frame.top}" width="${round1(Math.max(1, x(fault.toS) - from))}" height="${frame.height}" `
        + `fill="${COLORS.faultBand}" fill-opacity="0.45"/>`);
    }
  }
  for (const second of decor.ticks) {
    out.push(`<line x1="${round1(x(second))}" y1="${frame.top}" x2="${round1(x(second))}" y2="${bottom}" stroke="${COLORS.grid}"/>`);
  }
  for (const fraction of valueTicks) {
    const at = round1(y(plot.max * fraction));
    out.push(`<line x1="${frame.left}" y1="${at}" x2="${round1(right)}" y2="${at}" stroke="${COLORS.grid}"/>`);
    out.push(text(frame.left - 6, round1(at + 4), formatTick(plot.max * fraction), 'class="tick" text-anchor="end"'));
  }
  for (const band of plot.bands) {
    // A solid band (a cause of failures) is outlined in its own colour, so that even a point narrower than a pixel shows.
    const paint = band.opacity === undefined
      ? `fill="${band.color}" stroke="${band.color}" stroke-width="0.8" stroke-linejoin="round"`
      : `fill="${band.color}" fill-opacity="${band.opacity}"`;
    out.push(`<path class="${band.cls}" ${paint} d="${bandPath(band, view.edges, x, y)}"/>`);
  }
  for (const line of plot.lines) {
    const dash = line.dashed ? ' stroke-dasharray="5 3"' : '';
    out.push(`<polyline class="${line.cls}" fill="none" stroke="${line.color}" stroke-width="${line.width ?? 1.3}"${dash} points="${polylinePoints(line.values, view, x, y)}"/>`);
  }
  for (const band of plot.bands.filter((b) => b.opacity !== undefined)) {
    out.push(`<polyline class="${band.cls}-edge" fill="none" stroke="${band.color}" stroke-width="1.3" points="${polylinePoints(band.upper, view, x, y)}"/>`);
  }
  if (plot.empty && plot.bands.length === 0 && plot.lines.length === 0) {
    out.push(text(frame.left + 8, frame.top + 16, plot.empty, `fill="${COLORS.muted}"`));
  }
  for (const fault of faults) {
    if (fault.toS === undefined) {
      out.push(verticalLine('fault', x(fault.fromS), frame.top, bottom));
    }
  }
  for (const marker of markers) {
    out.push(verticalLine(marker.kind, x(marker.atS), frame.top, bottom));
  }
  out.push(`<rect class="frame" x="${frame.left}" y="${frame.top}" width="${round1(frame.width)}" height="${frame.height}" fill="none" stroke="${COLORS.frame}"/>`);
  out.push('</g>');
  return out.join('\n');
}

function verticalLine(kind: MarkerKind, at: number, top: number, bottom: number): string {
  const style = MARKER_STYLES[kind];
  const x = round1(at);
  return `<line class="marker ${kind}" x1="${x}" y1="${top}" x2="${x}" y2="${bottom}" stroke="${style.color}" stroke-width="${style.width}"`
    + `${style.dash ? ` stroke-dasharray="${style.dash}"` : ''}/>`;
}

/** Vertices of a step line, [second, value]: a value holds over its whole point, and a run of equal values is one step. */
function stepVertices(values: readonly number[], edges: readonly number[]): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  values.forEach((value, i) => {
    if (i > 0 && values[i - 1] === value && i < values.length - 1 && values[i + 1] === value) {
      return;
    }
    out.push([edges[i], value], [edges[i + 1], value]);
  });
  return out;
}

/** The band as one closed outline per run of points where it has any thickness; nothing where it has none. */
function bandPath(band: Band, edges: readonly number[], x: (second: number) => number, y: (value: number) => number): string {
  const outlines: string[] = [];
  const vertex = ([second, value]: [number, number]) => `${round1(x(second))},${round1(y(value))}`;
  let start = -1;
  band.upper.forEach((upper, i) => {
    const thick = upper > band.lower[i];
    if (thick && start === -1) {
      start = i;
    }
    const last = i === band.upper.length - 1;
    if (start !== -1 && (!thick || last)) {
      const end = thick ? i + 1 : i;
      const top = stepVertices(band.upper.slice(start, end), edges.slice(start, end + 1));
      const bottom = stepVertices(band.lower.slice(start, end), edges.slice(start, end + 1)).reverse();
      outlines.push(`M ${[...top, ...bottom].map(vertex).join(' ')} Z`);
      start = -1;
    }
  });
  return outlines.join(' ');
}

function polylinePoints(values: readonly number[], view: View, x: (second: number) => number, y: (value: number) => number): string {
  return stepVertices(values, view.edges).map(([second, value]) => `${round1(x(second))},${round1(y(value))}`).join(' ');
}

/** Seconds of the view at a round step, at most `maxTicks` of them (and at least the start of the view). */
function timeTicks(view: View, maxTicks: number): number[] {
  const { fromS, toS } = view;
  const steps = view.zoomed
    ? [10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400]
    : [60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800];
  const step = steps.find((candidate) => (toS - fromS) / candidate + 1 <= maxTicks) ?? steps[steps.length - 1];
  const ticks: number[] = [];
  for (let second = Math.ceil(fromS / step) * step; second <= toS; second += step) {
    ticks.push(second);
  }
  return ticks;
}

/** Tick marks and time labels under a plot, each label kept within the picture. */
function renderTimeAxis(view: View, ticks: readonly number[], x: (second: number) => number, bottom: number): string {
  const out: string[] = [];
  for (const second of ticks) {
    const at = round1(x(second));
    const label = timeLabel(second, view.zoomed);
    const half = (label.length * CHAR_WIDTH) / 2;
    out.push(`<line x1="${at}" y1="${bottom}" x2="${at}" y2="${bottom + 5}" stroke="${COLORS.frame}"/>`);
    out.push(text(Math.min(WIDTH - half - 2, Math.max(half + 2, at)), bottom + 18, label, 'class="time" text-anchor="middle"'));
  }
  return out.join('\n');
}

function timeUnit(view: View): string {
  return view.zoomed ? 'h:mm:ss' : 'h:mm';
}

function timeLabel(second: number, withSeconds: boolean): string {
  const pad = (value: number) => String(value).padStart(2, '0');
  const whole = Math.round(second);
  const hm = `${Math.floor(whole / 3600)}:${pad(Math.floor((whole % 3600) / 60))}`;
  return withSeconds ? `${hm}:${pad(whole % 60)}` : hm;
}

function chartTitle(run: SimulationRun, view: View, what: string): string {
  const window = view.zoomed
    ? `${timeLabel(view.fromS, true)} to ${timeLabel(view.toS, true)}, ${view.samplesPerPoint === 1 ? 'second by second' : `${view.samplesPerPoint} s per point (peaks)`}`
    : `${timeLabel(view.fromS, false)} to ${timeLabel(view.toS, false)}, ${view.samplesPerPoint === 1 ? 'minute by minute' : `${view.samplesPerPoint} min per point (peaks)`}`;
  return `${run.trace.name}: ${what}, ${window}`;
}

function costLine(run: SimulationRun): string {
  const costs = STRATEGIES.filter((name) => run.strategies[name] !== undefined)
    .map((name) => `${STRATEGY_LABELS[name].split(' (')[0]} ${money(monthlyCost(run.strategies[name]!.usage, run.settings).monthlyCostUsd)}`);
  return `Monthly cost of the whole run: ${costs.join(', ')} (seed ${run.seed}, ${run.arrivals} arrivals)`;
}

function strategyTitle(run: SimulationRun, name: StrategyName, result: StrategyRun, view: View): string {
  const failed = `${thousands(view.failed)} failed${view.zoomed ? ' here' : ''}`;
  return `${STRATEGY_LABELS[name]}: ${failed}, ${money(monthlyCost(result.usage, run.settings).monthlyCostUsd)}/month`;
}

function svgDocument(height: number, parts: readonly string[]): string {
  const h = Math.ceil(height);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${h}" viewBox="0 0 ${WIDTH} ${h}" font-family="sans-serif" font-size="11">`,
    `<rect width="${WIDTH}" height="${h}" fill="#ffffff"/>`,
    ...parts.filter((part) => part.length > 0),
    '</svg>',
    '',
  ].join('\n');
}

function text(x: number, y: number, content: string, attributes = ''): string {
  return `<text x="${round1(x)}" y="${round1(y)}"${attributes ? ` ${attributes}` : ''}>${escapeXml(content)}</text>`;
}

/** 1, 2 or 5 times a power of ten, at least `value` (and at least 1). */
export function niceCeiling(value: number): number {
  if (!(value > 1)) {
    return 1;
  }
  const power = 10 ** Math.floor(Math.log10(value));
  return [1, 2, 5, 10].map((m) => m * power).find((candidate) => candidate >= value) ?? 10 * power;
}

function formatTick(value: number): string {
  return Number.isInteger(value) ? thousands(value) : value.toFixed(1);
}

/** Thousands separated by commas, the same on every machine (toLocaleString depends on the ICU data installed). */
function thousands(value: number): string {
  return String(Math.round(value)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

function percent(fraction: number): string {
  return `${round1(fraction * 100)} %`;
}

function money(usd: number): string {
  return `$${usd.toFixed(2)}`;
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}

/** Text safe in XML: markup escaped, and characters XML 1.0 forbids (control characters) dropped. */
function escapeXml(content: string): string {
  return content
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '')
    .replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
