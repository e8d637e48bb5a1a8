import { resolveFaults } from '../../src/simulator/faults';
import { MetricStore } from '../../src/simulator/model/cloudwatch';
import { FargateService } from '../../src/simulator/model/fargate-service';
import { seededRandom } from '../../src/simulator/random';
import { buildReport } from '../../src/simulator/report';
import { resolveSettings, SimulationSettings } from '../../src/simulator/settings';
import { simulate } from '../../src/simulator/simulate';
import { ArrivalProcess, Trace } from '../../src/simulator/trace';

/** Fixed task start (60 s) and request duration, so counts can be worked out by hand. */
function settingsWith(faults: unknown, extra: Record<string, unknown> = {}): SimulationSettings {
  return resolveSettings({
    workload: { fargateTaskStartSeconds: { mean: 60, spread: 0 }, requestDurationMs: { mean: 100, spread: 0 } },
    faults,
    ...extra,
  });
}

function steady(rps: number, minutes: number): Trace {
  return { name: `${rps} rps`, rpsByMinute: new Array(minutes).fill(rps), repeats: false };
}

describe('the faults section', () => {
  test('the issue\'s example parses as written', () => {
    const problems: string[] = [];
    const faults = resolveFaults({
      taskCrashes: [{ atMinute: 75, tasks: 2 }, { atMinute: 90, tasks: 'all' }],
      unhealthyTasks: [{ fromMinute: 80, toMinute: 90, tasks: 'all' }],
      slowTasks: [{ fromMinute: 0, toMinute: 1440, capacityFactor: 0.6 }],
      fargateErrorRate: [{ fromMinute: 70, toMinute: 100, rate: 0.5 }],
      redeploys: [{ atMinute: 120, touches: ['service'] }],
      lostEventRate: 0.2,
      apiFailureRate: 0.1,
      metricDelaySeconds: { min: 60, max: 240 },
    }, problems);
    expect(problems).toEqual([]);
    expect(faults.taskCrashes).toEqual([{ atMinute: 75, tasks: 2 }, { atMinute: 90, tasks: 'all' }]);
    expect(faults.redeploys).toEqual([{ atMinute: 120, touches: ['service'] }]);
    expect(faults.metricDelaySeconds).toEqual({ min: 60, max: 240 });
  });

  test('defaults: tasks "all", a redeploy touches the listener, the service and the schedule', () => {
    const faults = resolveFaults({ unhealthyTasks: [{ fromMinute: 1, toMinute: 2 }], redeploys: [{ atMinute: 3 }] }, []);
    expect(faults.unhealthyTasks[0].tasks).toBe('all');
    expect(faults.redeploys[0].touches).toEqual(['listener', 'service', 'schedule']);
  });

  test.each([
    [{ taskCrashes: [{ atMinute: -1 }] }, /faults.taskCrashes\[0\].atMinute -1 is not a minute >= 0/],
    [{ taskCrashes: [{ atMinute: 1, tasks: 0 }] }, /faults.taskCrashes\[0\].tasks 0 is not a task count >= 1 or "all"/],
    [{ unhealthyTasks: [{ fromMinute: 5, toMinute: 5 }] }, /faults.unhealthyTasks\[0\].toMinute 5 must be after fromMinute 5/],
    [{ slowTasks: [{ fromMinute: 0, toMinute: 1, capacityFactor: 0 }] }, /capacityFactor 0 is not a number in \(0, 1\]/],
    [{ fargateErrorRate: [{ fromMinute: 0, toMinute: 1, rate: 1.5 }] }, /rate 1.5 is not a number in \[0, 1\]/],
    [{ redeploys: [{ atMinute: 1, touches: ['database'] }] }, /touches \["database"\] is not a non-empty list/],
    [{ lostEventRate: 1 }, /faults.lostEventRate 1 is not a probability in \[0, 1\)/],
    [{ metricDelaySeconds: { min: 100, max: 50 } }, /faults.metricDelaySeconds .* is not \{ "min"/],
    [{ crashes: [] }, /faults.crashes is not a fault; known:/],
    [{ taskCrashes: [{ atMinute: 1, when: 2 }] }, /faults.taskCrashes\[0\].when is not a field/],
  ])('%j is refused with a message naming it', (faults, message) => {
    expect(() => resolveSettings({ faults })).toThrow(message);
  });
});

describe('task crashes', () => {
  test('the load balancer keeps sending to a crashed task until two health checks fail, and no longer', async () => {
    // 100 requests/s on Fargate only: two tasks (6,000 a minute at 3,000 each), started long ago with checks at second 0
    // of each 5 s interval. The crash at minute 3 (second 180) is seen by the checks at 185 and 190: the dead task is
    // unhealthy from 190, so it gets half the requests of seconds 180..189: 10 x 50 = 500, then none.
    const run = await simulate(steady(100, 6), settingsWith({ taskCrashes: [{ atMinute: 3, tasks: 1 }] }), {
      arrivals: ArrivalProcess.DETERMINISTIC, strategies: ['lambdaOnly', 'fargateOnly', 'hybrid'],
    });
    const fargate = buildReport(run).strategies.fargateOnly;
    expect(fargate.failedByCause.deadTarget).toBe(500);
    expect(fargate.failed).toBe(500);
  });

  test('ECS replaces a crashed task at once and the task stop is an event for the controller', async () => {
    const settings = settingsWith({ taskCrashes: [{ atMinute: 20, tasks: 'all' }] }, { scaling: { mode: 'fargate' } });
    const run = await simulate(steady(30, 30), settings, { arrivals: ArrivalProcess.DETERMINISTIC, strategies: ['lambdaOnly', 'fargateOnly', 'hybrid'] });
    const hybrid = run.strategies.hybrid;
    // The replacement starts in 60 s and passes its checks within 10 s more: by minute 22 a task is healthy again.
    expect(hybrid.timeline[22].healthyTasks).toBeGreaterThanOrEqual(1);
    const report = buildReport(run).strategies.hybrid;
    const window = report.faultWindows.find((w) => w.fault === 'taskCrash@20')!;
    // Observable when the task-stop event reaches the controller, 2 s after the crash.
    expect(window.observableS! - window.onsetS).toBe(2);
    expect(report.failedByCause.deadTarget).toBeGreaterThan(0);
  });
});

describe('unhealthy tasks', () => {
  test('failing tasks fail their requests, are replaced by ECS, and their replacements fail too until the window ends', async () => {
    const settings = settingsWith({ unhealthyTasks: [{ fromMinute: 3, toMinute: 8, tasks: 'all' }] });
    const run = await simulate(steady(100, 14), settings, { arrivals: ArrivalProcess.DETERMINISTIC, strategies: ['lambdaOnly', 'fargateOnly', 'hybrid'] });
    const fargate = run.strategies.fargateOnly;
    const failedIn = (minute: number) => fargate.timeline[minute].failedRps.deadTarget + fargate.timeline[minute].failedRps.noTarget;
    expect(failedIn(2)).toBe(0);
    expect(failedIn(3)).toBeGreaterThan(0);
    expect(failedIn(6)).toBeGreaterThan(0);
    // After the window a new task starts (60 s) and passes its checks: the service serves again.
    expect(failedIn(12)).toBe(0);
    expect(fargate.timeline[12].healthyTasks).toBeGreaterThanOrEqual(1);
  });
});

describe('slow tasks and injected errors', () => {
  test('slow tasks serve only their capacity factor: a load two tasks carry overloads them at 0.4', async () => {
    const trace = steady(100, 10);
    const fine = await simulate(trace, settingsWith({}), { arrivals: ArrivalProcess.DETERMINISTIC, strategies: ['lambdaOnly', 'fargateOnly', 'hybrid'] });
    const slow = await simulate(trace, settingsWith({ slowTasks: [{ fromMinute: 0, toMinute: 10, capacityFactor: 0.4 }] }), {
      arrivals: ArrivalProcess.DETERMINISTIC, strategies: ['lambdaOnly', 'fargateOnly', 'hybrid'],
    });
    expect(fine.strategies.fargateOnly.failedByCause.fargateOverloaded).toBe(0);
    expect(slow.strategies.fargateOnly.failedByCause.fargateOverloaded).toBeGreaterThan(0);
    expect(slow.strategies.fargateOnly.p99LatencyMs!).toBeGreaterThan(fine.strategies.fargateOnly.p99LatencyMs! * 10);
  });

  test('an error rate makes exactly that share of what Fargate serves answer 5xx', async () => {
    // 100 requests/s for minutes 2..4 at rate 0.25: 18,000 served, 4,500 errors.
    const run = await simulate(steady(100, 6), settingsWith({ fargateErrorRate: [{ fromMinute: 2, toMinute: 5, rate: 0.25 }] }), {
      arrivals: ArrivalProcess.DETERMINISTIC, strategies: ['lambdaOnly', 'fargateOnly', 'hybrid'],
    });
    const fargate = buildReport(run).strategies.fargateOnly;
    expect(fargate.failedByCause.injectedError).toBe(4500);
    expect(fargate.failed).toBe(4500);
    expect(buildReport(run).strategies.lambdaOnly.failed).toBe(0);
  });
});

describe('redeploys', () => {
  const pinned = { scaling: { mode: 'fargate' } };

  test('a stack update of the listener resets the weights to the template\'s, and the controller repairs them', async () => {
    const run = await simulate(steady(30, 20), settingsWith({ redeploys: [{ atMinute: 10, touches: ['listener'] }] }, pinned), {
      arrivals: ArrivalProcess.DETERMINISTIC, strategies: ['lambdaOnly', 'fargateOnly', 'hybrid'],
    });
    const changes = run.strategies.hybrid.weightChanges!;
    // The controller wrote 100 to Fargate before, and writes it again after the reset at 605 s.
    expect(changes.some((c) => c.second < 600 && c.fargateWeight === 100)).toBe(true);
    expect(changes.some((c) => c.second > 605 && c.fargateWeight > 0)).toBe(true);
    expect(run.strategies.hybrid.timeline[10].fargateWeight).toBeLessThan(100);
    expect(run.strategies.hybrid.timeline[19].fargateWeight).toBe(100);
  });

  test('an image deploy drains the old tasks and the template\'s count of 0 leaves Fargate without a target until the controller acts', async () => {
    const run = await simulate(steady(30, 20), settingsWith({ redeploys: [{ atMinute: 10, touches: ['service'] }] }, pinned), {
      arrivals: ArrivalProcess.DETERMINISTIC, strategies: ['lambdaOnly', 'fargateOnly', 'hybrid'],
    });
    const report = buildReport(run).strategies.hybrid;
    const window = report.faultWindows.find((w) => w.fault === 'redeploy@10')!;
    expect(window.observableS! - window.onsetS).toBe(2);
    expect(report.failedByCause.noTarget).toBeGreaterThan(0);
    // Fargate only rolls its deployment without a gap.
    expect(buildReport(run).strategies.fargateOnly.failed).toBe(0);
  });
});

describe('lost events, failing AWS calls, metric delays', () => {
  test('a lost event is dropped before it reaches the controller', async () => {
    const run = await simulate(steady(30, 30), settingsWith({ lostEventRate: 0.5 }), { strategies: ['lambdaOnly', 'fargateOnly', 'hybrid'] });
    expect(run.strategies.hybrid.controllerIncidents!.lostEvents).toBeGreaterThan(0);
  });

  test('a call fails only when all three SDK attempts fail: at 0.1 a call fails about once in 1,000', async () => {
    const run = await simulate(steady(30, 60), settingsWith({ apiFailureRate: 0.1 }), { strategies: ['lambdaOnly', 'fargateOnly', 'hybrid'] });
    const hybrid = run.strategies.hybrid;
    // Each decision makes 8 reads and a few writes: about 10 calls, so about 1 % of decisions fail.
    expect(hybrid.controllerIncidents!.failedCalls).toBeLessThan(hybrid.controllerDecisions! * 0.05 + 3);
  });

  test('each minute\'s datapoints arrive after their own delay, possibly out of order', () => {
    const delays = [200, 70, 100];
    const store = new MetricStore(0, 3, (minute) => delays[minute]);
    expect(store.publishedAt(0)).toBe(260);
    expect(store.isPublished(1, 189)).toBe(false);
    expect(store.isPublished(1, 190)).toBe(true);
    // Minute 1 arrives before minute 0.
    expect(store.latestPublishedMinute(200)).toBe(1);
    expect(store.isPublished(0, 200)).toBe(false);
  });

  test('a delay range spreads when the alarms fire across seeds', async () => {
    const burst: Trace = { name: 'burst', rpsByMinute: [...new Array(5).fill(1), ...new Array(20).fill(60)], repeats: false };
    const settings = settingsWith({ metricDelaySeconds: { min: 60, max: 240 } });
    const firstAlarm = async (seed: number) => (await simulate(burst, settings, { seed, strategies: ['lambdaOnly', 'fargateOnly', 'hybrid'] }))
      .strategies.hybrid.alarmChanges!.find((c) => c.alarm === 'scaleOut' && c.state === 'ALARM')!.second;
    const seconds = await Promise.all([1, 2, 3, 4, 5, 6].map(firstAlarm));
    expect(new Set(seconds).size).toBeGreaterThan(1);
  });
});

describe('the Fargate service model alone', () => {
  test('a crash of all tasks leaves registered targets that fail requests, then none', () => {
    const settings = settingsWith({ taskCrashes: [{ atMinute: 1, tasks: 'all' }] });
    const store = new MetricStore(0, 10, 90);
    const fargate = new FargateService(settings.workload, settings.aws, seededRandom(1),
      { requestsPerTaskPerMinute: 3000, minCapacity: 0, maxCapacity: 10 }, store, 0, settings.faults);
    fargate.startSteady(2, 0);
    const stops: number[] = [];
    fargate.onStop((second) => stops.push(second));
    fargate.tick(60);
    expect(stops).toEqual([60, 60]);
    expect(fargate.serve(60, 10)).toMatchObject({ deadTarget: 10, connectionErrors: 10, served: 0 });
    fargate.tick(70);
    // Both failed their checks at 65 and 70: no target is left until the replacements register at 120.
    expect(fargate.serve(70, 10)).toMatchObject({ noTarget: 10, deadTarget: 0 });
    expect(fargate.counts(70)).toMatchObject({ desired: 2, running: 0, healthy: 0 });
  });
});
