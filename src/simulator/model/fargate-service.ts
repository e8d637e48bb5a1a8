/**
 * The Fargate side: the ECS service and its tasks, the target group's health checks, the scalable target with its
 * target tracking policy, and the requests queued on the tasks.
 *
 * Task life: the desired count rises, the task starts (the workload's start time distribution), registers with the
 * target group and is checked every interval until it has passed the healthy threshold; only then does the load
 * balancer send it requests. When the desired count falls, ECS stops tasks not yet registered at once and
 * deregisters the others, which drain for the deregistration delay before stopping. Fargate bills each task from
 * its launch to its stop, one minute at least.
 *
 * Requests: the load balancer spreads them evenly over healthy targets, so the healthy tasks are modelled as one
 * pool serving `taskRequestsPerSecond` each. Requests beyond that wait in the queue (their wait is the average
 * backlog over the second divided by the capacity); a request that would wait longer than the queue timeout fails.
 * Requests sent to the target group while it has no healthy target fail too (the load balancer answers 503).
 * Draining tasks finish what they have queued before they stop.
 */
import { MetricAlarm, MetricStore } from './cloudwatch';
import { Random, sampleLogNormal } from '../random';
import { AwsTimings, WorkloadSettings } from '../settings';

interface Task {
  readonly launchedAt: number;
  /** When the container answers requests and registers with the target group. */
  readonly readyAt: number;
  /** When the target passes its health checks. */
  readonly healthyAt: number;
  /** When a draining task stops; undefined while it is in service. */
  stopsAt?: number;
}

export interface FargateSecond {
  readonly served: number;
  /** Requests that would have waited longer than the queue timeout. */
  readonly timedOut: number;
  /** Requests the load balancer sent to the target group while it had no healthy target. */
  readonly unhealthyRouted: number;
  /** Extra wait of this second's served requests, in ms. */
  readonly waitMs: number;
}

export interface TaskCounts {
  readonly desired: number;
  /** Tasks whose container runs (ECS runningCount), draining ones included. */
  readonly running: number;
  /** Targets taking new requests. */
  readonly healthy: number;
}

export interface TargetTrackingOptions {
  readonly requestsPerTaskPerMinute: number;
  readonly minCapacity: number;
  readonly maxCapacity: number;
}

export class FargateService {
  desiredCount = 0;
  minCapacity: number;
  readonly maxCapacity: number;
  private tasks: Task[] = [];
  private backlog = 0;
  private billedTaskSeconds = 0;
  private lastScaleOutAt = -Infinity;
  private lastScaleInAt = -Infinity;
  private readonly highAlarm: MetricAlarm;
  private readonly lowAlarm: MetricAlarm;

  constructor(
    private readonly workload: WorkloadSettings,
    private readonly timings: AwsTimings,
    private readonly random: Random,
    private readonly tracking: TargetTrackingOptions,
    private readonly metrics: MetricStore,
    /** First second whose task time is billed (the end of the warm-up). */
    private readonly billedFrom: number,
  ) {
    this.minCapacity = tracking.minCapacity;
    this.maxCapacity = tracking.maxCapacity;
    const perTarget = (minute: number) => metrics.fargateRequestCountPerTarget(minute);
    const policy = timings.ecsTargetTracking;
    this.highAlarm = new MetricAlarm({
      name: 'TargetTracking-AlarmHigh',
      metric: perTarget,
      comparison: '>',
      threshold: tracking.requestsPerTaskPerMinute,
      evaluationPeriods: policy.highDatapoints,
      datapointsToAlarm: policy.highDatapoints,
      missingData: 'missing',
    }, metrics);
    this.lowAlarm = new MetricAlarm({
      name: 'TargetTracking-AlarmLow',
      metric: perTarget,
      comparison: '<',
      threshold: tracking.requestsPerTaskPerMinute * policy.scaleInRatio,
      evaluationPeriods: policy.lowDatapoints,
      datapointsToAlarm: policy.lowDatapoints,
      missingData: 'missing',
    }, metrics);
  }

  /** A service that has been running for a while: `count` healthy tasks at `now`. */
  startSteady(count: number, now: number): void {
    this.desiredCount = count;
    for (let i = 0; i < count; i++) {
      this.tasks.push({ launchedAt: now, readyAt: now, healthyAt: now });
    }
  }

  /** ECS UpdateService desiredCount. */
  setDesiredCount(count: number, now: number): void {
    this.desiredCount = count;
    this.reconcile(now);
  }

  /** RegisterScalableTarget MinCapacity: Application Auto Scaling raises the capacity to a new minimum at once. */
  setMinCapacity(min: number, now: number): void {
    this.minCapacity = min;
    if (this.desiredCount < min) {
      this.setDesiredCount(min, now);
    }
  }

  counts(now: number): TaskCounts {
    let running = 0;
    let healthy = 0;
    for (const task of this.tasks) {
      running += task.readyAt <= now ? 1 : 0;
      healthy += task.healthyAt <= now && task.stopsAt === undefined ? 1 : 0;
    }
    return { desired: this.desiredCount, running, healthy };
  }

