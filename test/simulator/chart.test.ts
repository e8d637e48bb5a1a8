import { niceCeiling, renderChart, renderComparison } from '../../src/simulator/chart';
import { monthlyCost } from '../../src/simulator/pricing';
import { resolveSettings } from '../../src/simulator/settings';
import { FAILURE_CAUSES, Sample, simulate, SimulationRun } from '../../src/simulator/simulate';
import { ArrivalProcess, Trace } from '../../src/simulator/trace';

// 5 quiet minutes, 30 at 40 requests/s (above the default scale-out threshold of 1,200 a minute), 10 quiet ones.
const TRACE: Trace = { name: 'flash', rpsByMinute: [...Array(5).fill(2), ...Array(30).fill(40), ...Array(10).fill(2)], repeats: false };
const TRACE_SECONDS = TRACE.rpsByMinute.length * 60;
// Every task crashes at minute 15; the controller moves the traffic to Lambda within seconds, so the crash fails a few
// requests sent to the dead task. Every task fails its health checks from minute 20 to 22: requests to them fail until
// the load balancer counts them unhealthy, ECS deregisters them to replace them, and the requests the listener still
// sends to Fargate find no target until the controller moves them to Lambda. Fargate answers half its requests with 5xx
// from minute 26 to 28.
const FAULTS = {
  taskCrashes: [{ atMinute: 15, tasks: 'all' }],
  unhealthyTasks: [{ fromMinute: 20, toMinute: 22, tasks: 'all' }],
  fargateErrorRate: [{ fromMinute: 26, toMinute: 28, rate: 0.5 }],
};
const UNHEALTHY_S = FAULTS.unhealthyTasks[0].fromMinute * 60;
const ZOOM = { fromMinute: 18, toMinute: 24 };
const FAILURE_LABELS = {
  lambdaThrottled: 'Lambda throttled',
  fargateOverloaded: 'Fargate overloaded',
  noTarget: 'no target',
  deadTarget: 'crashed or failing task',
  injectedError: 'injected 5xx',
};

function simulateRun(): Promise<SimulationRun> {
  return simulate(TRACE, resolveSettings({ faults: FAULTS }), { arrivals: ArrivalProcess.DETERMINISTIC, detail: ZOOM });
}

let run: SimulationRun;

beforeAll(async () => {
  run = await simulateRun();
});

describe('the test run', () => {
  // The assertions below rely on these; if the simulator changes, pick another trace rather than weaken them.
  test('has one full scale-out, failures of three causes in the hybrid, and none in the Lambda-only run', () => {
    const hybrid = run.strategies.hybrid;
    expect(hybrid.transitions).toHaveLength(1);
    expect(hybrid.transitions![0].fullShiftAtS).not.toBeNull();
    expect(FAILURE_CAUSES.filter((cause) => hybrid.failedByCause[cause] > 0)).toEqual(['noTarget', 'deadTarget', 'injectedError']);
    expect(hybrid.failed).toBe(FAILURE_CAUSES.reduce((sum, cause) => sum + hybrid.failedByCause[cause], 0));
    // Above a thousand, so that the counts in the titles show their thousands separator.
    expect(hybrid.failed).toBeGreaterThan(1000);
    expect(run.strategies.lambdaOnly.failed).toBe(0);
  });

  test('fails requests to no target and to the failing tasks in the first minute of the unhealthy window', () => {
    const { failedRps } = run.strategies.hybrid.timeline[UNHEALTHY_S / 60];
    expect(failedRps.noTarget).toBeGreaterThan(0);
    expect(failedRps.deadTarget).toBeGreaterThan(0);
  });
});

