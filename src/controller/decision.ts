/**
 * The controller's decision: from one observation and the tunables, the changes to make and why.
 * Pure: no AWS SDK, no clock, no I/O, so the same function runs in the controller Lambda, the simulator and
 * property tests. Every rule below reads the observation afresh, so a decision whose actions were only partly
 * applied is simply followed by one that sees what did take effect and continues from there.
 */
import { Action, ControllerConfig, Decision, Intent, Marks, ObservedState, Phase } from './types';

/** Tunables used where the construct's `scaling` props leave a value out. */
export const DEFAULT_CONTROLLER_CONFIG: ControllerConfig = {
  // A small first step lets the new tasks, and the Fargate error alarm, see real traffic before they carry half of it.
  shiftOutSteps: [10, 50, 100],
  shiftOutPauseSeconds: 30,
  // Lambda grows by at most 1,000 concurrent executions per 10 s per function and every new execution environment
  // starts cold, so the cold side never gets the whole load at once: it takes half, then 80 %, then all, 60 s apart.
  // The scale-in alarm fires at low load (around one task's 3,000 requests/min, i.e. 50 requests/s, tens of
  // concurrent executions), so even the first step is far inside one burst window, and each pause lets the
  // environments warmed by one step absorb the next, smaller, increment.
  shiftBackSteps: [50, 20, 0],
  shiftBackPauseSeconds: 60,
  minTasks: 1,
  maxTasks: 10,
  requestsPerTaskPerMinute: 3000,
  // Ten minutes on Fargate before the scale-in alarm may send traffic back, so a lull between bursts does not
  // make traffic bounce between the two sides.
  minFargateSeconds: 600,
  // ALB does not drain requests when a weight changes, only when a target deregisters: in-flight requests
  // on the Fargate side get this long to finish before their tasks are stopped.
  drainSeconds: 30,
  overflowLambdaWeight: 0,
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
  for (const key of ['shiftOutPauseSeconds', 'shiftBackPauseSeconds', 'minFargateSeconds', 'drainSeconds'] as const) {
    if (!isFiniteAtLeast(config[key], 0)) {
      problems.push(`${key} must be a number of seconds >= 0; got ${config[key]}`);
    }
  }
  if (!Number.isInteger(config.minTasks) || config.minTasks < 1) {
    problems.push(`minTasks must be an integer >= 1 (Fargate never carries traffic without a task); got ${config.minTasks}`);
  }
  if (!Number.isInteger(config.maxTasks) || config.maxTasks < Math.max(1, config.minTasks)) {
    problems.push(`maxTasks must be an integer >= minTasks (${config.minTasks}); got ${config.maxTasks}`);
  }
  if (!isFiniteAtLeast(config.requestsPerTaskPerMinute, Number.MIN_VALUE)) {
    problems.push(`requestsPerTaskPerMinute must be a number > 0; got ${config.requestsPerTaskPerMinute}`);
  }
  if (!Number.isInteger(config.overflowLambdaWeight) || config.overflowLambdaWeight < 0 || config.overflowLambdaWeight > 99) {
    problems.push(`overflowLambdaWeight must be an integer in 0..99 (0 disables overflow); got ${config.overflowLambdaWeight}`);
  }
  return problems;
}

/** Decides the changes to make from one observation. Throws only when the config itself is unusable. */
export function decide(observed: ObservedState, config: ControllerConfig): Decision {
  assertValidConfig(config);
  const previous = previousIntent(observed);
  const intentChoice = resolveIntent(observed, config, previous);
  const intent = intentChoice.intent;
  // The overflow ceiling is judged on the task count this decision leaves, so deciding again after the
  // actions are applied finds nothing more to do.
  const planned = plannedDesiredCount(observed, config, intent, true);
  const ceiling = fargateCeiling({ overloadAlarm: observed.overloadAlarm, desiredCount: planned }, config);
  const weight = intent === 'fargate'
    ? planShiftOut(observed, config, ceiling)
    : planShiftBack(observed, config, intent !== previous);
  const weightsChange = weight.fargate !== observed.fargateWeight || 100 - weight.fargate !== observed.lambdaWeight;
  const capacity = intent === 'fargate'
    ? planFargateCapacity(observed, config, weight.fargate >= ceiling)
    : planDrain(observed, config, weight.fargate, weightsChange);
  const marks = marksToWrite(observed, intent, weightsChange || !!weight.startClock || !!capacity.startClock);
  const atRest = intent === 'lambda' && isAtRest(observed);

  const actions: Action[] = [...capacity.before];
  if (marks) {
    // Marks go before the weights: if only one of the two takes effect, the mark claims a change that did not
    // happen (the next step merely waits longer) rather than a change going unrecorded (a drain starting early).
    actions.push({ kind: 'setMarks', marks });
  }
  if (weightsChange) {
    actions.push({ kind: 'setWeights', lambda: 100 - weight.fargate, fargate: weight.fargate });
  }
  actions.push(...capacity.after);
  actions.push({ kind: atRest ? 'disableReconcile' : 'enableReconcile' });

  return {
    phase: derivePhase(observed, config),
    intent,
    actions,
    reason: sentence([intentChoice.why, weight.why, capacity.why]),
    needsReconcile: !atRest,
  };
}

