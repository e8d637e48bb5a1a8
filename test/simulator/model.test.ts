import * as decision from '../../src/controller/decision';
import { MetricAlarm, MetricStore, SecondSample } from '../../src/simulator/model/cloudwatch';
import { SimulatedController } from '../../src/simulator/model/controller';
import { FargateService } from '../../src/simulator/model/fargate-service';
import { seededRandom } from '../../src/simulator/random';
import { ConfigError, defaultSettings, resolveSettings } from '../../src/simulator/settings';

const settings = defaultSettings();

/** One second's metrics with everything 0 but what is given. */
function sampleOf(values: Partial<SecondSample>): SecondSample {
  return {
    albRequests: 0,
    lambdaRequests: 0,
    fargateRequests: 0,
    fargateTarget5xx: 0,
    fargateConnectionErrors: 0,
    elb5xx: 0,
    lambdaThrottles: 0,
    lambdaErrors: 0,
    fargateResponseMsSum: 0,
    lambdaResponseMsSum: 0,
    healthyTargets: 0,
    ...values,
  };
}

describe('CloudWatch', () => {
  /** Requests per minute from minute 0; publication delay 90 s (the default). */
  function storeWith(requestsPerMinute: number[]): MetricStore {
    const store = new MetricStore(0, requestsPerMinute.length + 10, 90);
    requestsPerMinute.forEach((requests, minute) => store.record(minute * 60, sampleOf({ albRequests: requests })));
    return store;
  }

  test('a minute\'s datapoint is usable 90 s after the minute ends', () => {
    const store = storeWith([100]);
    expect(store.isPublished(0, 149)).toBe(false);
    expect(store.isPublished(0, 150)).toBe(true);
    expect(store.latestPublishedMinute(150)).toBe(0);
    expect(store.recentRequestsPerMinute(149)).toBe(0);
    expect(store.recentRequestsPerMinute(150)).toBe(100);
  });

  test('the controller reads the latest datapoint of the 5 whole minutes before now, like GetMetricData', () => {
    const store = storeWith([100, 200, 0, 0, 0, 0, 0, 0]);
    expect(store.recentRequestsPerMinute(4 * 60)).toBe(200);
    // Minute 1 has left the 5-minute window; the minutes since had no requests, so no datapoints.
    expect(store.recentRequestsPerMinute(7 * 60)).toBe(0);
  });

  test('an alarm over 3 of 3 periods fires on the evaluation after the third breaching datapoint is published', () => {
    const store = storeWith([1300, 1300, 1300]);
    const alarm = new MetricAlarm({
      name: 'out', metric: (m) => store.requestCount(m), comparison: '>', threshold: 1200, evaluationPeriods: 3, datapointsToAlarm: 3, missingData: 'notBreaching',
    }, store);
    // Minute 2 ends at 180 s and is published at 270 s.
    expect(alarm.evaluate(269)).toBe(true);
    expect(alarm.state).toBe('OK');
    expect(alarm.evaluate(270)).toBe(true);
    expect(alarm.state).toBe('ALARM');
    // The load stopped after minute 2: minute 3 has no datapoint, which does not breach.
    expect(alarm.evaluate(330)).toBe(true);
    expect(alarm.state).toBe('OK');
  });

  test('missing datapoints (minutes without requests) breach the scale-in alarm', () => {
    const store = storeWith([]);
    const alarm = new MetricAlarm({
      name: 'in', metric: (m) => store.requestCount(m), comparison: '<', threshold: 300, evaluationPeriods: 10, datapointsToAlarm: 10, missingData: 'breaching',
    }, store);
    alarm.evaluate(600);
    expect(alarm.state).toBe('ALARM');
  });

  test('missing datapoints leave a "missing" alarm without data', () => {
    const store = storeWith([]);
    const alarm = new MetricAlarm({
      name: 'tt', metric: (m) => store.fargateRequestCountPerTarget(m), comparison: '>', threshold: 3000, evaluationPeriods: 3, datapointsToAlarm: 3, missingData: 'missing',
    }, store);
    alarm.evaluate(600);
    expect(alarm.state).toBe('INSUFFICIENT_DATA');
  });
});