describe('renderChart', () => {
  test('is a well-formed SVG document that escapes the trace name', () => {
    const named = { ...run, trace: { ...run.trace, name: 'a <b> & "c"\u0001' } };
    const svg = parseXml(renderChart(named));
    expect(svg.name).toBe('svg');
    expect(svg.attributes.xmlns).toBe('http://www.w3.org/2000/svg');
    expect(svg.attributes.width).toBe('1000');
    expect(textOf(findAll(svg, (e) => e.name === 'text')[0])).toMatch(/^a <b> & "c": the hybrid, 0:00 to 0:45, minute by minute$/);
  });

  test('is the same string for the same run', async () => {
    const again = await simulateRun();
    expect(renderChart(again)).toBe(renderChart(run));
    expect(renderChart(again, ZOOM)).toBe(renderChart(run, ZOOM));
  });

  test('has the panels of the hybrid, each with its plot frame', () => {
    const svg = parseXml(renderChart(run));
    const panels = findAll(svg, (e) => hasClass(e, 'panel')).map((panel) => panel.attributes.class);
    expect(panels).toEqual(['panel traffic', 'panel failed', 'panel capacity', 'panel weight', 'panel tasks', 'panel concurrency']);
  });

  test('stacks one failure series per cause present, named in the legend, and none for absent causes', () => {
    const failed = panelOf(parseXml(renderChart(run)), 'failed');
    for (const cause of FAILURE_CAUSES) {
      const present = run.strategies.hybrid.failedByCause[cause] > 0;
      expect([cause, findAll(failed, (e) => hasClass(e, `failed-${cause}`)).length]).toEqual([cause, present ? 1 : 0]);
      expect([cause, textsOf(failed).includes(FAILURE_LABELS[cause])]).toEqual([cause, present]);
    }
    expect(textsOf(failed)[0]).toBe(`Failed requests per second, by cause (${run.strategies.hybrid.failed.toLocaleString('en-US')} failed)`);
  });

  test('draws each cause as high as its failures: the unhealthy minute stacks no target under the failing tasks', () => {
    const failed = panelOf(parseXml(renderChart(run)), 'failed');
    const { x, y } = scales(failed, 0, TRACE_SECONDS);
    const unhealthy = run.strategies.hybrid.timeline[UNHEALTHY_S / 60].failedRps;
    const noTarget = pathVertices(findAll(failed, (e) => hasClass(e, 'failed-noTarget'))[0]);
    const deadTarget = pathVertices(findAll(failed, (e) => hasClass(e, 'failed-deadTarget'))[0]);
    expect(noTarget).toContainEqual(near([x(UNHEALTHY_S), y(unhealthy.noTarget)]));
    expect(deadTarget).toContainEqual(near([x(UNHEALTHY_S + 60), y(unhealthy.noTarget + unhealthy.deadTarget)]));
    // Each cause spans exactly the minutes in which it failed requests.
    for (const [cause, vertices] of [['noTarget', noTarget], ['deadTarget', deadTarget]] as const) {
      const minutes = run.strategies.hybrid.timeline.filter((sample) => sample.failedRps[cause] > 0).map((sample) => sample.at);
      expect([cause, Math.min(...vertices.map(([px]) => px))]).toEqual([cause, near(x(minutes[0] * 60))]);
      expect([cause, Math.max(...vertices.map(([px]) => px))]).toEqual([cause, near(x((minutes[minutes.length - 1] + 1) * 60))]);
    }
  });

  test('draws the offered traffic dashed, on top of the per-side lines', () => {
    const traffic = panelOf(parseXml(renderChart(run)), 'traffic');
    const lines = findAll(traffic, (e) => e.name === 'polyline');
    expect(lines.map((line) => line.attributes.class)).toEqual(['lambda', 'fargate', 'served', 'offered']);
    expect(lines[3].attributes['stroke-dasharray']).toBeDefined();
    expect(textsOf(traffic)).toEqual(expect.arrayContaining(['to Lambda', 'to Fargate', 'served', 'offered']));
  });

  test('draws the Fargate capacity against its traffic, down in the unhealthy minute', () => {
    const capacity = panelOf(parseXml(renderChart(run)), 'capacity');
    const { x, y } = scales(capacity, 0, TRACE_SECONDS);
    const edge = polylineVertices(findAll(capacity, (e) => hasClass(e, 'capacity-edge'))[0]);
    const before = run.strategies.hybrid.timeline[UNHEALTHY_S / 60 - 1];
    const unhealthy = run.strategies.hybrid.timeline[UNHEALTHY_S / 60];
    expect(unhealthy.fargateCapacityRps).toBeLessThan(unhealthy.fargateRps);
    expect(before.fargateCapacityRps).toBeGreaterThan(before.fargateRps);
    expect(edge).toContainEqual(near([x(UNHEALTHY_S), y(before.fargateCapacityRps)]));
    expect(edge).toContainEqual(near([x(UNHEALTHY_S), y(unhealthy.fargateCapacityRps)]));
    expect(edge).toContainEqual(near([x(UNHEALTHY_S + 60), y(unhealthy.fargateCapacityRps)]));
    expect(findAll(capacity, (e) => e.name === 'polyline' && hasClass(e, 'fargate'))).toHaveLength(1);
  });

  test('marks the first Fargate weight and the full shift at their seconds on every panel', () => {
    const svg = parseXml(renderChart(run));
    const transition = run.strategies.hybrid.transitions![0];
    for (const panel of findAll(svg, (e) => hasClass(e, 'panel'))) {
      const { x } = scales(panel, 0, TRACE_SECONDS);
      const at = (kind: string) => findAll(panel, (e) => hasClass(e, 'marker') && hasClass(e, kind)).map((line) => Number(line.attributes.x1));
      expect(at('firstWeight')).toEqual([near(x(transition.firstFargateWeightAtS!))]);
      expect(at('fullShift')).toEqual([near(x(transition.fullShiftAtS!))]);
    }
    expect(textsOf(svg)).toEqual(expect.arrayContaining(['first Fargate weight', 'full shift to Fargate']));
  });

  test('marks the crash with a labelled line and the unhealthy and error windows with labelled bands', () => {
    const svg = parseXml(renderChart(run));
    const labels = findAll(svg, (e) => hasClass(e, 'fault-label')).map(textOf);
    expect(labels).toEqual(['crash: all tasks', 'unhealthy: all tasks', 'Fargate 5xx: 50 %']);
    const failed = panelOf(svg, 'failed');
    const { x } = scales(failed, 0, TRACE_SECONDS);
    expect(findAll(failed, (e) => hasClass(e, 'marker') && hasClass(e, 'fault')).map((line) => Number(line.attributes.x1))).toEqual([near(x(15 * 60))]);
    const band = findAll(failed, (e) => hasClass(e, 'fault-window'));
    expect(band.map((rect) => [Number(rect.attributes.x), Number(rect.attributes.width)])).toEqual([
      [near(x(20 * 60)), near(x(22 * 60) - x(20 * 60))],
      [near(x(26 * 60)), near(x(28 * 60) - x(26 * 60))],
    ]);
  });

  test('keeps a bad minute at its height when a long trace is drawn a few minutes per point', () => {
    const quiet = run.strategies.hybrid.timeline[0];
    const timeline: Sample[] = Array.from({ length: 3000 }, (_, minute) => ({
      ...quiet,
      at: minute,
      failedRps: { ...quiet.failedRps, noTarget: minute === 1501 ? 40 : 0 },
    }));
    const long = { ...run, strategies: { ...run.strategies, hybrid: { ...run.strategies.hybrid, timeline } } };
    const svg = parseXml(renderChart(long));
    expect(textOf(findAll(svg, (e) => e.name === 'text')[0])).toMatch(/2 min per point \(peaks\)$/);
    const failed = panelOf(svg, 'failed');
    // An average over the two minutes of the point would give 20 and a scale of 20.
    expect(ticksOf(failed)).toEqual([0, 25, 50]);
    const { x, y } = scales(failed, 0, 3000 * 60);
    expect(pathVertices(findAll(failed, (e) => hasClass(e, 'failed-noTarget'))[0])).toContainEqual(near([x(1500 * 60), y(40)]));
  });
});

