import * as fc from 'fast-check';
import { afterActions, AlarmName, RedeployResets, stateActions, World } from './world';
import { decide, estimateDemand, fargateShare, initialTaskCount } from '../../src/controller/decision';
import { CONTROLLER_DEFAULTS, validateControllerConfig } from '../../src/controller/tunables';
import { Action, AlarmState, ControllerConfig, Decision, Marks, ModeOverride, ObservedState, SideMetrics } from '../../src/controller/types';

/**
 * Property tests of the decision against a model of the world: random sequences of load, alarms, health, crashes,
 * task start delays, faults on either side, deploys, redeploys, overrides, failing calls and time, with decisions
 * whose actions are only partly applied, repeated on stale observations or run twice at once. Safety is checked on
 * every decision; convergence once inputs settle; progress (never stuck) once events stop.
 */

/** How failed calls leave a decision's actions: the adapter stops at the first failure (prefix), or any subset. */
type FailureMode = 'prefix' | 'subset';

/** The calls an outage makes fail (a rejected RegisterScalableTarget, an AccessDenied); the schedule switch keeps working here. */
type FailingKind = Exclude<Action['kind'], 'enableReconcile' | 'disableReconcile'>;

type Event =
  | { readonly kind: 'advance'; readonly seconds: number }
  | { readonly kind: 'decide'; readonly how: 'all' | 'partial' | 'stale' | 'retry' | 'concurrent'; readonly cut: Cut }
  | { readonly kind: 'alarm'; readonly alarm: AlarmName; readonly state: AlarmState }
  | { readonly kind: 'health'; readonly unhealthyTasks: number }
  | { readonly kind: 'crash'; readonly tasks: number }
  | { readonly kind: 'load'; readonly requestsPerMinute: number }
  | { readonly kind: 'fault'; readonly fargateErrorRate: number; readonly lambdaErrorRate: number }
  | { readonly kind: 'deploy'; readonly fargateErrorRate: number }
  | { readonly kind: 'outage'; readonly failing: readonly FailingKind[] }
  | { readonly kind: 'override'; readonly mode: ModeOverride }
  | { readonly kind: 'autoscale'; readonly fraction: number }
  | { readonly kind: 'redeploy'; readonly resets: RedeployResets };

/** Which of a decision's actions take effect, and how two concurrent decisions interleave. */
interface Cut {
  readonly prefix: number;
  readonly keep: readonly boolean[];
  readonly interleave: readonly boolean[];
}

interface Run {
  readonly config: ControllerConfig;
  readonly failureMode: FailureMode;
  readonly taskStartSeconds: number;
  readonly scalesOutToMin: boolean;
  /** What a task really carries, as a share of what the controller counts on (above 1: more than counted). */
  readonly realCapacityShare: number;
  readonly publishLagSeconds: number;
  readonly deadTargetSeconds: number;
  /** Where the world starts: Lambda at rest, or Fargate carrying everything for an hour. */
  readonly start: 'lambda' | 'fargate';
  readonly events: readonly Event[];
}

const alarmState = fc.constantFrom<AlarmState>('OK', 'ALARM', 'INSUFFICIENT_DATA');
const errorRate = fc.constantFrom(0, 0, 0, 0.01, 0.05, 0.5, 1);

const configArb: fc.Arbitrary<ControllerConfig> = fc.record({
  // From 5 %: a step that gets no request in a minute never shows the evidence a waiting step needs.
  shiftOutSteps: fc.uniqueArray(fc.integer({ min: 5, max: 99 }), { maxLength: 4 }).map((steps) => [...steps.sort((a, b) => a - b), 100]),
  shiftOutPauseSeconds: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 120 })),
  shiftBackSteps: fc.uniqueArray(fc.integer({ min: 1, max: 99 }), { maxLength: 4 }).map((steps) => [...steps.sort((a, b) => b - a), 0]),
  shiftBackPauseSeconds: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 120 })),
  minTasks: fc.integer({ min: 1, max: 3 }),
  maxTasks: fc.integer({ min: 0, max: 9 }),
  requestsPerTaskPerMinute: fc.integer({ min: 600, max: 6000 }),
  minFargateSeconds: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 900 })),
  drainSeconds: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 120 })),
  overflowLambdaWeight: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 50 })),
  taskCapacityShare: fc.constantFrom(1, 1.25, 2),
  // The scale-in threshold well below what a task carries (the defaults: 300 against 3,000).
  scaleInShare: fc.double({ min: 0.01, max: 0.15, noNaN: true }),
  weightGranularity: fc.constantFrom(1, 5, 5, 10),
  stepsWaitingForDatapoint: fc.constantFrom(0, 0, 1, 2),
  errorRateMargin: fc.constantFrom(0, 0.02, 0.1),
  minErrors: fc.integer({ min: 1, max: 20 }),
  overloadResponseTimeRatio: fc.constantFrom(1.5, 3),
  healthBackoffSeconds: fc.integer({ min: 0, max: 300 }),
  errorBackoffSeconds: fc.integer({ min: 0, max: 1800 }),
  maxBackoffExtraSeconds: fc.integer({ min: 0, max: 1800 }),
  recurrenceWindowSeconds: fc.integer({ min: 0, max: 3600 }),
  maxHoldSeconds: fc.integer({ min: 0, max: 1800 }),
}).map(({ taskCapacityShare, maxBackoffExtraSeconds, scaleInShare, ...config }) => ({
  ...config,
  scaleInRequestsPerMinute: Math.max(1, Math.round(config.requestsPerTaskPerMinute * scaleInShare)),
  maxTasks: config.minTasks + config.maxTasks,
  taskCapacityRequestsPerMinute: Math.round(config.requestsPerTaskPerMinute * taskCapacityShare),
  maxBackoffSeconds: Math.max(config.healthBackoffSeconds, config.errorBackoffSeconds) + maxBackoffExtraSeconds,
}));

