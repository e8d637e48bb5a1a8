/**
 * The traffic controller as AWS runs it, around the controller's own code: alarms and the construct's CloudWatch
 * resources, the EventBridge rules that invoke the function (alarm state changes, the one-minute reconcile schedule
 * while enabled, mode changes, task stops, stack updates), Lambda's asynchronous invocation (reserved concurrency,
 * throttling retries, two retries of an invocation that ends in error), and each invocation running `runController`
 * from src/controller/invocation.ts, the loop the Lambda handler runs, against a port that reads and writes this model.
 * Nothing here decides anything.
 *
 * Time: the simulation advances one second at a time. An invocation runs until it sleeps for the poll interval (or
 * ends); its sleep resolves when the simulated clock reaches the wake-up time, so the loop's own code paces itself.
 * One decision (the describe calls, then the writes) takes `decisionSeconds`.
 *
 * Faults: each EventBridge delivery is dropped with `lostEventRate`; each attempt of each AWS call fails with
 * `apiFailureRate`, and a call fails when all of the SDK's attempts do.
 */
import { AlarmSpec, MetricAlarm, MetricStore } from './cloudwatch';
import { FargateService } from './fargate-service';
import { applyAction, ControlledState } from '../../controller/apply-action';
import { needsTraffic } from '../../controller/decision';
import { ControllerContext, ControllerEvent, ControllerPort, runController, TRAFFIC_REUSE_MS } from '../../controller/invocation';
import { OVERLOAD_ALARM } from '../../controller/tunables';
import { Action, AlarmState, Marks, ObservedState, TrafficMetrics } from '../../controller/types';
import { RedeployTarget } from '../faults';
import { Random } from '../random';
import { ScalingSettings, SimulationSettings } from '../settings';

/** Epoch milliseconds of second 0 of a run; only differences matter to the controller. */
const EPOCH_MS = Date.UTC(2026, 0, 1);

/** AWS calls one observation makes: listener, service, running tasks (list, describe), scalable target, target health, alarms, parameter, tags. */
const OBSERVE_CALLS = 9;
/** Metrics one GetMetricData read requests: the load balancer's requests, four of the Fargate group, five of the Lambda group. */
const METRICS_PER_READ = 10;
/** Metrics on a decision line away from rest (FargateWeight, DesiredCount, HealthyTargets, RunningCount). */
const DECISION_LINE_METRICS = 4;

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
      // Target 5xx plus connection errors, as the construct's metric math adds them.
      metric: (m) => {
        const errors = (metrics.fargateTarget5xxCount(m) ?? 0) + (metrics.fargateConnectionErrorCount(m) ?? 0);
        return errors > 0 ? errors : undefined;
      },
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
      threshold: Math.ceil(scaling.controller.taskCapacityRequestsPerMinute * OVERLOAD_ALARM.capacityShare),
      evaluationPeriods: OVERLOAD_ALARM.periods,
      datapointsToAlarm: OVERLOAD_ALARM.periods,
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

/** Why the controller was invoked, as the EventBridge rule reports it. */
export type TriggerName = 'alarm' | 'schedule' | 'heartbeat' | 'mode' | 'taskStop' | 'redeploy';

const EVENTS: Record<TriggerName, ControllerEvent> = {
  alarm: { 'source': 'aws.cloudwatch', 'detail-type': 'CloudWatch Alarm State Change' },
  schedule: { 'source': 'aws.events', 'detail-type': 'Scheduled Event' },
  heartbeat: { 'source': 'aws.events', 'detail-type': 'Scheduled Event' },
  mode: { 'source': 'aws.ssm', 'detail-type': 'Parameter Store Change' },
  taskStop: { 'source': 'aws.ecs', 'detail-type': 'ECS Task State Change' },
  redeploy: { 'source': 'aws.cloudformation', 'detail-type': 'CloudFormation Resource Status Change' },
};

/** An event waiting in Lambda's asynchronous queue. */
interface QueuedEvent {
  readonly trigger: TriggerName;
  nextAttemptAt: number;
  /** Wait before the attempt after a throttled one. */
  retryAfterSeconds: number;
  /** Attempts that ended in a function error so far. */
  errors: number;
}

/** A running invocation of the function. */
interface Invocation {
  readonly event: QueuedEvent;
  readonly startedAt: number;
  /** When its sleep ends; undefined while it runs or after it ended. */
  wakeAt?: number;
  resume?: () => void;
  /** Resolves the step the simulation is waiting for: the invocation slept or ended. */
  parked?: () => void;
}

/** A write CloudFormation makes some seconds after an update starts. */
interface PendingReset {
  readonly at: number;
  readonly touches: readonly RedeployTarget[];
}

/** Random streams the controller model draws from, independent of the workload's. */
export interface ControllerRandom {
  readonly events: Random;
  readonly api: Random;
}