describe('renderChart zoomed', () => {
  test('draws the window second by second, with a time axis in seconds', () => {
    const svg = parseXml(renderChart(run, ZOOM));
    expect(textOf(findAll(svg, (e) => e.name === 'text')[0])).toBe('flash: the hybrid, 0:18:00 to 0:24:00, second by second');
    const times = findAll(svg, (e) => hasClass(e, 'time')).map(textOf);
    expect(times[0]).toBe('0:18:00');
    expect(times).toContain('0:20:00');
    expect(times[times.length - 1]).toBe('0:24:00');
  });

  test('has one step per second of the window', () => {
    // Offered traffic that changes every second leaves no run of equal values to draw as one step.
    const detail = run.strategies.hybrid.detail!.map((sample, i) => ({ ...sample, offeredRps: 40 + (i % 2) }));
    const varying = { ...run, strategies: { ...run.strategies, hybrid: { ...run.strategies.hybrid, detail } } };
    const traffic = panelOf(parseXml(renderChart(varying, ZOOM)), 'traffic');
    const { x } = scales(traffic, 18 * 60, 24 * 60);
    const offered = polylineVertices(findAll(traffic, (e) => hasClass(e, 'offered'))[0]);
    expect(offered).toHaveLength(2 * 6 * 60);
    offered.forEach(([px], i) => expect(px).toBeCloseTo(x(18 * 60 + Math.ceil(i / 2)), 0));
  });

  test('shows the served traffic falling to 0 when the tasks turn unhealthy and back when the controller moves it to Lambda', () => {
    const traffic = panelOf(parseXml(renderChart(run, ZOOM)), 'traffic');
    const { x, y } = scales(traffic, 18 * 60, 24 * 60);
    const detail = run.strategies.hybrid.detail!;
    const recovered = detail.find((sample) => sample.at > UNHEALTHY_S && sample.servedRps > 0)!;
    // Several seconds down, so that the step down and the step up are drawn apart.
    expect(recovered.at).toBeGreaterThan(UNHEALTHY_S + 5);
    expect([recovered.fargateWeight, recovered.lambdaRps]).toEqual([0, recovered.servedRps]);
    const served = polylineVertices(findAll(traffic, (e) => hasClass(e, 'served'))[0]);
    const servedIn = (second: number) => stepValueAt(served, x(second + 0.5));
    expect([servedIn(1080), servedIn(UNHEALTHY_S - 1), servedIn(UNHEALTHY_S), servedIn(recovered.at - 1), servedIn(recovered.at)])
      .toEqual([near(y(40)), near(y(40)), near(y(0)), near(y(0)), near(y(recovered.servedRps))]);
    expect(served[0]).toEqual(near([x(18 * 60), y(40)]));
    expect(served[served.length - 1]).toEqual(near([x(24 * 60), y(40)]));
  });

  test('counts the failures of the window only and leaves out the markers outside it', () => {
    const svg = parseXml(renderChart(run, ZOOM));
    const inWindow = run.strategies.hybrid.detail!.reduce((sum, s) => sum + FAILURE_CAUSES.reduce((a, cause) => a + s.failedRps[cause], 0), 0);
    expect(inWindow).toBeGreaterThan(0);
    expect(textsOf(panelOf(svg, 'failed'))[0]).toBe(`Failed requests per second, by cause (${inWindow.toLocaleString('en-US')} failed in this window)`);
    expect(findAll(svg, (e) => hasClass(e, 'failed-injectedError'))).toHaveLength(0);
    expect(findAll(svg, (e) => hasClass(e, 'firstWeight') || hasClass(e, 'fullShift'))).toHaveLength(0);
    expect(findAll(svg, (e) => hasClass(e, 'marker') && hasClass(e, 'fault'))).toHaveLength(0);
    expect(findAll(svg, (e) => hasClass(e, 'fault-label')).map(textOf)).toEqual(['unhealthy: all tasks']);
  });

  test('needs the per-second samples of its window', () => {
    expect(() => renderChart(run, { fromMinute: 30, toMinute: 40 })).toThrow(/options.detail = \{ fromMinute: 30, toMinute: 40 \}/);
    const withoutDetail = { ...run, strategies: { ...run.strategies, hybrid: { ...run.strategies.hybrid, detail: undefined } } };
    expect(() => renderChart(withoutDetail, ZOOM)).toThrow(/needs their per-second samples/);
  });
});