const cutArb: fc.Arbitrary<Cut> = fc.record({
  prefix: fc.nat(8),
  keep: fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }),
  interleave: fc.array(fc.boolean(), { minLength: 16, maxLength: 16 }),
});

const failingKinds: readonly FailingKind[] = ['setWeights', 'setDesiredCount', 'setMinCapacity', 'setMarks'];

const eventArb: fc.Arbitrary<Event> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('advance' as const), seconds: fc.integer({ min: 0, max: 180 }) }) },
  {
    weight: 7,
    arbitrary: fc.record({
      kind: fc.constant('decide' as const),
      how: fc.constantFrom('all' as const, 'all' as const, 'partial' as const, 'stale' as const, 'retry' as const, 'concurrent' as const),
      cut: cutArb,
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('alarm' as const),
      alarm: fc.constantFrom<AlarmName>('scaleOutAlarm', 'scaleInAlarm', 'fargateErrorAlarm', 'overloadAlarm'),
      state: alarmState,
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('health' as const), unhealthyTasks: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 12 })) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('crash' as const), tasks: fc.integer({ min: 1, max: 4 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('load' as const), requestsPerMinute: fc.integer({ min: 0, max: 80_000 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('fault' as const), fargateErrorRate: errorRate, lambdaErrorRate: errorRate }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('deploy' as const), fargateErrorRate: errorRate }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('outage' as const), failing: fc.subarray([...failingKinds]) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('override' as const), mode: fc.constantFrom<ModeOverride>('auto', 'auto', 'lambda', 'fargate') }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('autoscale' as const), fraction: fc.double({ min: 0, max: 1, noNaN: true }) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('redeploy' as const),
      resets: fc.record({ weights: fc.boolean(), desiredCount: fc.boolean(), minCapacity: fc.boolean(), marks: fc.boolean() }),
    }),
  },
);

function runArb(minEvents: number, maxEvents: number): fc.Arbitrary<Run> {
  return fc.record({
    config: configArb,
    failureMode: fc.constantFrom<FailureMode>('prefix', 'subset'),
    taskStartSeconds: fc.integer({ min: 0, max: 120 }),
    scalesOutToMin: fc.boolean(),
    realCapacityShare: fc.constantFrom(Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY, 1, 0.5),
    publishLagSeconds: fc.integer({ min: 30, max: 240 }),
    deadTargetSeconds: fc.integer({ min: 0, max: 30 }),
    start: fc.constantFrom('lambda' as const, 'fargate' as const),
    events: fc.array(eventArb, { minLength: minEvents, maxLength: maxEvents }),
  });
}

/**
 * Runs whose tasks carry whatever the controller gives them. Where they carry less, an overload teaches the controller
 * a capacity that grows back by a tenth per clean minute, from as little as one request per minute: progress, but
 * with no useful bound on rest. Safety is checked with overloads (runArb); progress without them.
 */
function liveRunArb(minEvents: number, maxEvents: number): fc.Arbitrary<Run> {
  return runArb(minEvents, maxEvents).map((run) => ({ ...run, realCapacityShare: Number.POSITIVE_INFINITY }));
}

function newWorld(run: Run): World {
  const world = new World({
    taskStartSeconds: run.taskStartSeconds,
    maxCapacity: run.config.maxTasks,
    scalesOutToMin: run.scalesOutToMin,
    realTaskCapacity: run.config.taskCapacityRequestsPerMinute * run.realCapacityShare,
    publishLagSeconds: run.publishLagSeconds,
    deadTargetSeconds: run.deadTargetSeconds,
  });
  if (run.start === 'fargate') {
    world.apply([
      { kind: 'setDesiredCount', count: run.config.minTasks },
      { kind: 'setMinCapacity', min: run.config.minTasks },
      { kind: 'setWeights', lambda: 0, fargate: 100 },
      { kind: 'setMarks', marks: { intent: 'fargate', intentSinceMs: world.nowMs, lastWeightChangeMs: world.nowMs } },
    ]);
    world.advance(3600);
    world.alarms.scaleOutAlarm = 'ALARM';
  }
  return world;
}

function floorTo(value: number, granularity: number): number {
  return Math.max(0, Math.floor(value / granularity) * granularity);
}

/**
 * Property 1: the largest Fargate share the observation allows, from the config's per-task capacity (what the
 * controller learns can only lower it): healthy running tasks x capacity over the estimated demand, to the granularity.
 */
function capacityShare(seen: ObservedState, config: ControllerConfig): number {
  const demand = estimateDemand(seen.traffic, seen.nowMs);
  const carried = seen.healthyTargets * config.taskCapacityRequestsPerMinute;
  return demand > 0 ? floorTo(Math.min(100, (100 * carried) / demand), config.weightGranularity) : 100;
}

