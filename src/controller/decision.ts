/**
 * The controller's decision: from one observation and the tunables, the changes to make and why.
 * Pure: no AWS SDK, no clock, no I/O, so the same function runs in the controller Lambda, the simulator and
 * property tests. Every rule below reads the observation afresh, so a decision whose actions were only partly
 * applied is simply followed by one that sees what did take effect and continues from there.
 *
 * The rules, in the order they are checked:
 * - Safety: Fargate never keeps weight without a healthy running task, nor more than its healthy tasks can carry at
 *   the estimated demand (Lambda takes the rest at once), nor while its error rate is materially worse than Lambda's.
 *   Taking weight away for lost health or errors is a failback; the next shift waits for a backoff that doubles with
 *   each failback in a row.
 * - Intent: the override, then the scale-out alarm, then the scale-in alarm after a hold that grows when scale-outs
 *   recur soon after the previous return to Lambda; a scale-out whose load fell away before the first weight is
 *   cancelled.
 * - Progress: towards Fargate in steps after pauses, the first step only once a published minute shows Fargate
 *   serving it without errors; back to Lambda in steps; tasks drained, then stopped.
 */
import { assertValidConfig } from './tunables';
import { Action, ControllerConfig, Decision, FailbackReason, Intent, Marks, ObservedState, Phase, TrafficMetrics } from './types';

/** Requests in the two-minute window below which error rates and response times say nothing. */
const MIN_REQUESTS_FOR_RATES = 60;
/** The estimator extrapolates the newest minute's rise over at most this many minutes (the usual publication lag). */
const MAX_EXTRAPOLATED_MINUTES = 2;
/** Autoscaling sizes tasks near their target; the controller adds tasks itself only beyond this margin over it. */
const RAISE_MARGIN = 1.1;
/** Capacity counted on after an overload: this share of what each task carried when it overloaded. */
const LEARNED_CAPACITY_MARGIN = 0.8;
/** The newest high-load time is rewritten at most this often, to keep tag writes rare. */
const HIGH_LOAD_MARK_EVERY_MS = 60_000;

/** Decides the changes to make from one observation. Throws only when the config itself is unusable. */
export function decide(observed: ObservedState, config: ControllerConfig): Decision {
  assertValidConfig(config);
  const previous = previousIntent(observed);
  const intentChoice = resolveIntent(observed, config, previous);
  const intent = intentChoice.intent;
  const allowed = allowedShare(observed, config);
  const weight = intent === 'fargate' && !intentChoice.failback
    ? planShiftOut(observed, config, allowed)
    : capped(planShiftBack(observed, config, intent !== previous, intentChoice.failback !== undefined), allowed);
  const weightsChange = weight.fargate !== observed.fargateWeight || 100 - weight.fargate !== observed.lambdaWeight;
  const capacity = intent === 'fargate'
    ? planFargateCapacity(observed, config, weight.fargate >= 100)
    : planDrain(observed, config, weight.fargate, weightsChange);
  const marks = marksToWrite({
    observed,
    config,
    intent,
    previous,
    weightAfter: weight.fargate,
    weightsChange,
    startClock: !!weight.startClock || !!capacity.startClock,
    failback: intentChoice.failback ?? weight.failback,
    suspend: weight.suspend,
    resume: weight.resume,
  });
  // At rest: idle on Lambda, or settled on Fargate. Either way only an event (or the heartbeat) brings the next decision.
  const atRest = (intent === 'lambda' && isAtRest(observed) && !waitsForBackoff(observed, config))
    || isSettledOnFargate(observed, intent, previous, weight.fargate, capacity);

  const actions: Action[] = [];
  if (!atRest) {
    // First, so that whatever fails after it, the schedule is there to try again.
    actions.push({ kind: 'enableReconcile' });
  }
  const setWeights: Action[] = weightsChange ? [{ kind: 'setWeights', lambda: 100 - weight.fargate, fargate: weight.fargate }] : [];
  const setMarks: Action[] = marks ? [{ kind: 'setMarks', marks }] : [];
  // Marks go before the weights: if only one of the two takes effect, the mark claims a change that did not happen
  // (the next step merely waits longer) rather than a change going unrecorded (a failback without its backoff).
  if (weightsChange && weight.fargate < fargateShare(observed)) {
    // Taking weight from Fargate is the safety move: it goes before any capacity raise, so a failing
    // RegisterScalableTarget or UpdateService cannot keep traffic on a side that cannot carry it.
    actions.push(...setMarks, ...setWeights, ...capacity.before);
  } else {
    actions.push(...capacity.before, ...setMarks, ...setWeights);
  }
  actions.push(...capacity.after);
  if (atRest) {
    actions.push({ kind: 'disableReconcile' });
  }
  const phase = derivePhase(observed, config);
  const moving = actions.some((a) => a.kind === 'setWeights' || a.kind === 'setDesiredCount' || a.kind === 'setMinCapacity');
  return {
    phase,
    intent,
    actions,
    reason: sentence([intentChoice.why, weight.why, capacity.why]),
    needsReconcile: !atRest,
    pollSoon: !atRest && (moving || (phase !== 'FARGATE' && !weight.waiting && !(intent === 'lambda' && isAtRest(observed) && waitsForBackoff(observed, config)))),
  };
}