describe('FargateService', () => {
  const fixedStart = resolveSettings({ workload: { fargateTaskStartSeconds: { mean: 60, spread: 0 } } });

  function service(min = 0, max = 10): FargateService {
    const store = new MetricStore(0, 100, 90);
    const tracking = { requestsPerTaskPerMinute: 3000, minCapacity: min, maxCapacity: max };
    return new FargateService(fixedStart.workload, fixedStart.aws, seededRandom(1), tracking, store, 0);
  }

  test('a task runs after its start time and takes requests once it passed two health checks 5 s apart', () => {
    const fargate = service();
    fargate.setDesiredCount(1, 0);
    expect(fargate.counts(59)).toEqual({ desired: 1, running: 0, healthy: 0, healthyRunning: 0, unhealthy: 0 });
    expect(fargate.counts(60)).toMatchObject({ running: 1, healthy: 0 });
    // First check within 5 s of registering, the second 5 s later.
    expect(fargate.counts(65)).toMatchObject({ healthy: 0 });
    expect(fargate.counts(70)).toMatchObject({ healthy: 1 });
  });

  test('requests sent while the group has no healthy or unhealthy target fail with no target (503)', () => {
    const fargate = service();
    fargate.setDesiredCount(1, 0);
    expect(fargate.serve(30, 7)).toEqual({
      served: 0, overloaded: 0, noTarget: 7, deadTarget: 0, connectionErrors: 0, injectedErrors: 0, waitMs: 0, capacityRps: 0,
    });
    expect(fargate.serve(80, 7)).toMatchObject({ served: 7, noTarget: 0, waitMs: 0, capacityRps: 100 });
  });

  test('requests beyond capacity queue and wait; beyond the queue timeout they fail', () => {
    const fargate = service();
    fargate.startSteady(1, 0);
    // 100 requests/s per task, 30 s queue: 3,000 may wait.
    expect(fargate.serve(1, 150)).toMatchObject({ served: 150, overloaded: 0 });
    expect(fargate.serve(2, 100).waitMs).toBeCloseTo(500, 0);
    expect(fargate.serve(3, 10_000)).toMatchObject({ overloaded: 10_000 + 50 - 100 - 3000 });
  });

  test('scaling in deregisters healthy tasks, which drain for the deregistration delay before they stop', () => {
    const fargate = service();
    fargate.startSteady(2, 0);
    fargate.setDesiredCount(1, 100);
    expect(fargate.counts(100)).toEqual({ desired: 1, running: 2, healthy: 1, healthyRunning: 1, unhealthy: 0 });
    fargate.tick(114);
    expect(fargate.counts(114).running).toBe(2);
    fargate.tick(115);
    expect(fargate.counts(115).running).toBe(1);
  });

  test('a raised minimum capacity raises the desired count at once', () => {
    const fargate = service();
    fargate.setMinCapacity(3, 0);
    expect(fargate.counts(0).desired).toBe(3);
  });

  test('a task stopped within its first minute is billed a whole minute', () => {
    const fargate = service();
    fargate.setDesiredCount(1, 0);
    for (let second = 0; second < 10; second++) {
      fargate.tick(second);
    }
    fargate.setDesiredCount(0, 10);
    fargate.tick(10);
    expect(fargate.taskSeconds()).toBe(60);
  });
});