/** Property 2: Fargate's errors in the observation are materially worse than Lambda's, within the current shift. */
function fargateMateriallyWorse(seen: ObservedState, config: ControllerConfig): boolean {
  const traffic = seen.traffic;
  if (!traffic || traffic.fargate.errors < config.minErrors || !(traffic.fargate.requests > 0)) {
    return false;
  }
  const shiftStartMs = seen.marks.shiftStartMs;
  if (shiftStartMs !== undefined && traffic.windowStartMs !== undefined && traffic.windowStartMs < floorTo(shiftStartMs, 60_000)) {
    return false;
  }
  const rate = (side: SideMetrics) => (side.requests > 0 ? side.errors / side.requests : 0);
  return rate(traffic.fargate) > rate(traffic.lambda) + config.errorRateMargin;
}

/** A failback backoff forbids a new shift; a new task definition ends an error backoff. */
function inBackoff(seen: ObservedState): boolean {
  const { shiftAllowedAtMs, failbackReason, failbackTaskDefinition } = seen.marks;
  const redeployed = failbackReason === 'errors' && failbackTaskDefinition !== undefined
    && seen.taskDefinition !== undefined && seen.taskDefinition !== failbackTaskDefinition;
  return shiftAllowedAtMs !== undefined && seen.nowMs < shiftAllowedAtMs && !redeployed;
}

function writtenMarks(decision: Decision): Marks | undefined {
  return decision.actions.find((a): a is Extract<Action, { kind: 'setMarks' }> => a.kind === 'setMarks')?.marks;
}

/** Marks a settled decision may still write: that load is still high (once a minute), what Fargate's metrics taught it. */
const NOTES: ReadonlyArray<keyof Marks> = ['lastHighLoadMs', 'fargateBaselineMs', 'learnedCapacityRpm'];

/** State actions other than notes. */
function changes(decision: Decision): Action[] {
  return stateActions(decision.actions).filter((a) => !(a.kind === 'setMarks' && Object.keys(a.marks).every((key) => NOTES.includes(key as keyof Marks))));
}

/** Every rule a single decision must keep, as readable violations (empty when it keeps them all). */
function violations(seen: ObservedState, decision: Decision, config: ControllerConfig, lastWeightChangeMs: number | undefined): string[] {
  const found: string[] = [];
  const { actions } = decision;
  const after = afterActions(seen, actions);
  const share = fargateShare(seen);
  const weightActions = actions.filter((a): a is Extract<Action, { kind: 'setWeights' }> => a.kind === 'setWeights');
  const markActions = actions.filter((a): a is Extract<Action, { kind: 'setMarks' }> => a.kind === 'setMarks');
  const reconcile = actions.filter((a) => a.kind === 'enableReconcile' || a.kind === 'disableReconcile');

  for (const w of weightActions) {
    if (!Number.isInteger(w.lambda) || !Number.isInteger(w.fargate) || w.lambda < 0 || w.fargate < 0 || w.lambda + w.fargate !== 100) {
      found.push(`setWeights ${w.lambda}/${w.fargate} is not two integers summing to 100`);
    }
    if (w.fargate > 0 && seen.healthyTargets === 0) {
      found.push(`setWeights gives Fargate ${w.fargate} with no healthy target`);
    }
  }
  if (after.lambdaWeight + after.fargateWeight !== 100 || !Number.isInteger(after.fargateWeight) || after.fargateWeight < 0) {
    found.push(`weights after the decision are ${after.lambdaWeight}/${after.fargateWeight}`);
  }

  // Property 1: never more than the healthy tasks carry.
  const cap = capacityShare(seen, config);
  if (after.fargateWeight > cap) {
    found.push(`Fargate weight ${after.fargateWeight} after the decision is above its capacity share ${cap}`);
  }
  // Property 2: the decision that first sees materially worse errors, or no healthy running task, takes all of Fargate's weight.
  if (share > 0 && after.fargateWeight > 0 && (seen.healthyTargets === 0 || fargateMateriallyWorse(seen, config))) {
    found.push(`Fargate keeps weight ${after.fargateWeight} with ${seen.healthyTargets} healthy tasks and traffic ${JSON.stringify(seen.traffic)}`);
  }

  const scalesToZero = actions.some((a) => (a.kind === 'setDesiredCount' && a.count === 0) || (a.kind === 'setMinCapacity' && a.min === 0));
  if (scalesToZero) {
    if (after.fargateWeight > 0 || seen.fargateWeight > 0 || weightActions.length > 0) {
      found.push(`scales to zero with Fargate weight ${seen.fargateWeight} -> ${after.fargateWeight}`);
    }
    if (lastWeightChangeMs !== undefined && seen.nowMs - lastWeightChangeMs < config.drainSeconds * 1000) {
      found.push(`scales to zero ${(seen.nowMs - lastWeightChangeMs) / 1000} s after a weight change (drainSeconds ${config.drainSeconds})`);
    }
  }
  for (const a of actions) {
    if (a.kind === 'setDesiredCount' && a.count < seen.desiredCount && !(a.count === 0 && decision.intent === 'lambda')) {
      found.push(`lowers the desired count ${seen.desiredCount} -> ${a.count} with intent ${decision.intent}`);
    }
    if (decision.intent === 'fargate' && ((a.kind === 'setDesiredCount' && a.count < 1) || (a.kind === 'setMinCapacity' && a.min < config.minTasks))) {
      found.push(`intent fargate sets ${JSON.stringify(a)}`);
    }
  }

  if (weightActions.length > 1 || markActions.length > 1) {
    found.push(`more than one setWeights or setMarks: ${JSON.stringify(actions)}`);
  }
  if (weightActions.length === 1) {
    const markIndex = actions.findIndex((a) => a.kind === 'setMarks');
    if (markIndex < 0 || markIndex > actions.indexOf(weightActions[0]) || markActions[0].marks.lastWeightChangeMs !== seen.nowMs) {
      found.push('a weight change is not recorded by a setMarks before it');
    }
  }
  if (decision.intent !== seen.marks.intent && (after.marks.intent !== decision.intent || after.marks.intentSinceMs !== seen.nowMs)) {
    found.push(`intent ${seen.marks.intent} -> ${decision.intent} is not recorded`);
  }
  if (after.fargateWeight > share) {
    if (decision.intent !== 'fargate' || (share === 0 && inBackoff(seen))) {
      found.push(`Fargate weight rises ${share} -> ${after.fargateWeight} with intent ${decision.intent}, marks ${JSON.stringify(seen.marks)}`);
    }
  }
  const errorFailback = share > 0 && fargateMateriallyWorse(seen, config);
  if (seen.override === 'auto' && seen.marks.intent === 'fargate' && decision.intent === 'lambda' && !errorFailback) {
    const since = Math.max(seen.marks.intentSinceMs ?? seen.nowMs, seen.marks.lastHighLoadMs ?? Number.NEGATIVE_INFINITY);
    const held = seen.nowMs - since;
    const scaledIn = seen.scaleInAlarm === 'ALARM' && held >= config.minFargateSeconds * 1000;
    const cancelled = share === 0 && seen.traffic !== undefined && seen.traffic.requestsPerMinute.length > 0
      && seen.requestsPerMinute < config.scaleInRequestsPerMinute;
    if (seen.scaleOutAlarm === 'ALARM' || !(scaledIn || cancelled)) {
      found.push(`intent fargate -> lambda after ${held / 1000} s with scale-in ${seen.scaleInAlarm}, scale-out ${seen.scaleOutAlarm}`);
    }
  }
  if (seen.override !== 'auto' && decision.intent !== seen.override && !errorFailback) {
    found.push(`override ${seen.override} but intent ${decision.intent}`);
  }
  // Property 4: away from rest the schedule is enabled first; at rest it is disabled last; exactly one of the two.
  if (reconcile.length !== 1 || actions[decision.needsReconcile ? 0 : actions.length - 1] !== reconcile[0]
    || (reconcile[0].kind === 'enableReconcile') !== decision.needsReconcile) {
    found.push(`reconcile actions ${JSON.stringify(reconcile)} are not first (enable) or last (disable) as needsReconcile ${decision.needsReconcile} says`);
  }
  // One sentence: a capital first, a full stop last and none before (times like 22:13:20.001Z have a dot, not a stop).
  if (!/^[A-Z](?:[^.]|\.(?! ))*\.$/.test(decision.reason)) {
    found.push(`reason is not one sentence: ${decision.reason}`);
  }

  // A failback is followed by a fresh look at the scale-out (with little load left it is cancelled), so it may move on.
  const failback = share > 0 && after.fargateWeight === 0 && decision.intent === 'fargate';
  if (hasNoZeroWaits(config) && !failback) {
    const again = stateActions(decide(after, config).actions);
    if (again.length > 0) {
      found.push(`deciding again on the result (same time) changes more: ${JSON.stringify(again)}`);
    }
  }
  return found;
}

