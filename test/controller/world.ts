/**
 * A small model of what the controller acts on: listener weights, the ECS service with tasks that take time to
 * start (and may crash, or fail their checks), the scalable target's minimum, the alarms, the marks, and the one-minute
 * load balancer metrics CloudWatch publishes late. Tests drive it with events and decisions.
 * Tests only; nothing here talks to AWS.
 */
import { applyAction, applyActions, ControlledState } from '../../src/controller/apply-action';
import { needsTraffic } from '../../src/controller/decision';
import { ApplyResult } from '../../src/controller/invocation';
import { Action, AlarmState, Marks, ModeOverride, ObservedState, SideMetrics, TrafficMetrics } from '../../src/controller/types';

export type AlarmName = 'scaleOutAlarm' | 'scaleInAlarm' | 'fargateErrorAlarm' | 'overloadAlarm';

export interface WorldOptions {
  readonly nowMs?: number;
  /** Seconds from a task being added to it passing health checks. */
  readonly taskStartSeconds?: number;
  /** Largest count ECS autoscaling may choose (the scalable target's maximum). */
  readonly maxCapacity?: number;
  /** Whether raising the scalable target's minimum also raises the desired count at once. */
  readonly scalesOutToMin?: boolean;
  /** Requests per minute a healthy task carries before it slows down (may be less than the controller counts on). */
  readonly realTaskCapacity?: number;
  /** Seconds after a minute ends before CloudWatch publishes its datapoint. */
  readonly publishLagSeconds?: number;
  /** Seconds a stopped task still counts as healthy for the load balancer, until its checks fail. */
  readonly deadTargetSeconds?: number;
}

export interface RedeployResets {
  readonly weights?: boolean;
  readonly desiredCount?: boolean;
  readonly minCapacity?: boolean;
  readonly marks?: boolean;
}

/** What one minute of traffic left in the load balancer's metrics. */
interface Minute {
  requests: number;
  fargateRequests: number;
  fargateErrors: number;
  fargateLatencyMsTotal: number;
  lambdaRequests: number;
  lambdaErrors: number;
  lambdaLatencyMsTotal: number;
}

const MINUTE_MS = 60_000;
/** What the adapter reads: the last five whole minutes, the newest three with requests, the sides over the newest two. */
const WINDOW_MINUTES = 5;
const MINUTES_KEPT = 3;
const MINUTES_SUMMED = 2;
/** Response times: Lambda's, a task within its capacity, an overloaded task. */
const LAMBDA_RESPONSE_MS = 100;
const TASK_RESPONSE_MS = 30;
const OVERLOADED_TASK_RESPONSE_MS = 2000;

export class World {
  nowMs: number;
  override: ModeOverride = 'auto';
  lambdaWeight = 100;
  fargateWeight = 0;
  desiredCount = 0;
  minCapacity = 0;
  /** When each running task passes (passed) its health checks, epoch ms. */
  tasks: number[] = [];
  /** Tasks past their start that fail health checks anyway (running but not healthy). */
  unhealthyTasks = 0;
  /** Until when each stopped task still counts as healthy for the load balancer, epoch ms. */
  deadTargetsUntil: number[] = [];
  /** Requests per minute arriving now. */
  requestsPerMinute = 0;
  /** Share of the requests each side serves that fail (a fault of that side). */
  fargateErrorRate = 0;
  lambdaErrorRate = 0;
  /** The service's task definition revision; a deploy makes a new one. */
  revision = 1;
  alarms: Record<AlarmName, AlarmState> = { scaleOutAlarm: 'OK', scaleInAlarm: 'OK', fargateErrorAlarm: 'OK', overloadAlarm: 'OK' };
  marks: Marks = {};
  reconcileEnabled = false;
  /** Kinds of action whose calls fail (a rejected RegisterScalableTarget, an AccessDenied) until cleared. */
  failing = new Set<Action['kind']>();
  /** Ground truth the controller cannot see: when a setWeights it sent last changed the listener. */
  lastControllerWeightChangeMs: number | undefined;
  readonly taskStartSeconds: number;
  readonly maxCapacity: number;
  readonly scalesOutToMin: boolean;
  readonly realTaskCapacity: number;
  readonly publishLagSeconds: number;
  readonly deadTargetSeconds: number;
  /** Metrics by the start of their minute, epoch ms. */
  private readonly minutes = new Map<number, Minute>();

