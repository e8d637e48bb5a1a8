/**
 * The traffic controller as AWS runs it, around the real decision module: alarms and the construct's CloudWatch
 * resources, the EventBridge rules that invoke the function (alarm state changes, the one-minute reconcile schedule
 * while enabled, mode changes), and each invocation's loop of observe -> decide -> apply -> wait pollInterval, as
 * in runController (src/controller/runtime/controller.lambda.ts). Nothing here decides anything: `decide` and
 * `keepsPolling` are imported from src/controller/decision.ts, the module the Lambda handler imports.
 *
 * EventBridge invokes the function asynchronously. With the construct's reserved concurrency of 1
 * (serializeController), an event that arrives while an invocation runs is throttled and retried by Lambda's
 * asynchronous queue, 1 s after the first attempt and then at doubling intervals up to 5 minutes.
 */
import { AlarmSpec, MetricAlarm, MetricStore } from './cloudwatch';
import { FargateService } from './fargate-service';
import { decide, keepsPolling } from '../../controller/decision';
import { Action, AlarmState, Marks, mergeMarks, ObservedState } from '../../controller/types';
import { ScalingSettings, SimulationSettings } from '../settings';

/** Epoch milliseconds of second 0 of a run; only differences matter to the controller. */
const EPOCH_MS = Date.UTC(2026, 0, 1);

/** The listener's weighted forward. */
export interface Listener {
  lambdaWeight: number;
  fargateWeight: number;
}

export type ControllerAlarmName = 'scaleOut' | 'scaleIn' | 'fargateError' | 'overload';

/** The construct's four alarms on the controller's metrics (see TrafficController). */
export function controllerAlarmSpecs(scaling: ScalingSettings, metrics: MetricStore): Record<ControllerAlarmName, AlarmSpec> {
  return {
    scaleOut: {
      name: 'ScaleOutAlarm',
      metric: (m) => metrics.requestCount(m),
      comparison: '>',
      threshold: scaling.scaleOutRequestsPerMinute,
      evaluationPeriods: scaling.scaleOutPeriods,
      datapointsToAlarm: scaling.scaleOutPeriods,
      missingData: 'notBreaching',
    },
    scaleIn: {
      name: 'ScaleInAlarm',
      metric: (m) => metrics.requestCount(m),
      comparison: '<',
      threshold: scaling.scaleInRequestsPerMinute,
      evaluationPeriods: scaling.scaleInPeriods,
      datapointsToAlarm: scaling.scaleInPeriods,
      missingData: 'breaching',
    },
    fargateError: {
      name: 'FargateErrorAlarm',
      metric: (m) => metrics.fargateTarget5xxCount(m),
      comparison: '>=',
      threshold: scaling.fargateErrorsPerMinute,
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      missingData: 'notBreaching',
    },
    overload: {
      name: 'OverloadAlarm',
      metric: (m) => metrics.fargateRequestCountPerTarget(m),
      comparison: '>',
      threshold: Math.ceil(scaling.controller.requestsPerTaskPerMinute * 1.2),
      evaluationPeriods: 2,
      datapointsToAlarm: 2,
      missingData: 'notBreaching',
    },
  };
}

/** An alarm state change, as the EventBridge event reports it. */
export interface AlarmChange {
  readonly second: number;
  readonly alarm: ControllerAlarmName;
  readonly state: AlarmState;
}

/** A listener weight change made by the controller. */
export interface WeightChange {
  readonly second: number;
  readonly lambdaWeight: number;
  readonly fargateWeight: number;
}

interface Invocation {
  readonly startedAt: number;
  nextDecisionAt: number;
}

/** An event waiting in Lambda's asynchronous queue. */
interface QueuedEvent {
  nextAttemptAt: number;
  /** Wait before the attempt after a throttled one. */
  retryAfterSeconds: number;
}

export class SimulatedController {
  readonly alarms: Record<ControllerAlarmName, MetricAlarm>;
  readonly alarmChanges: AlarmChange[] = [];
  readonly weightChanges: WeightChange[] = [];
  reconcileEnabled = false;
  decisions = 0;
  private marks: Marks = {};
  private invocations: Invocation[] = [];
  private queued: QueuedEvent[] = [];
  /** The last invocation to end occupies its concurrency until it has applied its last decision. */
  private busyUntil = -Infinity;
  private billedInvocations = 0;
  private billedSeconds = 0;
  private readonly timings: SimulationSettings['aws']['controller'];

  constructor(
    private readonly settings: SimulationSettings,
    private readonly listener: Listener,
    private readonly service: FargateService,
    private readonly metrics: MetricStore,
    /** Second of the run at which the reconcile schedule fires each minute (its phase is not ours to choose). */
    private readonly reconcilePhaseSecond: number,
    /** First second whose invocations are billed (the end of the warm-up). */
    private readonly billedFrom: number,
  ) {
    const specs = controllerAlarmSpecs(settings.scaling, metrics);
    this.alarms = {
      scaleOut: new MetricAlarm(specs.scaleOut, metrics),
      scaleIn: new MetricAlarm(specs.scaleIn, metrics),
      fargateError: new MetricAlarm(specs.fargateError, metrics),
      overload: new MetricAlarm(specs.overload, metrics),
    };
    this.timings = settings.aws.controller;
  }

  /** A mode parameter change (or the deploy that wrote it): the ModeChanges rule invokes the function. */
  modeChanged(now: number): void {
    this.schedule(now);
  }

