import { LambdaFunction } from '../../src/simulator/model/lambda-function';
import { ORIGINAL_PROFILE_NAMES, PROFILE_NAMES, profileTrace, scenarioConfig } from '../../src/simulator/profiles';
import { buildReport, SimulationReport } from '../../src/simulator/report';
import { defaultSettings, resolveSettings } from '../../src/simulator/settings';
import { FAILURE_CAUSES, simulate, SimulationRun, STRATEGIES } from '../../src/simulator/simulate';
import { ArrivalProcess, Trace } from '../../src/simulator/trace';

const settings = defaultSettings();

/** Every built-in trace except the week-long one (its day shapes are covered by the others), with its faults. */
const CONSERVATION_CASES = PROFILE_NAMES.filter((name) => name !== 'business-week');

describe.each(CONSERVATION_CASES)('%s', (profile) => {
  let run: SimulationRun;
  let report: SimulationReport;

  beforeAll(async () => {
    run = await simulate(profileTrace(profile), resolveSettings(scenarioConfig(profile)), { seed: 1 });
    report = buildReport(run);
  });

  test.each(STRATEGIES)('%s: every offered request is served or failed, each failure with one cause', (strategy) => {
    const s = report.strategies[strategy]!;
    expect(s.requests).toBeGreaterThan(0);
    expect(s.served + s.failed).toBe(s.requests);
    expect(FAILURE_CAUSES.reduce((sum, cause) => sum + s.failedByCause[cause], 0)).toBe(s.failed);
    expect(Object.keys(s.failedByCause).sort()).toEqual([...FAILURE_CAUSES].sort());
  });

  test('all strategies are offered the same requests', () => {
    const offered = STRATEGIES.map((strategy) => report.strategies[strategy]!.requests);
    expect(new Set(offered).size).toBe(1);
  });

  test('the oracle fails nothing Lambda alone serves and costs no more than Lambda alone', () => {
    const { oracle, lambdaOnly } = report.strategies;
    expect(oracle!.failed).toBeLessThanOrEqual(lambdaOnly.failed);
    expect(oracle!.monthlyCostUsd).toBeLessThanOrEqual(lambdaOnly.monthlyCostUsd);
  });

  test('the oracle costs no more than Fargate alone where the peak fits maxTasks and Fargate alone fails nothing', () => {
    const { oracle, fargateOnly } = report.strategies;
    const peakFits = fargateOnly.peakTasks <= settings.scaling.controller.maxTasks;
    if (peakFits && fargateOnly.failed === 0) {
      expect(oracle!.monthlyCostUsd).toBeLessThanOrEqual(fargateOnly.monthlyCostUsd);
    } else {
      expect(peakFits && fargateOnly.failed === 0).toBe(false);
    }
  });

  test('the fault windows account for no more failures than the hybrid had', () => {
    const hybrid = report.strategies.hybrid;
    expect(hybrid.faultFailures).toBeLessThanOrEqual(hybrid.failed);
    expect(hybrid.faultFailures).toBe(hybrid.faultWindows.reduce((sum, w) => sum + w.failures, 0));
  });

  test('the timeline has one sample per minute and its weights are shares of 100', () => {
    const timeline = run.strategies.hybrid.timeline;
    expect(timeline).toHaveLength(run.trace.rpsByMinute.length);
    expect(timeline.every((sample) => sample.fargateWeight >= 0 && sample.fargateWeight <= 100)).toBe(true);
  });
});

describe.each(ORIGINAL_PROFILE_NAMES)('original profile %s without faults', (profile) => {
  test('the hybrid never sends requests to a Fargate target group without a healthy target, nor fails any', async () => {
    const hybrid = buildReport(await simulate(profileTrace(profile), settings, { seed: 1 })).strategies.hybrid;
    expect(hybrid.unhealthyRoutedRequests).toBe(0);
    expect(hybrid.failed).toBe(0);
  });
});

describe('scale-outs on the spiky profile', () => {
  let run: SimulationRun;
  beforeAll(async () => {
    run = await simulate(profileTrace('spiky'), settings, { seed: 1 });
  });

  test('each of the five bursts moves traffic to Fargate, after a healthy target and within the burst', () => {
    const hybrid = buildReport(run).strategies.hybrid;
    expect(hybrid.transitionSummary.scaleOuts).toBe(5);
    expect(hybrid.transitionSummary.fullShifts).toBe(5);
    for (const t of hybrid.transitions) {
      expect(t.firstHealthyTargetAtS).not.toBeNull();
      expect(t.firstFargateWeightAtS!).toBeGreaterThanOrEqual(t.firstHealthyTargetAtS!);
      expect(t.fullShiftAtS!).toBeGreaterThan(t.firstFargateWeightAtS!);
      // Tasks take about a minute to start: no weight can go to Fargate before that.
      expect(t.alarmToFirstFargateWeightS!).toBeGreaterThanOrEqual(30);
    }
  });

  test('the controller scales Fargate back to zero between bursts', () => {
    const quietMinute = run.strategies.hybrid.timeline[6 * 60];
    expect(quietMinute).toMatchObject({ fargateWeight: 0, desiredTasks: 0, runningTasks: 0 });
  });

  test('a scale-out is reported whatever scaleOutPeriods is', async () => {
    const fast = buildReport(await simulate(profileTrace('spiky'), resolveSettings({ scaling: { scaleOutPeriods: 1 } }), { seed: 1 })).strategies.hybrid;
    expect(fast.peakTasks).toBeGreaterThan(0);
    expect(fast.transitionSummary.scaleOuts).toBeGreaterThanOrEqual(5);
  });
});