describe('renderComparison', () => {
  test('is a well-formed SVG with one panel per strategy, titled with its failures and cost', () => {
    const svg = parseXml(renderComparison(run));
    const panels = findAll(svg, (e) => hasClass(e, 'strategy'));
    expect(panels.map((panel) => panel.attributes.class)).toEqual(['strategy lambdaOnly', 'strategy fargateOnly', 'strategy hybrid', 'strategy oracle']);
    const cost = (name: 'hybrid' | 'oracle') => monthlyCost(run.strategies[name]!.usage, run.settings).monthlyCostUsd.toFixed(2);
    expect(textsOf(panels[2])[0]).toBe(`Hybrid: ${run.strategies.hybrid.failed.toLocaleString('en-US')} failed, $${cost('hybrid')}/month`);
    expect(textsOf(panels[3])[0]).toBe(`Oracle (plan made in hindsight): ${run.strategies.oracle!.failed} failed, $${cost('oracle')}/month`);
  });

  test('leaves out a strategy the run does not have', () => {
    const { oracle, ...others } = run.strategies;
    expect(oracle).toBeDefined();
    const svg = parseXml(renderComparison({ ...run, strategies: others }));
    expect(findAll(svg, (e) => hasClass(e, 'strategy')).map((panel) => panel.attributes.class)).toEqual([
      'strategy lambdaOnly', 'strategy fargateOnly', 'strategy hybrid',
    ]);
  });

  test('uses the same scales in every panel and draws each strategy\'s own failures', () => {
    const svg = parseXml(renderComparison(run));
    const panels = findAll(svg, (e) => hasClass(e, 'strategy'));
    const plotTicks = (cls: string) => panels.map((panel) => ticksOf(plotOf(panel, cls)));
    // Offered traffic peaks at 40 requests/s, and so do failures (every request of a second failing).
    expect(plotTicks('served')).toEqual(panels.map(() => [0, niceCeiling(40)]));
    expect(plotTicks('failed')).toEqual(panels.map(() => [0, niceCeiling(40)]));
    for (const [index, name] of (['lambdaOnly', 'fargateOnly', 'hybrid', 'oracle'] as const).entries()) {
      const drawn = FAILURE_CAUSES.filter((cause) => findAll(panels[index], (e) => hasClass(e, `failed-${cause}`)).length === 1);
      expect([name, drawn]).toEqual([name, FAILURE_CAUSES.filter((cause) => run.strategies[name]!.failedByCause[cause] > 0)]);
    }
  });

  test('zoomed, counts the failures of the window', () => {
    const svg = parseXml(renderComparison(run, ZOOM));
    const hybrid = findAll(svg, (e) => hasClass(e, 'strategy') && hasClass(e, 'hybrid'))[0];
    const inWindow = run.strategies.hybrid.detail!.reduce((sum, s) => sum + FAILURE_CAUSES.reduce((a, cause) => a + s.failedRps[cause], 0), 0);
    expect(textsOf(hybrid)[0]).toMatch(new RegExp(`^Hybrid: ${inWindow.toLocaleString('en-US')} failed here, \\$`));
  });
});