  /** CloudWatch evaluates the alarms; every state change is an EventBridge event that invokes the function. */
  evaluateAlarms(now: number): void {
    for (const name of Object.keys(this.alarms) as ControllerAlarmName[]) {
      if (this.alarms[name].evaluate(now)) {
        this.alarmChanges.push({ second: now, alarm: name, state: this.alarms[name].state });
        this.schedule(now);
      }
    }
  }

  /** Runs what is due at `now`: polls of running invocations, then new invocations from queued events. */
  tick(now: number): void {
    if (this.reconcileEnabled && mod(now, 60) === this.reconcilePhaseSecond) {
      this.schedule(now);
    }
    if (this.invocations.length > 0) {
      this.invocations = this.invocations.filter((invocation) => invocation.nextDecisionAt > now || this.decideOnce(invocation, now));
    }
    if (this.queued.length > 0) {
      this.startQueued(now);
    }
  }

  /** Controller function use billed from `billedFrom` to `end`, invocations still running included: invocations and GB-seconds. */
  billing(end: number): { invocations: number; gbSeconds: number } {
    const running = this.invocations.filter((invocation) => invocation.startedAt >= this.billedFrom);
    const seconds = this.billedSeconds + running.reduce((sum, invocation) => sum + (end - invocation.startedAt), 0);
    return { invocations: this.billedInvocations + running.length, gbSeconds: seconds * (this.timings.memoryMb / 1024) };
  }

  /** Starts the queued events that are due, or throttles them while the reserved concurrency is in use. */
  private startQueued(now: number): void {
    const due = this.queued.filter((event) => event.nextAttemptAt <= now).sort((a, b) => a.nextAttemptAt - b.nextAttemptAt);
    for (const event of due) {
      if (this.settings.scaling.serializeController && (this.invocations.length > 0 || now < this.busyUntil)) {
        event.nextAttemptAt = now + event.retryAfterSeconds;
        event.retryAfterSeconds = Math.min(this.timings.throttleRetryMaxSeconds, event.retryAfterSeconds * 2);
        continue;
      }
      this.queued = this.queued.filter((other) => other !== event);
      const invocation = { startedAt: now, nextDecisionAt: now };
      if (this.decideOnce(invocation, now)) {
        this.invocations.push(invocation);
      }
    }
  }

  /** One pass of runController's loop; true when the invocation polls again. */
  private decideOnce(invocation: Invocation, now: number): boolean {
    const decision = decide(this.observe(now), this.settings.scaling.controller);
    this.decisions++;
    for (const action of decision.actions) {
      this.apply(action, now);
    }
    const elapsed = now + this.timings.decisionSeconds - invocation.startedAt;
    const remaining = this.timings.timeoutSeconds - elapsed;
    const poll = this.settings.scaling.pollIntervalSeconds;
    if (keepsPolling(decision) && remaining > poll + this.timings.safetyMarginSeconds) {
      invocation.nextDecisionAt = now + this.timings.decisionSeconds + poll;
      return true;
    }
    this.busyUntil = Math.max(this.busyUntil, now + this.timings.decisionSeconds);
    if (invocation.startedAt >= this.billedFrom) {
      this.billedInvocations++;
      this.billedSeconds += elapsed;
    }
    return false;
  }

  private schedule(now: number): void {
    this.queued.push({ nextAttemptAt: now + this.timings.invokeDelaySeconds, retryAfterSeconds: this.timings.throttleRetryFirstSeconds });
  }

  /** What the adapter's observe() reads from AWS, read from the model. */
  private observe(now: number): ObservedState {
    const counts = this.service.counts(now);
    return {
      nowMs: EPOCH_MS + now * 1000,
      override: this.settings.scaling.mode,
      lambdaWeight: this.listener.lambdaWeight,
      fargateWeight: this.listener.fargateWeight,
      desiredCount: counts.desired,
      runningCount: counts.running,
      minCapacity: this.service.minCapacity,
      healthyTargets: counts.healthy,
      // The model has no failing tasks: targets are initial until healthy, then healthy.
      unhealthyTargets: 0,
      scaleOutAlarm: this.alarms.scaleOut.state,
      scaleInAlarm: this.alarms.scaleIn.state,
      fargateErrorAlarm: this.alarms.fargateError.state,
      overloadAlarm: this.alarms.overload.state,
      requestsPerMinute: this.metrics.recentRequestsPerMinute(now),
      marks: this.marks,
    };
  }

  /** What the adapter's apply() does to AWS, done to the model; every call succeeds. */
  private apply(action: Action, now: number): void {
    switch (action.kind) {
      case 'setWeights':
        this.listener.lambdaWeight = action.lambda;
        this.listener.fargateWeight = action.fargate;
        this.weightChanges.push({ second: now, lambdaWeight: action.lambda, fargateWeight: action.fargate });
        return;
      case 'setDesiredCount':
        this.service.setDesiredCount(action.count, now);
        return;
      case 'setMinCapacity':
        this.service.setMinCapacity(action.min, now);
        return;
      case 'setMarks':
        this.marks = mergeMarks(this.marks, action.marks);
        return;
      case 'enableReconcile':
        this.reconcileEnabled = true;
        return;
      case 'disableReconcile':
        this.reconcileEnabled = false;
        return;
    }
  }
}

function mod(value: number, divisor: number): number {
  return ((value % divisor) + divisor) % divisor;
}