/** With a zero pause, drain or backoff, a step per decision is the configured behaviour, so deciding again may move on. */
function hasNoZeroWaits(config: ControllerConfig): boolean {
  return config.shiftOutPauseSeconds > 0 && config.shiftBackPauseSeconds > 0 && config.drainSeconds > 0
    && config.healthBackoffSeconds > 0 && config.errorBackoffSeconds > 0;
}

/** Decides on the world as observed now and records what the decision got wrong. */
class Driver {
  readonly problems: string[] = [];
  /** Property 3: the backoff written with each failback count in the current run of failbacks, ms. */
  private readonly backoffs = new Map<number, number>();

  constructor(private readonly world: World, private readonly config: ControllerConfig, private readonly failureMode: FailureMode) {}

  decideOn(seen: ObservedState): Decision {
    const decision = decide(seen, this.config);
    // With prefix failures a weight change takes effect only after its mark, so the true time bounds the drain;
    // with arbitrary subsets the mark is all the controller can know, so that is what it is held to.
    const lastChange = this.failureMode === 'prefix' ? this.world.lastControllerWeightChangeMs : seen.marks.lastWeightChangeMs;
    const found = [...violations(seen, decision, this.config, lastChange), ...this.backoffViolations(seen, decision)];
    this.problems.push(...found.map((p) => `${p} [seen ${JSON.stringify(seen)}]`));
    return decision;
  }

  /** Applies actions as the adapter would and checks the controller did not itself weight Fargate without targets or tasks. */
  apply(actions: readonly Action[]): Action[] {
    const before = { weighted: this.world.fargateWeight > 0, healthy: this.world.healthyTargets, desired: this.world.desiredCount };
    const { applied } = this.world.apply(actions);
    if (this.world.fargateWeight > 0 && this.world.healthyTargets === 0 && !(before.weighted && before.healthy === 0)) {
      this.problems.push(`applying ${JSON.stringify(actions)} weighted Fargate with no healthy target`);
    }
    if (this.world.fargateWeight > 0 && this.world.desiredCount === 0 && !(before.weighted && before.desired === 0)) {
      this.problems.push(`applying ${JSON.stringify(actions)} left Fargate weighted with no tasks`);
    }
    return applied;
  }