describe('SimulatedController', () => {
  /** Seconds after the first decision of every decision made when two events arrive together, the service at rest. */
  async function decisionSeconds(serializeController: boolean): Promise<number[]> {
    const custom = resolveSettings({ scaling: { serializeController } });
    const store = new MetricStore(0, 10, 90);
    const tracking = { requestsPerTaskPerMinute: 3000, minCapacity: 0, maxCapacity: 10 };
    const fargate = new FargateService(custom.workload, custom.aws, seededRandom(1), tracking, store, 0);
    const random = { events: seededRandom(2), api: seededRandom(3) };
    // Schedule phase 30 s: the heartbeat fires at 30 s, after the seconds this test looks at.
    const controller = new SimulatedController(custom, { lambdaWeight: 100, fargateWeight: 0 }, fargate, store, 30, 0, random);
    const spy = jest.spyOn(decision, 'decide');
    try {
      controller.modeChanged(0);
      controller.modeChanged(0);
      for (let now = 0; now < 30; now++) {
        await controller.tick(now);
      }
      return spy.mock.calls.map(([observed]) => (observed.nowMs - spy.mock.calls[0][0].nowMs) / 1000);
    } finally {
      spy.mockRestore();
    }
  }

  test('with reserved concurrency 1, an event that arrives during an invocation is retried after it, 1 s later at first', async () => {
    // The first invocation decides the service is at rest, disables the schedule, confirms that with a second look and
    // ends after its 1 s decision; the second was throttled meanwhile and does the same.
    expect(await decisionSeconds(true)).toEqual([0, 0, 1, 1]);
  });

  test('without it, invocations overlap', async () => {
    expect(await decisionSeconds(false)).toEqual([0, 0, 0, 0]);
  });
});

describe('settings', () => {
  test('defaults: the construct\'s scaling defaults and the controller\'s drain of the deregistration delay + 15 s', () => {
    expect(settings.scaling).toMatchObject({ mode: 'auto', scaleOutRequestsPerMinute: 1200, scaleOutPeriods: 2, scaleInRequestsPerMinute: 300, scaleInPeriods: 10 });
    expect(settings.scaling.controller.drainSeconds).toBe(30);
  });

  test('durations are given in seconds under their ScalingOptions names', () => {
    const custom = resolveSettings({ scaling: { shiftOutPause: 10, minFargateDuration: 120, drainDuration: 45, pollInterval: 2, maxTasks: 4 } });
    expect(custom.scaling.controller).toMatchObject({ shiftOutPauseSeconds: 10, minFargateSeconds: 120, drainSeconds: 45, maxTasks: 4 });
    expect(custom.scaling.pollIntervalSeconds).toBe(2);
  });

  test('prices override prices.json figure by figure', () => {
    const custom = resolveSettings({ prices: { alb: { hourUsd: 1 } } });
    expect(custom.prices.alb).toEqual({ hourUsd: 1, lcuHourUsd: settings.prices.alb.lcuHourUsd });
  });

  test.each([
    [{ scalling: {} }, /config.scalling is not a setting/],
    [{ scaling: { scaleOutPeriods: 0 } }, /scaling.scaleOutPeriods 0 is not an integer in 1..1440/],
    [{ scaling: { mode: 'lambdas' } }, /scaling.mode "lambdas" is not a traffic mode/],
    [{ scaling: { pollInterval: 60 } }, /scaling.pollInterval 60 is not an integer in 1..30/],
    [{ scaling: { drainDuration: 5 } }, /scaling.drainDuration 5 seconds is shorter than the deregistration delay 15 seconds/],
    [{ scaling: { minTasks: 5, maxTasks: 2 } }, /scaling.maxTasks must be an integer >= minTasks \(5\); got 2/],
    [{ workload: { requestDurationMs: { mean: -1, spread: 0 } } }, /workload.requestDurationMs.mean -1 is not a number > 0/],
    [{ workload: { lambdaReservedConcurrency: 0 } }, /workload.lambdaReservedConcurrency 0 is not an integer in 1..100000/],
    [{ workload: { architecture: 'sparc' } }, /workload.architecture "sparc" is not an architecture/],
    [{ prices: { alb: { hourUsd: -1 } } }, /prices.alb.hourUsd -1 is not a price >= 0/],
    [{ prices: { gpu: 1 } }, /prices.gpu is not a price in src\/cost\/prices.json/],
    [[], /config must be a JSON object/],
  ])('rejects %j', (config, message) => {
    expect(() => resolveSettings(config)).toThrow(ConfigError);
    expect(() => resolveSettings(config)).toThrow(message);
  });
});