  /** Stops drained tasks and bills the tasks that exist during `now`. Call once per second before `serve`. */
  tick(now: number): void {
    const kept: Task[] = [];
    for (const task of this.tasks) {
      if (task.stopsAt !== undefined && task.stopsAt <= now) {
        this.billStop(task, now);
      } else {
        kept.push(task);
      }
    }
    this.tasks = kept;
    if (now >= this.billedFrom) {
      this.billedTaskSeconds += this.tasks.length;
    }
  }

  serve(now: number, requests: number): FargateSecond {
    let receiving = 0;
    let processing = 0;
    for (const task of this.tasks) {
      if (task.healthyAt <= now) {
        processing++;
        receiving += task.stopsAt === undefined ? 1 : 0;
      }
    }
    const perTask = this.workload.taskRequestsPerSecond;
    const capacity = processing * perTask;
    if (processing === 0) {
      // Tasks finish what they had queued within their stop timeout.
      this.backlog = 0;
    }
    const unhealthyRouted = receiving === 0 ? requests : 0;
    const incoming = requests - unhealthyRouted;
    const before = this.backlog;
    let remaining = before + incoming - Math.min(before + incoming, capacity);
    const limit = receiving * perTask * this.workload.queueTimeoutSeconds;
    const timedOut = Math.max(0, Math.min(incoming, remaining - limit));
    remaining -= timedOut;
    this.backlog = remaining;
    const waitMs = capacity > 0 ? (((before + remaining) / 2) / capacity) * 1000 : 0;
    return { served: incoming - timedOut, timedOut, unhealthyRouted, waitMs };
  }

  /** Application Auto Scaling's target tracking, run when CloudWatch evaluates the policy's alarms (once a minute). */
  evaluateTargetTracking(now: number): void {
    this.highAlarm.evaluate(now);
    this.lowAlarm.evaluate(now);
    const policy = this.timings.ecsTargetTracking;
    const current = this.desiredCount;
    if (this.highAlarm.state === 'ALARM' && now - this.lastScaleOutAt >= policy.scaleOutCooldownSeconds && current > 0) {
      const wanted = this.capacityFor(this.highAlarm.latestMinute);
      if (wanted > current) {
        this.lastScaleOutAt = now;
        this.setDesiredCount(wanted, now);
      }
    } else if (this.lowAlarm.state === 'ALARM' && now - this.lastScaleInAt >= policy.scaleInCooldownSeconds) {
      const wanted = this.capacityFor(this.lowAlarm.latestMinute);
      if (wanted < current) {
        this.lastScaleInAt = now;
        this.setDesiredCount(wanted, now);
      }
    }
  }

  /** Task-seconds billed since `billedFrom`, one minute at least per task. */
  taskSeconds(): number {
    return this.billedTaskSeconds;
  }

  /**
   * Capacity that brings the per-target metric of `minute` to the target, within the scalable target's bounds: the
   * metric times the targets it was measured on, over the target. Sizing on the targets of the datapoint's minute
   * (not on tasks added since) keeps a lagging alarm from adding the same capacity twice.
   */
  private capacityFor(minute: number | undefined): number {
    const requests = minute === undefined ? 0 : this.metrics.fargateRequestCount(minute) ?? 0;
    return Math.min(this.maxCapacity, Math.max(this.minCapacity, Math.ceil(requests / this.tracking.requestsPerTaskPerMinute)));
  }

  /** ECS service scheduler: launch or stop tasks until the tasks in service match the desired count. */
  private reconcile(now: number): void {
    const inService = this.tasks.filter((task) => task.stopsAt === undefined);
    for (let i = inService.length; i < this.desiredCount; i++) {
      this.tasks.push(this.launch(now));
    }
    const excess = inService.length - this.desiredCount;
    if (excess <= 0) {
      return;
    }
    // Tasks that are not serving yet go first, the newest of them first.
    const serving = (task: Task) => Number(task.healthyAt <= now);
    const victims = [...inService].sort((a, b) => serving(a) - serving(b) || b.launchedAt - a.launchedAt).slice(0, excess);
    for (const task of victims) {
      if (task.readyAt > now) {
        this.billStop(task, now);
        this.tasks = this.tasks.filter((t) => t !== task);
      } else {
        task.stopsAt = now + this.timings.alb.deregistrationDelaySeconds;
      }
    }
  }

  private launch(now: number): Task {
    const readyAt = now + Math.max(1, Math.round(sampleLogNormal(this.random, this.workload.fargateTaskStartSeconds)));
    const alb = this.timings.alb;
    const firstCheck = Math.ceil(this.random() * alb.healthCheckIntervalSeconds);
    return { launchedAt: now, readyAt, healthyAt: readyAt + firstCheck + (alb.healthyThresholdCount - 1) * alb.healthCheckIntervalSeconds };
  }

  /** Fargate's one-minute minimum: a task stopped sooner is billed for the rest of its first minute. */
  private billStop(task: Task, now: number): void {
    const lifetime = now - task.launchedAt;
    if (lifetime < 60) {
      const from = Math.max(now, this.billedFrom);
      const to = task.launchedAt + 60;
      this.billedTaskSeconds += Math.max(0, to - from);
    }
  }
}