  /** Applies a decision's actions (those `cut` keeps) and checks the schedule is on when the decision was not at rest. */
  applyDecision(decision: Decision, actions: readonly Action[] = decision.actions): void {
    const applied = this.apply(actions);
    // Property 4: the first action took effect, so a decision away from rest left the schedule enabled.
    if (applied.length > 0 && applied[0] === decision.actions[0] && decision.needsReconcile && !this.world.reconcileEnabled) {
      this.problems.push(`the schedule is off after ${JSON.stringify(applied)} from a decision away from rest: ${decision.reason}`);
    }
  }

  cut(actions: readonly Action[], cut: Cut): Action[] {
    return this.failureMode === 'prefix'
      ? actions.slice(0, cut.prefix % (actions.length + 1))
      : actions.filter((_, i) => cut.keep[i % cut.keep.length]);
  }

  step(event: Extract<Event, { kind: 'decide' }>): void {
    const seen = this.world.observe();
    const decision = this.decideOn(seen);
    switch (event.how) {
      case 'all':
        this.applyDecision(decision);
        return;
      case 'partial':
        this.applyDecision(decision, this.cut(decision.actions, event.cut));
        return;
      case 'stale': {
        // An invocation that observed before the previous one applied its actions.
        this.applyDecision(decision, this.cut(decision.actions, event.cut));
        this.applyDecision(this.decideOn(seen));
        return;
      }
      case 'retry':
        this.applyDecision(decision, this.cut(decision.actions, event.cut));
        this.applyDecision(this.decideOn(this.world.observe()));
        return;
      case 'concurrent':
        this.apply(interleave(decision.actions, this.cut(this.decideOn(seen).actions, event.cut), event.cut.interleave));
        return;
    }
  }

  /** Property 3: across a run of failbacks the backoff never shrinks, and never exceeds maxBackoffSeconds. */
  private backoffViolations(seen: ObservedState, decision: Decision): string[] {
    const marks = writtenMarks(decision);
    if (marks?.failbacks === 0) {
      this.backoffs.clear();
    }
    if (marks?.failbacks === undefined || marks.failbacks < 1 || marks.shiftAllowedAtMs === undefined) {
      return [];
    }
    const backoffMs = marks.shiftAllowedAtMs - seen.nowMs;
    const previousMs = this.backoffs.get(marks.failbacks - 1);
    this.backoffs.set(marks.failbacks, backoffMs);
    const found: string[] = [];
    if (backoffMs > this.config.maxBackoffSeconds * 1000) {
      found.push(`failback ${marks.failbacks} backs off ${backoffMs / 1000} s, more than maxBackoffSeconds ${this.config.maxBackoffSeconds}`);
    }
    if (previousMs !== undefined && backoffMs < previousMs) {
      found.push(`failback ${marks.failbacks} (${marks.failbackReason}) backs off ${backoffMs / 1000} s, less than failback ${marks.failbacks - 1}'s ${previousMs / 1000} s`);
    }
    return found;
  }
}

function interleave(a: readonly Action[], b: readonly Action[], picks: readonly boolean[]): Action[] {
  const out: Action[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const fromA = j >= b.length || (i < a.length && picks[(i + j) % picks.length]);
    out.push(fromA ? a[i++] : b[j++]);
  }
  return out;
}

function play(world: World, driver: Driver, events: readonly Event[]): void {
  for (const event of events) {
    switch (event.kind) {
      case 'advance':
        world.advance(event.seconds);
        break;
      case 'decide':
        driver.step(event);
        break;
      case 'alarm':
        world.alarms[event.alarm] = event.state;
        break;
      case 'health':
        world.unhealthyTasks = event.unhealthyTasks;
        break;
      case 'crash':
        world.crash(event.tasks);
        break;
      case 'load':
        world.requestsPerMinute = event.requestsPerMinute;
        break;
      case 'fault':
        world.fargateErrorRate = event.fargateErrorRate;
        world.lambdaErrorRate = event.lambdaErrorRate;
        break;
      case 'deploy':
        world.deploy(event.fargateErrorRate);
        break;
      case 'outage':
        world.failing = new Set(event.failing);
        break;
      case 'override':
        world.override = event.mode;
        break;
      case 'autoscale':
        world.autoscale(event.fraction);
        break;
      case 'redeploy':
        world.redeploy(event.resets);
        break;
    }
  }
}

/** Where a settled world must end up: Lambda at rest, or Fargate carrying all traffic. */
type Destination = 'lambda' | 'fargate';

interface Settle {
  readonly destination: Destination;
  readonly override: ModeOverride;
  /** Load between a sixth and a third of what minTasks carry: Fargate can take all of it, even extrapolated from idle. */
  readonly loadShare: number;
  readonly intervalSeconds: number;
  /** Decisions whose calls still fail before the outage ends. */
  readonly failingDecisions: number;
}

const settleArb: fc.Arbitrary<Settle> = fc.record({
  destination: fc.constantFrom<Destination>('lambda', 'fargate'),
  pinned: fc.boolean(),
  loadShare: fc.double({ min: 0.5, max: 1, noNaN: true }),
  intervalSeconds: fc.integer({ min: 10, max: 60 }),
  failingDecisions: fc.constantFrom(0, 0, 1, 3),
}).map(({ destination, pinned, ...rest }) => ({ destination, override: pinned ? destination : 'auto', ...rest }));

/** Seconds for a published minute to show what happened after a change: the rest of the minute, a whole one, the lag. */
function datapointSeconds(publishLagSeconds: number): number {
  return 120 + publishLagSeconds;
}

