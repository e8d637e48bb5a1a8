import { lcuHours, monthlyCost, Usage } from '../../src/simulator/pricing';
import { buildReport, StrategyReport } from '../../src/simulator/report';
import { resolveSettings } from '../../src/simulator/settings';
import { simulate } from '../../src/simulator/simulate';
import { ArrivalProcess } from '../../src/simulator/trace';

// Round prices so every expectation can be checked by hand; a month is 730 hours, as in AWS's pricing examples.
const PRICES = {
  alb: { hourUsd: 0.02, lcuHourUsd: 0.01 },
  publicIpv4: { hourUsd: 0.005 },
  fargate: { x86: { vcpuHourUsd: 0.04, gbHourUsd: 0.004 } },
  lambda: { requestsPerMillionUsd: 0.2, x86: { gbSecondUsd: 0.00002 } },
  cloudwatch: { standardAlarmMetricMonthUsd: 0.1, logsStandardIngestionGbUsd: 0.5 },
};
const MONTH_HOURS = 730;
/** An alarm billed all month: $0.10. */
const ALARM_MONTH_USD = 0.1;

/** Request durations without spread, so GB-seconds are exact; 5 KB and 5 requests per connection (the defaults). */
const SETTINGS = resolveSettings({ prices: PRICES, workload: { requestDurationMs: { mean: 100, spread: 0 } } });

/** One hour at a constant rate, deterministic arrivals, after an hour of the same load (so Lambda is warm). */
async function steadyHour(rps: number): Promise<Record<'lambdaOnly' | 'fargateOnly' | 'hybrid', StrategyReport>> {
  const trace = { name: `${rps} rps`, rpsByMinute: new Array(60).fill(rps), repeats: true };
  return buildReport(await simulate(trace, SETTINGS, { arrivals: ArrivalProcess.DETERMINISTIC, warmupMinutes: 60 })).strategies;
}