/**
 * Whether the invocation that made this decision should look again after the poll interval. Polling pays only
 * while traffic or capacity is moving: a steady Fargate phase waits for the one-minute schedule or an alarm,
 * which keeps a long Fargate period from running the controller without pause.
 */
export function keepsPolling(decision: Decision): boolean {
  if (!decision.needsReconcile) {
    return false;
  }
  const moving = decision.actions.some(a => a.kind === 'setWeights' || a.kind === 'setDesiredCount' || a.kind === 'setMinCapacity');
  return moving || decision.phase !== 'FARGATE';
}

/**
 * The phase the observation shows, judged with the intent the controller held before this decision
 * (its marks, or what the resources imply when the marks are lost).
 */
export function derivePhase(observed: ObservedState, config: ControllerConfig): Phase {
  const share = fargateShare(observed);
  if (previousIntent(observed) === 'lambda') {
    if (share > 0) {
      return 'SHIFTING_TO_LAMBDA';
    }
    // A minimum capacity left above 0 still keeps tasks, so the drain is not over until both are 0.
    return observed.desiredCount > 0 || observed.minCapacity > 0 ? 'DRAINING' : 'LAMBDA';
  }
  if (share === 0) {
    return 'SCALING_OUT';
  }
  // At the overflow weight Fargate has all the traffic it may take, which is where the shift out ends.
  return share >= fargateCeiling(observed, config) ? 'FARGATE' : 'SHIFTING_TO_FARGATE';
}

/**
 * What the resources say the intent was when the marks are lost (a redeploy can drop the tags): Fargate
 * weight or tasks kept without a scale-in alarm mean the controller had been steering to Fargate.
 */
export function inferIntent(observed: ObservedState): Intent {
  if (fargateShare(observed) > 0) {
    return 'fargate';
  }
  return observed.desiredCount > 0 && observed.scaleInAlarm !== 'ALARM' ? 'fargate' : 'lambda';
}

/** Tasks to start before Fargate takes traffic: enough for the current load, within minTasks..maxTasks. */
export function initialTaskCount(requestsPerMinute: number, config: ControllerConfig): number {
  const load = Number.isFinite(requestsPerMinute) ? Math.max(0, requestsPerMinute) : 0;
  return clamp(Math.ceil(load / config.requestsPerTaskPerMinute), config.minTasks, config.maxTasks);
}

/**
 * Healthy targets needed before Fargate may take `fargateWeight` percent: that share of the initial task count,
 * and never fewer than one, so a step is never bigger than the tasks ready to serve it.
 */
export function targetsNeededFor(fargateWeight: number, initialTasks: number): number {
  return Math.max(1, Math.ceil((fargateWeight * initialTasks) / 100));
}

/** The next Fargate weight on the way out; a weight between steps (config changed, overflow) goes to the next one up. */
export function nextShiftOutStep(fargateWeight: number, steps: readonly number[]): number {
  return steps.find((step) => step > fargateWeight) ?? 100;
}

/** The next Fargate weight on the way back; a weight between steps goes to the next one down. */
export function nextShiftBackStep(fargateWeight: number, steps: readonly number[]): number {
  return steps.find((step) => step < fargateWeight) ?? 0;
}

/**
 * Tasks a shift is sized for: from the load when the shift starts, then the minimum capacity the controller set at
 * that moment. A fresher load reading mid-shift still raises the capacity, but does not make the next step wait for
 * the extra task to start (the simulator saw that push a full shift past 180 s).
 */
export function shiftTaskCount(observed: ObservedState, config: ControllerConfig): number {
  if (fargateShare(observed) > 0 && observed.minCapacity >= config.minTasks) {
    return clamp(observed.minCapacity, config.minTasks, config.maxTasks);
  }
  return initialTaskCount(observed.requestsPerMinute, config);
}

