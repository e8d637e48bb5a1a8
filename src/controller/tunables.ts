/**
 * Every tunable of the traffic controller and its alarms, with its default and its allowed range, in one place: the
 * construct (HybridAlbService `scaling` and `fargate` props), the controller function (CONTROLLER_CONFIG) and the
 * simulator all read them from here. Pure: no SDK, no CDK.
 */
import { ControllerConfig, ModeOverride } from './types';

/** Fargate sizing the controller shares with ECS target tracking. */
export const SIZING_DEFAULTS = {
  /** Largest number of tasks. */
  maxTasks: 10,
  /** The ECS target tracking target, per task. */
  requestsPerTaskPerMinute: 3000,
} as const;

/**
 * Headroom of a task's capacity over the target tracking target: target tracking keeps tasks near their target, and
 * the controller counts on each healthy task carrying 25 % more while autoscaling catches up. A prop overrides it
 * where the real capacity is known (a load test of one task).
 */
export const TASK_CAPACITY_HEADROOM = 1.25;

/** Per-task capacity the controller assumes when the prop leaves it out. */
export function defaultTaskCapacity(requestsPerTaskPerMinute: number): number {
  return Math.round(requestsPerTaskPerMinute * TASK_CAPACITY_HEADROOM);
}

/** The alarms' thresholds and the controller function's own settings. */
export const SCALING_DEFAULTS = {
  mode: 'auto' as ModeOverride,
  /** 20 requests per second. */
  scaleOutRequestsPerMinute: 1200,
  scaleOutPeriods: 2,
  /** 5 requests per second. */
  scaleInRequestsPerMinute: 300,
  scaleInPeriods: 10,
  fargateErrorsPerMinute: 10,
  pollIntervalSeconds: 5,
  serializeController: true,
  /**
   * The always-enabled schedule that catches lost events and out-of-band changes at rest: 96 invocations a day of
   * about a second at 256 MB, which stays inside Lambda's free tier and costs under $0.03 a month beyond it.
   */
  heartbeatSeconds: 900,
} as const;

/**
 * The overload alarm wakes the controller when Fargate's requests per target near what a task can carry: this share of
 * the per-task capacity, over one period (it only wakes the controller, which then reads the metrics itself).
 */
export const OVERLOAD_ALARM = { capacityShare: 0.9, periods: 1 } as const;

/** Allowed ranges of the scaling settings that are not part of ControllerConfig. */
export const SCALING_RANGES = {
  scaleOutRequestsPerMinute: { min: 1, max: 100_000_000 },
  scaleInRequestsPerMinute: { min: 1, max: 100_000_000 },
  // CloudWatch alarms evaluate at most one day of 1-minute periods.
  scaleOutPeriods: { min: 1, max: 1440 },
  scaleInPeriods: { min: 1, max: 1440 },
  fargateErrorsPerMinute: { min: 1, max: 100_000_000 },
  pollIntervalSeconds: { min: 1, max: 30 },
  heartbeatSeconds: { min: 60, max: 900 },
} as const;

/** Controller defaults; `drainSeconds` depends on the deregistration delay and `taskCapacity...` on the target. */
export const CONTROLLER_DEFAULTS: ControllerConfig = {
  // A small first step lets the new tasks, and the error comparison, see real traffic before they carry half of it.
  shiftOutSteps: [10, 50, 100],
  shiftOutPauseSeconds: 30,
  // Lambda grows by at most 1,000 concurrent executions per 10 s per function and every new execution environment
  // starts cold, so the cold side never gets the whole load at once: it takes half, then 80 %, then all, 60 s apart.
  shiftBackSteps: [50, 20, 0],
  shiftBackPauseSeconds: 60,
  minTasks: 1,
  maxTasks: SIZING_DEFAULTS.maxTasks,
  requestsPerTaskPerMinute: SIZING_DEFAULTS.requestsPerTaskPerMinute,
  // On Fargate for at least ten minutes before the scale-in alarm may send traffic back, so a lull between bursts
  // does not make traffic bounce between the two sides.
  minFargateSeconds: 600,
  // ALB does not drain requests when a weight changes, only when a target deregisters: in-flight requests
  // on the Fargate side get this long to finish before their tasks are stopped.
  drainSeconds: 30,
  overflowLambdaWeight: 0,
  taskCapacityRequestsPerMinute: defaultTaskCapacity(SIZING_DEFAULTS.requestsPerTaskPerMinute),
  scaleInRequestsPerMinute: SCALING_DEFAULTS.scaleInRequestsPerMinute,
  weightGranularity: 5,
  // A published minute takes two to four minutes to arrive: waiting for one at the first step costs spiky traffic
  // about 9 % more (the simulator's spiky profile, 1.13 against 1.04 x the cheaper single side), in exchange for
  // catching a Fargate-only fault present from the start at the first step's share. The error comparison catches it
  // either way; the default takes the faster shift.
  stepsWaitingForDatapoint: 0,
  // Two percentage points and ten errors: well above the noise of a healthy service, far below a broken side.
  errorRateMargin: 0.02,
  minErrors: 10,
  overloadResponseTimeRatio: 3,
  healthBackoffSeconds: 60,
  // A Fargate-only fault (a bad image, a missing permission, a network path) rarely heals by itself: wait an hour
  // before trying again, unless a deploy brings a new task definition first.
  errorBackoffSeconds: 3600,
  maxBackoffSeconds: 4 * 3600,
  recurrenceWindowSeconds: 3600,
  maxHoldSeconds: 4 * 3600,
};

