/**
 * A small model of what the controller acts on: listener weights, the ECS service with tasks that take time to
 * start, the scalable target's minimum, the alarms and the marks. Tests drive it with events and decisions.
 * Tests only; nothing here talks to AWS.
 */
import { applyAction, applyActions, ControlledState } from '../../src/controller/apply-action';
import { Action, AlarmState, Marks, ModeOverride, ObservedState } from '../../src/controller/types';

export type AlarmName = 'scaleOutAlarm' | 'scaleInAlarm' | 'fargateErrorAlarm' | 'overloadAlarm';

export interface WorldOptions {
  readonly nowMs?: number;
  /** Seconds from a task being added to it passing health checks. */
  readonly taskStartSeconds?: number;
  /** Largest count ECS autoscaling may choose (the scalable target's maximum). */
  readonly maxCapacity?: number;
  /** Whether raising the scalable target's minimum also raises the desired count at once. */
  readonly scalesOutToMin?: boolean;
}

export interface RedeployResets {
  readonly weights?: boolean;
  readonly desiredCount?: boolean;
  readonly minCapacity?: boolean;
  readonly marks?: boolean;
}

export class World {
  nowMs: number;
  override: ModeOverride = 'auto';
  lambdaWeight = 100;
  fargateWeight = 0;
  desiredCount = 0;
  minCapacity = 0;
  /** When each running task passes (passed) its health checks, epoch ms. */
  tasks: number[] = [];
  /** Tasks past their start that fail health checks anyway. */
  unhealthyTasks = 0;
  requestsPerMinute = 0;
  alarms: Record<AlarmName, AlarmState> = { scaleOutAlarm: 'OK', scaleInAlarm: 'OK', fargateErrorAlarm: 'OK', overloadAlarm: 'OK' };
  marks: Marks = {};
  reconcileEnabled = false;
  /** Ground truth the controller cannot see: when a setWeights it sent last changed the listener. */
  lastControllerWeightChangeMs: number | undefined;
  readonly taskStartSeconds: number;
  readonly maxCapacity: number;
  readonly scalesOutToMin: boolean;

  constructor(options: WorldOptions = {}) {
    this.nowMs = options.nowMs ?? 1_700_000_000_000;
    this.taskStartSeconds = options.taskStartSeconds ?? 60;
    this.maxCapacity = options.maxCapacity ?? 10;
    this.scalesOutToMin = options.scalesOutToMin ?? false;
  }

  get healthyTargets(): number {
    return Math.max(0, this.startedTasks() - this.unhealthyTasks);
  }

  observe(): ObservedState {
    return {
      nowMs: this.nowMs,
      override: this.override,
      lambdaWeight: this.lambdaWeight,
      fargateWeight: this.fargateWeight,
      desiredCount: this.desiredCount,
      runningCount: this.tasks.length,
      minCapacity: this.minCapacity,
      healthyTargets: this.healthyTargets,
      unhealthyTargets: Math.min(this.unhealthyTasks, this.startedTasks()),
      ...this.alarms,
      requestsPerMinute: this.requestsPerMinute,
      marks: { ...this.marks },
    };
  }

  apply(actions: readonly Action[]): void {
    for (const action of actions) {
      this.applyOne(action);
    }
  }

  advance(seconds: number): void {
    this.nowMs += Math.round(seconds * 1000);
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
