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
}

/** Marks after a `setMarks`: AddTags writes only the marks it names; the others keep their stored value. */
export function mergeMarks(stored: Marks, written: Marks): Marks {
  return {
    intent: written.intent ?? stored.intent,
    intentSinceMs: written.intentSinceMs ?? stored.intentSinceMs,
    lastWeightChangeMs: written.lastWeightChangeMs ?? stored.lastWeightChangeMs,
  };
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
  /** Targets in the Fargate target group by health. `unhealthy` counts `unhealthy` and `unavailable`. */
  readonly healthyTargets: number;
  readonly unhealthyTargets: number;
  /** Sustained high load on the load balancer. */
  readonly scaleOutAlarm: AlarmState;
  /** Sustained low load on the load balancer. */
  readonly scaleInAlarm: AlarmState;
  /** Fargate side returning errors (target 5xx). */
  readonly fargateErrorAlarm: AlarmState;
  /** Fargate at maxTasks and still above its per-task target. */
  readonly overloadAlarm: AlarmState;
  /** Most recent 1-minute request count on the load balancer, used to size the first tasks. */
  readonly requestsPerMinute: number;
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
  /** True when the controller is not at rest and should be invoked again soon. */
  readonly needsReconcile: boolean;
}
