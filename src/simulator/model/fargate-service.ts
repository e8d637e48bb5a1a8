/**
 * The Fargate side: the ECS service and its tasks, the target group's health checks, the scalable target with its
 * target tracking policy, and the requests queued on the tasks.
 *
 * Task life: the desired count rises, the task starts (the workload's start time distribution), registers with the
 * target group and is checked every interval from a phase drawn at random; `healthyThresholdCount` passed checks make
 * it healthy, and only then does the load balancer send it requests. When the desired count falls, ECS stops tasks
 * not yet registered at once and deregisters the others, which drain for the deregistration delay before stopping.
 * Fargate bills each task from its launch to its stop, one minute at least.
 *
 * Faults (see ../faults.ts): a crashed task stops at once, but the load balancer keeps it as it was (healthy) until
 * `unhealthyThresholdCount` checks have failed, and the requests it sends there fail; ECS starts a replacement at once.
 * A task of an unhealthy-tasks window fails its checks and every request it gets; once the load balancer marks it
 * unhealthy, ECS deregisters it and starts a replacement, which is unhealthy too while the window lasts. Slow tasks
 * serve only a share of their capacity. An error rate makes that share of what Fargate serves answer 5xx.
 *
 * Routing: the load balancer spreads requests evenly over the healthy targets that are not draining; when there is
 * none it fails open to the unhealthy ones; with neither, it answers 503 (no target). Alive targets are one pool
 * serving their capacity each second; requests beyond it wait in the queue (their wait is the average backlog over
 * the second divided by the capacity), and a request that would wait longer than the queue timeout fails.
 */
import { MetricAlarm, MetricStore } from './cloudwatch';
import { capacityFactorAt, fargateErrorRateAt, Faults, inWindow, TaskSelection, UnhealthyTasks } from '../faults';
import { Random, sampleLogNormal } from '../random';
import { AwsTimings, WorkloadSettings } from '../settings';

interface Task {
  readonly id: number;
  readonly launchedAt: number;
  /** When the container answers requests and registers with the target group. */
  readonly readyAt: number;
  /** Second within the health check interval at which this target is checked. */
  readonly checkPhase: number;
  /** When the target passed its health checks; Infinity while it has not. */
  healthyAt: number;
  /** When the load balancer marked it unhealthy; Infinity while it has not. */
  unhealthyAt: number;
  /** When the container died; the load balancer does not know until its checks fail. */
  crashedAt?: number;
  /** Whether the task fails its checks and its requests (an unhealthy-tasks window). */
  failing: boolean;
  /** When ECS deregistered it (scale-in, replacement, redeploy); it drains until `stopsAt`. */
  deregisteredAt?: number;
  /** When the task stops running (and billing). */
  stopsAt?: number;
}

/** What happened to the requests the load balancer sent the Fargate group in one second. */
export interface FargateSecond {
  readonly served: number;
  /** Requests that would have waited longer than the queue timeout (the load balancer answers 504). */
  readonly overloaded: number;
  /** Requests sent while the group had no healthy or unhealthy registered target (the load balancer answers 503). */
  readonly noTarget: number;
  /** Requests sent to a crashed task (connection error, 502) or a failing one (5xx). */
  readonly deadTarget: number;
  /** Of `deadTarget`, those sent to a crashed task: TargetConnectionErrorCount. */
  readonly connectionErrors: number;
  /** Requests served with an injected 5xx. */
  readonly injectedErrors: number;
  /** Extra wait of this second's served requests, in ms. */
  readonly waitMs: number;
  /** Capacity of the alive targets taking new requests, requests per second. */
  readonly capacityRps: number;
}

export interface TaskCounts {
  readonly desired: number;
  /** Tasks whose container runs (ECS runningCount), draining ones included. */
  readonly running: number;
  /** Targets the load balancer reports healthy. */
  readonly healthy: number;
  /** Of those, the ones whose task still runs (what the controller counts: a crashed task stays healthy for a while). */
  readonly healthyRunning: number;
  /** Targets the load balancer reports unhealthy. */
  readonly unhealthy: number;
}

export interface TargetTrackingOptions {
  readonly requestsPerTaskPerMinute: number;
  readonly minCapacity: number;
  readonly maxCapacity: number;
}