/**
 * Seconds a settled world may take to arrive, from the config: a running backoff and one more failback on errors the
 * metrics still show, the hold before the scale-in may flip the intent, every step with its pause (plus one when the
 * clock was lost) and, for the steps that wait for one, a datapoint; the drain (twice, for the same reason), task
 * start-up and stopped targets leaving, and a decision interval of slack on each.
 */
function settleBoundSeconds(config: ControllerConfig, destination: Destination, taskStartSeconds: number, run: Run, dt: number): number {
  const backoffs = 2 * (config.maxBackoffSeconds + datapointSeconds(run.publishLagSeconds));
  if (destination === 'fargate') {
    const evidence = Math.min(config.stepsWaitingForDatapoint, config.shiftOutSteps.length) * (datapointSeconds(run.publishLagSeconds) + dt);
    return backoffs + taskStartSeconds + run.deadTargetSeconds + 3 * dt + evidence
      + (config.shiftOutSteps.length + 1) * (config.shiftOutPauseSeconds + dt);
  }
  return backoffs + Math.max(config.minFargateSeconds, config.maxHoldSeconds) + 3 * dt
    + (config.shiftBackSteps.length + 1) * (config.shiftBackPauseSeconds + dt)
    + 2 * (config.drainSeconds + dt);
}

/** Inputs that lead to `destination`: the alarms agree with the load, no fault, every task healthy. */
function settleInputs(world: World, config: ControllerConfig, settle: Settle): void {
  world.override = settle.override;
  const carried = config.minTasks * Math.min(config.taskCapacityRequestsPerMinute, world.realTaskCapacity);
  world.requestsPerMinute = settle.destination === 'fargate'
    ? Math.round((settle.loadShare * carried) / 3)
    : Math.round(settle.loadShare * Math.max(0, config.scaleInRequestsPerMinute - 1));
  world.unhealthyTasks = 0;
  world.fargateErrorRate = 0;
  world.lambdaErrorRate = 0;
  world.alarms = {
    scaleOutAlarm: settle.destination === 'fargate' ? 'ALARM' : 'OK',
    scaleInAlarm: settle.destination === 'lambda' ? 'ALARM' : 'OK',
    fargateErrorAlarm: 'OK',
    overloadAlarm: 'OK',
  };
}

function arrived(world: World, config: ControllerConfig, destination: Destination, last: Decision): boolean {
  if (destination === 'fargate') {
    // Once the shift is complete ECS target tracking sizes the service; the controller only keeps minTasks.
    return world.lambdaWeight === 0 && world.fargateWeight === 100 && world.minCapacity === config.minTasks
      && world.desiredCount >= config.minTasks && last.intent === 'fargate';
  }
  return world.lambdaWeight === 100 && world.fargateWeight === 0 && world.desiredCount === 0 && world.minCapacity === 0
    && !last.needsReconcile && !world.reconcileEnabled;
}

/** FC_NUM_RUNS caps every property's runs: set only by the mutation benchmark (bench/mutation-setup.ts). */
function runs(numRuns: number): number {
  const cap = Number(process.env.FC_NUM_RUNS);
  return cap > 0 ? Math.min(numRuns, cap) : numRuns;
}