describe('the XML reader of these tests', () => {
  test.each([
    ['<svg><g></svg>'],
    ['<svg><g>'],
    ['<svg a="1" a="2"/>'],
    ['<svg x=1/>'],
    ['<svg>a & b</svg>'],
    ['<svg>a < b</svg>'],
    ['<svg>&nbsp;</svg>'],
    ['<svg/><svg/>'],
    ['<svg><text>\u0001</text></svg>'],
  ])('rejects %j', (source) => {
    expect(() => parseXml(source)).toThrow(/not well-formed XML/);
  });

  test('reads elements, attributes and text', () => {
    const root = parseXml('<svg a="x &amp; y"><text>1 &lt; 2</text><g/></svg>');
    expect(root).toEqual({ name: 'svg', attributes: { a: 'x & y' }, children: [{ name: 'text', attributes: {}, children: ['1 < 2'] }, { name: 'g', attributes: {}, children: [] }] });
  });
});

// A tiny XML reader: enough to prove the output well-formed (balanced tags, quoted attributes, escaped text) and to
// query it. It throws on anything malformed.

interface XmlElement {
  readonly name: string;
  readonly attributes: Record<string, string>;
  readonly children: Array<XmlElement | string>;
}

const NAME = /^[A-Za-z_:][-A-Za-z0-9_:.]*/;
const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: '\'' };

