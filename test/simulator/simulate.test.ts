import { LambdaFunction } from '../../src/simulator/model/lambda-function';
import { PROFILE_NAMES, profileTrace } from '../../src/simulator/profiles';
import { buildReport } from '../../src/simulator/report';
import { defaultSettings, resolveSettings } from '../../src/simulator/settings';
import { simulate, STRATEGIES } from '../../src/simulator/simulate';
import { ArrivalProcess, Trace } from '../../src/simulator/trace';

const settings = defaultSettings();

describe.each(PROFILE_NAMES)('profile %s', (profile) => {
  const run = simulate(profileTrace(profile), settings, { seed: 1 });
  const report = buildReport(run);

  test.each(STRATEGIES)('%s: every offered request is served or failed', (strategy) => {
    const s = report.strategies[strategy];
    expect(s.requests).toBeGreaterThan(0);
    expect(s.served + s.failed).toBe(s.requests);
    expect(s.failed).toBe(s.throttledRequests + s.queueTimeoutRequests + s.unhealthyRoutedRequests);
  });

  test('all strategies are offered the same requests', () => {
    const offered = STRATEGIES.map((strategy) => report.strategies[strategy].requests);
    expect(new Set(offered).size).toBe(1);
  });

  test('the hybrid never sends requests to a Fargate target group without a healthy target', () => {
    expect(report.strategies.hybrid.unhealthyRoutedRequests).toBe(0);
  });

  test('the hybrid fails no request that Lambda alone would not also have failed', () => {
    const { hybrid, lambdaOnly } = report.strategies;
    expect(hybrid.queueTimeoutRequests).toBe(0);
    expect(hybrid.throttledRequests).toBeLessThanOrEqual(lambdaOnly.throttledRequests);
  });

  test('the timeline has one sample per minute and its weights are shares of 100', () => {
    const timeline = run.strategies.hybrid.timeline;
    expect(timeline).toHaveLength(1440);
    expect(timeline.every((sample) => sample.fargateWeight >= 0 && sample.fargateWeight <= 100)).toBe(true);
  });
});

describe('scale-outs on the spiky profile', () => {
  const hybrid = buildReport(simulate(profileTrace('spiky'), settings, { seed: 1 })).strategies.hybrid;

  test('each of the five bursts moves traffic to Fargate, after a healthy target and within the burst', () => {
    expect(hybrid.transitionSummary.scaleOuts).toBe(5);
    for (const t of hybrid.transitions) {
      expect(t.firstHealthyTargetAtS).not.toBeNull();
      expect(t.firstFargateWeightAtS!).toBeGreaterThanOrEqual(t.firstHealthyTargetAtS!);
      expect(t.fullShiftAtS!).toBeGreaterThan(t.firstFargateWeightAtS!);
      // Tasks take about a minute to start: no weight can go to Fargate before that.
      expect(t.alarmToFirstFargateWeightS!).toBeGreaterThanOrEqual(30);
    }
  });

  test('the controller scales Fargate back to zero between bursts', () => {
    const run = simulate(profileTrace('spiky'), settings, { seed: 1 });
    const quietMinute = run.strategies.hybrid.timeline[6 * 60];
    expect(quietMinute).toMatchObject({ fargateWeight: 0, desiredTasks: 0, runningTasks: 0 });
  });
});

describe('determinism', () => {
  const trace = profileTrace('event');

  test('the same seed gives the same JSON', () => {
    const a = JSON.stringify(buildReport(simulate(trace, settings, { seed: 42 })));
    const b = JSON.stringify(buildReport(simulate(trace, settings, { seed: 42 })));
    expect(a).toBe(b);
  });

  test('another seed gives other figures', () => {
    const a = buildReport(simulate(trace, settings, { seed: 1 }));
    const b = buildReport(simulate(trace, settings, { seed: 2 }));
    expect(a.strategies.hybrid.requests).not.toBe(b.strategies.hybrid.requests);
    expect(JSON.stringify(a)).not.toBe(JSON.stringify(b));
  });

  test('deterministic arrivals offer exactly the trace', () => {
    const report = buildReport(simulate({ name: 't', rpsByMinute: [1, 2.5, 10], repeats: false }, settings, { arrivals: ArrivalProcess.DETERMINISTIC }));
    expect(report.strategies.lambdaOnly.requests).toBe(60 + 150 + 600);
  });
});

describe('model behaviour', () => {
  test('reserved concurrency throttles Lambda: requests beyond it fail', () => {
    const capped = resolveSettings({ workload: { lambdaReservedConcurrency: 2, requestDurationMs: { mean: 1000, spread: 0 } } });
    const trace: Trace = { name: 'flood', rpsByMinute: [10], repeats: false };
    const lambda = buildReport(simulate(trace, capped, { arrivals: ArrivalProcess.DETERMINISTIC })).strategies.lambdaOnly;
    // 10 requests/s of 1 s need about 14 environments at their peak; 2 are allowed.
    expect(lambda.throttledRequests).toBeGreaterThan(400);
    expect(lambda.peakLambdaConcurrency).toBe(2);
  });

  test('a surge beyond the account\'s 1,000 concurrent executions is throttled', () => {
    const trace: Trace = { name: 'surge', rpsByMinute: [0, 30_000], repeats: false };
    const lambda = buildReport(simulate(trace, settings, { arrivals: ArrivalProcess.DETERMINISTIC })).strategies.lambdaOnly;
    // 30,000 requests/s of 100 ms need about 3,000 environments.
    expect(lambda.peakLambdaConcurrency).toBe(1000);
    expect(lambda.throttledRequests / lambda.requests).toBeCloseTo(1 - 1000 / 3055, 2);
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

  test('a task queue that would make requests wait beyond the timeout fails the excess', () => {
    const slowTasks = resolveSettings({ workload: { taskRequestsPerSecond: 10, queueTimeoutSeconds: 5 } });
    const trace: Trace = { name: 'overload', rpsByMinute: new Array(10).fill(40), repeats: false };
    const fargate = buildReport(simulate(trace, slowTasks, { arrivals: ArrivalProcess.DETERMINISTIC })).strategies.fargateOnly;
    expect(fargate.queueTimeoutRequests).toBeGreaterThan(0);
    expect(fargate.p99LatencyMs!).toBeGreaterThan(4000);
    expect(fargate.served + fargate.failed).toBe(fargate.requests);
  });

  test('mode fargate pins traffic to Fargate once a task is healthy, with no load alarm', () => {
    const pinned = resolveSettings({ scaling: { mode: 'fargate' } });
    const trace: Trace = { name: 'quiet', rpsByMinute: new Array(20).fill(1), repeats: false };
    const run = simulate(trace, pinned, { arrivals: ArrivalProcess.DETERMINISTIC });
    const last = run.strategies.hybrid.timeline[19];
    expect(last.fargateWeight).toBe(100);
    expect(last.healthyTasks).toBeGreaterThanOrEqual(1);
    expect(buildReport(run).strategies.hybrid.unhealthyRoutedRequests).toBe(0);
  });

  test('a warm-up that is not a whole number of minutes is refused', () => {
    expect(() => simulate(profileTrace('steady-low'), settings, { warmupMinutes: 1.5 })).toThrow(/warmupMinutes 1.5/);
  });
});