  constructor(options: WorldOptions = {}) {
    this.nowMs = options.nowMs ?? 1_700_000_000_000;
    this.taskStartSeconds = options.taskStartSeconds ?? 60;
    this.maxCapacity = options.maxCapacity ?? 10;
    this.scalesOutToMin = options.scalesOutToMin ?? false;
    this.realTaskCapacity = options.realTaskCapacity ?? Number.POSITIVE_INFINITY;
    this.publishLagSeconds = options.publishLagSeconds ?? 120;
    this.deadTargetSeconds = options.deadTargetSeconds ?? 10;
  }

  /** Running tasks that pass their checks. */
  get healthyTargets(): number {
    return Math.max(0, this.startedTasks() - this.unhealthyTasks);
  }

  /** Stopped tasks the load balancer still sends requests to. */
  get deadTargets(): number {
    return this.deadTargetsUntil.filter((untilMs) => untilMs > this.nowMs).length;
  }

  get taskDefinition(): string {
    return `arn:aws:ecs:eu-west-1:111111111111:task-definition/web:${this.revision}`;
  }

  /** What the adapter reads: the resources, then the metrics when the controller needs them. */
  observe(): ObservedState {
    const basic: ObservedState = {
      nowMs: this.nowMs,
      override: this.override,
      lambdaWeight: this.lambdaWeight,
      fargateWeight: this.fargateWeight,
      desiredCount: this.desiredCount,
      runningCount: this.tasks.length,
      minCapacity: this.minCapacity,
      healthyTargets: this.healthyTargets,
      unhealthyTargets: Math.min(this.unhealthyTasks, this.startedTasks()),
      deadTargets: this.deadTargets,
      ...this.alarms,
      requestsPerMinute: 0,
      taskDefinition: this.taskDefinition,
      marks: { ...this.marks },
    };
    if (!needsTraffic(basic)) {
      return basic;
    }
    const traffic = this.traffic();
    return { ...basic, requestsPerMinute: traffic.requestsPerMinute[0] ?? 0, traffic };
  }

  /** Applies actions in order and stops at the first that fails, as the adapter does. */
  apply(actions: readonly Action[]): ApplyResult {
    const applied: Action[] = [];
    for (const action of actions) {
      if (this.failing.has(action.kind)) {
        return { applied, failed: { action, error: `${action.kind} failed` } };
      }
      this.applyOne(action);
      applied.push(action);
    }
    return { applied };
  }

  /** Time passes: requests arrive and are served by the sides as the listener weights them. */
  advance(seconds: number): void {
    const endMs = this.nowMs + Math.round(seconds * 1000);
    while (this.nowMs < endMs) {
      const sliceEndMs = Math.min(endMs, (Math.floor(this.nowMs / MINUTE_MS) + 1) * MINUTE_MS);
      this.serve((sliceEndMs - this.nowMs) / MINUTE_MS);
      this.nowMs = sliceEndMs;
    }
    this.deadTargetsUntil = this.deadTargetsUntil.filter((untilMs) => untilMs > this.nowMs);
    for (const startMs of this.minutes.keys()) {
      if (startMs < this.nowMs - 2 * WINDOW_MINUTES * MINUTE_MS) {
        this.minutes.delete(startMs);
      }
    }
  }

  /** Target tracking: with traffic it picks any count in its range; with none it settles on the minimum. */
  autoscale(fraction: number): void {
    if (this.fargateWeight > 0) {
      const low = Math.max(1, this.minCapacity);
      this.setDesired(Math.max(low, Math.min(this.maxCapacity, low + Math.round(fraction * (this.maxCapacity - low)))));
    } else {
      this.setDesired(this.minCapacity);
    }
  }