/** Counts of what went wrong around the controller during a run. */
export interface ControllerIncidents {
  lostEvents: number;
  failedCalls: number;
  failedInvocations: number;
}

export class SimulatedController {
  readonly alarms: Record<ControllerAlarmName, MetricAlarm>;
  readonly alarmChanges: AlarmChange[] = [];
  readonly weightChanges: WeightChange[] = [];
  /** Seconds at which RedeployRepair events were emitted (before any loss). */
  readonly redeployEvents: number[] = [];
  /** Seconds at which task stop events were emitted (before any loss). */
  readonly taskStopEvents: number[] = [];
  readonly incidents: ControllerIncidents = { lostEvents: 0, failedCalls: 0, failedInvocations: 0 };
  reconcileEnabled = false;
  decisions = 0;
  /** Metrics requested with GetMetricData. */
  metricReads = 0;
  /** The last GetMetricData result and when it was read (seconds of the run, in ms). */
  private lastTraffic?: { atMs: number; traffic: TrafficMetrics };
  /** Hours (from second 0) in which a decision line carried metrics. */
  private readonly metricHours = new Set<number>();
  private marks: Marks = {};
  private clock = -Infinity;
  private invocations: Invocation[] = [];
  private queued: QueuedEvent[] = [];
  private resets: PendingReset[] = [];
  /** The last invocation to end occupies its concurrency until it has applied its last decision. */
  private busyUntil = -Infinity;
  private billedInvocations = 0;
  private billedSeconds = 0;
  private readonly timings: SimulationSettings['aws']['controller'];
  private readonly port: ControllerPort;

  constructor(
    private readonly settings: SimulationSettings,
    private readonly listener: Listener,
    private readonly service: FargateService,
    private readonly metrics: MetricStore,
    /** Second of the run at which the reconcile schedule fires each minute (its phase is not ours to choose). */
    private readonly reconcilePhaseSecond: number,
    /** First second whose invocations are billed (the end of the warm-up). */
    private readonly billedFrom: number,
    private readonly random: ControllerRandom,
  ) {
    const specs = controllerAlarmSpecs(settings.scaling, metrics);
    this.alarms = {
      scaleOut: new MetricAlarm(specs.scaleOut, metrics),
      scaleIn: new MetricAlarm(specs.scaleIn, metrics),
      fargateError: new MetricAlarm(specs.fargateError, metrics),
      overload: new MetricAlarm(specs.overload, metrics),
    };
    this.timings = settings.aws.controller;
    this.port = {
      observe: async (nowMs) => {
        this.failCalls(OBSERVE_CALLS, 'observe');
        return this.observe(Math.round((nowMs - EPOCH_MS) / 1000));
      },
      apply: async (action) => {
        this.failCalls(1, action.kind);
        this.apply(action);
      },
    };
    service.onStop((second) => {
      this.taskStopEvents.push(second);
      this.deliver('taskStop', second);
    });
  }

  /** A mode parameter change (or the deploy that wrote it): the ModeChanges rule invokes the function. */
  modeChanged(now: number): void {
    this.deliver('mode', now);
  }

  /**
   * A stack update that touches these resources: CloudFormation reports UPDATE_IN_PROGRESS for each at once, writes
   * the template's values some seconds later and reports UPDATE_COMPLETE; every report is a RedeployRepair event.
   */
  redeploy(now: number, touches: readonly RedeployTarget[]): void {
    this.resets.push({ at: now + this.timings.cloudFormationWriteSeconds, touches });
    for (const _ of touches) {
      this.redeployEvents.push(now);
      this.deliver('redeploy', now);
      this.deliver('redeploy', now + this.timings.cloudFormationCompleteSeconds);
    }
  }

  /** CloudWatch evaluates the alarms; every state change is an EventBridge event that invokes the function. */
  evaluateAlarms(now: number): void {
    for (const name of Object.keys(this.alarms) as ControllerAlarmName[]) {
      if (this.alarms[name].evaluate(now)) {
        this.alarmChanges.push({ second: now, alarm: name, state: this.alarms[name].state });
        this.deliver('alarm', now);
      }
    }
  }

  /**
   * Runs what is due at `now`: stack writes, the schedule, invocations whose sleep ends, queued events. Returns a
   * promise only when an invocation runs, so the caller awaits only then.
   */
  tick(now: number): Promise<void> | undefined {
    this.clock = now;
    if (this.resets.length > 0) {
      this.writeTemplateValues(now);
    }
    if (this.reconcileEnabled && mod(now, 60) === this.reconcilePhaseSecond) {
      this.deliver('schedule', now);
    }
    if (mod(now - this.reconcilePhaseSecond, this.settings.scaling.heartbeatSeconds) === 0) {
      this.deliver('heartbeat', now);
    }
    const waking = this.invocations.filter((invocation) => invocation.wakeAt !== undefined && invocation.wakeAt <= now);
    const due = this.queued.some((event) => event.nextAttemptAt <= now);
    if (waking.length === 0 && !due) {
      return undefined;
    }
    return this.runDue(now, waking);
  }

