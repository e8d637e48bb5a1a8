import * as fc from 'fast-check';
import { afterActions, AlarmName, RedeployResets, stateActions, World } from './world';
import { decide, fargateShare, initialTaskCount, targetsNeededFor, validateControllerConfig } from '../../src/controller/decision';
import { Action, AlarmState, ControllerConfig, Decision, ModeOverride, ObservedState } from '../../src/controller/types';

/**
 * Property tests of the decision against a model of the world: random sequences of load, alarms, health, task
 * start delays, redeploys, overrides and time, with decisions whose actions are only partly applied, repeated on
 * stale observations or run twice at once. Safety is checked on every decision; convergence once inputs settle.
 */

/** How failed calls leave a decision's actions: the adapter stops at the first failure (prefix), or any subset. */
type FailureMode = 'prefix' | 'subset';

type Event =
  | { readonly kind: 'advance'; readonly seconds: number }
  | { readonly kind: 'decide'; readonly how: 'all' | 'partial' | 'stale' | 'retry' | 'concurrent'; readonly cut: Cut }
  | { readonly kind: 'alarm'; readonly alarm: AlarmName; readonly state: AlarmState }
  | { readonly kind: 'health'; readonly unhealthyTasks: number }
  | { readonly kind: 'load'; readonly requestsPerMinute: number }
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
  /** Where the world starts: Lambda at rest, or Fargate carrying everything for an hour. */
  readonly start: 'lambda' | 'fargate';
  readonly events: readonly Event[];
}

const alarmState = fc.constantFrom<AlarmState>('OK', 'ALARM', 'INSUFFICIENT_DATA');

const configArb: fc.Arbitrary<ControllerConfig> = fc.record({
  shiftOutSteps: fc.uniqueArray(fc.integer({ min: 1, max: 99 }), { maxLength: 4 }).map((steps) => [...steps.sort((a, b) => a - b), 100]),
  shiftOutPauseSeconds: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 120 })),
  shiftBackSteps: fc.uniqueArray(fc.integer({ min: 1, max: 99 }), { maxLength: 4 }).map((steps) => [...steps.sort((a, b) => b - a), 0]),
  shiftBackPauseSeconds: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 120 })),
  minTasks: fc.integer({ min: 1, max: 3 }),
  maxTasks: fc.integer({ min: 0, max: 9 }),
  requestsPerTaskPerMinute: fc.integer({ min: 100, max: 6000 }),
  minFargateSeconds: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 900 })),
  drainSeconds: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 120 })),
  overflowLambdaWeight: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 50 })),
}).map((config) => ({ ...config, maxTasks: config.minTasks + config.maxTasks }));

const cutArb: fc.Arbitrary<Cut> = fc.record({
  prefix: fc.nat(8),
  keep: fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }),
  interleave: fc.array(fc.boolean(), { minLength: 16, maxLength: 16 }),
});

const eventArb: fc.Arbitrary<Event> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('advance' as const), seconds: fc.integer({ min: 0, max: 180 }) }) },
  {
    weight: 6,
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
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('load' as const), requestsPerMinute: fc.integer({ min: 0, max: 80_000 }) }) },
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
    start: fc.constantFrom('lambda' as const, 'fargate' as const),
    events: fc.array(eventArb, { minLength: minEvents, maxLength: maxEvents }),
  });
}