/**
 * Whether the invocation that made this decision should look again after the poll interval. Polling pays only while
 * traffic or capacity moves; a steady Fargate phase, a backoff or a wait for a datapoint lets the one-minute schedule
 * or an event bring the next decision, which keeps a long Fargate period from running the controller without pause.
 */
export function keepsPolling(decision: Decision): boolean {
  return decision.pollSoon;
}

/**
 * Whether an observation needs the recent metrics (GetMetricData, billed per metric read). Not at rest on Lambda with
 * nothing in motion, and not while Fargate carries everything with every alarm quiet: there the Fargate error alarm,
 * the overload alarm and the scale-out alarm say when errors or demand need a look. Always while a shift is under way,
 * while tasks start (to size them), and when an alarm is in ALARM.
 */
export function needsTraffic(observed: ObservedState): boolean {
  const alarmed = observed.scaleOutAlarm === 'ALARM' || observed.fargateErrorAlarm === 'ALARM' || observed.overloadAlarm === 'ALARM';
  const share = fargateShare(observed);
  if (alarmed || (observed.override === 'fargate' && share < 100)) {
    return true;
  }
  if (previousIntent(observed) === 'lambda') {
    return share > 0;
  }
  return share < 100 || changedRecently(observed);
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
  // Fargate has all the traffic it may take now (its healthy capacity, the overflow ceiling) where the shift ends.
  return share >= allowedShare(observed, config).share ? 'FARGATE' : 'SHIFTING_TO_FARGATE';
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

/**
 * Requests per minute expected now. Metrics describe minutes that ended one to four minutes ago, so the newest
 * published minute is extrapolated by its rise over the one before, for the minutes since it ended (at most two), and
 * never lowered: on a surge the estimate runs ahead of the data (a jump from idle to 1,500 requests/s reads as two and
 * a half times that for a minute), and a falling load keeps Fargate's share sized for the higher figure until the data
 * shows the fall. Either way the error is towards Lambda, which has no ceiling here.
 */
export function estimateDemand(traffic: TrafficMetrics | undefined, nowMs: number): number {
  const [latest, previous] = traffic?.requestsPerMinute ?? [];
  if (latest === undefined || !(latest > 0)) {
    return 0;
  }
  // Without the minute before, the trend is unknown (not a rise from nothing: an idle minute with any request is a
  // datapoint, so a missing one is usually not yet published).
  const rise = previous === undefined ? 0 : Math.max(0, latest - previous);
  const endMs = (traffic!.latestMinuteStartMs ?? nowMs) + 60_000;
  const minutesAhead = clamp((nowMs - endMs) / 60_000, 0, MAX_EXTRAPOLATED_MINUTES);
  return latest + rise * minutesAhead;
}

/** Tasks to start before Fargate takes traffic: enough for the demand, within minTasks..maxTasks. */
export function initialTaskCount(requestsPerMinute: number, config: ControllerConfig): number {
  const load = Number.isFinite(requestsPerMinute) ? Math.max(0, requestsPerMinute) : 0;
  return clamp(Math.ceil(load / config.requestsPerTaskPerMinute), config.minTasks, config.maxTasks);
}

/** The next Fargate weight on the way out; a weight between steps (capped, config changed) goes to the next one up. */
export function nextShiftOutStep(fargateWeight: number, steps: readonly number[]): number {
  return steps.find((step) => step > fargateWeight) ?? 100;
}

/** The next Fargate weight on the way back; a weight between steps goes to the next one down. */
export function nextShiftBackStep(fargateWeight: number, steps: readonly number[]): number {
  return steps.find((step) => step < fargateWeight) ?? 0;
}

/**
 * The overflow ceiling: 100, or 100 - overflowLambdaWeight while Fargate is overloaded at maxTasks (the overload
 * alarm), because then only Lambda can take more.
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

/**
 * The largest Fargate share allowed now, rounded down to the weight granularity: what the healthy running tasks can
 * carry of the estimated demand, at the per-task capacity of the prop or, once Fargate was seen to overload, at what it
 * carried then less a margin; halved while Fargate is overloaded; and the overflow ceiling.
 */
export function allowedShare(observed: ObservedState, config: ControllerConfig): { share: number; why?: string } {
  const demand = estimateDemand(observed.traffic, observed.nowMs);
  const learnedNow = fargateShare(observed) > 0 ? learnedMarks(observed, config).learnedCapacityRpm : undefined;
  const perTask = learnedNow !== undefined && learnedNow > 0
    ? Math.min(config.taskCapacityRequestsPerMinute, learnedNow)
    : taskCapacity(observed, config);
  const capacity = observed.healthyTargets * perTask;
  let share = demand > 0 ? floorTo(Math.min(100, (100 * capacity) / demand), config.weightGranularity) : 100;
  const byProp = demand > 0
    ? floorTo(Math.min(100, (100 * observed.healthyTargets * config.taskCapacityRequestsPerMinute) / demand), config.weightGranularity)
    : 100;
  if (share < config.weightGranularity && byProp >= config.weightGranularity) {
    share = config.weightGranularity;
  }
  let why = demand > 0 && share < 100
    ? `${plural(observed.healthyTargets, 'healthy task')} carry ${round(capacity)} of an estimated ${round(demand)} requests/min`
    : undefined;
  const current = fargateShare(observed);
  const overload = current > 0 ? overloadOf(observed, config) : undefined;
  if (overload && isFreshFor(observed, observed.marks.lastWeightChangeMs)) {
    // Once per datapoint that shows the current weight: the same stale minute must not halve the share again.
    share = Math.min(share, Math.max(config.weightGranularity, floorTo(current / 2, config.weightGranularity)));
    why = overload.why;
  }
  const ceiling = fargateCeiling({
    overloadAlarm: observed.overloadAlarm, desiredCount: Math.max(observed.desiredCount, initialTaskCount(observed.requestsPerMinute, config)),
  }, config);
  if (ceiling < share) {
    share = ceiling;
    why = `Fargate is overloaded at maxTasks (${config.maxTasks}) so Lambda keeps ${100 - ceiling} % as overflow`;
  }
  return { share, why };
}

/** Whether the newest published minute began at or after `sinceMs` (it shows what happened since). */
function isFreshFor(observed: ObservedState, sinceMs: number | undefined): boolean {
  const latest = observed.traffic?.latestMinuteStartMs;
  return sinceMs === undefined || (latest !== undefined && latest >= sinceMs);
}

/** Requests per minute one healthy task is counted on for: the prop, or less once Fargate was seen to overload. */
export function taskCapacity(observed: ObservedState, config: ControllerConfig): number {
  const learned = observed.marks.learnedCapacityRpm ?? 0;
  return learned > 0 ? Math.min(config.taskCapacityRequestsPerMinute, learned) : config.taskCapacityRequestsPerMinute;
}

/**
 * Fargate is overloaded when it answers much slower than a reference: Lambda's response time while Lambda has enough
 * requests, else Fargate's own best time earlier in the shift (so a shift that reached 100 % still has a reference).
 */
export function overloadOf(observed: ObservedState, config: ControllerConfig): { why: string; carriedPerTask: number } | undefined {
  const traffic = observed.traffic;
  const fargate = traffic?.fargate;
  if (!traffic || !fargate || fargate.requests < MIN_REQUESTS_FOR_RATES || fargate.responseTimeMs === undefined) {
    return undefined;
  }
  const lambda = traffic.lambda;
  const lambdaReference = lambda.requests >= MIN_REQUESTS_FOR_RATES && (lambda.responseTimeMs ?? 0) > 0 ? lambda.responseTimeMs : undefined;
  const baseline = (observed.marks.fargateBaselineMs ?? 0) > 0 ? observed.marks.fargateBaselineMs : undefined;
  const reference = lambdaReference ?? baseline;
  if (reference === undefined || !(fargate.responseTimeMs > config.overloadResponseTimeRatio * reference)) {
    return undefined;
  }
  const carriedPerTask = fargate.requests / minutesInWindow(traffic) / Math.max(1, observed.healthyTargets);
  return {
    carriedPerTask,
    why: `Fargate answers in ${round(fargate.responseTimeMs)} ms against ${round(reference)} ms `
      + `(${lambdaReference !== undefined ? 'Lambda' : 'its best this shift'}) at ${round(carriedPerTask)} requests/min per task, so it is overloaded`,
  };
}

/**
 * Whether Fargate's error rate over the window is materially worse than Lambda's. Minutes from before the current
 * shift began are not evidence against it: their errors (a crash, a previous fault) were answered by a failback.
 */
export function isMateriallyWorse(traffic: TrafficMetrics | undefined, config: ControllerConfig, shiftStartMs?: number): boolean {
  if (!traffic || traffic.fargate.errors < config.minErrors || !(traffic.fargate.requests > 0)) {
    return false;
  }
  if (shiftStartMs !== undefined && traffic.windowStartMs !== undefined && traffic.windowStartMs < floorTo(shiftStartMs, 60_000)) {
    return false;
  }
  const fargateRate = traffic.fargate.errors / traffic.fargate.requests;
  const lambdaRate = traffic.lambda.requests > 0 ? traffic.lambda.errors / traffic.lambda.requests : 0;
  return fargateRate > lambdaRate + config.errorRateMargin;
}

/** The backoff after the n-th failback in a row: doubling from the reason's base, capped. */
export function backoffSeconds(failbacks: number, reason: FailbackReason, config: ControllerConfig): number {
  const base = reason === 'errors' ? Math.max(config.errorBackoffSeconds, config.healthBackoffSeconds) : config.healthBackoffSeconds;
  return Math.min(config.maxBackoffSeconds, base * 2 ** Math.max(0, Math.min(30, failbacks - 1)));
}

/** Whether a failback backoff still forbids a shift to Fargate; an error backoff ends when the task definition changes. */
export function inBackoff(observed: ObservedState): boolean {
  const { shiftAllowedAtMs, failbackReason, failbackTaskDefinition } = observed.marks;
  if (shiftAllowedAtMs === undefined || observed.nowMs >= shiftAllowedAtMs) {
    return false;
  }
  const redeployed = failbackReason === 'errors' && failbackTaskDefinition !== undefined
    && observed.taskDefinition !== undefined && observed.taskDefinition !== failbackTaskDefinition;
  return !redeployed;
}

interface IntentChoice {
  readonly intent: Intent;
  readonly why: string;
  readonly failback?: FailbackReason;
}

/** A Fargate weight to set, and why. */
interface WeightPlan {
  readonly fargate: number;
  readonly why: string;
  /** lastWeightChangeMs is unknown and matters: write it now. */
  readonly startClock?: boolean;
  /** Weight taken away for lost health. */
  readonly failback?: FailbackReason;
  /** Waiting for something the schedule or an event will bring (a backoff, a published datapoint). */
  readonly waiting?: boolean;
  /** Weight taken away while stopped tasks still receive requests: the share to restore. */
  readonly suspend?: number;
  /** The suspended share is restored. */
  readonly resume?: boolean;
}

/** Capacity changes: `before` runs ahead of the weights (raising), `after` behind them (lowering). */
interface CapacityPlan {
  readonly before: Action[];
  readonly after: Action[];
  readonly why?: string;
  readonly startClock?: boolean;
}

function previousIntent(observed: ObservedState): Intent {
  return observed.marks.intent ?? inferIntent(observed);
}

function resolveIntent(observed: ObservedState, config: ControllerConfig, previous: Intent): IntentChoice {
  const current = fargateShare(observed);
  if (current > 0 && isMateriallyWorse(observed.traffic, config, observed.marks.shiftStartMs)) {
    const { fargate, lambda } = observed.traffic!;
    return {
      intent: observed.override === 'fargate' ? 'fargate' : 'lambda',
      failback: 'errors',
      why: `Fargate failed ${fargate.errors} of ${fargate.requests} requests against Lambda's ${lambda.errors} of ${lambda.requests} `
        + 'so traffic goes back to Lambda at once',
    };
  }
  if (observed.override !== 'auto') {
    return { intent: observed.override, why: `override pins intent to ${observed.override}` };
  }
  if (observed.scaleOutAlarm === 'ALARM') {
    if (previous === 'lambda' && inBackoff(observed) && observed.marks.failbackReason === 'errors') {
      return { intent: 'lambda', why: `scale-out alarm is ALARM but Fargate errors keep it off until ${iso(observed.marks.shiftAllowedAtMs!)}` };
    }
    return { intent: 'fargate', why: 'scale-out alarm is ALARM so intent is fargate' };
  }
  if (previous === 'fargate' && isPointlessScaleOut(observed, config)) {
    return {
      intent: 'lambda',
      why: `load fell to ${round(observed.requestsPerMinute)} requests/min, below the scale-in threshold, before Fargate took any `
        + 'traffic, so the scale-out is cancelled',
    };
  }
  if (observed.scaleInAlarm === 'ALARM' && previous === 'fargate') {
    return resolveScaleIn(observed, config);
  }
  if (observed.marks.intent === undefined) {
    return { intent: previous, why: `intent marks are missing so intent ${previous} is inferred from the listener and service` };
  }
  return { intent: previous, why: `intent stays ${previous}` };
}

/** A scale-out that has not given Fargate any weight yet, whose load is already below the scale-in threshold. */
function isPointlessScaleOut(observed: ObservedState, config: ControllerConfig): boolean {
  return fargateShare(observed) === 0 && observed.traffic !== undefined && observed.traffic.requestsPerMinute.length > 0
    && observed.requestsPerMinute < config.scaleInRequestsPerMinute;
}

/**
 * Fargate keeps the traffic for a hold after load was last high (and after the shift began) even when the scale-in
 * alarm fires, so bursty load does not flap. The hold doubles with each scale-out that began soon after the previous
 * return to Lambda: bursts that recur faster than a shift pays off keep the service on Fargate, while a lone burst
 * returns after minFargateSeconds.
 */
function resolveScaleIn(observed: ObservedState, config: ControllerConfig): IntentChoice {
  const required = holdSeconds(observed.marks.recurrences ?? 0, config);
  const since = Math.max(observed.marks.intentSinceMs ?? observed.nowMs, observed.marks.lastHighLoadMs ?? -Infinity);
  const held = (observed.nowMs - since) / 1000;
  if (held >= required) {
    return { intent: 'lambda', why: `scale-in alarm is ALARM after ${round(held)} s of the ${round(required)} s hold so intent is lambda` };
  }
  return {
    intent: 'fargate',
    why: `scale-in alarm is ALARM but Fargate has held only ${round(held)} of its ${round(required)} s so intent stays fargate`,
  };
}

/** minFargateSeconds, doubled per recurring scale-out, capped. */
export function holdSeconds(recurrences: number, config: ControllerConfig): number {
  return Math.min(Math.max(config.minFargateSeconds, config.maxHoldSeconds), config.minFargateSeconds * 2 ** Math.min(20, Math.max(0, recurrences)));
}

/**
 * Steering to Fargate. A redeploy that reset the listener to Lambda restarts here at the first step, like a
 * fresh scale-out, even when all tasks are still healthy: a redeploy is when a new image arrives, and the
 * small first step is what lets the error comparison catch a bad one before it carries everything.
 */
function planShiftOut(observed: ObservedState, config: ControllerConfig, allowed: { share: number; why?: string }): WeightPlan {
  const current = fargateShare(observed);
  if (current > 0 && observed.healthyTargets === 0) {
    return { fargate: 0, failback: 'health', why: `Fargate weight ${current} has no healthy running task so Lambda takes all traffic at once` };
  }
  if (current > 0 && (observed.deadTargets ?? 0) > 0) {
    // The load balancer still sends a share of Fargate's requests to the stopped tasks until their checks fail, some
    // seconds from now: Lambda takes everything meanwhile. Not a failback: healthy tasks remain.
    return {
      fargate: 0,
      suspend: current,
      why: `${plural(observed.deadTargets!, 'stopped task')} still count as healthy for the load balancer so Lambda takes Fargate's ${current} % until their checks fail`,
    };
  }
  if (current > allowed.share) {
    return { fargate: allowed.share, why: `${allowed.why ?? 'Fargate may take less now'} so Fargate weight goes ${current} -> ${allowed.share}` };
  }
  if (current === 0) {
    return firstStep(observed, config, allowed);
  }
  const next = Math.min(nextShiftOutStep(current, config.shiftOutSteps), allowed.share);
  if (next <= current) {
    return hold(current, current === 100 ? 'Fargate carries all traffic' : `Fargate weight holds at ${current}: ${allowed.why ?? 'its ceiling'}`);
  }
  if (!hasEvidence(observed, config, current)) {
    return { ...hold(current, `Fargate weight ${current} waits for a published minute that shows Fargate serving it without errors`), waiting: true };
  }
  return stepAfterPause(observed, current, next, config.shiftOutPauseSeconds);
}

function firstStep(observed: ObservedState, config: ControllerConfig, allowed: { share: number; why?: string }): WeightPlan {
  if (inBackoff(observed)) {
    const { failbacks = 0, failbackReason = 'health', shiftAllowedAtMs } = observed.marks;
    return {
      ...hold(0, `after ${plural(failbacks, 'failback')} (${failbackReason}) Fargate gets no weight before ${iso(shiftAllowedAtMs!)}`),
      waiting: true,
    };
  }
  if (observed.healthyTargets === 0) {
    return hold(0, 'Fargate weight 0 waits for a healthy running task');
  }
  if ((observed.deadTargets ?? 0) > 0) {
    return hold(0, `Fargate weight 0 waits for ${plural(observed.deadTargets!, 'stopped task')} to fail their checks`);
  }
  const suspended = observed.marks.suspendedShare ?? 0;
  if (suspended > 0) {
    const restored = Math.min(suspended, allowed.share);
    if (restored <= 0) {
      return hold(0, `Fargate weight 0 holds: ${allowed.why ?? 'no capacity'}`);
    }
    return { fargate: restored, resume: true, why: `the stopped tasks are out of the target group so Fargate weight goes back 0 -> ${restored}` };
  }
  const first = Math.min(config.shiftOutSteps[0], allowed.share);
  if (first <= 0) {
    return hold(0, `Fargate weight 0 holds: ${allowed.why ?? 'no capacity'}`);
  }
  return { fargate: first, why: `${plural(observed.healthyTargets, 'healthy Fargate task')} so Fargate weight goes 0 -> ${first}` };
}

/**
 * Whether the current step may be left: always past the first `stepsWaitingForDatapoint` steps; before that, once a
 * published minute that began after the last weight change shows Fargate serving requests without material errors.
 */
function hasEvidence(observed: ObservedState, config: ControllerConfig, current: number): boolean {
  const stepIndex = config.shiftOutSteps.filter((step) => step <= current).length;
  if (stepIndex > config.stepsWaitingForDatapoint || stepIndex === 0) {
    return true;
  }
  const since = observed.marks.lastWeightChangeMs;
  const traffic = observed.traffic;
  if (traffic !== undefined && (traffic.requestsPerMinute.length === 0 || (traffic.latestMinuteStartMs !== undefined
    && since !== undefined && traffic.latestMinuteStartMs >= since && (traffic.requestsPerMinute[0] * current) / 100 < config.minErrors))) {
    return true;
  }
  if (since === undefined) {
    // The marks were lost (a redeploy can drop them): the current weight has been serving for an unknown time.
    return true;
  }
  return traffic !== undefined && traffic.latestMinuteStartMs !== undefined && traffic.latestMinuteStartMs >= since
    && traffic.fargate.requests > 0 && !isMateriallyWorse(traffic, config, observed.marks.shiftStartMs);
}

/** Steering to Lambda: down through shiftBackSteps, the first step at once; all at once after a failback. */
function planShiftBack(observed: ObservedState, config: ControllerConfig, intentChangedNow: boolean, failback: boolean): WeightPlan {
  const current = fargateShare(observed);
  if (current === 0) {
    return hold(0, 'Lambda takes all traffic');
  }
  if (failback || observed.healthyTargets === 0) {
    return { fargate: 0, why: `Fargate weight ${current} goes to 0 at once` };
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

/** A shift back never leaves Fargate more than its healthy tasks carry either. */
function capped(plan: WeightPlan, allowed: { share: number; why?: string }): WeightPlan {
  return plan.fargate > allowed.share
    ? { fargate: allowed.share, why: `${allowed.why ?? 'Fargate may take less now'} so Fargate weight goes to ${allowed.share}` }
    : plan;
}

function hold(fargate: number, why: string): WeightPlan {
  return { fargate, why };
}

/**
 * Tasks for Fargate. The minimum capacity holds the count sized for the load while the shift is under way (the
 * target tracking policy would otherwise scale in the tasks that get little traffic yet) and goes back to minTasks
 * once Fargate has all the traffic, so autoscaling sizes the service from there. The desired count only rises here:
 * to the count for the newest published minute when the shift starts or a reset (a redeploy's 0) left fewer than
 * minTasks, and when that load runs well ahead of what autoscaling keeps; autoscaling alone lowers it. Tasks are sized
 * on the published load, not on the extrapolated estimate that caps Fargate's share: a task too few only leaves more
 * to Lambda, a task too many bills until autoscaling removes it.
 */
function planFargateCapacity(observed: ObservedState, config: ControllerConfig, shiftComplete: boolean): CapacityPlan {
  const load = observed.requestsPerMinute;
  const forLoad = initialTaskCount(load, config);
  const min = shiftComplete ? config.minTasks : Math.max(observed.minCapacity, forLoad);
  const aheadOfAutoscaling = load > observed.desiredCount * config.requestsPerTaskPerMinute * RAISE_MARGIN;
  const raise = !shiftComplete || observed.desiredCount < config.minTasks || aheadOfAutoscaling;
  const desired = Math.max(observed.desiredCount, raise ? forLoad : config.minTasks);
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
    why.push(`desired count ${observed.desiredCount} -> ${desired} for ${round(load)} requests/min`);
  }
  return { before, after, why: why.length > 0 ? why.join(' and ') : undefined };
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

interface MarkInput {
  readonly observed: ObservedState;
  readonly config: ControllerConfig;
  readonly intent: Intent;
  readonly previous: Intent;
  readonly weightAfter: number;
  readonly weightsChange: boolean;
  readonly startClock: boolean;
  readonly failback?: FailbackReason;
  readonly suspend?: number;
  readonly resume?: boolean;
}

/**
 * Marks to write, or undefined. The intent is written when it changes and also when its record is incomplete, so
 * marks lost in a redeploy are restored; the change time is written with every weight change; failbacks, recurrences
 * and the last time load was high are written when they change.
 */
function marksToWrite(input: MarkInput): Marks | undefined {
  const { observed, config, intent, weightAfter, weightsChange, failback } = input;
  const stored = observed.marks;
  const now = observed.nowMs;
  const marks: { -readonly [K in keyof Marks]: Marks[K] } = {};
  if (stored.intent !== intent || stored.intentSinceMs === undefined) {
    marks.intent = intent;
    marks.intentSinceMs = now;
    if (intent === 'fargate' && stored.intent === 'lambda') {
      const recurring = stored.lastRestMs !== undefined && now - stored.lastRestMs < config.recurrenceWindowSeconds * 1000;
      marks.recurrences = recurring ? (stored.recurrences ?? 0) + 1 : 0;
    }
    // Only a return from Fargate is a rest that a later scale-out can recur after (not a first deploy's marks).
    if (intent === 'lambda' && stored.intent === 'fargate') {
      marks.lastRestMs = now;
      if (!failback) {
        // A Fargate period that ended by low load was a success: the next failback starts from the base backoff.
        marks.failbacks = 0;
      }
    }
  }
  if (weightsChange || input.startClock) {
    marks.lastWeightChangeMs = now;
  }
  if (weightsChange && fargateShare(observed) === 0 && weightAfter > 0) {
    marks.shiftStartMs = now;
  } else {
    Object.assign(marks, learnedMarks(observed, config));
  }
  // A new Fargate period learns its own capacity (a deploy, other tasks, another load may differ); its first reference
  // response time is Lambda's, which ran the same image until now, so an overload is seen even if Fargate never had
  // a calm minute.
  if (marks.intent === 'fargate' && stored.intent === 'lambda') {
    const lambda = observed.traffic?.lambda;
    const reference = lambda && lambda.requests >= MIN_REQUESTS_FOR_RATES && (lambda.responseTimeMs ?? 0) > 0
      ? Math.round(lambda.responseTimeMs!)
      : 0;
    if (reference > 0 || (stored.fargateBaselineMs ?? 0) > 0) {
      marks.fargateBaselineMs = reference;
    }
    if ((stored.learnedCapacityRpm ?? 0) > 0) {
      marks.learnedCapacityRpm = 0;
    }
  }
  if (input.suspend !== undefined && !(stored.suspendedShare! > 0)) {
    marks.suspendedShare = input.suspend;
  }
  // A resumed shift, a failback or a change of intent ends any suspension (0 means none: tags cannot be removed here).
  if ((input.resume || failback || marks.intent !== undefined) && stored.suspendedShare! > 0 && input.suspend === undefined) {
    marks.suspendedShare = 0;
  }
  if (failback) {
    const failbacks = (stored.failbacks ?? 0) + 1;
    const reason = (stored.failbacks ?? 0) > 0 && stored.failbackReason === 'errors' ? 'errors' : failback;
    marks.failbacks = failbacks;
    marks.failbackReason = reason;
    marks.shiftAllowedAtMs = now + backoffSeconds(failbacks, reason, config) * 1000;
    if (reason === 'errors' && observed.taskDefinition !== undefined) {
      marks.failbackTaskDefinition = observed.taskDefinition;
    }
  }
  if (intent === 'fargate' && observed.scaleOutAlarm === 'ALARM' && now - (stored.lastHighLoadMs ?? -Infinity) >= HIGH_LOAD_MARK_EVERY_MS) {
    marks.lastHighLoadMs = now;
  }
  return Object.keys(marks).length > 0 ? marks : undefined;
}

/**
 * What the controller learns about Fargate from its metrics, written to the marks: its best response time in the
 * Fargate period (the overload reference when Lambda has no traffic), and at the first overload the capacity per
 * task it showed, less a margin. The learned capacity grows by a tenth with each clean published minute in which the
 * tasks carried nearly that much, up to the prop, so an overload during a surge does not cap Fargate for good.
 */
function learnedMarks(observed: ObservedState, config: ControllerConfig): Marks {
  const traffic = observed.traffic;
  const fargate = traffic?.fargate;
  const inShift = traffic?.windowStartMs !== undefined && traffic.windowStartMs >= floorTo(observed.marks.shiftStartMs ?? 0, 60_000);
  if (fargateShare(observed) === 0 || !fargate || !inShift || fargate.requests < MIN_REQUESTS_FOR_RATES || fargate.responseTimeMs === undefined
    || !isFreshFor(observed, observed.marks.lastWeightChangeMs)) {
    return {};
  }
  const learned = observed.marks.learnedCapacityRpm ?? 0;
  const minute = traffic!.latestMinuteStartMs!;
  const newMinute = observed.marks.learnedFromMinuteMs === undefined || minute > observed.marks.learnedFromMinuteMs;
  const overload = overloadOf(observed, config);
  if (overload) {
    const lowered = Math.max(1, Math.floor(overload.carriedPerTask * LEARNED_CAPACITY_MARGIN));
    return learned > 0 && learned <= lowered ? {} : { learnedCapacityRpm: lowered, learnedFromMinuteMs: minute };
  }
  const marks: { -readonly [K in keyof Marks]: Marks[K] } = {};
  const demand = estimateDemand(traffic, observed.nowMs);
  const atLearnedCap = demand > 0
    && fargateShare(observed) >= floorTo(Math.min(100, (100 * observed.healthyTargets * learned) / demand), config.weightGranularity);
  if (learned > 0 && learned < config.taskCapacityRequestsPerMinute && atLearnedCap && newMinute) {
    const forNextStep = Math.ceil(((fargateShare(observed) + config.weightGranularity) * demand) / (100 * Math.max(1, observed.healthyTargets)));
    marks.learnedCapacityRpm = Math.min(config.taskCapacityRequestsPerMinute, Math.max(Math.ceil(learned * 1.1), forNextStep));
    marks.learnedFromMinuteMs = minute;
  }
  const baseline = observed.marks.fargateBaselineMs ?? 0;
  if (!isMateriallyWorse(traffic, config, observed.marks.shiftStartMs) && (baseline === 0 || fargate.responseTimeMs < baseline * 0.9)) {
    marks.fargateBaselineMs = Math.max(1, Math.round(fargate.responseTimeMs));
  }
  return marks;
}

function minutesInWindow(traffic: TrafficMetrics): number {
  const { windowStartMs, latestMinuteStartMs } = traffic;
  return windowStartMs !== undefined && latestMinuteStartMs !== undefined && windowStartMs < latestMinuteStartMs ? 2 : 1;
}

/**
 * At rest on Lambda only when the observation already is: a decision that scales to zero keeps the reconcile schedule
 * on, so the next decision confirms the drain took effect before the schedule is turned off.
 */
function isAtRest(observed: ObservedState): boolean {
  return observed.lambdaWeight === 100 && observed.fargateWeight === 0 && observed.desiredCount === 0 && observed.minCapacity === 0;
}

/**
 * Fargate carries all traffic and nothing is pending: no capacity change, no scale-in alarm whose hold must be
 * re-checked, no backoff. Like rest on Lambda, this needs no schedule: every change from here comes with an event
 * (an alarm state change, a task stop, a stack update, a mode change) or, if an event is lost, the heartbeat.
 */
function isSettledOnFargate(observed: ObservedState, intent: Intent, previous: Intent, weightAfter: number, capacity: CapacityPlan): boolean {
  return intent === 'fargate' && previous === 'fargate' && weightAfter === 100 && fargateShare(observed) === 100
    && capacity.before.length === 0 && capacity.after.length === 0 && (observed.scaleInAlarm !== 'ALARM' || observed.override === 'fargate')
    && observed.healthyTargets > 0 && !inBackoff(observed) && !changedRecently(observed);
}

/** A published minute that shows the last weight change arrives within about five minutes. */
function changedRecently(observed: ObservedState): boolean {
  return observed.marks.lastWeightChangeMs !== undefined && observed.nowMs - observed.marks.lastWeightChangeMs < 300_000;
}

/** Load is high but a backoff holds Fargate off: the schedule must run so the shift starts when the backoff ends. */
function waitsForBackoff(observed: ObservedState, config: ControllerConfig): boolean {
  void config;
  return observed.scaleOutAlarm === 'ALARM' && observed.marks.shiftAllowedAtMs !== undefined && observed.nowMs < observed.marks.shiftAllowedAtMs;
}

/** Undefined when the change time is unknown and matters; a zero wait needs no clock. */
function secondsSinceWeightChange(observed: ObservedState, waitSeconds: number): number | undefined {
  const elapsed = observed.marks.lastWeightChangeMs === undefined ? undefined : (observed.nowMs - observed.marks.lastWeightChangeMs) / 1000;
  return elapsed === undefined && waitSeconds <= 0 ? 0 : elapsed;
}

function floorTo(value: number, granularity: number): number {
  return Math.max(0, Math.floor(value / granularity) * granularity);
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}

function round(value: number): number {
  return Math.round(value);
}

function iso(epochMs: number): string {
  return new Date(epochMs).toISOString();
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

function sentence(clauses: ReadonlyArray<string | undefined>): string {
  const text = clauses.filter((clause): clause is string => !!clause).join('; ');
  return `${text.charAt(0).toUpperCase()}${text.slice(1)}.`;
}
