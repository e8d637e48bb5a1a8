/**
 * Vocabulary shared by the controller's pure decision module, its Lambda adapter and the simulator.
 * Nothing in this file performs I/O.
 */

/** Where the operator (or the construct prop) pins traffic. `auto` lets the alarms decide. */
export type ModeOverride = 'auto' | 'lambda' | 'fargate';

/** CloudWatch alarm state as reported by DescribeAlarms. */
export type AlarmState = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';

/** The phase the controller derives from what it observes. */
export type Phase =
  | 'LAMBDA'
  | 'SCALING_OUT'
  | 'SHIFTING_TO_FARGATE'
  | 'FARGATE'
  | 'SHIFTING_TO_LAMBDA'
  | 'DRAINING';

/** Which side the controller is steering towards. */
export type Intent = 'lambda' | 'fargate';

/**
 * Small facts the controller writes next to the resources it changes (tags on the Fargate target group),
 * because AWS keeps no timestamp of a listener weight change. Everything else is observed.
 */
export interface Marks {
  /** Side the controller last steered towards. */
  readonly intent?: Intent;
  /** Epoch milliseconds when `intent` last changed. */
  readonly intentSinceMs?: number;
  /** Epoch milliseconds of the last listener weight change made by the controller. */
  readonly lastWeightChangeMs?: number;
  /** Epoch milliseconds when the current shift first gave Fargate weight (0 -> more). */
  readonly shiftStartMs?: number;
  /** Failbacks (Fargate weight taken away for lost health or errors) since the last complete Fargate period. */
  readonly failbacks?: number;
  /** No shift to Fargate before this epoch millisecond (the failback backoff). */
  readonly shiftAllowedAtMs?: number;
  /** Why the last failback happened. */
  readonly failbackReason?: FailbackReason;
  /** The service's task definition at the last error failback; a new one (a deploy) ends the backoff. */
  readonly failbackTaskDefinition?: string;
  /** Epoch milliseconds when load was last seen high (the scale-out alarm in ALARM) while steering to Fargate. */
  readonly lastHighLoadMs?: number;
  /** Epoch milliseconds when the intent last turned to lambda. */
  readonly lastRestMs?: number;
  /** Scale-outs in a row that began soon after the previous return to Lambda (recurring bursts). */
  readonly recurrences?: number;
  /** Fargate's share before it was suspended for dead targets; restored once they are gone. */
  readonly suspendedShare?: number;
  /** Fargate's lowest average response time seen in the current shift without overload, ms (0: none yet). */
  readonly fargateBaselineMs?: number;
  /** Requests per minute per task Fargate was seen to carry when it overloaded, less a margin (0: none). */
  readonly learnedCapacityRpm?: number;
  /** Start of the published minute the learned capacity was last set from: each minute teaches once. */
  readonly learnedFromMinuteMs?: number;
}

/** Why Fargate lost its weight. */
export type FailbackReason = 'health' | 'errors';

/** The mark keys, in the order tags are written. */
export const MARK_KEYS = [
  'intent', 'intentSinceMs', 'lastWeightChangeMs', 'shiftStartMs', 'failbacks', 'shiftAllowedAtMs', 'failbackReason',
  'failbackTaskDefinition', 'lastHighLoadMs', 'lastRestMs', 'recurrences', 'suspendedShare', 'fargateBaselineMs',
  'learnedCapacityRpm', 'learnedFromMinuteMs',
] as const satisfies ReadonlyArray<keyof Marks>;

/** Marks after a `setMarks`: AddTags writes only the marks it names; the others keep their stored value. */
export function mergeMarks(stored: Marks, written: Marks): Marks {
  const merged: Record<string, unknown> = {};
  for (const key of MARK_KEYS) {
    merged[key] = written[key] ?? stored[key];
  }
  return merged as Marks;
}

/** What one side's target group reported over the recent published minutes. */
export interface SideMetrics {
  /** RequestCount of the side's target group. */
  readonly requests: number;
  /**
   * Errors attributable to the side: for Fargate HTTPCode_Target_5XX_Count + TargetConnectionErrorCount of its
   * target group; for Lambda HTTPCode_Target_5XX_Count + LambdaUserError + LambdaInternalError.
   */
  readonly errors: number;
  /** Average TargetResponseTime in milliseconds; undefined without requests. */
  readonly responseTimeMs?: number;
}

/** One-minute metrics read with GetMetricData: only published minutes, which arrive one to four minutes late. */
export interface TrafficMetrics {
  /** Load balancer RequestCount of the most recent published minutes, newest first (at most 3; empty when none). */
  readonly requestsPerMinute: readonly number[];
  /** Epoch milliseconds at which the newest of those minutes began; undefined when there is none. */
  readonly latestMinuteStartMs?: number;
  /** Epoch milliseconds at which the older of the (at most two) minutes summed below began. */
  readonly windowStartMs?: number;
  /** Sums over the last two published minutes. */
  readonly fargate: SideMetrics;
  readonly lambda: SideMetrics;
}