  /** Controller function use billed from `billedFrom` to `end`, invocations still running included: invocations and GB-seconds. */
  billing(end: number): { invocations: number; gbSeconds: number } {
    const running = this.invocations.filter((invocation) => invocation.startedAt >= this.billedFrom);
    const seconds = this.billedSeconds + running.reduce((sum, invocation) => sum + (end - invocation.startedAt), 0);
    return { invocations: this.billedInvocations + running.length, gbSeconds: seconds * (this.timings.memoryMb / 1024) };
  }

  /** Custom metric-hours of the decision lines from `billedFrom` on. */
  metricLineHours(): number {
    const billedHours = [...this.metricHours].filter((hour) => hour * 3600 >= this.billedFrom - 3599);
    return billedHours.length * DECISION_LINE_METRICS;
  }

  private async runDue(now: number, waking: Invocation[]): Promise<void> {
    for (const invocation of waking) {
      invocation.wakeAt = undefined;
      await this.untilParked(invocation, invocation.resume!);
    }
    const due = this.queued.filter((event) => event.nextAttemptAt <= now).sort((a, b) => a.nextAttemptAt - b.nextAttemptAt);
    for (const event of due) {
      if (this.settings.scaling.serializeController && (this.invocations.length > 0 || now < this.busyUntil)) {
        event.nextAttemptAt = now + event.retryAfterSeconds;
        event.retryAfterSeconds = Math.min(this.timings.throttleRetryMaxSeconds, event.retryAfterSeconds * 2);
        continue;
      }
      this.queued = this.queued.filter((other) => other !== event);
      await this.start(event, now);
    }
  }

  private start(event: QueuedEvent, now: number): Promise<void> {
    const invocation: Invocation = { event, startedAt: now };
    this.invocations.push(invocation);
    const timeoutMs = this.timings.timeoutSeconds * 1000;
    const context: ControllerContext = {
      getRemainingTimeInMillis: () => timeoutMs - (this.clock + this.timings.decisionSeconds - invocation.startedAt) * 1000,
    };
    return this.untilParked(invocation, () => {
      runController(EVENTS[event.trigger], context, {
        port: this.port,
        config: this.settings.scaling.controller,
        pollIntervalSeconds: this.settings.scaling.pollIntervalSeconds,
        metricNamespace: 'HybridAlbService',
        serviceName: 'simulated',
        now: () => EPOCH_MS + this.clock * 1000,
        sleep: (ms) => new Promise<void>((resolve) => {
          invocation.wakeAt = this.clock + Math.max(1, Math.ceil(ms / 1000));
          invocation.resume = resolve;
          invocation.parked!();
        }),
        log: (line) => {
          this.decisions++;
          if (line.includes('"_aws"')) {
            this.metricHours.add(Math.floor(this.clock / 3600));
          }
        },
      }).then(() => this.end(invocation, false), () => this.end(invocation, true));
    });
  }

  /** Runs the invocation until it sleeps or ends. */
  private untilParked(invocation: Invocation, step: () => void): Promise<void> {
    return new Promise<void>((parked) => {
      invocation.parked = parked;
      step();
    });
  }

  /** The invocation returned or threw: it frees its concurrency, and an error sends the event back for a retry. */
  private end(invocation: Invocation, failed: boolean): void {
    const now = this.clock;
    this.invocations = this.invocations.filter((other) => other !== invocation);
    this.busyUntil = Math.max(this.busyUntil, now + this.timings.decisionSeconds);
    if (invocation.startedAt >= this.billedFrom) {
      this.billedInvocations++;
      this.billedSeconds += now + this.timings.decisionSeconds - invocation.startedAt;
    }
    if (failed) {
      this.incidents.failedInvocations++;
      const retryDelays = this.timings.errorRetryDelaysSeconds;
      const event = invocation.event;
      if (event.errors < retryDelays.length) {
        this.queued.push({ ...event, nextAttemptAt: now + retryDelays[event.errors], errors: event.errors + 1 });
      }
    }
    invocation.parked!();
  }

  /** An EventBridge delivery to the function's asynchronous queue, unless it is lost. */
  private deliver(trigger: TriggerName, now: number): void {
    if (this.settings.faults.lostEventRate > 0 && this.random.events() < this.settings.faults.lostEventRate) {
      this.incidents.lostEvents++;
      return;
    }
    const { invokeDelaySeconds, throttleRetryFirstSeconds } = this.timings;
    this.queued.push({ trigger, nextAttemptAt: now + invokeDelaySeconds, retryAfterSeconds: throttleRetryFirstSeconds, errors: 0 });
  }