  /** Up to `count` healthy tasks stop; the load balancer counts them healthy a little longer, and ECS replaces them. */
  crash(count: number): void {
    const started = this.tasks.filter((readyAtMs) => readyAtMs <= this.nowMs).length;
    const crashed = Math.min(count, started);
    for (let i = 0; i < crashed; i++) {
      const index = this.tasks.findIndex((readyAtMs) => readyAtMs <= this.nowMs);
      this.tasks.splice(index, 1);
      this.deadTargetsUntil.push(this.nowMs + this.deadTargetSeconds * 1000);
      this.tasks.push(this.nowMs + this.taskStartSeconds * 1000);
    }
  }

  /** A new task definition: its tasks replace the running ones, each healthy taskStartSeconds later. */
  deploy(fargateErrorRate: number): void {
    this.revision++;
    this.fargateErrorRate = fargateErrorRate;
    this.tasks = this.tasks.map(() => this.nowMs + this.taskStartSeconds * 1000);
  }

  /** CloudFormation puts back what the template says: Lambda only, no tasks, no minimum, no tags. */
  redeploy(resets: RedeployResets): void {
    if (resets.weights) {
      this.lambdaWeight = 100;
      this.fargateWeight = 0;
    }
    if (resets.minCapacity) {
      this.minCapacity = 0;
    }
    if (resets.desiredCount) {
      this.setDesired(0);
    }
    if (resets.marks) {
      this.marks = {};
    }
  }

  /**
   * The metrics as the adapter reads them: minutes published by now within the last five whole minutes, only those
   * with requests (ALB publishes nothing for an idle minute), newest first; the sides summed over the newest two.
   */
  traffic(): TrafficMetrics {
    const endMs = Math.floor(this.nowMs / MINUTE_MS) * MINUTE_MS;
    const published = [...this.minutes.entries()]
      .filter(([startMs, minute]) => startMs >= endMs - WINDOW_MINUTES * MINUTE_MS && startMs < endMs
        && startMs + MINUTE_MS + this.publishLagSeconds * 1000 <= this.nowMs && Math.round(minute.requests) > 0)
      .sort(([a], [b]) => b - a)
      .slice(0, MINUTES_KEPT);
    const summed = published.slice(0, MINUTES_SUMMED).map(([, minute]) => minute);
    const side = (requests: (m: Minute) => number, errors: (m: Minute) => number, latency: (m: Minute) => number): SideMetrics => {
      const total = summed.reduce((sum, m) => sum + Math.round(requests(m)), 0);
      const latencyTotal = summed.reduce((sum, m) => sum + latency(m), 0);
      return {
        requests: total,
        errors: summed.reduce((sum, m) => sum + Math.round(errors(m)), 0),
        ...(total > 0 ? { responseTimeMs: latencyTotal / summed.reduce((sum, m) => sum + requests(m), 0) } : {}),
      };
    };
    return {
      requestsPerMinute: published.map(([, minute]) => Math.round(minute.requests)),
      ...(published.length > 0
        ? { latestMinuteStartMs: published[0][0], windowStartMs: published[Math.min(MINUTES_SUMMED, published.length) - 1][0] }
        : {}),
      fargate: side((m) => m.fargateRequests, (m) => m.fargateErrors, (m) => m.fargateLatencyMsTotal),
      lambda: side((m) => m.lambdaRequests, (m) => m.lambdaErrors, (m) => m.lambdaLatencyMsTotal),
    };
  }

