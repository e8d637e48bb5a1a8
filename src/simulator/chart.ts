/**
 * An SVG chart of the hybrid run, minute by minute: offered traffic and how it was split, the Fargate weight, the
 * Fargate tasks, and the Lambda concurrency, with the controller's alarms and scale-outs marked. Hand-written SVG,
 * no dependency; it renders in browsers and on GitHub.
 */
import { buildReport } from './report';
import { MinuteSample, SimulationRun } from './simulate';

const WIDTH = 1000;
const LEFT = 70;
const RIGHT = 24;
const PLOT_WIDTH = WIDTH - LEFT - RIGHT;
const MAX_POINTS = 1500;
const COLORS = {
  offered: '#222222',
  lambda: '#1f77b4',
  fargate: '#ff7f0e',
  weight: '#ff7f0e',
  desired: '#7f7f7f',
  running: '#9467bd',
  healthy: '#2ca02c',
  concurrency: '#1f77b4',
  scaleOut: '#d62728',
  scaleIn: '#1f77b4',
  shift: '#2ca02c',
  grid: '#e5e5e5',
};

interface Series {
  readonly label: string;
  readonly color: string;
  readonly values: number[];
  readonly dashed?: boolean;
}

interface Panel {
  readonly title: string;
  readonly height: number;
  readonly series: Series[];
  /** Fixed top of the y axis; otherwise a round number above the data. */
  readonly max?: number;
}