/** Everything one decision looks at, read from AWS by the adapter (or from the simulator's model). */
export interface ObservedState {
  /** Epoch milliseconds. */
  readonly nowMs: number;
  readonly override: ModeOverride;
  /** Listener default action weights. */
  readonly lambdaWeight: number;
  readonly fargateWeight: number;
  /** ECS service counts. */
  readonly desiredCount: number;
  readonly runningCount: number;
  /** Application Auto Scaling minimum capacity of the service's scalable target. */
  readonly minCapacity: number;
  /**
   * Targets in the Fargate target group by health. `healthy` counts only targets whose task is still running (a crashed
   * task stays healthy for the load balancer until its checks fail). `unhealthy` counts `unhealthy` and `unavailable`.
   */
  readonly healthyTargets: number;
  readonly unhealthyTargets: number;
  /**
   * Targets the load balancer still reports healthy whose task has stopped (a crash): requests sent there fail until
   * their health checks fail. Undefined when not known.
   */
  readonly deadTargets?: number;
  /** Sustained high load on the load balancer. */
  readonly scaleOutAlarm: AlarmState;
  /** Sustained low load on the load balancer. */
  readonly scaleInAlarm: AlarmState;
  /** Fargate side returning errors (target 5xx). */
  readonly fargateErrorAlarm: AlarmState;
  /** Fargate at maxTasks and still above its per-task target. */
  readonly overloadAlarm: AlarmState;
  /** Most recent published 1-minute request count on the load balancer (0 when none or not read). */
  readonly requestsPerMinute: number;
  /** Recent metrics, read only when the controller is not at rest or something changed (see `needsTraffic`). */
  readonly traffic?: TrafficMetrics;
  /** The task definition the service runs (a new one means a deploy). */
  readonly taskDefinition?: string;
  readonly marks: Marks;
}

/** Tunables, all set from construct props (see HybridAlbService `scaling`). */
export interface ControllerConfig {
  /** Fargate weights on the way out, strictly increasing, ending at 100. e.g. [10, 50, 100] */
  readonly shiftOutSteps: number[];
  /** Seconds between two shift-out steps. */
  readonly shiftOutPauseSeconds: number;
  /** Fargate weights on the way back, strictly decreasing, ending at 0. e.g. [50, 20, 0] */
  readonly shiftBackSteps: number[];
  /** Seconds between two shift-back steps. */
  readonly shiftBackPauseSeconds: number;
  /** Smallest number of tasks kept while Fargate carries traffic. */
  readonly minTasks: number;
  /** Largest number of tasks. */
  readonly maxTasks: number;
  /** Requests per minute one task is sized for (the ECS target tracking target). */
  readonly requestsPerTaskPerMinute: number;
  /** Minimum seconds with intent `fargate` before the scale-in alarm may send traffic back. */
  readonly minFargateSeconds: number;
  /** Seconds to wait after the Fargate weight reaches 0 before the desired count goes to 0. */
  readonly drainSeconds: number;
  /** Lambda weight given when Fargate is at maxTasks and overloaded (0 disables overflow). */
  readonly overflowLambdaWeight: number;
  /** Requests per minute one healthy task can carry: Fargate's share never exceeds healthy tasks times this over demand. */
  readonly taskCapacityRequestsPerMinute: number;
  /** The scale-in alarm's threshold: a scale-out whose load fell below it before the first Fargate weight is cancelled. */
  readonly scaleInRequestsPerMinute: number;
  /** Fargate weights are multiples of this (capacity shares are rounded down to it). */
  readonly weightGranularity: number;
  /**
   * Shift-out steps, from the first, that must be covered by a published minute showing Fargate serving them without
   * errors before the next step: 0 none (the error comparison then catches a bad side one to four minutes into the
   * shift), 1 the first step, more for more steps.
   */
  readonly stepsWaitingForDatapoint: number;
  /** Fargate's error rate must exceed Lambda's by this share of requests to count as materially worse. */
  readonly errorRateMargin: number;
  /** Fewest Fargate errors in the window that can count as materially worse. */
  readonly minErrors: number;
  /** Fargate's response time over Lambda's above which Fargate counts as overloaded and its share is halved. */
  readonly overloadResponseTimeRatio: number;
  /** Backoff after the first failback for lost health; doubles with each failback in a row. */
  readonly healthBackoffSeconds: number;
  /** Backoff after the first failback for errors; doubles with each failback in a row. A new task definition ends it. */
  readonly errorBackoffSeconds: number;
  /** Longest backoff. */
  readonly maxBackoffSeconds: number;
  /** A scale-out within this long after the previous return to Lambda counts as a recurrence. */
  readonly recurrenceWindowSeconds: number;
  /** Longest time low load is held on Fargate after recurring scale-outs. */
  readonly maxHoldSeconds: number;
}

export type Action =
  | { readonly kind: 'setWeights'; readonly lambda: number; readonly fargate: number }
  | { readonly kind: 'setDesiredCount'; readonly count: number }
  | { readonly kind: 'setMinCapacity'; readonly min: number }
  /** Writes the marks that are set and leaves the others as stored. */
  | { readonly kind: 'setMarks'; readonly marks: Marks }
  | { readonly kind: 'enableReconcile' }
  | { readonly kind: 'disableReconcile' };

export interface Decision {
  /** Phase derived from the observation (before the actions are applied). */
  readonly phase: Phase;
  /** Side steered towards after this decision. */
  readonly intent: Intent;
  /**
   * Changes to make, in order; apply them in order and stop at the first failure (marks are written before the
   * weights they record). The last action is always `enableReconcile` or `disableReconcile`, to be applied
   * idempotently; nothing comes before it when AWS already matches.
   */
  readonly actions: Action[];
  /** One sentence: why these actions. */
  readonly reason: string;
  /** True when the controller is not at rest: the reconcile schedule stays enabled. */
  readonly needsReconcile: boolean;
  /** True when traffic or capacity moves and the invocation should decide again after the poll interval. */
  readonly pollSoon: boolean;
}