/**
 * The highest Fargate weight allowed now: 100, or 100 - overflowLambdaWeight while Fargate is overloaded
 * at maxTasks, because then only Lambda can take more.
 */
export function fargateCeiling(observed: Pick<ObservedState, 'overloadAlarm' | 'desiredCount'>, config: ControllerConfig): number {
  const overflowing = config.overflowLambdaWeight > 0
    && observed.overloadAlarm === 'ALARM'
    && observed.desiredCount >= config.maxTasks;
  return overflowing ? 100 - config.overflowLambdaWeight : 100;
}

/**
 * Fargate's share of the listener in percent. The controller always writes weights summing to 100, but a hand
 * edit may not; the share is what ALB actually sends, and a decision rewrites the weights when they differ from it.
 */
export function fargateShare(observed: Pick<ObservedState, 'lambdaWeight' | 'fargateWeight'>): number {
  const lambda = Math.max(0, observed.lambdaWeight);
  const fargate = Math.max(0, observed.fargateWeight);
  if (!(lambda + fargate > 0)) {
    return 0;
  }
  return clamp(Math.round((100 * fargate) / (lambda + fargate)), 0, 100);
}

interface IntentChoice {
  readonly intent: Intent;
  readonly why: string;
}

/** A Fargate weight to set, and why. `startClock` asks for lastWeightChangeMs to be written because it is unknown. */
interface WeightPlan {
  readonly fargate: number;
  readonly why: string;
  readonly startClock?: boolean;
}

/** Capacity changes: `before` runs ahead of the weights (raising), `after` behind them (lowering). */
interface CapacityPlan {
  readonly before: Action[];
  readonly after: Action[];
  readonly why?: string;
  readonly startClock?: boolean;
}

function assertValidConfig(config: ControllerConfig): void {
  const problems = validateControllerConfig(config);
  if (problems.length > 0) {
    throw new Error(`Invalid controller config: ${problems.join('; ')}`);
  }
}

function previousIntent(observed: ObservedState): Intent {
  return observed.marks.intent ?? inferIntent(observed);
}

function resolveIntent(observed: ObservedState, config: ControllerConfig, previous: Intent): IntentChoice {
  if (observed.override !== 'auto') {
    return { intent: observed.override, why: `override pins intent to ${observed.override}` };
  }
  if (observed.scaleOutAlarm === 'ALARM') {
    return { intent: 'fargate', why: 'scale-out alarm is ALARM so intent is fargate' };
  }
  if (observed.scaleInAlarm === 'ALARM' && previous === 'fargate') {
    return resolveScaleIn(observed, config);
  }
  if (observed.marks.intent === undefined) {
    return { intent: previous, why: `intent marks are missing so intent ${previous} is inferred from the listener and service` };
  }
  return { intent: previous, why: `intent stays ${previous}` };
}

/** Fargate keeps the traffic for minFargateSeconds even when the scale-in alarm fires, so bursty load does not flap. */
function resolveScaleIn(observed: ObservedState, config: ControllerConfig): IntentChoice {
  // An unknown start counts as now: the marks are written below, so the minimum is served from this decision on.
  const onFargate = secondsSince(observed, observed.marks.intentSinceMs) ?? 0;
  if (onFargate >= config.minFargateSeconds) {
    return { intent: 'lambda', why: `scale-in alarm is ALARM after ${round(onFargate)} s on Fargate so intent is lambda` };
  }
  return {
    intent: 'fargate',
    why: `scale-in alarm is ALARM but Fargate has had only ${round(onFargate)} of its ${config.minFargateSeconds} s minimum so intent stays fargate`,
  };
}

/**
 * Steering to Fargate. A redeploy that reset the listener to Lambda restarts here at the first step, like a
 * fresh scale-out, even when all tasks are still healthy: a redeploy is when a new image arrives, and the
 * small first step is what lets the Fargate error alarm catch a bad one before it carries everything.
 */