function parseXml(source: string): XmlElement {
  let at = 0;
  const fail = (message: string): never => {
    throw new Error(`not well-formed XML at ${at}: ${message}: ${JSON.stringify(source.slice(at, at + 40))}`);
  };
  const decode = (raw: string): string => {
    if (/[<\u0000-\u0008\u000b\u000c\u000e-\u001f]/.test(raw)) {
      fail('forbidden character in text');
    }
    return raw.replace(/&([^;]*);?/g, (match, entity: string) => {
      if (!match.endsWith(';')) {
        return fail('unterminated entity');
      }
      if (/^#\d+$/.test(entity)) {
        return String.fromCodePoint(Number(entity.slice(1)));
      }
      if (/^#x[0-9a-fA-F]+$/.test(entity)) {
        return String.fromCodePoint(parseInt(entity.slice(2), 16));
      }
      return ENTITIES[entity] ?? fail(`unknown entity &${entity};`);
    });
  };
  const skipSpace = () => {
    while (at < source.length && ' \t\r\n'.includes(source[at])) {
      at++;
    }
  };
  const name = (): string => {
    const match = NAME.exec(source.slice(at));
    if (!match) {
      return fail('expected a name');
    }
    at += match[0].length;
    return match[0];
  };
  const element = (): XmlElement => {
    at++; // <
    const tag = name();
    const attributes: Record<string, string> = {};
    for (;;) {
      const before = at;
      skipSpace();
      if (source.startsWith('/>', at)) {
        at += 2;
        return { name: tag, attributes, children: [] };
      }
      if (source[at] === '>') {
        at++;
        break;
      }
      if (at === before) {
        fail('expected a space before an attribute');
      }
      const attribute = name();
      if (attribute in attributes) {
        fail(`duplicate attribute ${attribute}`);
      }
      skipSpace();
      if (source[at] !== '=') {
        fail('expected =');
      }
      at++;
      skipSpace();
      const quote = source[at];
      if (quote !== '"' && quote !== '\'') {
        fail('expected a quoted value');
      }
      const end = source.indexOf(quote, at + 1);
      if (end === -1) {
        fail('unterminated attribute value');
      }
      attributes[attribute] = decode(source.slice(at + 1, end));
      at = end + 1;
    }
    const children: Array<XmlElement | string> = [];
    for (;;) {
      if (at >= source.length) {
        fail(`<${tag}> is not closed`);
      }
      if (source.startsWith('</', at)) {
        at += 2;
        const closing = name();
        if (closing !== tag) {
          fail(`</${closing}> closes <${tag}>`);
        }
        skipSpace();
        if (source[at] !== '>') {
          fail('expected >');
        }
        at++;
        return { name: tag, attributes, children };
      }
      if (source[at] === '<') {
        children.push(element());
      } else {
        const end = source.indexOf('<', at);
        children.push(decode(source.slice(at, end === -1 ? source.length : end)));
        at = end === -1 ? source.length : end;
      }
    }
  };
  skipSpace();
  if (source[at] !== '<') {
    fail('expected the root element');
  }
  const root = element();
  skipSpace();
  if (at !== source.length) {
    fail('content after the root element');
  }
  return root;
}