describe('cost arithmetic', () => {
  test('an idle day costs the fixed items only: load balancer hours, its two public IPv4 addresses, alarms (and a task for Fargate only)', async () => {
    const trace = { name: 'idle', rpsByMinute: new Array(1440).fill(0), repeats: true };
    const strategies = buildReport(await simulate(trace, SETTINGS, { warmupMinutes: 60 })).strategies;
    const fixed = MONTH_HOURS * (0.02 + 2 * 0.005); // 21.90

    expect(strategies.lambdaOnly.monthlyCostUsd).toBeCloseTo(fixed, 4);
    // The heartbeat invokes the controller every 15 minutes: 2,920 invocations of 1 s at 256 MB a month.
    const heartbeat = 2920 * (0.2 / 1e6) + 2920 * 0.25 * 0.00002; // 0.0152
    expect(strategies.hybrid.monthlyCostUsd).toBeCloseTo(fixed + 6 * ALARM_MONTH_USD + heartbeat, 4); // 22.52
    expect(strategies.hybrid.costBreakdown).toMatchObject({
      loadBalancerLcuUsd: 0, lambdaRequestsUsd: 0, lambdaDurationUsd: 0, fargateVcpuUsd: 0, controllerMetricsUsd: 0,
    });
    expect(strategies.hybrid.costBreakdown.controllerUsd).toBeCloseTo(heartbeat, 4);
    // One 0.5 vCPU / 1 GB task all month with its public IPv4 address, and target tracking's two alarms.
    const task = MONTH_HOURS * (0.5 * 0.04 + 1 * 0.004 + 0.005); // 21.17
    expect(strategies.fargateOnly.monthlyCostUsd).toBeCloseTo(fixed + task + 2 * ALARM_MONTH_USD, 4); // 43.27
  });

  describe('a steady 10 requests/s (36,000 an hour), scaled from one hour to 730', () => {
    let strategies: Awaited<ReturnType<typeof steadyHour>>;
    beforeAll(async () => {
      strategies = await steadyHour(10);
    });
    const requestsPerMonth = 36_000 * MONTH_HOURS;
    const fixed = MONTH_HOURS * (0.02 + 2 * 0.005);
    // LCU: 0.08 for new connections (36,000 / 5 / 3,600 s / 25), processed bytes 0.18 GB an hour: 0.45 LCU for Lambda, 0.18 for tasks.
    const lambdaLcu = MONTH_HOURS * 0.45 * 0.01;
    const fargateLcu = MONTH_HOURS * 0.18 * 0.01;
    // Logs at $0.50 per GiB: Lambda writes its 110-byte JSON envelope + 150 app bytes per request, a task 150 app bytes.
    const lambdaLogs = (requestsPerMonth * (110 + 150) / 2 ** 30) * 0.5; // 3.182
    const fargateLogs = (requestsPerMonth * 150 / 2 ** 30) * 0.5; // 1.836

    test('Lambda only: requests at $0.20 per million and 0.1 GB-s each at 1024 MB', async () => {
      const lambda = strategies.lambdaOnly;
      expect(lambda.served).toBe(36_000);
      expect(lambda.coldStarts).toBe(0);
      expect(lambda.costBreakdown.lambdaRequestsUsd).toBeCloseTo(requestsPerMonth * 0.2 / 1e6, 4); // 5.256
      expect(lambda.costBreakdown.lambdaDurationUsd).toBeCloseTo(requestsPerMonth * 0.1 * 0.00002, 4); // 52.56
      expect(lambda.costBreakdown.loadBalancerLcuUsd).toBeCloseTo(lambdaLcu, 4); // 3.285
      expect(lambda.costBreakdown.logsIngestionUsd).toBeCloseTo(lambdaLogs, 4);
      expect(lambda.monthlyCostUsd).toBeCloseTo(fixed + 5.256 + 52.56 + lambdaLcu + lambdaLogs, 3); // 86.183
    });

    test('Fargate only: one task (600 requests/min is under one task\'s 3,000) all month', async () => {
      const fargate = strategies.fargateOnly;
      expect(fargate.served).toBe(36_000);
      expect(fargate.fargateTaskHours).toBe(1);
      expect(fargate.costBreakdown.fargateVcpuUsd).toBeCloseTo(MONTH_HOURS * 0.5 * 0.04, 4); // 14.60
      expect(fargate.costBreakdown.fargateMemoryUsd).toBeCloseTo(MONTH_HOURS * 0.004, 4); // 2.92
      expect(fargate.costBreakdown.fargatePublicIpv4Usd).toBeCloseTo(MONTH_HOURS * 0.005, 4); // 3.65
      expect(fargate.costBreakdown.loadBalancerLcuUsd).toBeCloseTo(fargateLcu, 4); // 1.314
      expect(fargate.costBreakdown.logsIngestionUsd).toBeCloseTo(fargateLogs, 4);
      expect(fargate.monthlyCostUsd).toBeCloseTo(fixed + 14.6 + 2.92 + 3.65 + fargateLcu + 2 * ALARM_MONTH_USD + fargateLogs, 3); // 46.420
    });

    test('hybrid: below the scale-out threshold it is Lambda only plus the six alarms', async () => {
      const hybrid = strategies.hybrid;
      expect(hybrid.fargateTaskHours).toBe(0);
      // Only the heartbeat: 4 invocations of 1 s at 256 MB an hour, scaled to 730 hours.
      expect(hybrid.costBreakdown.controllerUsd).toBeCloseTo(730 * 4 * (0.2 / 1e6 + 0.25 * 0.00002), 4); // 0.0152
      expect(hybrid.monthlyCostUsd).toBeCloseTo(strategies.lambdaOnly.monthlyCostUsd + 6 * ALARM_MONTH_USD + hybrid.costBreakdown.controllerUsd, 3);
    });
  });

  test('cold starts bill their init time at the function memory (container images bill INIT)', async () => {
    const settings = resolveSettings({
      prices: PRICES,
      workload: { requestDurationMs: { mean: 100, spread: 0 }, lambdaColdStartMs: { mean: 1000, spread: 0 } },
    });
    const trace = { name: 'one minute', rpsByMinute: [1], repeats: false };
    const lambda = buildReport(await simulate(trace, settings, { arrivals: ArrivalProcess.DETERMINISTIC })).strategies.lambdaOnly;
    expect(lambda.coldStarts).toBe(1);
    // 60 requests of 0.1 s and one 1 s init, at 1 GB, for one minute scaled to 43,800 minutes (730 hours): 6.132.
    expect(lambda.costBreakdown.lambdaDurationUsd).toBeCloseTo((60 * 0.1 + 1) * 0.00002 * 43_800, 6);
  });

  test('LCUs are billed per hour on the larger dimension', async () => {
    const settings = resolveSettings({ workload: { bytesPerRequest: 1000, requestsPerConnection: 5 } });
    // 450,000 requests to tasks: 1 new-connection LCU (450,000 / 5 / 3,600 s / 25) against 0.45 GB processed.
    expect(lcuHours([{ lambdaRequests: 0, fargateRequests: 450_000 }], settings)).toBeCloseTo(1, 6);
    // The same to Lambda: 0.45 GB at 0.4 GB per LCU, 1.125 LCU, is the larger.
    expect(lcuHours([{ lambdaRequests: 450_000, fargateRequests: 0 }], settings)).toBeCloseTo(1.125, 6);
    const twoHours = [{ lambdaRequests: 450_000, fargateRequests: 0 }, { lambdaRequests: 0, fargateRequests: 450_000 }];
    expect(lcuHours(twoHours, settings)).toBeCloseTo(2.125, 6);
  });

  test('the breakdown sums to the monthly cost', async () => {
    const usage: Usage = {
      seconds: 3600,
      hours: [{ lambdaRequests: 1000, fargateRequests: 2000 }],
      lambdaInvocations: 1000,
      lambdaGbSeconds: 100,
      fargateTaskSeconds: 7200,
      alarms: 6,
      controllerInvocations: 60,
      controllerGbSeconds: 600,
      logIngestedBytes: 2 ** 30,
      controllerMetricReads: 0,
      controllerMetricHours: 0,
    };
    const { monthlyCostUsd, costBreakdown } = monthlyCost(usage, SETTINGS);
    expect(Object.keys(costBreakdown)).toContain('logsIngestionUsd');
    expect(monthlyCostUsd).toBeCloseTo(Object.values(costBreakdown).reduce((a, b) => a + b, 0), 9);
    expect(costBreakdown.controllerUsd).toBeCloseTo(MONTH_HOURS * (60 * 0.2 / 1e6 + 600 * 0.00002), 9); // 8.76876
  });

  test('log ingestion bills every byte written, per GB of 2^30 bytes at $0.50', async () => {
    const usage: Usage = {
      seconds: 3600,
      hours: [],
      lambdaInvocations: 0,
      lambdaGbSeconds: 0,
      fargateTaskSeconds: 0,
      alarms: 0,
      controllerInvocations: 0,
      controllerGbSeconds: 0,
      logIngestedBytes: 3 * 2 ** 30,
      controllerMetricReads: 0,
      controllerMetricHours: 0,
    };
    const { monthlyCostUsd, costBreakdown } = monthlyCost(usage, SETTINGS);
    // 3 GB in an hour, 730 hours a month, at $0.50 per GB (with 1e9 bytes to the GB it would be 1,175.7).
    expect(costBreakdown.logsIngestionUsd).toBeCloseTo(3 * MONTH_HOURS * 0.5, 9); // 1,095
    // The load balancer's hours and addresses are the rest: 21.90.
    expect(monthlyCostUsd).toBeCloseTo(1095 + MONTH_HOURS * (0.02 + 2 * 0.005), 9);
  });

  test('the controller\'s GetMetricData reads bill per 1,000 metrics and its decision-line metrics per metric-hour', async () => {
    const usage: Usage = {
      seconds: 3600,
      hours: [],
      lambdaInvocations: 0,
      lambdaGbSeconds: 0,
      fargateTaskSeconds: 0,
      alarms: 0,
      controllerInvocations: 0,
      controllerGbSeconds: 0,
      logIngestedBytes: 0,
      controllerMetricReads: 12_000,
      controllerMetricHours: 4,
    };
    const { costBreakdown } = monthlyCost(usage, resolveSettings({}));
    // In one hour: 12 x $0.01 for the reads, 4 metric-hours at $0.30 a month (730 hours), both scaled to 730 hours.
    expect(costBreakdown.controllerMetricsUsd).toBeCloseTo(730 * (12 * 0.01 + 4 * 0.3 / 730), 9); // 88.8
  });

  test('arm64 images use the arm64 rates on both sides', async () => {
    const arm = resolveSettings({ workload: { architecture: 'arm64' } });
    const usage: Usage = {
      seconds: 3600,
      hours: [],
      lambdaInvocations: 0,
      lambdaGbSeconds: 1000,
      fargateTaskSeconds: 3600,
      alarms: 0,
      controllerInvocations: 0,
      controllerGbSeconds: 0,
      logIngestedBytes: 0,
      controllerMetricReads: 0,
      controllerMetricHours: 0,
    };
    const { costBreakdown } = monthlyCost(usage, arm);
    expect(costBreakdown.lambdaDurationUsd).toBeCloseTo(730 * 1000 * arm.prices.lambda.arm64.gbSecondUsd, 9);
    expect(costBreakdown.fargateVcpuUsd).toBeCloseTo(730 * 0.5 * arm.prices.fargate.arm64.vcpuHourUsd, 9);
  });
});