export function renderChart(run: SimulationRun): string {
  const hybrid = run.strategies.hybrid;
  const minutes = Math.max(1, hybrid.timeline.length);
  // Long traces are drawn a few minutes per point (the peak of each), which keeps the file small.
  const minutesPerPoint = Math.max(1, Math.ceil(minutes / MAX_POINTS));
  const samples = peaks(hybrid.timeline, minutesPerPoint);
  const x = (minute: number) => LEFT + (minute / minutes) * PLOT_WIDTH;
  const xOfPoint = (point: number) => x(point * minutesPerPoint);
  const panels: Panel[] = [
    {
      title: 'Requests per second',
      height: 190,
      series: [
        { label: 'offered', color: COLORS.offered, values: samples.map((s) => s.offeredRps) },
        { label: 'to Lambda', color: COLORS.lambda, values: samples.map((s) => s.lambdaRps) },
        { label: 'to Fargate', color: COLORS.fargate, values: samples.map((s) => s.fargateRps) },
      ],
    },
    { title: 'Fargate weight (%)', height: 100, max: 100, series: [{ label: 'Fargate weight', color: COLORS.weight, values: samples.map((s) => s.fargateWeight) }] },
    {
      title: 'Fargate tasks',
      height: 140,
      series: [
        { label: 'desired', color: COLORS.desired, values: samples.map((s) => s.desiredTasks), dashed: true },
        { label: 'running', color: COLORS.running, values: samples.map((s) => s.runningTasks) },
        { label: 'healthy', color: COLORS.healthy, values: samples.map((s) => s.healthyTasks) },
      ],
    },
    { title: 'Lambda concurrency (peak of the minute)', height: 120, series: [{ label: 'concurrency', color: COLORS.concurrency, values: samples.map((s) => s.lambdaConcurrency) }] },
  ];

  const report = buildReport(run);
  const costs = report.strategies;
  const parts: string[] = [];
  let top = 78;
  const panelTops: Array<{ top: number; height: number }> = [];
  for (const panel of panels) {
    parts.push(renderPanel(panel, top, xOfPoint));
    panelTops.push({ top, height: panel.height });
    top += panel.height + 42;
  }
  const bottom = top - 42;
  parts.push(renderMarkers(run, x, panelTops));
  parts.push(renderTimeAxis(minutes, x, bottom));

  const height = bottom + 50;
  const title = `${run.trace.name}: hybrid ${money(costs.hybrid.monthlyCostUsd)}/month, Lambda only ${money(costs.lambdaOnly.monthlyCostUsd)}, `
    + `Fargate only ${money(costs.fargateOnly.monthlyCostUsd)} (seed ${run.seed})`;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="${WIDTH}" height="${height}" fill="#ffffff"/>`,
    `<text x="${LEFT}" y="22" font-size="15" font-weight="bold">${escapeXml(title)}</text>`,
    renderMarkerLegend(LEFT, 42),
    ...parts,
    '</svg>',
    '',
  ].join('\n');
}

function renderPanel(panel: Panel, top: number, x: (point: number) => number): string {
  const dataMax = panel.series.reduce((highest, s) => s.values.reduce((a, b) => Math.max(a, b), highest), 0);
  const max = panel.max ?? niceCeiling(dataMax);
  const y = (value: number) => top + panel.height - (value / max) * panel.height;
  const out: string[] = [];
  out.push(`<text x="${LEFT}" y="${top - 8}" font-weight="bold">${escapeXml(panel.title)}</text>`);
  let legendX = LEFT + 16 + panel.title.length * 7.2;
  for (const series of panel.series) {
    out.push(`<line x1="${legendX}" y1="${top - 12}" x2="${legendX + 18}" y2="${top - 12}" stroke="${series.color}" stroke-width="2"${series.dashed ? ' stroke-dasharray="4 3"' : ''}/>`);
    out.push(`<text x="${legendX + 22}" y="${top - 8}">${escapeXml(series.label)}</text>`);
    legendX += 30 + series.label.length * 6.5;
  }
  for (const fraction of [0, 0.5, 1]) {
    const value = max * fraction;
    out.push(`<line x1="${LEFT}" y1="${round1(y(value))}" x2="${LEFT + PLOT_WIDTH}" y2="${round1(y(value))}" stroke="${COLORS.grid}"/>`);
    out.push(`<text x="${LEFT - 6}" y="${round1(y(value) + 4)}" text-anchor="end">${formatTick(value)}</text>`);
  }
  out.push(`<rect x="${LEFT}" y="${top}" width="${PLOT_WIDTH}" height="${panel.height}" fill="none" stroke="#999999"/>`);
  for (const series of panel.series) {
    out.push(`<polyline fill="none" stroke="${series.color}" stroke-width="1.3"${series.dashed ? ' stroke-dasharray="4 3"' : ''} points="${points(series.values, x, y)}"/>`);
  }
  return out.join('\n');
}

/** The highest value of each field over each run of `size` samples. */
function peaks(samples: readonly MinuteSample[], size: number): MinuteSample[] {
  if (size === 1) {
    return [...samples];
  }
  const out: MinuteSample[] = [];
  for (let start = 0; start < samples.length; start += size) {
    const chunk = samples.slice(start, start + size);
    const top = (field: keyof MinuteSample) => chunk.reduce((max, sample) => Math.max(max, sample[field]), 0);
    out.push({
      minute: chunk[0].minute,
      offeredRps: top('offeredRps'),
      lambdaRps: top('lambdaRps'),
      fargateRps: top('fargateRps'),
      fargateWeight: top('fargateWeight'),
      desiredTasks: top('desiredTasks'),
      runningTasks: top('runningTasks'),
      healthyTasks: top('healthyTasks'),
      lambdaConcurrency: top('lambdaConcurrency'),
    });
  }
  return out;
}

/** Points of a step line, one per change: a value holds for its whole sample. */
function points(values: number[], x: (point: number) => number, y: (value: number) => number): string {
  const out: string[] = [];
  values.forEach((value, point) => {
    if (point > 0 && values[point - 1] === value && point < values.length - 1 && values[point + 1] === value) {
      return;
    }
    out.push(`${round1(x(point))},${round1(y(value))}`, `${round1(x(point + 1))},${round1(y(value))}`);
  });
  return out.join(' ');
}

function renderMarkers(run: SimulationRun, x: (minute: number) => number, panels: Array<{ top: number; height: number }>): string {
  const hybrid = run.strategies.hybrid;
  const first = panels[0].top;
  const last = panels[panels.length - 1].top + panels[panels.length - 1].height;
  const out: string[] = [];
  for (const change of hybrid.alarmChanges ?? []) {
    if (change.state !== 'ALARM' || (change.alarm !== 'scaleOut' && change.alarm !== 'scaleIn')) {
      continue;
    }
    const at = round1(x(change.second / 60));
    const color = change.alarm === 'scaleOut' ? COLORS.scaleOut : COLORS.scaleIn;
    out.push(`<line x1="${at}" y1="${first}" x2="${at}" y2="${last}" stroke="${color}" stroke-width="1" stroke-dasharray="3 3" opacity="0.8"/>`);
  }
  const weightPanel = panels[1];
  for (const transition of hybrid.transitions ?? []) {
    for (const at of [transition.firstFargateWeightAtS, transition.fullShiftAtS]) {
      if (at !== null) {
        const cx = round1(x(at / 60));
        out.push(`<path d="M ${cx} ${weightPanel.top - 1} l -4 -7 l 8 0 z" fill="${COLORS.shift}"/>`);
      }
    }
  }
  return out.join('\n');
}

function renderMarkerLegend(left: number, y: number): string {
  const items = [
    { label: 'scale-out alarm', color: COLORS.scaleOut, kind: 'line' },
    { label: 'scale-in alarm', color: COLORS.scaleIn, kind: 'line' },
    { label: 'first Fargate weight / full shift', color: COLORS.shift, kind: 'triangle' },
  ];
  const out: string[] = [];
  let at = left;
  for (const item of items) {
    out.push(item.kind === 'line'
      ? `<line x1="${at}" y1="${y - 4}" x2="${at + 18}" y2="${y - 4}" stroke="${item.color}" stroke-dasharray="3 3"/>`
      : `<path d="M ${at + 9} ${y} l -4 -7 l 8 0 z" fill="${item.color}"/>`);
    out.push(`<text x="${at + 22}" y="${y}">${item.label}</text>`);
    at += 40 + item.label.length * 6.5;
  }
  return out.join('\n');
}

function renderTimeAxis(minutes: number, x: (minute: number) => number, bottom: number): string {
  const stepMinutes = [15, 30, 60, 120, 180, 360, 720, 1440, 2880, 10080].find((step) => minutes / step <= 12) ?? 10080;
  const out: string[] = [];
  for (let minute = 0; minute <= minutes; minute += stepMinutes) {
    const at = round1(x(minute));
    out.push(`<line x1="${at}" y1="${bottom}" x2="${at}" y2="${bottom + 5}" stroke="#999999"/>`);
    out.push(`<text x="${at}" y="${bottom + 18}" text-anchor="middle">${timeLabel(minute)}</text>`);
  }
  out.push(`<text x="${LEFT + PLOT_WIDTH / 2}" y="${bottom + 36}" text-anchor="middle">time since the start of the trace (h:mm)</text>`);
  return out.join('\n');
}

function timeLabel(minute: number): string {
  return `${Math.floor(minute / 60)}:${String(minute % 60).padStart(2, '0')}`;
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
  return Number.isInteger(value) ? String(value) : value.toFixed(1);
}

function money(usd: number): string {
  return `$${usd.toFixed(2)}`;
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