function newWorld(run: Run): World {
  const world = new World({ taskStartSeconds: run.taskStartSeconds, maxCapacity: run.config.maxTasks, scalesOutToMin: run.scalesOutToMin });
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

/** Every rule a single decision must keep, as readable violations (empty when it keeps them all). */
function violations(seen: ObservedState, decision: Decision, config: ControllerConfig, lastWeightChangeMs: number | undefined): string[] {
  const found: string[] = [];
  const { actions } = decision;
  const after = afterActions(seen, actions);
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
  if (after.fargateWeight > 0 && seen.healthyTargets === 0) {
    found.push(`Fargate keeps weight ${after.fargateWeight} with no healthy target`);
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
  const share = fargateShare(seen);
  if (after.fargateWeight > share) {
    // The shift is sized from the load when it starts, then from the minimum capacity set at that moment.
    const sizedFor = share > 0 && seen.minCapacity >= config.minTasks
      ? Math.min(seen.minCapacity, config.maxTasks)
      : initialTaskCount(seen.requestsPerMinute, config);
    const needed = targetsNeededFor(after.fargateWeight, sizedFor);
    if (decision.intent !== 'fargate' || seen.fargateErrorAlarm === 'ALARM' || seen.healthyTargets < needed) {
      found.push(`Fargate weight rises ${share} -> ${after.fargateWeight} with intent ${decision.intent}, error alarm ${seen.fargateErrorAlarm}, `
        + `${seen.healthyTargets} of ${needed} targets healthy`);
    }
  }
  if (seen.override === 'auto' && seen.marks.intent === 'fargate' && decision.intent === 'lambda') {
    const onFargateMs = seen.nowMs - (seen.marks.intentSinceMs ?? seen.nowMs);
    if (seen.scaleInAlarm !== 'ALARM' || seen.scaleOutAlarm === 'ALARM' || onFargateMs < config.minFargateSeconds * 1000) {
      found.push(`intent fargate -> lambda after ${onFargateMs / 1000} s with scale-in ${seen.scaleInAlarm}, scale-out ${seen.scaleOutAlarm}`);
    }
  }
  if (seen.override !== 'auto' && decision.intent !== seen.override) {
    found.push(`override ${seen.override} but intent ${decision.intent}`);
  }
  if (reconcile.length !== 1 || actions[actions.length - 1] !== reconcile[0]
    || (reconcile[0].kind === 'enableReconcile') !== decision.needsReconcile) {
    found.push(`reconcile actions ${JSON.stringify(reconcile)} do not end the list or disagree with needsReconcile ${decision.needsReconcile}`);
  }
  if (!/^[A-Z][^.]*\.$/.test(decision.reason)) {
    found.push(`reason is not one sentence: ${decision.reason}`);
  }

  if (hasNoZeroWaits(config)) {
    const again = stateActions(decide(after, config).actions);
    if (again.length > 0) {
      found.push(`deciding again on the result (same time) changes more: ${JSON.stringify(again)}`);
    }
  }
  return found;
}

/** With a zero pause or drain, a step per decision is the configured behaviour, so deciding again may move on. */
function hasNoZeroWaits(config: ControllerConfig): boolean {
  return config.shiftOutPauseSeconds > 0 && config.shiftBackPauseSeconds > 0 && config.drainSeconds > 0;
}

/** Decides on the world as observed now and records what the decision got wrong. */
class Driver {
  readonly problems: string[] = [];

  constructor(private readonly world: World, private readonly config: ControllerConfig, private readonly failureMode: FailureMode) {}

  decideOn(seen: ObservedState): Decision {
    const decision = decide(seen, this.config);
    // With prefix failures a weight change takes effect only after its mark, so the true time bounds the drain;
    // with arbitrary subsets the mark is all the controller can know, so that is what it is held to.
    const lastChange = this.failureMode === 'prefix' ? this.world.lastControllerWeightChangeMs : seen.marks.lastWeightChangeMs;
    this.problems.push(...violations(seen, decision, this.config, lastChange).map((p) => `${p} [seen ${JSON.stringify(seen)}]`));
    return decision;
  }

  /** Applies actions and checks the controller did not itself leave Fargate weighted without healthy targets or tasks. */
  apply(actions: readonly Action[]): void {
    const before = { weighted: this.world.fargateWeight > 0, healthy: this.world.healthyTargets, desired: this.world.desiredCount };
    this.world.apply(actions);
    if (this.world.fargateWeight > 0 && this.world.healthyTargets === 0 && !(before.weighted && before.healthy === 0)) {
      this.problems.push(`applying ${JSON.stringify(actions)} weighted Fargate with no healthy target`);
    }
    if (this.world.fargateWeight > 0 && this.world.desiredCount === 0 && !(before.weighted && before.desired === 0)) {
      this.problems.push(`applying ${JSON.stringify(actions)} left Fargate weighted with no tasks`);
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
        this.apply(decision.actions);
        return;
      case 'partial':
        this.apply(this.cut(decision.actions, event.cut));
        return;
      case 'stale':
        // An invocation that observed before the previous one applied its actions.
        this.apply(this.cut(decision.actions, event.cut));
        this.apply(this.decideOn(seen).actions);
        return;
      case 'retry':
        this.apply(this.cut(decision.actions, event.cut));
        this.apply(this.decideOn(this.world.observe()).actions);
        return;
      case 'concurrent':
        this.apply(interleave(decision.actions, this.cut(this.decideOn(seen).actions, event.cut), event.cut.interleave));
        return;
    }
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
      case 'load':
        world.requestsPerMinute = event.requestsPerMinute;
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
  readonly requestsPerMinute: number;
  readonly intervalSeconds: number;
}

const settleArb: fc.Arbitrary<Settle> = fc.record({
  destination: fc.constantFrom<Destination>('lambda', 'fargate'),
  pinned: fc.boolean(),
  requestsPerMinute: fc.integer({ min: 0, max: 80_000 }),
  intervalSeconds: fc.integer({ min: 10, max: 60 }),
}).map(({ destination, pinned, requestsPerMinute, intervalSeconds }) => ({
  destination,
  override: pinned ? destination : 'auto',
  requestsPerMinute,
  intervalSeconds,
}));

/**
 * Seconds a settled world may take to arrive, from the config: the wait before the scale-in may flip the intent,
 * every step with its pause (plus one when the clock was lost), the drain (twice, for the same reason), task
 * start-up, and a decision interval of slack on each.
 */
function settleBoundSeconds(config: ControllerConfig, settle: Settle, taskStartSeconds: number): number {
  const dt = settle.intervalSeconds;
  if (settle.destination === 'fargate') {
    return taskStartSeconds + 3 * dt + (config.shiftOutSteps.length + 1) * (config.shiftOutPauseSeconds + dt);
  }
  return config.minFargateSeconds + 3 * dt
    + (config.shiftBackSteps.length + 1) * (config.shiftBackPauseSeconds + dt)
    + 2 * (config.drainSeconds + dt);
}

function settleInputs(world: World, settle: Settle): void {
  world.override = settle.override;
  world.requestsPerMinute = settle.requestsPerMinute;
  world.unhealthyTasks = 0;
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

describe('decision against a model of the world', () => {
  test('generated configs are valid', () => {
    fc.assert(fc.property(configArb, (config) => {
      expect(validateControllerConfig(config)).toEqual([]);
    }), { numRuns: 300 });
  });

  test('every decision keeps the invariants, whatever the observation', () => {
    const observedArb: fc.Arbitrary<ObservedState> = fc.record({
      nowMs: fc.constant(1_700_000_000_000),
      override: fc.constantFrom<ModeOverride>('auto', 'lambda', 'fargate'),
      lambdaWeight: fc.integer({ min: 0, max: 120 }),
      fargateWeight: fc.integer({ min: 0, max: 120 }),
      desiredCount: fc.integer({ min: 0, max: 12 }),
      runningCount: fc.integer({ min: 0, max: 12 }),
      minCapacity: fc.integer({ min: 0, max: 12 }),
      healthyTargets: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 12 })),
      unhealthyTargets: fc.integer({ min: 0, max: 3 }),
      scaleOutAlarm: alarmState,
      scaleInAlarm: alarmState,
      fargateErrorAlarm: alarmState,
      overloadAlarm: alarmState,
      requestsPerMinute: fc.integer({ min: 0, max: 80_000 }),
      marks: fc.record({
        intent: fc.constantFrom('lambda' as const, 'fargate' as const),
        intentSinceMs: fc.integer({ min: 1_700_000_000_000 - 3_600_000, max: 1_700_000_000_000 }),
        lastWeightChangeMs: fc.integer({ min: 1_700_000_000_000 - 3_600_000, max: 1_700_000_000_000 }),
      }, { requiredKeys: [] }),
    });
    fc.assert(fc.property(observedArb, configArb, (seen, config) => {
      const decision = decide(seen, config);
      expect(violations(seen, decision, config, seen.marks.lastWeightChangeMs)).toEqual([]);
    }), { numRuns: 3000 });
  });

  test('safety holds through failures, stale and concurrent decisions, redeploys and health changes', () => {
    fc.assert(fc.property(runArb(40, 150), (run) => {
      const world = newWorld(run);
      const driver = new Driver(world, run.config, run.failureMode);
      play(world, driver, run.events);
      expect(driver.problems).toEqual([]);
    }), { numRuns: 1500 });
  });

  test('once inputs settle, the world reaches Lambda at rest or Fargate 100 within the bound and stays', () => {
    fc.assert(fc.property(runArb(0, 60), settleArb, (run, settle) => {
      const world = newWorld(run);
      const driver = new Driver(world, run.config, run.failureMode);
      play(world, driver, run.events);
      settleInputs(world, settle);

      const decisions = Math.ceil(settleBoundSeconds(run.config, settle, run.taskStartSeconds) / settle.intervalSeconds) + 1;
      let last = driver.decideOn(world.observe());
      for (let i = 0; i < decisions; i++) {
        driver.apply(last.actions);
        world.advance(settle.intervalSeconds);
        last = driver.decideOn(world.observe());
      }
      driver.apply(last.actions);
      expect({ arrived: arrived(world, run.config, settle.destination, last), problems: driver.problems })
        .toEqual({ arrived: true, problems: [] });

      for (let i = 0; i < 3; i++) {
        world.advance(settle.intervalSeconds);
        expect(stateActions(driver.decideOn(world.observe()).actions)).toEqual([]);
      }
      expect(driver.problems).toEqual([]);
    }), { numRuns: 1500 });
  });
});
