/* eslint-disable @typescript-eslint/no-explicit-any -- the report is read back from JSON */
import { CliIo, EXIT_FAILURE, EXIT_OK, EXIT_USAGE, main } from '../../src/simulator/cli';

/** An in-memory CliIo: files in a map, output collected. */
function fakeIo(files: Record<string, string> = {}, stderrIsTty = false) {
  const out = { stdout: '', stderr: '', written: {} as Record<string, string> };
  const io: CliIo = {
    stdout: (text) => { out.stdout += text; },
    stderr: (text) => { out.stderr += text; },
    readFile: (path) => {
      if (!(path in files)) {
        throw new Error(`ENOENT: no such file or directory, open '${path}'`);
      }
      return files[path];
    },
    writeFile: (path, content) => { out.written[path] = content; },
    stderrIsTty,
  };
  return { io, out };
}

const TRACE = ['minute,rps', ...Array.from({ length: 30 }, (_, m) => `${m},${m < 10 ? 2 : 40}`)].join('\n');

describe('simulate --json', () => {
  const { io, out } = fakeIo({ 'load.csv': TRACE });
  let code: number;
  let report: any;
  beforeAll(async () => {
    code = await main(['simulate', '--trace', 'load.csv', '--json', '--seed', '3'], io);
    report = JSON.parse(out.stdout);
  });

  test('exits 0 and prints only JSON on stdout', async () => {
    expect(code).toBe(EXIT_OK);
    expect(out.stderr).toBe('');
    expect(Object.keys(report.strategies)).toEqual(['lambdaOnly', 'fargateOnly', 'hybrid', 'oracle']);
  });

  test('compares the hybrid with the cheaper single strategy and the oracle', async () => {
    const cheaper = Math.min(report.strategies.lambdaOnly.monthlyCostUsd, report.strategies.fargateOnly.monthlyCostUsd);
    expect(report.comparison.hybridToCheaperSingle).toBeCloseTo(report.strategies.hybrid.monthlyCostUsd / cheaper, 3);
    expect(report.comparison.hybridToOracle).toBeCloseTo(report.strategies.hybrid.monthlyCostUsd / report.strategies.oracle.monthlyCostUsd, 3);
  });

  test.each(['lambdaOnly', 'fargateOnly', 'hybrid', 'oracle'])('%s has the cost, counts by cause, latency and cost breakdown', (name) => {
    expect(report.strategies[name]).toEqual(expect.objectContaining({
      monthlyCostUsd: expect.any(Number),
      requests: expect.any(Number),
      served: expect.any(Number),
      failed: expect.any(Number),
      coldStarts: expect.any(Number),
      p50LatencyMs: expect.any(Number),
      p99LatencyMs: expect.any(Number),
      p999LatencyMs: expect.any(Number),
      unhealthyRoutedRequests: expect.any(Number),
      failedByCause: {
        lambdaThrottled: expect.any(Number),
        fargateOverloaded: expect.any(Number),
        noTarget: expect.any(Number),
        deadTarget: expect.any(Number),
        injectedError: expect.any(Number),
      },
      costBreakdown: expect.objectContaining({
        loadBalancerHoursUsd: expect.any(Number),
        lambdaDurationUsd: expect.any(Number),
        fargateVcpuUsd: expect.any(Number),
        logsIngestionUsd: expect.any(Number),
      }),
    }));
  });

  test('the hybrid reports its scale-out with times from the alarm, and their medians', async () => {
    const hybrid = report.strategies.hybrid;
    expect(hybrid.transitions).toHaveLength(1);
    expect(hybrid.transitions[0]).toEqual(expect.objectContaining({
      alarmAtS: expect.any(Number),
      firstFargateWeightAtS: expect.any(Number),
      fullShiftAtS: expect.any(Number),
      alarmToFirstFargateWeightS: expect.any(Number),
      alarmToFullShiftS: expect.any(Number),
    }));
    expect(hybrid.transitionSummary).toEqual({
      scaleOuts: 1,
      fullShifts: 1,
      worstAlarmToFullShiftS: hybrid.transitions[0].alarmToFullShiftS,
      medianAlarmToFirstFargateWeightS: hybrid.transitions[0].alarmToFirstFargateWeightS,
      medianAlarmToFullShiftS: hybrid.transitions[0].alarmToFullShiftS,
      medianFirstHealthyTargetToFirstFargateWeightS: hybrid.transitions[0].firstHealthyTargetToFirstFargateWeightS,
    });
  });

  test('says what was simulated', async () => {
    expect(report.simulation).toMatchObject({ trace: 'load.csv', minutes: 30, seed: 3, arrivals: 'poisson', warmupMinutes: 0, costsScaledToHours: 730 });
    expect(report.simulation.faults).toMatchObject({ taskCrashes: [], lostEventRate: 0 });
  });
});