/** Called when a task stops: ECS emits a task state change event. */
export type TaskStopListener = (second: number) => void;

export class FargateService {
  desiredCount = 0;
  minCapacity: number;
  readonly maxCapacity: number;
  /** Task definition revision; a redeploy of the service registers a new one (the controller compares their ARNs). */
  revision = 1;
  private tasks: Task[] = [];
  private nextId = 0;
  private backlog = 0;
  private errorCarry = 0;
  private billedTaskSeconds = 0;
  private lastScaleOutAt = -Infinity;
  private lastScaleInAt = -Infinity;
  private readonly highAlarm: MetricAlarm;
  private readonly lowAlarm: MetricAlarm;
  private readonly startedWindows = new Set<UnhealthyTasks>();
  private readonly onTaskStop: TaskStopListener[] = [];

  constructor(
    private readonly workload: WorkloadSettings,
    private readonly timings: AwsTimings,
    private readonly random: Random,
    private readonly tracking: TargetTrackingOptions,
    private readonly metrics: MetricStore,
    /** First second whose task time is billed (the end of the warm-up). */
    private readonly billedFrom: number,
    private readonly faults?: Faults,
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

  /** Subscribes to task stops (the TaskChanges rule). */
  onStop(listener: TaskStopListener): void {
    this.onTaskStop.push(listener);
  }

  /** A service that has been running for a while: `count` healthy tasks at `now`. */
  startSteady(count: number, now: number): void {
    this.desiredCount = count;
    for (let i = 0; i < count; i++) {
      this.tasks.push({ id: this.nextId++, launchedAt: now, readyAt: now, checkPhase: 0, healthyAt: now, unhealthyAt: Infinity, failing: false });
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

  /**
   * A stack update of the service: a new task definition and the template's desired count. The old tasks are
   * deregistered and drain; new ones start only when the desired count asks for them.
   */
  redeploy(templateDesiredCount: number, now: number): void {
    this.revision++;
    for (const task of this.inService()) {
      this.deregister(task, now);
    }
    this.setDesiredCount(templateDesiredCount, now);
  }

  counts(now: number): TaskCounts {
    let running = 0;
    let healthy = 0;
    let unhealthy = 0;
    let healthyRunning = 0;
    for (const task of this.tasks) {
      running += task.readyAt <= now && task.crashedAt === undefined ? 1 : 0;
      const state = targetState(task, now);
      healthy += state === 'healthy' ? 1 : 0;
      healthyRunning += state === 'healthy' && task.crashedAt === undefined ? 1 : 0;
      unhealthy += state === 'unhealthy' ? 1 : 0;
    }
    return { desired: this.desiredCount, running, healthy, healthyRunning, unhealthy };
  }

  /** Applies faults, replaces tasks ECS sees failing, stops drained tasks and bills the tasks that exist during `now`. */
  tick(now: number): void {
    this.applyFaults(now);
    this.replaceUnhealthy(now);
    const kept: Task[] = [];
    for (const task of this.tasks) {
      const gone = task.stopsAt !== undefined && task.stopsAt <= now;
      // A crashed target leaves the group once the load balancer has seen it fail.
      const forgotten = task.crashedAt !== undefined && task.unhealthyAt <= now;
      if (gone || forgotten) {
        if (task.crashedAt === undefined) {
          this.billStop(task, now);
          this.emitStop(now);
        }
      } else {
        kept.push(task);
      }
    }
    this.tasks = kept;
    if (now >= this.billedFrom) {
      this.billedTaskSeconds += this.tasks.filter((task) => task.crashedAt === undefined).length;
    }
  }

  serve(now: number, requests: number): FargateSecond {
    const receivers = this.receivers(now);
    const dead = receivers.filter((task) => task.crashedAt !== undefined || task.failing);
    const crashed = dead.filter((task) => task.crashedAt !== undefined).length;
    const factor = this.faults ? capacityFactorAt(this.faults, now) : 1;
    const perTask = this.workload.taskRequestsPerSecond * factor;
    const processing = this.tasks.filter((task) => task.healthyAt <= now && task.crashedAt === undefined && !task.failing
      && (task.stopsAt === undefined || task.stopsAt > now)).length;
    const capacity = processing * perTask;
    if (processing === 0) {
      // Tasks finish what they had queued within their stop timeout.
      this.backlog = 0;
    }
    if (receivers.length === 0) {
      return { ...NOTHING_SERVED, noTarget: requests, capacityRps: capacity };
    }
    const toDead = Math.round(requests * dead.length / receivers.length);
    const connectionErrors = dead.length > 0 ? Math.round(toDead * crashed / dead.length) : 0;
    const incoming = requests - toDead;
    const alive = receivers.length - dead.length;
    const before = this.backlog;
    let remaining = before + incoming - Math.min(before + incoming, capacity);
    const limit = alive * perTask * this.workload.queueTimeoutSeconds;
    const overloaded = Math.max(0, Math.min(incoming, remaining - limit));
    remaining -= overloaded;
    this.backlog = remaining;
    const waitMs = capacity > 0 ? (((before + remaining) / 2) / capacity) * 1000 : 0;
    const served = incoming - overloaded;
    const injectedErrors = this.injectErrors(now, served);
    return {
      served: served - injectedErrors,
      overloaded,
      noTarget: 0,
      deadTarget: toDead,
      connectionErrors,
      injectedErrors,
      waitMs,
      capacityRps: alive * perTask,
    };
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

  /** Targets taking new requests: the healthy ones, or (failing open) the unhealthy ones when none is healthy. */
  private receivers(now: number): Task[] {
    const registered = this.tasks.filter((task) => task.readyAt <= now && task.deregisteredAt === undefined);
    const healthy = registered.filter((task) => targetState(task, now) === 'healthy');
    return healthy.length > 0 ? healthy : registered.filter((task) => targetState(task, now) === 'unhealthy');
  }

  private injectErrors(now: number, served: number): number {
    const rate = this.faults ? fargateErrorRateAt(this.faults, now) : 0;
    if (rate <= 0 || served <= 0) {
      return 0;
    }
    // Carry the fraction so that the errors over a window are the rate times the requests, without randomness.
    this.errorCarry += served * rate;
    const errors = Math.min(served, Math.floor(this.errorCarry));
    this.errorCarry -= errors;
    return errors;
  }

  private applyFaults(now: number): void {
    if (!this.faults) {
      return;
    }
    for (const crash of this.faults.taskCrashes) {
      if (crash.atMinute * 60 === now) {
        this.crash(crash.tasks, now);
      }
    }
    for (const window of this.faults.unhealthyTasks) {
      if (inWindow(window, now) && !this.startedWindows.has(window)) {
        this.startedWindows.add(window);
        for (const task of select(this.inService().filter((t) => t.crashedAt === undefined), window.tasks)) {
          this.startFailing(task, now);
        }
      }
      if (window.toMinute * 60 === now) {
        this.recover(now);
      }
    }
  }

  private crash(selection: TaskSelection, now: number): void {
    const victims = select(this.inService().filter((task) => task.readyAt <= now && task.crashedAt === undefined), selection);
    for (const task of victims) {
      task.crashedAt = now;
      task.unhealthyAt = Math.min(task.unhealthyAt, this.failedChecksAt(task, now));
      this.billStop(task, now);
      this.emitStop(now);
    }
    if (victims.length > 0) {
      this.reconcile(now);
    }
  }

  private startFailing(task: Task, now: number): void {
    task.failing = true;
    if (task.healthyAt > now) {
      task.healthyAt = Infinity;
    }
    task.unhealthyAt = Math.min(task.unhealthyAt, this.failedChecksAt(task, Math.max(now, task.readyAt)));
  }

  /** The end of an unhealthy-tasks window: the tasks pass their checks again. */
  private recover(now: number): void {
    if (this.faults!.unhealthyTasks.some((window) => inWindow(window, now))) {
      return;
    }
    for (const task of this.tasks) {
      if (task.failing && task.crashedAt === undefined) {
        task.failing = false;
        task.unhealthyAt = Infinity;
        task.healthyAt = Math.min(task.healthyAt, this.passedChecksAt(task, Math.max(now, task.readyAt)));
      }
    }
  }

  /** ECS replaces a task of the service that the load balancer reports unhealthy. */
  private replaceUnhealthy(now: number): void {
    let replaced = 0;
    for (const task of this.inService()) {
      if (task.crashedAt === undefined && task.unhealthyAt <= now) {
        this.deregister(task, now);
        replaced++;
      }
    }
    if (replaced > 0) {
      this.reconcile(now);
    }
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

  /** Tasks ECS counts towards the desired count: not deregistered, not crashed. */
  private inService(): Task[] {
    return this.tasks.filter((task) => task.deregisteredAt === undefined && task.crashedAt === undefined);
  }

  /** ECS service scheduler: launch or stop tasks until the tasks in service match the desired count. */
  private reconcile(now: number): void {
    const inService = this.inService();
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
      this.deregister(task, now);
    }
  }

  private deregister(task: Task, now: number): void {
    if (task.readyAt > now) {
      this.billStop(task, now);
      this.tasks = this.tasks.filter((t) => t !== task);
      this.emitStop(now);
      return;
    }
    task.deregisteredAt = now;
    task.stopsAt = now + this.timings.alb.deregistrationDelaySeconds;
    // ECS reports the task DEACTIVATING as it deregisters it: the TaskChanges rule matches that state too.
    this.emitStop(now);
  }

  private launch(now: number): Task {
    const readyAt = now + Math.max(1, Math.round(sampleLogNormal(this.random, this.workload.fargateTaskStartSeconds)));
    const alb = this.timings.alb;
    const checkPhase = Math.floor(this.random() * alb.healthCheckIntervalSeconds);
    const task: Task = { id: this.nextId++, launchedAt: now, readyAt, checkPhase, healthyAt: Infinity, unhealthyAt: Infinity, failing: false };
    if (this.failingAt(now)) {
      this.startFailing(task, now);
    } else {
      task.healthyAt = this.passedChecksAt(task, readyAt);
    }
    return task;
  }

  /** Whether a task launched at `now` fails its checks: an unhealthy-tasks window of all tasks, or a replacement in one. */
  private failingAt(now: number): boolean {
    if (!this.faults) {
      return false;
    }
    return this.faults.unhealthyTasks.some((window) => inWindow(window, now)
      && (window.tasks === 'all' || this.tasks.some((task) => task.failing && task.deregisteredAt !== undefined)));
  }

  /** The first check at or after `from` (the target's checks come every interval at its phase). */
  private nextCheck(task: Task, from: number): number {
    const interval = this.timings.alb.healthCheckIntervalSeconds;
    const offset = ((task.checkPhase - from) % interval + interval) % interval;
    return from + (offset === 0 ? interval : offset);
  }

  private passedChecksAt(task: Task, from: number): number {
    return this.nextCheck(task, from) + (this.timings.alb.healthyThresholdCount - 1) * this.timings.alb.healthCheckIntervalSeconds;
  }

  private failedChecksAt(task: Task, from: number): number {
    return this.nextCheck(task, from) + (this.timings.alb.unhealthyThresholdCount - 1) * this.timings.alb.healthCheckIntervalSeconds;
  }

  private emitStop(now: number): void {
    for (const listener of this.onTaskStop) {
      listener(now);
    }
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

const NOTHING_SERVED: FargateSecond = {
  served: 0, overloaded: 0, noTarget: 0, deadTarget: 0, connectionErrors: 0, injectedErrors: 0, waitMs: 0, capacityRps: 0,
};

type TargetState = 'unregistered' | 'initial' | 'healthy' | 'unhealthy' | 'draining';

/** The state DescribeTargetHealth reports for the task's target at `now`. */
function targetState(task: Task, now: number): TargetState {
  if (task.readyAt > now) {
    return 'unregistered';
  }
  if (task.deregisteredAt !== undefined) {
    return 'draining';
  }
  if (task.unhealthyAt <= now) {
    return 'unhealthy';
  }
  return task.healthyAt <= now ? 'healthy' : 'initial';
}

function select<T>(tasks: T[], selection: TaskSelection): T[] {
  return selection === 'all' ? tasks : tasks.slice(0, selection);
}