  /** Throws when one of `calls` AWS calls fails all of its SDK attempts. */
  private failCalls(calls: number, what: string): void {
    const rate = this.settings.faults.apiFailureRate;
    if (rate <= 0) {
      return;
    }
    for (let call = 0; call < calls; call++) {
      let attempts = 0;
      while (attempts < this.timings.sdkAttemptsPerCall && this.random.api() < rate) {
        attempts++;
      }
      if (attempts === this.timings.sdkAttemptsPerCall) {
        this.incidents.failedCalls++;
        const error = new Error(`Rate exceeded (simulated, ${what})`);
        error.name = 'ThrottlingException';
        throw error;
      }
    }
  }

  /** CloudFormation writes the template's values to the resources an update touches. */
  private writeTemplateValues(now: number): void {
    for (const reset of this.resets.filter((pending) => pending.at <= now)) {
      if (reset.touches.includes('listener')) {
        this.listener.lambdaWeight = 100;
        this.listener.fargateWeight = 0;
      }
      if (reset.touches.includes('service')) {
        this.service.redeploy(0, now);
      }
      if (reset.touches.includes('schedule')) {
        this.reconcileEnabled = false;
      }
    }
    this.resets = this.resets.filter((pending) => pending.at > now);
  }

  /** What the adapter's observe() reads from AWS, read from the model: the describe calls, then the metrics if needed. */
  private observe(now: number): ObservedState {
    const basic = this.describe(now);
    if (!needsTraffic(basic)) {
      return basic;
    }
    if (!this.lastTraffic || now * 1000 - this.lastTraffic.atMs >= TRAFFIC_REUSE_MS) {
      this.metricReads += METRICS_PER_READ;
      this.lastTraffic = { atMs: now * 1000, traffic: this.metrics.traffic(now) };
    }
    const traffic = this.lastTraffic.traffic;
    return {
      ...basic,
      requestsPerMinute: traffic.requestsPerMinute[0] ?? 0,
      traffic: { ...traffic, latestMinuteStartMs: epochMs(traffic.latestMinuteStartMs), windowStartMs: epochMs(traffic.windowStartMs) },
    };
  }

  private describe(now: number): ObservedState {
    const counts = this.service.counts(now);
    return {
      nowMs: EPOCH_MS + now * 1000,
      override: this.settings.scaling.mode,
      lambdaWeight: this.listener.lambdaWeight,
      fargateWeight: this.listener.fargateWeight,
      desiredCount: counts.desired,
      runningCount: counts.running,
      minCapacity: this.service.minCapacity,
      healthyTargets: counts.healthyRunning,
      unhealthyTargets: counts.unhealthy,
      deadTargets: counts.healthy - counts.healthyRunning,
      scaleOutAlarm: this.alarms.scaleOut.state,
      scaleInAlarm: this.alarms.scaleIn.state,
      fargateErrorAlarm: this.alarms.fargateError.state,
      overloadAlarm: this.alarms.overload.state,
      requestsPerMinute: 0,
      taskDefinition: `arn:aws:ecs:us-east-1:123456789012:task-definition/service:${this.service.revision}`,
      marks: this.marks,
    };
  }

  /** What the adapter's apply() does to AWS, done to the model through the one action interpreter. */
  private apply(action: Action): void {
    const now = this.clock;
    const before: ControlledState = {
      lambdaWeight: this.listener.lambdaWeight,
      fargateWeight: this.listener.fargateWeight,
      desiredCount: this.service.desiredCount,
      minCapacity: this.service.minCapacity,
      marks: this.marks,
      reconcileEnabled: this.reconcileEnabled,
    };
    const after = applyAction(before, action);
    if (after.lambdaWeight !== before.lambdaWeight || after.fargateWeight !== before.fargateWeight || action.kind === 'setWeights') {
      this.listener.lambdaWeight = after.lambdaWeight;
      this.listener.fargateWeight = after.fargateWeight;
      this.weightChanges.push({ second: now, lambdaWeight: after.lambdaWeight, fargateWeight: after.fargateWeight });
    }
    if (after.desiredCount !== before.desiredCount || action.kind === 'setDesiredCount') {
      this.service.setDesiredCount(after.desiredCount, now);
    }
    if (after.minCapacity !== before.minCapacity || action.kind === 'setMinCapacity') {
      this.service.setMinCapacity(after.minCapacity, now);
    }
    this.marks = after.marks;
    this.reconcileEnabled = after.reconcileEnabled;
  }
}

function epochMs(runMs: number | undefined): number | undefined {
  return runMs === undefined ? undefined : EPOCH_MS + runMs;
}

function mod(value: number, divisor: number): number {
  return ((value % divisor) + divisor) % divisor;
}