function planShiftOut(observed: ObservedState, config: ControllerConfig, ceiling: number): WeightPlan {
  const current = fargateShare(observed);
  if (current > 0 && observed.healthyTargets === 0) {
    return allToLambda(current);
  }
  if (current > ceiling) {
    return { fargate: ceiling, why: `Fargate is overloaded at maxTasks (${config.maxTasks}) so Lambda takes ${100 - ceiling} % as overflow` };
  }
  if (current === ceiling) {
    return hold(current, ceiling === 100 ? 'Fargate carries all traffic' : `Lambda keeps ${100 - ceiling} % as overflow while Fargate is overloaded at maxTasks`);
  }
  if (observed.fargateErrorAlarm === 'ALARM') {
    return hold(current, `Fargate error alarm is ALARM so the Fargate weight holds at ${current}`);
  }
  const next = Math.min(nextShiftOutStep(current, config.shiftOutSteps), ceiling);
  const needed = targetsNeededFor(next, shiftTaskCount(observed, config));
  if (observed.healthyTargets < needed) {
    return hold(current, `Fargate weight ${current} waits for ${plural(needed, 'healthy target')} before going to ${next} (${observed.healthyTargets} healthy)`);
  }
  if (current === 0) {
    return { fargate: next, why: `${plural(observed.healthyTargets, 'healthy Fargate target')} so Fargate weight goes 0 -> ${next}` };
  }
  return stepAfterPause(observed, current, next, config.shiftOutPauseSeconds);
}

/** Steering to Lambda: down through shiftBackSteps, the first step at once because scale-in was already sustained. */
function planShiftBack(observed: ObservedState, config: ControllerConfig, intentChangedNow: boolean): WeightPlan {
  const current = fargateShare(observed);
  if (current === 0) {
    return hold(0, 'Lambda takes all traffic');
  }
  if (observed.healthyTargets === 0) {
    return allToLambda(current);
  }
  const next = nextShiftBackStep(current, config.shiftBackSteps);
  if (isFirstStepBack(observed, intentChangedNow)) {
    return { fargate: next, why: `first step back to Lambda: Fargate weight ${current} -> ${next}` };
  }
  return stepAfterPause(observed, current, next, config.shiftBackPauseSeconds);
}

/** No weight change has been recorded since the intent turned to lambda (or it turns now). */
function isFirstStepBack(observed: ObservedState, intentChangedNow: boolean): boolean {
  const { intentSinceMs, lastWeightChangeMs } = observed.marks;
  return intentChangedNow || (intentSinceMs !== undefined && lastWeightChangeMs !== undefined && lastWeightChangeMs < intentSinceMs);
}

/** Safety first: a weighted group with no healthy target drops requests, so Lambda takes everything now. */
function allToLambda(current: number): WeightPlan {
  return { fargate: 0, why: `Fargate weight ${current} has no healthy targets so Lambda takes all traffic at once` };
}

function stepAfterPause(observed: ObservedState, current: number, next: number, pauseSeconds: number): WeightPlan {
  const elapsed = secondsSinceWeightChange(observed, pauseSeconds);
  if (elapsed === undefined) {
    // The change time was lost with the tags: assume it was just now, which only delays the next step.
    return { fargate: current, startClock: true, why: `the last weight change time is unknown so the ${pauseSeconds} s pause before ${next} starts now` };
  }
  if (elapsed < pauseSeconds) {
    return hold(current, `Fargate weight ${current} waits for the ${pauseSeconds} s pause (${round(elapsed)} s elapsed) before going to ${next}`);
  }
  return { fargate: next, why: `Fargate weight goes ${current} -> ${next} after the ${pauseSeconds} s pause` };
}

function hold(fargate: number, why: string): WeightPlan {
  return { fargate, why };
}

/**
 * Tasks for Fargate: at least the initial count, and never fewer than ECS autoscaling chose, since it owns sizing
 * above the minimum. The minimum capacity holds the initial count while the shift is under way (the target tracking
 * policy would otherwise scale in the tasks that get little traffic yet) and goes back to minTasks once Fargate
 * has all the traffic it may take, so autoscaling can size the service to the load from there.
 */
function planFargateCapacity(observed: ObservedState, config: ControllerConfig, shiftComplete: boolean): CapacityPlan {
  const initial = initialTaskCount(observed.requestsPerMinute, config);
  const min = shiftComplete ? config.minTasks : Math.max(observed.minCapacity, initial);
  const desired = plannedDesiredCount(observed, config, 'fargate', shiftComplete);
  const before: Action[] = [];
  const after: Action[] = [];
  const why: string[] = [];
  if (min !== observed.minCapacity) {
    // Raising goes first so autoscaling cannot scale in between the two calls; lowering waits until after the weights.
    (min > observed.minCapacity ? before : after).push({ kind: 'setMinCapacity', min });
    why.push(`minimum capacity ${observed.minCapacity} -> ${min}`);
  }
  if (desired !== observed.desiredCount) {
    before.push({ kind: 'setDesiredCount', count: desired });
    why.push(`desired count ${observed.desiredCount} -> ${desired} for ${round(observed.requestsPerMinute)} requests/min`);
  }
  return { before, after, why: why.length > 0 ? why.join(' and ') : undefined };
}