describe('decision against a model of the world', () => {
  test('generated configs are valid', () => {
    fc.assert(fc.property(configArb, (config) => {
      expect(validateControllerConfig(config)).toEqual([]);
    }), { numRuns: runs(300) });
  });

  test('every decision keeps the invariants, whatever the observation', () => {
    const NOW = 1_700_000_000_000;
    const recent = fc.integer({ min: NOW - 3_600_000, max: NOW });
    const side: fc.Arbitrary<SideMetrics> = fc.record({
      requests: fc.integer({ min: 0, max: 20_000 }),
      errors: fc.integer({ min: 0, max: 2000 }),
      responseTimeMs: fc.integer({ min: 1, max: 3000 }),
    }, { requiredKeys: ['requests', 'errors'] });
    const observedArb: fc.Arbitrary<ObservedState> = fc.record({
      nowMs: fc.constant(NOW),
      override: fc.constantFrom<ModeOverride>('auto', 'lambda', 'fargate'),
      lambdaWeight: fc.integer({ min: 0, max: 120 }),
      fargateWeight: fc.integer({ min: 0, max: 120 }),
      desiredCount: fc.integer({ min: 0, max: 12 }),
      runningCount: fc.integer({ min: 0, max: 12 }),
      minCapacity: fc.integer({ min: 0, max: 12 }),
      healthyTargets: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 12 })),
      unhealthyTargets: fc.integer({ min: 0, max: 3 }),
      deadTargets: fc.constantFrom(0, 0, 0, 1),
      scaleOutAlarm: alarmState,
      scaleInAlarm: alarmState,
      fargateErrorAlarm: alarmState,
      overloadAlarm: alarmState,
      requestsPerMinute: fc.integer({ min: 0, max: 80_000 }),
      traffic: fc.record({
        requestsPerMinute: fc.array(fc.integer({ min: 1, max: 80_000 }), { maxLength: 3 }),
        // A published minute has ended, and its datapoint arrived at least 30 s later.
        latestMinuteStartMs: fc.integer({ min: NOW - 600_000, max: NOW - 90_000 }).map((ms) => floorTo(ms, 60_000)),
        fargate: side,
        lambda: side,
      }).map((traffic) => (traffic.requestsPerMinute.length === 0
        // The sides are summed over published minutes: none, nothing to sum.
        ? { requestsPerMinute: [], fargate: { requests: 0, errors: 0 }, lambda: { requests: 0, errors: 0 } }
        : { ...traffic, windowStartMs: traffic.latestMinuteStartMs - (traffic.requestsPerMinute.length > 1 ? 60_000 : 0) })),
      taskDefinition: fc.constantFrom('web:1', 'web:2'),
      marks: fc.record({
        intent: fc.constantFrom('lambda' as const, 'fargate' as const),
        intentSinceMs: recent,
        lastWeightChangeMs: recent,
        shiftStartMs: recent,
        failbacks: fc.integer({ min: 0, max: 8 }),
        shiftAllowedAtMs: fc.integer({ min: NOW - 600_000, max: NOW + 3_600_000 }),
        failbackReason: fc.constantFrom('health' as const, 'errors' as const),
        failbackTaskDefinition: fc.constantFrom('web:1', 'web:2'),
        lastHighLoadMs: recent,
        lastRestMs: recent,
        recurrences: fc.integer({ min: 0, max: 6 }),
        suspendedShare: fc.constantFrom(0, 50),
        fargateBaselineMs: fc.constantFrom(0, 50),
        learnedCapacityRpm: fc.constantFrom(0, 500),
      }, { requiredKeys: [] }),
    }, {
      requiredKeys: ['nowMs', 'override', 'lambdaWeight', 'fargateWeight', 'desiredCount', 'runningCount', 'minCapacity', 'healthyTargets',
        'unhealthyTargets', 'scaleOutAlarm', 'scaleInAlarm', 'fargateErrorAlarm', 'overloadAlarm', 'requestsPerMinute', 'marks'],
    });
    fc.assert(fc.property(observedArb, configArb, (seen, config) => {
      const decision = decide(seen, config);
      expect(violations(seen, decision, config, seen.marks.lastWeightChangeMs)).toEqual([]);
    }), { numRuns: runs(3000) });
  });

  test('safety holds through failures, stale and concurrent decisions, faults, crashes, deploys, redeploys and health changes', () => {
    fc.assert(fc.property(runArb(40, 150), (run) => {
      const world = newWorld(run);
      const driver = new Driver(world, run.config, run.failureMode);
      play(world, driver, run.events);
      expect(driver.problems).toEqual([]);
    }), { numRuns: runs(2000) });
  });

  test('once inputs settle and failing calls recover, the world reaches Lambda at rest or Fargate 100 within the bound and stays', () => {
    fc.assert(fc.property(liveRunArb(0, 60), settleArb, (run, settle) => {
      const world = newWorld(run);
      const driver = new Driver(world, run.config, run.failureMode);
      play(world, driver, run.events);
      settleInputs(world, run.config, settle);
      const outage = world.failing;
      world.failing = new Set(settle.failingDecisions > 0 && outage.size === 0 ? ['setWeights'] : outage);

      const dt = settle.intervalSeconds;
      const boundSeconds = settleBoundSeconds(run.config, settle.destination, run.taskStartSeconds, run, dt);
      const decisions = settle.failingDecisions + Math.ceil(boundSeconds / dt) + 1;
      let last = driver.decideOn(world.observe());
      for (let i = 0; i < decisions; i++) {
        driver.applyDecision(last);
        if (i + 1 >= settle.failingDecisions) {
          world.failing = new Set();
        }
        world.advance(dt);
        last = driver.decideOn(world.observe());
      }
      driver.applyDecision(last);
      expect({ arrived: arrived(world, run.config, settle.destination, last), problems: driver.problems })
        .toEqual({ arrived: true, problems: [] });

      for (let i = 0; i < 3; i++) {
        world.advance(dt);
        expect(changes(driver.decideOn(world.observe()))).toEqual([]);
      }
      expect(driver.problems).toEqual([]);
    }), { numRuns: runs(1000) });
  });

  test('once events stop, the controller is never stuck: from any state it reaches rest or settles on Fargate within the bound', () => {
    // The controller runs when its schedule is enabled (every minute, polling within the invocation while pollSoon),
    // and on the heartbeat; once at once for the event that came last.
    const SCHEDULE_SECONDS = 60;
    const HEARTBEAT_SECONDS = 900;
    const POLL_SECONDS = 5;
    const POLLS_PER_INVOCATION = 11;
    fc.assert(fc.property(liveRunArb(0, 80), fc.nat(), (run, loadSeed) => {
      const { config } = run;
      const world = newWorld(run);
      const driver = new Driver(world, config, run.failureMode);
      play(world, driver, run.events);
      // Events stop: faults heal, calls succeed, the alarms come to agree with a load that stays (the scale-out
      // threshold four times the scale-in one, as in the defaults).
      const carried = config.maxTasks * Math.min(config.taskCapacityRequestsPerMinute, world.realTaskCapacity);
      const scaleIn = config.scaleInRequestsPerMinute;
      const scaleOut = 4 * scaleIn;
      const loads = [0, scaleIn - 1, 2 * scaleIn, scaleOut + 1, Math.round(0.9 * carried), Math.round(1.5 * carried)];
      world.requestsPerMinute = Math.max(0, loads[loadSeed % loads.length]);
      world.unhealthyTasks = 0;
      world.fargateErrorRate = 0;
      world.lambdaErrorRate = 0;
      world.failing = new Set();
      world.alarms = {
        scaleOutAlarm: world.requestsPerMinute > scaleOut ? 'ALARM' : 'OK',
        scaleInAlarm: world.requestsPerMinute < scaleIn ? 'ALARM' : 'OK',
        fargateErrorAlarm: 'OK',
        overloadAlarm: world.requestsPerMinute > carried ? 'ALARM' : 'OK',
      };

      const boundSeconds = Math.max(
        settleBoundSeconds(config, 'lambda', run.taskStartSeconds, run, SCHEDULE_SECONDS),
        settleBoundSeconds(config, 'fargate', run.taskStartSeconds, run, SCHEDULE_SECONDS),
      ) + HEARTBEAT_SECONDS;
      // The alarms change state once the metrics show the load: the event that brings the first decision comes then.
      world.advance(datapointSeconds(run.publishLagSeconds));
      const endMs = world.nowMs + boundSeconds * 1000;
      let last = driver.decideOn(world.observe());
      driver.applyDecision(last);
      // Quiet: a decision at rest that changes nothing; arrived when three in a row are, the first within the bound.
      let quiet = 0;
      let quietSinceMs = world.nowMs;
      while (world.nowMs < endMs + 3 * HEARTBEAT_SECONDS * 1000 && quiet < 3) {
        for (let poll = 0; poll < POLLS_PER_INVOCATION && last.pollSoon; poll++) {
          world.advance(POLL_SECONDS);
          last = driver.decideOn(world.observe());
          driver.applyDecision(last);
        }
        world.advance(world.reconcileEnabled ? SCHEDULE_SECONDS : HEARTBEAT_SECONDS);
        const next = driver.decideOn(world.observe());
        driver.applyDecision(next);
        // Capped: Fargate at maxTasks carries what it can of a load above its capacity, Lambda the rest, the schedule on.
        const capped = next.intent === 'fargate' && next.phase === 'FARGATE' && world.desiredCount >= config.maxTasks && world.fargateWeight < 100;
        quiet = changes(next).length === 0 && (!next.needsReconcile || capped) ? quiet + 1 : 0;
        quietSinceMs = quiet === 1 ? world.nowMs : quietSinceMs;
        last = next;
      }
      const atRest = world.lambdaWeight === 100 && world.desiredCount === 0 && world.minCapacity === 0;
      const settledOnFargate = world.fargateWeight > 0 && last.intent === 'fargate';
      expect({
        quietWithinBound: quiet >= 3 && quietSinceMs <= endMs,
        atRestOrSettled: atRest || settledOnFargate,
        scheduleOnlyWhileCapped: world.reconcileEnabled === last.needsReconcile && (!last.needsReconcile || world.fargateWeight < 100),
        problems: driver.problems,
      }).toEqual({ quietWithinBound: true, atRestOrSettled: true, scheduleOnlyWhileCapped: true, problems: [] });
    }), { numRuns: runs(1000) });
  });
});