/** The problems with a config, one readable sentence each; empty when the config is usable. */
export function validateControllerConfig(config: ControllerConfig): string[] {
  const problems: string[] = [];
  if (!isStrictlyMonotonic(config.shiftOutSteps, 1, 100, 'increasing')) {
    problems.push(`shiftOutSteps must be strictly increasing integers in 1..100 ending at 100; got ${formatList(config.shiftOutSteps)}`);
  }
  if (!isStrictlyMonotonic(config.shiftBackSteps, 0, 99, 'decreasing')) {
    problems.push(`shiftBackSteps must be strictly decreasing integers in 0..99 ending at 0; got ${formatList(config.shiftBackSteps)}`);
  }
  const seconds = [
    'shiftOutPauseSeconds', 'shiftBackPauseSeconds', 'minFargateSeconds', 'drainSeconds', 'healthBackoffSeconds', 'errorBackoffSeconds',
    'maxBackoffSeconds', 'recurrenceWindowSeconds', 'maxHoldSeconds',
  ] as const;
  for (const key of seconds) {
    if (!isFiniteAtLeast(config[key], 0)) {
      problems.push(`${key} must be a number of seconds >= 0; got ${show(config[key])}`);
    }
  }
  if (!Number.isInteger(config.minTasks) || config.minTasks < 1) {
    problems.push(`minTasks must be an integer >= 1 (Fargate never carries traffic without a task); got ${show(config.minTasks)}`);
  }
  if (!Number.isInteger(config.maxTasks) || config.maxTasks < Math.max(1, config.minTasks)) {
    problems.push(`maxTasks must be an integer >= minTasks (${show(config.minTasks)}); got ${show(config.maxTasks)}`);
  }
  for (const key of ['requestsPerTaskPerMinute', 'taskCapacityRequestsPerMinute', 'scaleInRequestsPerMinute'] as const) {
    if (!isFiniteAtLeast(config[key], Number.MIN_VALUE)) {
      problems.push(`${key} must be a number > 0; got ${show(config[key])}`);
    }
  }
  if (!Number.isInteger(config.overflowLambdaWeight) || config.overflowLambdaWeight < 0 || config.overflowLambdaWeight > 99) {
    problems.push(`overflowLambdaWeight must be an integer in 0..99 (0 disables overflow); got ${show(config.overflowLambdaWeight)}`);
  }
  if (!Number.isInteger(config.weightGranularity) || config.weightGranularity < 1 || config.weightGranularity > 50) {
    problems.push(`weightGranularity must be an integer in 1..50; got ${show(config.weightGranularity)}`);
  }
  if (!Number.isInteger(config.stepsWaitingForDatapoint) || config.stepsWaitingForDatapoint < 0 || config.stepsWaitingForDatapoint > 100) {
    problems.push(`stepsWaitingForDatapoint must be an integer in 0..100; got ${show(config.stepsWaitingForDatapoint)}`);
  }
  if (!isFiniteAtLeast(config.errorRateMargin, 0) || config.errorRateMargin > 1) {
    problems.push(`errorRateMargin must be a share of requests in 0..1; got ${show(config.errorRateMargin)}`);
  }
  if (!Number.isInteger(config.minErrors) || config.minErrors < 1) {
    problems.push(`minErrors must be an integer >= 1; got ${show(config.minErrors)}`);
  }
  if (!isFiniteAtLeast(config.overloadResponseTimeRatio, 1)) {
    problems.push(`overloadResponseTimeRatio must be a number >= 1; got ${show(config.overloadResponseTimeRatio)}`);
  }
  if (isFiniteAtLeast(config.maxBackoffSeconds, 0) && config.maxBackoffSeconds < Math.max(config.healthBackoffSeconds, config.errorBackoffSeconds)) {
    problems.push(`maxBackoffSeconds ${show(config.maxBackoffSeconds)} must be at least healthBackoffSeconds and errorBackoffSeconds`);
  }
  return problems;
}

/** The config, or an error listing every problem. */
export function assertValidConfig(config: ControllerConfig): void {
  const problems = validateControllerConfig(config);
  if (problems.length > 0) {
    throw new Error(`Invalid controller config: ${problems.join('; ')}`);
  }
}

function isStrictlyMonotonic(steps: readonly number[], min: number, max: number, direction: 'increasing' | 'decreasing'): boolean {
  if (!Array.isArray(steps) || steps.length === 0) {
    return false;
  }
  const last = direction === 'increasing' ? 100 : 0;
  return steps[steps.length - 1] === last && steps.every((step, i) =>
    Number.isInteger(step) && step >= min && step <= max
    && (i === 0 || (direction === 'increasing' ? step > steps[i - 1] : step < steps[i - 1])));
}

function isFiniteAtLeast(value: number, min: number): boolean {
  return typeof value === 'number' && Number.isFinite(value) && value >= min;
}

function formatList(values: readonly number[]): string {
  return Array.isArray(values) ? `[${values.map(show).join(', ')}]` : show(values);
}

/** A value as JSON, so a string "512" or a stray newline is visible. */
function show(value: unknown): string {
  return typeof value === 'number' && !Number.isFinite(value) ? String(value) : JSON.stringify(value) ?? String(value);
}