describe('determinism', () => {
  const trace = profileTrace('event');

  test('the same seed gives the same JSON, faults included', async () => {
    const faulty = resolveSettings({ faults: { lostEventRate: 0.2, apiFailureRate: 0.1, metricDelaySeconds: { min: 60, max: 240 } } });
    const a = JSON.stringify(buildReport(await simulate(trace, faulty, { seed: 42 })));
    const b = JSON.stringify(buildReport(await simulate(trace, faulty, { seed: 42 })));
    expect(a).toBe(b);
  });

  test('another seed gives other figures', async () => {
    const a = buildReport(await simulate(trace, settings, { seed: 1 }));
    const b = buildReport(await simulate(trace, settings, { seed: 2 }));
    expect(a.strategies.hybrid.requests).not.toBe(b.strategies.hybrid.requests);
    expect(JSON.stringify(a)).not.toBe(JSON.stringify(b));
  });

  test('deterministic arrivals offer exactly the trace', async () => {
    const report = buildReport(await simulate({ name: 't', rpsByMinute: [1, 2.5, 10], repeats: false }, settings, { arrivals: ArrivalProcess.DETERMINISTIC }));
    expect(report.strategies.lambdaOnly.requests).toBe(60 + 150 + 600);
  });
});

describe('model behaviour', () => {
  test('reserved concurrency throttles Lambda: requests beyond it fail', async () => {
    const capped = resolveSettings({ workload: { lambdaReservedConcurrency: 2, requestDurationMs: { mean: 1000, spread: 0 } } });
    const trace: Trace = { name: 'flood', rpsByMinute: [10], repeats: false };
    const lambda = buildReport(await simulate(trace, capped, { arrivals: ArrivalProcess.DETERMINISTIC })).strategies.lambdaOnly;
    // 10 requests/s of 1 s need about 14 environments at their peak; 2 are allowed.
    expect(lambda.failedByCause.lambdaThrottled).toBeGreaterThan(400);
    expect(lambda.peakLambdaConcurrency).toBe(2);
  });

  test('a surge beyond the account\'s 1,000 concurrent executions is throttled', async () => {
    const trace: Trace = { name: 'surge', rpsByMinute: [0, 30_000], repeats: false };
    const lambda = buildReport(await simulate(trace, settings, { arrivals: ArrivalProcess.DETERMINISTIC })).strategies.lambdaOnly;
    // 30,000 requests/s of 100 ms need about 3,000 environments.
    expect(lambda.peakLambdaConcurrency).toBe(1000);
    expect(lambda.failedByCause.lambdaThrottled / lambda.requests).toBeCloseTo(1 - 1000 / 3055, 2);
  });

  test('new environments come at most 1,000 at once, then 100 a second', () => {
    const workload = resolveSettings({ workload: { requestDurationMs: { mean: 100, spread: 0 } } }).workload;
    const lambda = new LambdaFunction(workload, { ...settings.aws.lambda, accountConcurrencyLimit: 10_000 });
    const first = lambda.invoke(0, 30_000);
    expect(first.coldStarts).toBe(1000);
    expect(first.throttled).toBeGreaterThan(0);
    const second = lambda.invoke(1, 30_000);
    expect(second.coldStarts).toBe(100);
    expect(second.concurrency).toBe(1100);
    // Unused rate does not accumulate beyond 1,000.
    expect(lambda.invoke(60, 0).coldStarts).toBe(0);
    expect(lambda.invoke(61, 100_000).coldStarts).toBe(1000);
  });

  test('environments idle longer than the idle time are gone: the next request starts cold', () => {
    const lambda = new LambdaFunction(settings.workload, settings.aws.lambda);
    expect(lambda.invoke(0, 1).coldStarts).toBe(1);
    expect(lambda.invoke(599, 1).coldStarts).toBe(0);
    expect(lambda.warmEnvironments(1198)).toBe(1);
    expect(lambda.warmEnvironments(1199)).toBe(0);
    expect(lambda.invoke(1199, 1).coldStarts).toBe(1);
  });

  test('a task queue that would make requests wait beyond the timeout fails the excess', async () => {
    const slowTasks = resolveSettings({ workload: { taskRequestsPerSecond: 10, queueTimeoutSeconds: 5 } });
    const trace: Trace = { name: 'overload', rpsByMinute: new Array(10).fill(40), repeats: false };
    const fargate = buildReport(await simulate(trace, slowTasks, { arrivals: ArrivalProcess.DETERMINISTIC })).strategies.fargateOnly;
    expect(fargate.failedByCause.fargateOverloaded).toBeGreaterThan(0);
    expect(fargate.p99LatencyMs!).toBeGreaterThan(4000);
    expect(fargate.served + fargate.failed).toBe(fargate.requests);
  });

  test('mode fargate pins traffic to Fargate once a task is healthy, with no load alarm', async () => {
    const pinned = resolveSettings({ scaling: { mode: 'fargate' } });
    const trace: Trace = { name: 'quiet', rpsByMinute: new Array(20).fill(1), repeats: false };
    const run = await simulate(trace, pinned, { arrivals: ArrivalProcess.DETERMINISTIC });
    const last = run.strategies.hybrid.timeline[19];
    expect(last.fargateWeight).toBe(100);
    expect(last.healthyTasks).toBeGreaterThanOrEqual(1);
    expect(buildReport(run).strategies.hybrid.unhealthyRoutedRequests).toBe(0);
  });

  test('a warm-up that is not a whole number of minutes is refused', async () => {
    await expect(simulate(profileTrace('steady-low'), settings, { warmupMinutes: 1.5 })).rejects.toThrow(/warmupMinutes 1.5/);
  });
});