function findAll(root: XmlElement, match: (element: XmlElement) => boolean): XmlElement[] {
  const found: XmlElement[] = [];
  const visit = (element: XmlElement) => {
    if (match(element)) {
      found.push(element);
    }
    element.children.forEach((child) => typeof child !== 'string' && visit(child));
  };
  visit(root);
  return found;
}

function hasClass(element: XmlElement, cls: string): boolean {
  return (element.attributes.class ?? '').split(' ').includes(cls);
}

function textOf(element: XmlElement): string {
  return element.children.map((child) => (typeof child === 'string' ? child : textOf(child))).join('');
}

function textsOf(root: XmlElement): string[] {
  return findAll(root, (e) => e.name === 'text').map(textOf);
}

function panelOf(svg: XmlElement, cls: string): XmlElement {
  const [panel] = findAll(svg, (e) => e.name === 'g' && hasClass(e, 'panel') && hasClass(e, cls));
  expect(panel).toBeDefined();
  return panel;
}

function plotOf(panel: XmlElement, cls: string): XmlElement {
  const [plot] = findAll(panel, (e) => e.name === 'g' && hasClass(e, 'plot') && hasClass(e, cls));
  expect(plot).toBeDefined();
  return plot;
}

/** Values of the y axis labels within an element. */
function ticksOf(element: XmlElement): number[] {
  return findAll(element, (e) => hasClass(e, 'tick')).map((tick) => Number(textOf(tick).replace(/,/g, '')));
}

/** Pixel scales of a plot (or of a panel's one plot), from its frame and its top tick. */
function scales(plot: XmlElement, fromS: number, toS: number) {
  const [frame] = findAll(plot, (e) => hasClass(e, 'frame'));
  const left = Number(frame.attributes.x);
  const top = Number(frame.attributes.y);
  const width = Number(frame.attributes.width);
  const height = Number(frame.attributes.height);
  const max = Math.max(...ticksOf(plot));
  return {
    x: (second: number) => left + ((second - fromS) / (toS - fromS)) * width,
    y: (value: number) => top + height - (value / max) * height,
  };
}

function polylineVertices(element: XmlElement): Array<[number, number]> {
  return element.attributes.points.split(' ').map((pair) => pair.split(',').map(Number) as [number, number]);
}

/** The y of the horizontal step of a step line over pixel column `px`. */
function stepValueAt(vertices: ReadonlyArray<[number, number]>, px: number): number | undefined {
  for (let i = 1; i < vertices.length; i++) {
    const [x0, y0] = vertices[i - 1];
    const [x1, y1] = vertices[i];
    if (y0 === y1 && x0 <= px && px < x1) {
      return y0;
    }
  }
  return undefined;
}

function pathVertices(element: XmlElement): Array<[number, number]> {
  return element.attributes.d.split(' ').filter((token) => token.includes(',')).map((pair) => pair.split(',').map(Number) as [number, number]);
}

/** Matches a pixel position (or pair) within the chart's rounding to a tenth of a pixel. */
function near(expected: number): number;
function near(expected: [number, number]): [number, number];
function near(expected: number | [number, number]): unknown {
  const close = (value: number) => ({
    asymmetricMatch: (actual: unknown) => typeof actual === 'number' && Math.abs(actual - value) <= 0.11,
    toString: () => `near ${value.toFixed(2)}`,
    toAsymmetricMatcher: () => `near ${value.toFixed(2)}`,
  });
  return typeof expected === 'number' ? close(expected) : expected.map(close);
}