  /** Requests of `minutes` of the current minute, split by the weights; a side's faults, dead and overloaded tasks. */
  private serve(minutes: number): void {
    const startMs = Math.floor(this.nowMs / MINUTE_MS) * MINUTE_MS;
    const minute = this.minutes.get(startMs) ?? {
      requests: 0, fargateRequests: 0, fargateErrors: 0, fargateLatencyMsTotal: 0, lambdaRequests: 0, lambdaErrors: 0, lambdaLatencyMsTotal: 0,
    };
    this.minutes.set(startMs, minute);
    const requests = this.requestsPerMinute * minutes;
    const total = Math.max(0, this.lambdaWeight) + Math.max(0, this.fargateWeight);
    const fargateShare = total > 0 ? Math.max(0, this.fargateWeight) / total : 0;
    const healthy = this.healthyTargets;
    const dead = this.deadTargets;
    // With no target to send to, the load balancer answers 503 itself: nothing reaches the target group's metrics.
    const fargateRequests = healthy + dead > 0 ? requests * fargateShare : 0;
    const lambdaRequests = requests * (1 - fargateShare);
    const perTaskPerMinute = healthy > 0 ? (fargateRequests / minutes) * (healthy / (healthy + dead)) / healthy : 0;
    minute.requests += requests;
    minute.fargateRequests += fargateRequests;
    minute.fargateErrors += fargateRequests * (dead / Math.max(1, healthy + dead))
      + fargateRequests * (healthy / Math.max(1, healthy + dead)) * this.fargateErrorRate;
    minute.fargateLatencyMsTotal += fargateRequests * (perTaskPerMinute > this.realTaskCapacity ? OVERLOADED_TASK_RESPONSE_MS : TASK_RESPONSE_MS);
    minute.lambdaRequests += lambdaRequests;
    minute.lambdaErrors += lambdaRequests * this.lambdaErrorRate;
    minute.lambdaLatencyMsTotal += lambdaRequests * LAMBDA_RESPONSE_MS;
  }

  private applyOne(action: Action): void {
    const before = this.controlled();
    const after = applyAction(before, action);
    if (after.lambdaWeight !== before.lambdaWeight || after.fargateWeight !== before.fargateWeight) {
      this.lastControllerWeightChangeMs = this.nowMs;
    }
    this.lambdaWeight = after.lambdaWeight;
    this.fargateWeight = after.fargateWeight;
    this.minCapacity = after.minCapacity;
    this.marks = after.marks;
    this.reconcileEnabled = after.reconcileEnabled;
    // ECS starts or stops tasks for a new desired count; Application Auto Scaling raises the count to a new minimum.
    const raisedToMin = action.kind === 'setMinCapacity' && this.scalesOutToMin && this.desiredCount < action.min;
    if (after.desiredCount !== before.desiredCount || raisedToMin) {
      this.setDesired(Math.max(after.desiredCount, raisedToMin ? after.minCapacity : 0));
    }
  }

  private controlled(): ControlledState {
    const { lambdaWeight, fargateWeight, desiredCount, minCapacity, marks, reconcileEnabled } = this;
    return { lambdaWeight, fargateWeight, desiredCount, minCapacity, marks, reconcileEnabled };
  }

  /** New tasks pass health checks taskStartSeconds later; surplus tasks stop at once, newest first. */
  private setDesired(count: number): void {
    this.desiredCount = count;
    while (this.tasks.length < count) {
      this.tasks.push(this.nowMs + this.taskStartSeconds * 1000);
    }
    this.tasks = this.tasks.slice(0, count);
  }

  private startedTasks(): number {
    return this.tasks.filter((readyAtMs) => readyAtMs <= this.nowMs).length;
  }
}

/** What the observation would read after all of the actions took effect, with health and clock unchanged. */
export function afterActions(observed: ObservedState, actions: readonly Action[]): ObservedState {
  const { lambdaWeight, fargateWeight, desiredCount, minCapacity, marks } = applyActions({ ...observed, reconcileEnabled: false }, actions);
  return { ...observed, lambdaWeight, fargateWeight, desiredCount, minCapacity, marks };
}

/** The actions that change AWS resources or marks, leaving out the idempotent reconcile switch. */
export function stateActions(actions: readonly Action[]): Action[] {
  return actions.filter((action) => action.kind !== 'enableReconcile' && action.kind !== 'disableReconcile');
}
