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
  const code = main(['simulate', '--trace', 'load.csv', '--json', '--seed', '3'], io);
  const report = JSON.parse(out.stdout);

  test('exits 0 and prints only JSON on stdout', () => {
    expect(code).toBe(EXIT_OK);
    expect(out.stderr).toBe('');
    expect(Object.keys(report.strategies)).toEqual(['lambdaOnly', 'fargateOnly', 'hybrid']);
  });

  test.each(['lambdaOnly', 'fargateOnly', 'hybrid'])('%s has the cost, counts, latency and cost breakdown', (name) => {
    expect(report.strategies[name]).toEqual(expect.objectContaining({
      monthlyCostUsd: expect.any(Number),
      requests: expect.any(Number),
      served: expect.any(Number),
      failed: expect.any(Number),
      coldStarts: expect.any(Number),
      p50LatencyMs: expect.any(Number),
      p99LatencyMs: expect.any(Number),
      unhealthyRoutedRequests: expect.any(Number),
      costBreakdown: expect.objectContaining({
        loadBalancerHoursUsd: expect.any(Number), lambdaDurationUsd: expect.any(Number), fargateVcpuUsd: expect.any(Number),
      }),
    }));
  });

  test('the hybrid reports its scale-out with times from the alarm, and their medians', () => {
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
      medianAlarmToFirstFargateWeightS: hybrid.transitions[0].alarmToFirstFargateWeightS,
      medianAlarmToFullShiftS: hybrid.transitions[0].alarmToFullShiftS,
      medianFirstHealthyTargetToFirstFargateWeightS: hybrid.transitions[0].firstHealthyTargetToFirstFargateWeightS,
    });
  });

  test('says what was simulated', () => {
    expect(report.simulation).toEqual({ trace: 'load.csv', minutes: 30, seed: 3, arrivals: 'poisson', warmupMinutes: 0, costsScaledToDays: 30 });
  });
});

describe('simulate', () => {
  test('without --json prints a table and the scale-outs', () => {
    const { io, out } = fakeIo({ 'load.csv': TRACE });
    expect(main(['simulate', '--trace=load.csv'], io)).toBe(EXIT_OK);
    expect(out.stdout).toMatch(/^Simulated load.csv: 30 minutes/);
    expect(out.stdout).toMatch(/Monthly cost \(USD\)\s+[\d.]+\s+[\d.]+\s+[\d.]+/);
    expect(out.stdout).toMatch(/Hybrid: 1 scale-out\(s\)/);
  });

  test('--chart writes an SVG of the hybrid run', () => {
    const { io, out } = fakeIo();
    expect(main(['simulate', '--profile', 'event', '--chart', 'event.svg', '--json'], io)).toBe(EXIT_OK);
    expect(out.written['event.svg']).toMatch(/^<svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(out.written['event.svg']).toMatch(/<polyline /);
    expect(out.written['event.svg']).toMatch(/<\/svg>\n$/);
  });

  test('--config overrides settings; a bad config names the setting and exits 1', () => {
    const good = fakeIo({ 'load.csv': TRACE, 'cfg.json': JSON.stringify({ scaling: { scaleOutRequestsPerMinute: 100_000 } }) });
    expect(main(['simulate', '--trace', 'load.csv', '--config', 'cfg.json', '--json'], good.io)).toBe(EXIT_OK);
    expect(JSON.parse(good.out.stdout).strategies.hybrid.transitions).toEqual([]);

    const bad = fakeIo({ 'load.csv': TRACE, 'cfg.json': JSON.stringify({ scaling: { scaleInRequestsPerMinute: 5000, shiftOutSteps: [50, 10] } }) });
    expect(main(['simulate', '--trace', 'load.csv', '--config', 'cfg.json'], bad.io)).toBe(EXIT_FAILURE);
    expect(bad.out.stderr).toMatch(/cfg.json: scaling.scaleInRequestsPerMinute 5000 must be below scaling.scaleOutRequestsPerMinute 1200/);
    expect(bad.out.stderr).toMatch(/scaling.shiftOutSteps must be strictly increasing/);
  });

  test('a config that is not JSON exits 1', () => {
    const { io, out } = fakeIo({ 'load.csv': TRACE, 'cfg.json': '{ scaling' });
    expect(main(['simulate', '--trace', 'load.csv', '--config', 'cfg.json'], io)).toBe(EXIT_FAILURE);
    expect(out.stderr).toMatch(/^cfg.json: not valid JSON/);
  });

  test('a trace with a bad row exits 1 naming the file and line', () => {
    const { io, out } = fakeIo({ 'bad.csv': 'minute,rps\n0,1\n1,fast\n' });
    expect(main(['simulate', '--trace', 'bad.csv'], io)).toBe(EXIT_FAILURE);
    expect(out.stderr).toBe('bad.csv line 3: rps "fast" is not a number >= 0\n');
    expect(out.stdout).toBe('');
  });

  test('a missing trace file exits 1', () => {
    const { io, out } = fakeIo();
    expect(main(['simulate', '--trace', 'nope.csv'], io)).toBe(EXIT_FAILURE);
    expect(out.stderr).toMatch(/Cannot read the trace file nope.csv: ENOENT/);
  });

  test('an unknown profile exits 2 listing the profiles', () => {
    const { io, out } = fakeIo();
    expect(main(['simulate', '--profile', 'bursty'], io)).toBe(EXIT_USAGE);
    expect(out.stderr).toMatch(/Unknown profile "bursty"; use one of steady-low, steady-high, diurnal, spiky, event\./);
  });

  test.each([
    [['simulate'], /exactly one of --trace FILE.csv and --profile NAME/],
    [['simulate', '--profile', 'spiky', '--trace', 'x.csv'], /exactly one of/],
    [['simulate', '--profile'], /Option --profile needs a value/],
    [['simulate', '--profile', 'spiky', '--seed', '-1'], /--seed "-1" is not a whole number/],
    [['simulate', '--profile', 'spiky', '--arrivals', 'bursty'], /--arrivals "bursty" is not an arrival process/],
    [['simulate', '--profile', 'spiky', '--verbose'], /Unknown option "--verbose"/],
    [['run'], /Unknown command "run"/],
  ])('%j is a usage error', (argv, message) => {
    const { io, out } = fakeIo();
    expect(main(argv, io)).toBe(EXIT_USAGE);
    expect(out.stderr).toMatch(message);
    expect(out.stderr).toMatch(/Usage: cdk-hybrid-alb-service simulate/);
  });

  test('--help prints the usage and exits 0', () => {
    const { io, out } = fakeIo();
    expect(main(['simulate', '--help'], io)).toBe(EXIT_OK);
    expect(out.stdout).toMatch(/--profile NAME/);
  });

  test('a long trace draws a progress bar on a terminal\'s stderr, and none when stderr is not a terminal', () => {
    const tty = fakeIo({}, true);
    main(['simulate', '--profile', 'steady-low', '--json'], tty.io);
    expect(tty.out.stderr).toMatch(/\rSimulating \[#+\] 100 %/);
    expect(() => JSON.parse(tty.out.stdout)).not.toThrow();

    const pipe = fakeIo({}, false);
    main(['simulate', '--profile', 'steady-low', '--json'], pipe.io);
    expect(pipe.out.stderr).toBe('');
  });
});