describe('the world model', () => {
  test('publishes each minute late, newest first, the sides over the newest two minutes', () => {
    const world = new World({ nowMs: 1_700_000_040_000, publishLagSeconds: 60 });
    world.requestsPerMinute = 6000;
    world.apply([{ kind: 'setDesiredCount', count: 2 }, { kind: 'setWeights', lambda: 50, fargate: 50 }]);
    // Minutes 0 to 2 clean, 3 and 4 with 10 % Fargate errors; at 5:00 minutes up to 3 are published (ended 60 s ago).
    world.advance(180);
    world.fargateErrorRate = 0.1;
    world.advance(120);
    const traffic = world.traffic();
    const minute = (n: number) => 1_700_000_040_000 + n * 60_000;
    expect(traffic).toEqual({
      requestsPerMinute: [6000, 6000, 6000],
      latestMinuteStartMs: minute(3),
      windowStartMs: minute(2),
      fargate: { requests: 6000, errors: 300, responseTimeMs: 30 },
      lambda: { requests: 6000, errors: 0, responseTimeMs: 100 },
    });
  });

  test('crashed tasks count as dead targets until their checks fail, and ECS replaces them', () => {
    const world = new World({ taskStartSeconds: 60, deadTargetSeconds: 10 });
    world.apply([{ kind: 'setDesiredCount', count: 3 }]);
    world.advance(60);
    world.crash(2);
    const counts = () => [world.healthyTargets, world.deadTargets, world.tasks.length];
    const seen = [counts()];
    world.advance(10);
    seen.push(counts());
    world.advance(50);
    seen.push(counts());
    expect(seen).toEqual([[1, 2, 3], [1, 0, 3], [3, 0, 3]]);
  });

  test('a failing call stops the actions there, as the adapter does', () => {
    const world = new World();
    world.failing = new Set(['setMinCapacity']);
    const result = world.apply([{ kind: 'enableReconcile' }, { kind: 'setMinCapacity', min: 2 }, { kind: 'setDesiredCount', count: 2 }]);
    expect({ applied: result.applied.length, failed: result.failed?.action.kind, enabled: world.reconcileEnabled, desired: world.desiredCount })
      .toEqual({ applied: 1, failed: 'setMinCapacity', enabled: true, desired: 0 });
  });

  test('reads the metrics only when the controller needs them, as the adapter does', () => {
    const world = new World();
    world.requestsPerMinute = 5000;
    world.advance(600);
    const quiet = world.observe();
    world.alarms.scaleOutAlarm = 'ALARM';
    const alarmed = world.observe();
    expect([quiet.traffic, quiet.requestsPerMinute, alarmed.requestsPerMinute, initialTaskCount(alarmed.requestsPerMinute, CONTROLLER_DEFAULTS)])
      .toEqual([undefined, 0, 5000, 2]);
  });
});
