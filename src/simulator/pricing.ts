/**
 * What a simulated run costs, from what it used, at the prices of src/cost/prices.json.
 *
 * Every item is computed over the simulated period and scaled to a month of HOURS_PER_MONTH (730 hours), the month
 * of AWS's pricing examples and of the idle cost model, so that both models price an hour alike. The load balancer
 * bills its hours, its public IPv4 addresses (one per Availability Zone) and LCUs. LCUs are billed per hour on the
 * largest of their dimensions; two are modelled: new connections (requests / requestsPerConnection, 25 per second
 * per LCU) and processed bytes (bytesPerRequest each, 1 GB per hour per LCU for tasks and 0.4 GB for Lambda). Active
 * connections are left out because they stay below the new-connections dimension whenever a connection lasts under
 * 120 s (3,000 per minute against 25 per second), and rule evaluations because the listener has no rules. Alarms
 * bill per month, spread over HOURS_PER_MONTH as in the idle cost model. CloudWatch Logs bills every byte both sides
 * write to it (Standard log class) per GB of 2^30 bytes; storing the logs afterwards is left out.
 */
import { SimulationSettings } from './settings';
import { HOURS_PER_MONTH } from '../cost/idle-cost';

export const SECONDS_PER_MONTH = HOURS_PER_MONTH * 3600;

/** AWS writes GB on its bills but counts binary gigabytes (see the cloudwatch-logs source in prices.json). */
export const BYTES_PER_BILLED_GB = 2 ** 30;

/** Requests the load balancer routed during one hour, by side. */
export interface HourTraffic {
  lambdaRequests: number;
  fargateRequests: number;
}

/** What one strategy used during the simulated period. */
export interface Usage {
  readonly seconds: number;
  readonly hours: readonly HourTraffic[];
  /** Requests the function ran (throttled ones are not billed). */
  readonly lambdaInvocations: number;
  readonly lambdaGbSeconds: number;
  readonly fargateTaskSeconds: number;
  /** Metric alarms: the controller's and the ones target tracking creates. */
  readonly alarms: number;
  readonly controllerInvocations: number;
  readonly controllerGbSeconds: number;
  /** Bytes written to CloudWatch Logs by both sides: Lambda's own lines per invocation and the application's per request. */
  readonly logIngestedBytes: number;
  /** Metrics the controller requested with GetMetricData. */
  readonly controllerMetricReads: number;
  /** Custom metric-hours of the controller's decision lines (each metric bills for every hour it receives data). */
  readonly controllerMetricHours: number;
}

/** Monthly cost items in USD; `monthlyCostUsd` is their sum. */
export interface CostBreakdown {
  readonly loadBalancerHoursUsd: number;
  readonly loadBalancerLcuUsd: number;
  readonly loadBalancerPublicIpv4Usd: number;
  readonly lambdaRequestsUsd: number;
  readonly lambdaDurationUsd: number;
  readonly fargateVcpuUsd: number;
  readonly fargateMemoryUsd: number;
  readonly fargatePublicIpv4Usd: number;
  readonly alarmsUsd: number;
  readonly controllerUsd: number;
  /** The controller's GetMetricData reads and the custom metrics of its decision lines. */
  readonly controllerMetricsUsd: number;
  readonly logsIngestionUsd: number;
}

export function monthlyCost(usage: Usage, settings: SimulationSettings): { monthlyCostUsd: number; costBreakdown: CostBreakdown } {
  const { prices, workload, aws } = settings;
  const scale = SECONDS_PER_MONTH / usage.seconds;
  const hours = usage.seconds / 3600;
  const lambdaRates = workload.architecture === 'arm64' ? prices.lambda.arm64 : prices.lambda.x86;
  const fargateRates = workload.architecture === 'arm64' ? prices.fargate.arm64 : prices.fargate.x86;
  const taskHours = usage.fargateTaskSeconds / 3600;
  const perRequest = prices.lambda.requestsPerMillionUsd / 1e6;
  const breakdown: CostBreakdown = {
    loadBalancerHoursUsd: hours * prices.alb.hourUsd,
    loadBalancerLcuUsd: lcuHours(usage.hours, settings) * prices.alb.lcuHourUsd,
    loadBalancerPublicIpv4Usd: hours * aws.alb.availabilityZones * prices.publicIpv4.hourUsd,
    lambdaRequestsUsd: usage.lambdaInvocations * perRequest,
    lambdaDurationUsd: usage.lambdaGbSeconds * lambdaRates.gbSecondUsd,
    fargateVcpuUsd: taskHours * (workload.fargateCpu / 1024) * fargateRates.vcpuHourUsd,
    fargateMemoryUsd: taskHours * (workload.fargateMemoryMiB / 1024) * fargateRates.gbHourUsd,
    fargatePublicIpv4Usd: aws.fargate.publicIpPerTask ? taskHours * prices.publicIpv4.hourUsd : 0,
    alarmsUsd: usage.alarms * hours * (prices.cloudwatch.standardAlarmMetricMonthUsd / HOURS_PER_MONTH),
    // The controller function runs on x86_64 (the construct does not set an architecture).
    controllerUsd: usage.controllerInvocations * perRequest + usage.controllerGbSeconds * prices.lambda.x86.gbSecondUsd,
    controllerMetricsUsd: usage.controllerMetricReads / 1000 * prices.cloudwatch.getMetricDataPer1000MetricsUsd
      + usage.controllerMetricHours * (prices.cloudwatch.customMetricMonthUsd / HOURS_PER_MONTH),
    logsIngestionUsd: (usage.logIngestedBytes / BYTES_PER_BILLED_GB) * prices.cloudwatch.logsStandardIngestionGbUsd,
  };
  const scaled = Object.fromEntries(Object.entries(breakdown).map(([key, usd]) => [key, usd * scale])) as unknown as CostBreakdown;
  const monthlyCostUsd = Object.values(scaled).reduce((sum: number, usd: number) => sum + usd, 0);
  return { monthlyCostUsd, costBreakdown: scaled };
}

/** LCU-hours: for each hour, the larger of the new-connections and processed-bytes dimensions. */
export function lcuHours(hours: readonly HourTraffic[], settings: SimulationSettings): number {
  const { workload, aws } = settings;
  let total = 0;
  for (const hour of hours) {
    const requests = hour.lambdaRequests + hour.fargateRequests;
    const newConnections = requests / workload.requestsPerConnection / 3600 / aws.alb.lcuNewConnectionsPerSecond;
    const gb = (count: number) => (count * workload.bytesPerRequest) / 1e9;
    const processedBytes = gb(hour.lambdaRequests) / aws.alb.lcuProcessedGbPerHourLambda
      + gb(hour.fargateRequests) / aws.alb.lcuProcessedGbPerHourTargets;
    total += Math.max(newConnections, processedBytes);
  }
  return total;
}