/**
 * The desired count after this decision's raise; only the drain lowers it, and not in the same decision as a weight change.
 * - During the shift: the tasks the shift is sized for.
 * - Once Fargate has all the traffic it may take, ECS target tracking owns the count: raising it from every fresh load
 *   reading would override autoscaling's slower scale-in and keep a task too many (the simulator measured 7 % more task
 *   hours at a steady 200 requests/s). Two exceptions: a count below minTasks while weighted is a reset (a redeploy wrote
 *   the template's 0), which is restored for the current load; and an overload alarm raises it for the load at once.
 */
function plannedDesiredCount(observed: ObservedState, config: ControllerConfig, intent: Intent, shiftComplete: boolean): number {
  if (intent !== 'fargate') {
    return observed.desiredCount;
  }
  const forLoad = initialTaskCount(observed.requestsPerMinute, config);
  const autoscalingOwnsCount = shiftComplete && observed.overloadAlarm !== 'ALARM' && observed.desiredCount >= config.minTasks;
  return Math.max(observed.desiredCount, autoscalingOwnsCount ? config.minTasks : forLoad);
}


/** Steering to Lambda: tasks stay while Fargate has weight, then for drainSeconds after its weight reached 0. */
function planDrain(observed: ObservedState, config: ControllerConfig, fargateAfter: number, weightsChange: boolean): CapacityPlan {
  const none: Action[] = [];
  if (fargateAfter > 0 || (observed.desiredCount === 0 && observed.minCapacity === 0)) {
    return { before: none, after: none };
  }
  if (weightsChange) {
    return { before: none, after: none, why: `tasks drain for ${config.drainSeconds} s before the service scales to zero` };
  }
  const elapsed = secondsSinceWeightChange(observed, config.drainSeconds);
  if (elapsed === undefined) {
    return { before: none, after: none, startClock: true, why: `the last weight change time is unknown so the ${config.drainSeconds} s drain starts now` };
  }
  if (elapsed < config.drainSeconds) {
    return { before: none, after: none, why: `tasks drain for ${config.drainSeconds} s (${round(elapsed)} s elapsed) before the service scales to zero` };
  }
  // Minimum first: with it still above 0, autoscaling could raise the desired count straight back.
  const after: Action[] = [];
  if (observed.minCapacity !== 0) {
    after.push({ kind: 'setMinCapacity', min: 0 });
  }
  if (observed.desiredCount !== 0) {
    after.push({ kind: 'setDesiredCount', count: 0 });
  }
  return { before: none, after, why: `Fargate weight has been 0 for ${round(elapsed)} s so the service scales to zero` };
}

/**
 * Marks to write, or undefined. The intent is written when it changes and also when its record is incomplete,
 * so marks lost in a redeploy are restored; the change time is written with every weight change.
 */
function marksToWrite(observed: ObservedState, intent: Intent, writeClock: boolean): Marks | undefined {
  const writeIntent = observed.marks.intent !== intent || observed.marks.intentSinceMs === undefined;
  if (!writeIntent && !writeClock) {
    return undefined;
  }
  return {
    ...(writeIntent ? { intent, intentSinceMs: observed.nowMs } : {}),
    ...(writeClock ? { lastWeightChangeMs: observed.nowMs } : {}),
  };
}

/**
 * At rest only when the observation already is: a decision that scales to zero keeps the reconcile schedule on,
 * so the next decision confirms the drain took effect before the schedule is turned off.
 */
function isAtRest(observed: ObservedState): boolean {
  return observed.lambdaWeight === 100 && observed.fargateWeight === 0 && observed.desiredCount === 0 && observed.minCapacity === 0;
}

/** Undefined when the change time is unknown and matters; a zero wait needs no clock. */
function secondsSinceWeightChange(observed: ObservedState, waitSeconds: number): number | undefined {
  const elapsed = secondsSince(observed, observed.marks.lastWeightChangeMs);
  return elapsed === undefined && waitSeconds <= 0 ? 0 : elapsed;
}

function secondsSince(observed: ObservedState, epochMs: number | undefined): number | undefined {
  return epochMs === undefined ? undefined : (observed.nowMs - epochMs) / 1000;
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
  return Array.isArray(values) ? `[${values.join(', ')}]` : String(values);
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}

function round(value: number): number {
  return Math.round(value);
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

function sentence(clauses: ReadonlyArray<string | undefined>): string {
  const text = clauses.filter((clause): clause is string => !!clause).join('; ');
  return `${text.charAt(0).toUpperCase()}${text.slice(1)}.`;
}