describe('simulate', () => {
  test('without --json prints a table and the scale-outs', async () => {
    const { io, out } = fakeIo({ 'load.csv': TRACE });
    expect(await main(['simulate', '--trace=load.csv'], io)).toBe(EXIT_OK);
    expect(out.stdout).toMatch(/^Simulated load.csv: 30 minutes/);
    expect(out.stdout).toMatch(/Monthly cost \(USD\)\s+[\d.]+\s+[\d.]+\s+[\d.]+/);
    expect(out.stdout).toMatch(/Hybrid: 1 scale-out\(s\)/);
  });

  test('--chart writes an SVG of the hybrid run', async () => {
    const { io, out } = fakeIo();
    expect(await main(['simulate', '--profile', 'event', '--chart', 'event.svg', '--json'], io)).toBe(EXIT_OK);
    expect(out.written['event.svg']).toMatch(/^<svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(out.written['event.svg']).toMatch(/<polyline /);
    expect(out.written['event.svg']).toMatch(/<\/svg>\n$/);
  });

  test('--config overrides settings; a bad config names the setting and exits 1', async () => {
    const good = fakeIo({ 'load.csv': TRACE, 'cfg.json': JSON.stringify({ scaling: { scaleOutRequestsPerMinute: 100_000 } }) });
    expect(await main(['simulate', '--trace', 'load.csv', '--config', 'cfg.json', '--json'], good.io)).toBe(EXIT_OK);
    expect(JSON.parse(good.out.stdout).strategies.hybrid.transitions).toEqual([]);

    const bad = fakeIo({ 'load.csv': TRACE, 'cfg.json': JSON.stringify({ scaling: { scaleInRequestsPerMinute: 5000, shiftOutSteps: [50, 10] } }) });
    expect(await main(['simulate', '--trace', 'load.csv', '--config', 'cfg.json'], bad.io)).toBe(EXIT_FAILURE);
    expect(bad.out.stderr).toMatch(/cfg.json: scaling.scaleInRequestsPerMinute 5000 must be below scaling.scaleOutRequestsPerMinute 1200/);
    expect(bad.out.stderr).toMatch(/scaling.shiftOutSteps must be strictly increasing/);
  });

  test('a config that is not JSON exits 1', async () => {
    const { io, out } = fakeIo({ 'load.csv': TRACE, 'cfg.json': '{ scaling' });
    expect(await main(['simulate', '--trace', 'load.csv', '--config', 'cfg.json'], io)).toBe(EXIT_FAILURE);
    expect(out.stderr).toMatch(/^cfg.json: not valid JSON/);
  });

  test('a trace with a bad row exits 1 naming the file and line', async () => {
    const { io, out } = fakeIo({ 'bad.csv': 'minute,rps\n0,1\n1,fast\n' });
    expect(await main(['simulate', '--trace', 'bad.csv'], io)).toBe(EXIT_FAILURE);
    expect(out.stderr).toBe('bad.csv line 3: rps "fast" is not a number >= 0\n');
    expect(out.stdout).toBe('');
  });

  test('a missing trace file exits 1', async () => {
    const { io, out } = fakeIo();
    expect(await main(['simulate', '--trace', 'nope.csv'], io)).toBe(EXIT_FAILURE);
    expect(out.stderr).toMatch(/Cannot read the trace file nope.csv: ENOENT/);
  });

  test('an unknown profile exits 2 listing the profiles', async () => {
    const { io, out } = fakeIo();
    expect(await main(['simulate', '--profile', 'bursty'], io)).toBe(EXIT_USAGE);
    expect(out.stderr).toMatch(/Unknown profile "bursty"; use one of steady-low, steady-high, diurnal, spiky, event, flash-crowd, .*event-crash-all/);
  });

  test.each([
    [['simulate'], /exactly one of --trace FILE.csv and --profile NAME/],
    [['simulate', '--profile', 'spiky', '--trace', 'x.csv'], /exactly one of/],
    [['simulate', '--profile'], /Option --profile needs a value/],
    [['simulate', '--profile', 'spiky', '--seed', 'x1'], /--seed "x1" is not a whole number/],
    [['simulate', '--profile', 'spiky', '--seed', '-1'], /Option --seed needs a value/],
    [['simulate', '--profile', 'spiky', '--seeds', '0'], /--seeds "0" is not a number of seeds >= 1/],
    [['simulate', '--profile', 'spiky', '--from', '10'], /--from and --to zoom a chart/],
    [['simulate', '--profile', 'spiky', '--chart', 'a.svg', '--from', '10', '--to', '5'], /--to 5 must be after --from 10/],
    [['simulate', '--profile', 'spiky', '--seeds', '2', '--chart', 'a.svg'], /--chart and --compare draw one run/],
    [['simulate', '--profile', 'spiky', 'extra'], /Unexpected argument: "extra"/],
    [['simulate', '--profile', 'spiky', '--arrivals', 'bursty'], /--arrivals "bursty" is not an arrival process/],
    [['simulate', '--profile', 'spiky', '--verbose'], /Unknown option "--verbose"/],
    [['run'], /Unknown command "run"/],
  ])('%j is a usage error', async (argv, message) => {
    const { io, out } = fakeIo();
    expect(await main(argv, io)).toBe(EXIT_USAGE);
    expect(out.stderr).toMatch(message);
    expect(out.stderr).toMatch(/Usage: cdk-hybrid-alb-service simulate/);
  });

  test('--help prints the usage and exits 0', async () => {
    const { io, out } = fakeIo();
    expect(await main(['simulate', '--help'], io)).toBe(EXIT_OK);
    expect(out.stdout).toMatch(/--profile NAME/);
  });

  test('a long trace draws a progress bar on a terminal\'s stderr, and none when stderr is not a terminal', async () => {
    const tty = fakeIo({}, true);
    await main(['simulate', '--profile', 'steady-low', '--json'], tty.io);
    expect(tty.out.stderr).toMatch(/\rSimulating \[#+\] 100 %/);
    expect(() => JSON.parse(tty.out.stdout)).not.toThrow();

    const pipe = fakeIo({}, false);
    await main(['simulate', '--profile', 'steady-low', '--json'], pipe.io);
    expect(pipe.out.stderr).toBe('');
  });

  test('--seeds runs several seeds and reports min / median / max of each figure', async () => {
    const { io, out } = fakeIo({ 'load.csv': TRACE });
    expect(await main(['simulate', '--trace', 'load.csv', '--seeds', '3', '--json'], io)).toBe(EXIT_OK);
    const spread = JSON.parse(out.stdout);
    expect(spread.simulation.seeds).toEqual([1, 2, 3]);
    const cost = spread.strategies.hybrid.monthlyCostUsd;
    expect(cost.min).toBeLessThanOrEqual(cost.median);
    expect(cost.median).toBeLessThanOrEqual(cost.max);
    expect(spread.hybrid.hybridToCheaperSingle.median).toBeGreaterThan(0);
  });

  test('a scenario profile brings its faults unless the config file names its own', async () => {
    const scenario = fakeIo();
    expect(await main(['simulate', '--profile', 'event-crash-all', '--json'], scenario.io)).toBe(EXIT_OK);
    expect(JSON.parse(scenario.out.stdout).simulation.faults.taskCrashes).toEqual([{ atMinute: 1140, tasks: 'all' }]);
    const own = fakeIo({ 'cfg.json': JSON.stringify({ faults: { lostEventRate: 0.1 } }) });
    expect(await main(['simulate', '--profile', 'event-crash-all', '--config', 'cfg.json', '--json'], own.io)).toBe(EXIT_OK);
    expect(JSON.parse(own.out.stdout).simulation.faults).toMatchObject({ taskCrashes: [], lostEventRate: 0.1 });
  });
});
