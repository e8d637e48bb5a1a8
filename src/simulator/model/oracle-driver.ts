/**
 * Replays the oracle's plan (../oracle.ts) through the same model of the Fargate service and listener as every other
 * strategy: tasks are launched the planned start time ahead of the minute they serve, and each second Fargate's
 * share is the planned one capped at what its healthy tasks can carry of that second's requests, so a task that
 * starts later than the plan assumed shifts its share to Lambda instead of failing requests.
 */
import { FargateService } from './fargate-service';
import { capacityFactorAt, Faults } from '../faults';
import { OraclePlan, planOracle } from '../oracle';
import { BYTES_PER_BILLED_GB } from '../pricing';
import { SimulationSettings } from '../settings';

/** The listener's weighted forward. */
interface Listener {
  lambdaWeight: number;
  fargateWeight: number;
}

/** Seconds from launch to taking traffic the plan assumes: the mean start plus the mean time to pass health checks. */
export function plannedStartSeconds(settings: SimulationSettings): number {
  const alb = settings.aws.alb;
  return settings.workload.fargateTaskStartSeconds.mean + alb.healthCheckIntervalSeconds * (alb.healthyThresholdCount - 0.5);
}

/**
 * USD of one task-minute, and of one request served by each side, at the run's prices: what the plan minimises.
 * The load balancer, alarms and controller are left out: they cost the same whatever the plan.
 */
export function oracleUnitCosts(settings: SimulationSettings): { taskMinuteUsd: number; lambdaRequestUsd: number; fargateRequestUsd: number } {
  const { prices, workload, aws } = settings;
  const fargateRates = workload.architecture === 'arm64' ? prices.fargate.arm64 : prices.fargate.x86;
  const lambdaRates = workload.architecture === 'arm64' ? prices.lambda.arm64 : prices.lambda.x86;
  const taskHourUsd = (workload.fargateCpu / 1024) * fargateRates.vcpuHourUsd + (workload.fargateMemoryMiB / 1024) * fargateRates.gbHourUsd
    + (aws.fargate.publicIpPerTask ? prices.publicIpv4.hourUsd : 0);
  const logUsd = (bytes: number) => bytes * logIngestionUsdPerByte(settings);
  const app = workload.appLogBytesPerRequest;
  // The load balancer's processed-bytes LCUs, per request, differ by side (1 GB an hour per LCU for targets, 0.4 for
  // Lambda); linear here, as a request's share of an hour's LCUs.
  const lcuUsd = (gbPerHourPerLcu: number) => (workload.bytesPerRequest / 1e9 / gbPerHourPerLcu) * prices.alb.lcuHourUsd;
  return {
    taskMinuteUsd: taskHourUsd / 60,
    lambdaRequestUsd: prices.lambda.requestsPerMillionUsd / 1e6
      + (workload.lambdaMemoryMb / 1024) * (workload.requestDurationMs.mean / 1000) * lambdaRates.gbSecondUsd
      + logUsd(workload.lambdaPlatformLogBytesPerInvocation + app) + lcuUsd(aws.alb.lcuProcessedGbPerHourLambda),
    fargateRequestUsd: logUsd(app) + lcuUsd(aws.alb.lcuProcessedGbPerHourTargets),
  };
}

function logIngestionUsdPerByte(settings: SimulationSettings): number {
  return settings.prices.cloudwatch.logsStandardIngestionGbUsd / BYTES_PER_BILLED_GB;
}

/** The plan for requests per minute from `firstMinute`, with the faults known in advance as capacity factors. */
export function planForRun(settings: SimulationSettings, requestsByMinute: ArrayLike<number>, firstMinute: number): OraclePlan {
  const startSeconds = plannedStartSeconds(settings);
  const factors = Array.from({ length: requestsByMinute.length },
    (_, i) => knownCapacityFactor(settings.faults, (firstMinute + i) * 60, startSeconds));
  return planOracle({
    requestsByMinute,
    taskRequestsPerSecond: settings.workload.taskRequestsPerSecond,
    capacityFactorByMinute: factors,
    taskStartSeconds: startSeconds,
    maxTasks: settings.scaling.controller.maxTasks,
    ...oracleUnitCosts(settings),
  });
}

/**
 * What a minute's tasks can serve, with the faults known: slow tasks serve their factor; a minute with injected errors,
 * failing or crashed tasks, or the start of new tasks after a redeploy of the service is one where Fargate must not
 * serve (0), since any request it fails there is one Lambda alone would have served.
 */
function knownCapacityFactor(faults: Faults, minuteStart: number, startSeconds: number): number {
  const minuteEnd = minuteStart + 60;
  const overlaps = (from: number, to: number) => from < minuteEnd && to > minuteStart;
  const unusable = faults.fargateErrorRate.some((w) => w.rate > 0 && overlaps(w.fromMinute * 60, w.toMinute * 60))
    || faults.unhealthyTasks.some((w) => overlaps(w.fromMinute * 60, w.toMinute * 60 + startSeconds))
    || faults.taskCrashes.some((c) => overlaps(c.atMinute * 60, c.atMinute * 60 + startSeconds))
    || faults.redeploys.some((r) => r.touches.includes('service') && overlaps(r.atMinute * 60, r.atMinute * 60 + startSeconds + 60));
  if (unusable) {
    return 0;
  }
  let factor = 1;
  for (let second = minuteStart; second < minuteEnd; second += 10) {
    factor = Math.min(factor, capacityFactorAt(faults, second));
  }
  return factor;
}

export class OracleDriver {
  private readonly leadSeconds: number;

  constructor(
    private readonly plan: OraclePlan,
    private readonly firstMinute: number,
    private readonly settings: SimulationSettings,
    private readonly listener: Listener,
    private readonly service: FargateService,
  ) {
    this.leadSeconds = Math.ceil(plannedStartSeconds(settings));
  }

  /** Before the second's requests: tasks for the minute starting `leadSeconds` from now, and the weights for `requests`. */
  tick(now: number, requests: number): void {
    // Tasks serve from the minute they were planned for, and run from `leadSeconds` before it until its end.
    let wanted = 0;
    for (let minute = Math.floor(now / 60); minute <= Math.floor((now + this.leadSeconds) / 60); minute++) {
      wanted = Math.max(wanted, this.tasksAt(minute * 60));
    }
    if (wanted !== this.service.desiredCount) {
      this.service.setDesiredCount(wanted, now);
    }
    const planned = this.shareAt(now);
    const healthy = this.service.counts(now).healthy;
    const capacity = healthy * this.settings.workload.taskRequestsPerSecond * capacityFactorAt(this.settings.faults, now);
    const share = requests > 0 ? Math.min(planned, capacity / requests) : planned;
    const fargate = healthy > 0 ? Math.max(0, Math.min(100, Math.floor(share * 100))) : 0;
    this.listener.fargateWeight = fargate;
    this.listener.lambdaWeight = 100 - fargate;
  }

  private tasksAt(second: number): number {
    const index = Math.floor(second / 60) - this.firstMinute;
    return this.plan.servingTasksByMinute[Math.min(this.plan.servingTasksByMinute.length - 1, Math.max(0, index))] ?? 0;
  }

  private shareAt(second: number): number {
    const index = Math.floor(second / 60) - this.firstMinute;
    return this.plan.fargateShareByMinute[index] ?? 0;
  }
}
