import { afterActions, stateActions } from './world';
import {
  backoffSeconds,
  decide,
  derivePhase,
  estimateDemand,
  holdSeconds,
  inferIntent,
  initialTaskCount,
  isMateriallyWorse,
  keepsPolling,
  needsTraffic,
  nextShiftBackStep,
  nextShiftOutStep,
} from '../../src/controller/decision';
import { CONTROLLER_DEFAULTS } from '../../src/controller/tunables';
import { Action, ControllerConfig, Intent, Marks, ObservedState, Phase, SideMetrics, TrafficMetrics } from '../../src/controller/types';

const NOW = 1_700_000_000_000;
const CONFIG = CONTROLLER_DEFAULTS;

function ago(seconds: number): number {
  return NOW - seconds * 1000;
}

/** Lambda at rest for an hour; each test states only what differs. */
function observed(changes: Partial<ObservedState> = {}): ObservedState {
  return {
    nowMs: NOW,
    override: 'auto',
    lambdaWeight: 100,
    fargateWeight: 0,
    desiredCount: 0,
    runningCount: 0,
    minCapacity: 0,
    healthyTargets: 0,
    unhealthyTargets: 0,
    scaleOutAlarm: 'OK',
    scaleInAlarm: 'OK',
    fargateErrorAlarm: 'OK',
    overloadAlarm: 'OK',
    requestsPerMinute: 0,
    marks: { intent: 'lambda', intentSinceMs: ago(3600), lastWeightChangeMs: ago(3600) },
    ...changes,
  };
}

/** Fargate intent for `seconds`, with the last weight change `lastChangeSeconds` ago; `more` adds marks. */
function fargateMarks(seconds: number, lastChangeSeconds: number, more: Marks = {}): Marks {
  return { intent: 'fargate', intentSinceMs: ago(seconds), lastWeightChangeMs: ago(lastChangeSeconds), ...more };
}

function lambdaMarks(seconds: number, lastChangeSeconds: number, more: Marks = {}): Marks {
  return { intent: 'lambda', intentSinceMs: ago(seconds), lastWeightChangeMs: ago(lastChangeSeconds), ...more };
}

/** Load was last seen high 10 s ago: the decision has no high-load mark to rewrite. */
const HIGH_LOAD: Marks = { lastHighLoadMs: ago(10) };

function weights(fargate: number): Pick<ObservedState, 'lambdaWeight' | 'fargateWeight'> {
  return { lambdaWeight: 100 - fargate, fargateWeight: fargate };
}

interface TrafficOptions {
  readonly fargate?: Partial<SideMetrics>;
  readonly lambda?: Partial<SideMetrics>;
  /** Seconds ago the newest published minute began; 180 by default (ended two minutes ago). */
  readonly latestMinuteBeganSecondsAgo?: number;
}

/** Published one-minute request counts, newest first, as the adapter reads them; the side sums cover the newest two. */
function traffic(minutes: number[], options: TrafficOptions = {}): TrafficMetrics {
  const latestMinuteStartMs = minutes.length > 0 ? ago(options.latestMinuteBeganSecondsAgo ?? 180) : undefined;
  return {
    requestsPerMinute: minutes,
    latestMinuteStartMs,
    windowStartMs: latestMinuteStartMs === undefined ? undefined : latestMinuteStartMs - (minutes.length > 1 ? 60_000 : 0),
    fargate: { requests: 0, errors: 0, ...options.fargate },
    lambda: { requests: 0, errors: 0, ...options.lambda },
  };
}

/** The observation fields the adapter sets from the metrics it read. */
function read(minutes: number[], options: TrafficOptions = {}): Pick<ObservedState, 'requestsPerMinute' | 'traffic'> {
  return { requestsPerMinute: minutes[0] ?? 0, traffic: traffic(minutes, options) };
}

const ENABLE: Action = { kind: 'enableReconcile' };
const DISABLE: Action = { kind: 'disableReconcile' };

function setWeights(fargate: number): Action {
  return { kind: 'setWeights', lambda: 100 - fargate, fargate };
}

function markWeightChange(more: Marks = {}): Action {
  return { kind: 'setMarks', marks: { lastWeightChangeMs: NOW, ...more } };
}

/** The marks a return to Lambda writes when it is not a failback. */
const BACK_TO_LAMBDA: Marks = { intent: 'lambda', intentSinceMs: NOW, lastRestMs: NOW, failbacks: 0 };

interface Row {
  readonly name: string;
  readonly observed: ObservedState;
  readonly config?: Partial<ControllerConfig>;
  readonly phase: Phase;
  readonly intent: Intent;
  readonly actions: Action[];
}

/** Checks the whole decision, and that the reconcile switch agrees with it: on first away from rest, off last at rest. */
function runRow(row: Row) {
  const decision = decide(row.observed, { ...CONFIG, ...row.config });
  expect({ phase: decision.phase, intent: decision.intent, actions: decision.actions }).toEqual({
    phase: row.phase,
    intent: row.intent,
    actions: row.actions,
  });
  expect(decision.needsReconcile).toBe(row.actions[0].kind === 'enableReconcile');
  expect(decision.needsReconcile).toBe(row.actions[row.actions.length - 1].kind !== 'disableReconcile');
}

function decideWith(seen: ObservedState, config: Partial<ControllerConfig> = {}) {
  return decide(seen, { ...CONFIG, ...config });
}

describe('transitions from Lambda to Fargate and back', () => {
  // 7,000 requests/min at 3,000 per task: 3 initial tasks.
  const load = { requestsPerMinute: 7000 };
  const rows: Row[] = [
    {
      name: 'LAMBDA at rest stays at rest and turns the reconcile schedule off',
      observed: observed(),
      phase: 'LAMBDA',
      intent: 'lambda',
      actions: [DISABLE],
    },
    {
      name: 'LAMBDA -> SCALING_OUT: scale-out alarm raises the minimum and desired count to the initial count',
      observed: observed({ ...load, scaleOutAlarm: 'ALARM' }),
      phase: 'LAMBDA',
      intent: 'fargate',
      actions: [
        ENABLE,
        { kind: 'setMinCapacity', min: 3 },
        { kind: 'setDesiredCount', count: 3 },
        { kind: 'setMarks', marks: { intent: 'fargate', intentSinceMs: NOW, recurrences: 0, lastHighLoadMs: NOW } },
      ],
    },
    {
      name: 'SCALING_OUT waits while no task is healthy',
      observed: observed({
        ...load, scaleOutAlarm: 'ALARM', desiredCount: 3, minCapacity: 3, runningCount: 3, marks: fargateMarks(20, 3600, HIGH_LOAD),
      }),
      phase: 'SCALING_OUT',
      intent: 'fargate',
      actions: [ENABLE],
    },
    {
      name: 'SCALING_OUT -> SHIFTING_TO_FARGATE: one healthy target is enough for the first step at once',
      observed: observed({ ...load, desiredCount: 3, minCapacity: 3, healthyTargets: 1, marks: fargateMarks(60, 3600) }),
      phase: 'SCALING_OUT',
      intent: 'fargate',
      actions: [ENABLE, markWeightChange({ shiftStartMs: NOW }), setWeights(10)],
    },
    {
      name: 'SHIFTING_TO_FARGATE holds during the shift-out pause',
      observed: observed({ ...load, ...weights(10), desiredCount: 3, minCapacity: 3, healthyTargets: 3, marks: fargateMarks(60, 29) }),
      phase: 'SHIFTING_TO_FARGATE',
      intent: 'fargate',
      actions: [ENABLE],
    },
    {
      name: 'SHIFTING_TO_FARGATE 10 -> 50 once the pause has passed',
      observed: observed({ ...load, ...weights(10), desiredCount: 3, minCapacity: 3, healthyTargets: 3, marks: fargateMarks(60, 30) }),
      phase: 'SHIFTING_TO_FARGATE',
      intent: 'fargate',
      actions: [ENABLE, markWeightChange(), setWeights(50)],
    },
    {
      name: 'SHIFTING_TO_FARGATE -> FARGATE: 50 -> 100, then the minimum goes back to minTasks for autoscaling',
      observed: observed({ ...load, ...weights(50), desiredCount: 3, minCapacity: 3, healthyTargets: 3, marks: fargateMarks(90, 30) }),
      phase: 'SHIFTING_TO_FARGATE',
      intent: 'fargate',
      actions: [ENABLE, markWeightChange(), setWeights(100), { kind: 'setMinCapacity', min: 1 }],
    },
    {
      name: 'FARGATE settled: nothing changes, a larger desired count is left to autoscaling, and the schedule turns off',
      observed: observed({ ...load, ...weights(100), desiredCount: 7, minCapacity: 1, healthyTargets: 7, marks: fargateMarks(900, 800) }),
      phase: 'FARGATE',
      intent: 'fargate',
      actions: [DISABLE],
    },
    {
      name: 'FARGATE keeps the traffic before minFargateSeconds even with the scale-in alarm',
      observed: observed({ ...weights(100), desiredCount: 1, minCapacity: 1, healthyTargets: 1, scaleInAlarm: 'ALARM', marks: fargateMarks(599, 500) }),
      phase: 'FARGATE',
      intent: 'fargate',
      actions: [ENABLE],
    },
    {
      name: 'FARGATE -> SHIFTING_TO_LAMBDA: after minFargateSeconds the scale-in alarm takes the first step back at once',
      observed: observed({ ...weights(100), desiredCount: 1, minCapacity: 1, healthyTargets: 1, scaleInAlarm: 'ALARM', marks: fargateMarks(600, 1) }),
      phase: 'FARGATE',
      intent: 'lambda',
      actions: [ENABLE, { kind: 'setMarks', marks: { ...BACK_TO_LAMBDA, lastWeightChangeMs: NOW } }, setWeights(50)],
    },
    {
      name: 'SHIFTING_TO_LAMBDA holds during the shift-back pause',
      observed: observed({ ...weights(50), desiredCount: 1, minCapacity: 1, healthyTargets: 1, scaleInAlarm: 'ALARM', marks: lambdaMarks(59, 59) }),
      phase: 'SHIFTING_TO_LAMBDA',
      intent: 'lambda',
      actions: [ENABLE],
    },
    {
      name: 'SHIFTING_TO_LAMBDA 50 -> 20 after the pause',
      observed: observed({ ...weights(50), desiredCount: 1, minCapacity: 1, healthyTargets: 1, marks: lambdaMarks(60, 60) }),
      phase: 'SHIFTING_TO_LAMBDA',
      intent: 'lambda',
      actions: [ENABLE, markWeightChange(), setWeights(20)],
    },
    {
      name: 'SHIFTING_TO_LAMBDA 20 -> 0 after the pause, tasks kept for the drain',
      observed: observed({ ...weights(20), desiredCount: 1, minCapacity: 1, healthyTargets: 1, marks: lambdaMarks(120, 60) }),
      phase: 'SHIFTING_TO_LAMBDA',
      intent: 'lambda',
      actions: [ENABLE, markWeightChange(), setWeights(0)],
    },
    {
      name: 'SHIFTING_TO_LAMBDA: the first step back also happens at once when only the intent mark took effect',
      observed: observed({ ...weights(100), desiredCount: 1, minCapacity: 1, healthyTargets: 1, marks: lambdaMarks(5, 700) }),
      phase: 'SHIFTING_TO_LAMBDA',
      intent: 'lambda',
      actions: [ENABLE, markWeightChange(), setWeights(50)],
    },
    {
      name: 'DRAINING keeps the tasks for drainSeconds after the weight reached 0',
      observed: observed({ desiredCount: 1, minCapacity: 1, healthyTargets: 1, marks: lambdaMarks(180, 29) }),
      phase: 'DRAINING',
      intent: 'lambda',
      actions: [ENABLE],
    },
    {
      name: 'DRAINING -> LAMBDA: minimum then desired count to 0, schedule left on to confirm',
      observed: observed({ desiredCount: 1, minCapacity: 1, healthyTargets: 1, marks: lambdaMarks(180, 30) }),
      phase: 'DRAINING',
      intent: 'lambda',
      actions: [ENABLE, { kind: 'setMinCapacity', min: 0 }, { kind: 'setDesiredCount', count: 0 }],
    },
    {
      name: 'DRAINING finishes a drain that only lowered the minimum',
      observed: observed({ desiredCount: 1, minCapacity: 0, healthyTargets: 1, marks: lambdaMarks(180, 60) }),
      phase: 'DRAINING',
      intent: 'lambda',
      actions: [ENABLE, { kind: 'setDesiredCount', count: 0 }],
    },
    {
      name: 'DRAINING is not over while only the minimum capacity is left',
      observed: observed({ minCapacity: 2 }),
      phase: 'DRAINING',
      intent: 'lambda',
      actions: [ENABLE, { kind: 'setMinCapacity', min: 0 }],
    },
    {
      name: 'SCALING_OUT -> back to Lambda: tasks that never took traffic stop once the drain time has passed',
      observed: observed({ desiredCount: 2, minCapacity: 2, scaleInAlarm: 'ALARM', marks: fargateMarks(600, 3600) }),
      phase: 'SCALING_OUT',
      intent: 'lambda',
      actions: [
        ENABLE,
        { kind: 'setMarks', marks: BACK_TO_LAMBDA },
        { kind: 'setMinCapacity', min: 0 },
        { kind: 'setDesiredCount', count: 0 },
      ],
    },
  ];
  test.each(rows)('$name', runRow);
});

describe('overflow', () => {
  const overloaded = {
    requestsPerMinute: 40000, ...weights(100), desiredCount: 10, minCapacity: 1, healthyTargets: 10, overloadAlarm: 'ALARM' as const,
  };
  const rows: Row[] = [
    {
      // Below 100 % the shift is not complete, so the minimum holds the count for the load (capped at maxTasks).
      name: 'overloaded at maxTasks: Lambda takes overflowLambdaWeight at once, and the minimum holds the tasks',
      observed: observed({ ...overloaded, marks: fargateMarks(900, 1) }),
      config: { overflowLambdaWeight: 20 },
      phase: 'FARGATE',
      intent: 'fargate',
      // Weight taken from Fargate goes before the capacity raise (a failing raise must not keep the overload).
      actions: [ENABLE, markWeightChange(), setWeights(80), { kind: 'setMinCapacity', min: 10 }],
    },
    {
      name: 'overflow is judged on the desired count this decision sets, so the next decision has nothing to add',
      observed: observed({ ...overloaded, desiredCount: 8, healthyTargets: 8, marks: fargateMarks(900, 300) }),
      config: { overflowLambdaWeight: 20 },
      phase: 'FARGATE',
      intent: 'fargate',
      actions: [ENABLE, markWeightChange(), setWeights(80), { kind: 'setMinCapacity', min: 10 }, { kind: 'setDesiredCount', count: 10 }],
    },
    {
      name: 'overflow holds while the overload alarm stays',
      observed: observed({ ...overloaded, ...weights(80), minCapacity: 10, marks: fargateMarks(900, 300) }),
      config: { overflowLambdaWeight: 20 },
      phase: 'FARGATE',
      intent: 'fargate',
      actions: [ENABLE],
    },
    {
      name: 'overflow ends: back to 100 once the overload clears (after the shift-out pause)',
      observed: observed({
        requestsPerMinute: 25000, ...weights(80), desiredCount: 10, minCapacity: 10, healthyTargets: 10, marks: fargateMarks(900, 300),
      }),
      config: { overflowLambdaWeight: 20 },
      phase: 'SHIFTING_TO_FARGATE',
      intent: 'fargate',
      actions: [ENABLE, markWeightChange(), setWeights(100), { kind: 'setMinCapacity', min: 1 }],
    },
    {
      name: 'no overflow below maxTasks: ECS autoscaling can still add tasks',
      observed: observed({ ...overloaded, requestsPerMinute: 25000, desiredCount: 9, healthyTargets: 9, marks: fargateMarks(900, 300) }),
      config: { overflowLambdaWeight: 20 },
      phase: 'FARGATE',
      intent: 'fargate',
      actions: [DISABLE],
    },
    {
      name: 'no overflow when overflowLambdaWeight is 0',
      observed: observed({ ...overloaded, marks: fargateMarks(900, 300) }),
      phase: 'FARGATE',
      intent: 'fargate',
      actions: [DISABLE],
    },
    {
      name: 'the Fargate error alarm does not stop the overflow from relieving an overloaded Fargate',
      observed: observed({ ...overloaded, fargateErrorAlarm: 'ALARM', marks: fargateMarks(900, 300) }),
      config: { overflowLambdaWeight: 30 },
      phase: 'FARGATE',
      intent: 'fargate',
      actions: [ENABLE, markWeightChange(), setWeights(70), { kind: 'setMinCapacity', min: 10 }],
    },
  ];
  test.each(rows)('$name', runRow);
});

describe('safety invariants', () => {
  const rows: Row[] = [
    {
      name: 'no scale to zero while Fargate still has weight, however long ago the last change was',
      observed: observed({ ...weights(20), desiredCount: 1, minCapacity: 1, healthyTargets: 1, marks: lambdaMarks(10, 10) }),
      phase: 'SHIFTING_TO_LAMBDA',
      intent: 'lambda',
      actions: [ENABLE],
    },
    {
      name: 'no scale to zero in the decision that takes the weight to 0, even with drainSeconds 0',
      observed: observed({ ...weights(20), desiredCount: 1, minCapacity: 1, healthyTargets: 1, marks: lambdaMarks(600, 600) }),
      config: { drainSeconds: 0 },
      phase: 'SHIFTING_TO_LAMBDA',
      intent: 'lambda',
      actions: [ENABLE, markWeightChange(), setWeights(0)],
    },
    {
      name: 'hand-edited weights that do not sum to 100 are rewritten as the share ALB gives',
      observed: observed({ lambdaWeight: 1, fargateWeight: 1, desiredCount: 2, minCapacity: 1, healthyTargets: 2, marks: fargateMarks(900, 5) }),
      phase: 'SHIFTING_TO_FARGATE',
      intent: 'fargate',
      actions: [ENABLE, markWeightChange(), setWeights(50)],
    },
    {
      name: 'intent fargate never lowers a desired count chosen by autoscaling',
      observed: observed({
        requestsPerMinute: 3000, ...weights(100), desiredCount: 8, minCapacity: 1, healthyTargets: 8, marks: fargateMarks(900, 800),
      }),
      phase: 'FARGATE',
      intent: 'fargate',
      actions: [DISABLE],
    },
  ];
  test.each(rows)('$name', runRow);

  test('weighted Fargate with no healthy target is never left weighted, whatever else is observed', () => {
    const variants: Array<Partial<ObservedState>> = [
      { override: 'auto' }, { override: 'lambda' }, { override: 'fargate' },
      { scaleOutAlarm: 'ALARM' }, { scaleInAlarm: 'ALARM' }, { fargateErrorAlarm: 'ALARM' }, { overloadAlarm: 'ALARM', desiredCount: 10 },
      { marks: {} }, { marks: lambdaMarks(1, 1) }, { marks: fargateMarks(1, 1) },
      { ...read([9000, 9000], { fargate: { requests: 4000, errors: 0 } }) },
    ];
    const outcomes = variants.map((variant) => {
      const seen = observed({ ...weights(50), desiredCount: 3, minCapacity: 3, ...variant });
      const after = afterActions(seen, decide(seen, { ...CONFIG, overflowLambdaWeight: 20 }).actions);
      return [after.lambdaWeight, after.fargateWeight];
    });
    expect(outcomes).toEqual(variants.map(() => [100, 0]));
  });
});

describe('capacity cap: Fargate never gets more than its healthy tasks carry at the estimated demand', () => {
  // 3,750 requests/min per healthy task by default.
  const shifting = { desiredCount: 7, minCapacity: 7, runningCount: 7, scaleOutAlarm: 'ALARM' as const };
  const rows: Row[] = [
    {
      name: 'capped below the next step: 2 healthy tasks carry 7,500 of 20,000 requests/min, so 10 -> 35 rather than 50',
      observed: observed({ ...shifting, ...read([20000, 20000]), ...weights(10), healthyTargets: 2, marks: fargateMarks(300, 30, HIGH_LOAD) }),
      phase: 'SHIFTING_TO_FARGATE',
      intent: 'fargate',
      actions: [ENABLE, markWeightChange(), setWeights(35)],
    },
    {
      name: 'the step is not taken before the pause even when the cap would allow it',
      observed: observed({ ...shifting, ...read([20000, 20000]), ...weights(10), healthyTargets: 2, marks: fargateMarks(300, 29, HIGH_LOAD) }),
      phase: 'SHIFTING_TO_FARGATE',
      intent: 'fargate',
      actions: [ENABLE],
    },
    {
      name: 'a capped share is where the shift ends for now: phase FARGATE, nothing to do',
      observed: observed({ ...shifting, ...read([20000, 20000]), ...weights(35), healthyTargets: 2, marks: fargateMarks(300, 300, HIGH_LOAD) }),
      phase: 'FARGATE',
      intent: 'fargate',
      actions: [ENABLE],
    },
    {
      name: 'lowered at once when a task stops being healthy: 100 -> 75 with 4 of 5 tasks for 20,000 requests/min',
      observed: observed({ ...shifting, ...read([20000, 20000]), ...weights(100), healthyTargets: 4, marks: fargateMarks(900, 1, HIGH_LOAD) }),
      phase: 'FARGATE',
      intent: 'fargate',
      actions: [ENABLE, markWeightChange(), setWeights(75)],
    },
    {
      name: 'lowered at once when demand rises: 2 tasks at 50 % of 10,000 -> 35 % of 20,000',
      observed: observed({ ...shifting, ...read([20000, 20000]), ...weights(50), healthyTargets: 2, marks: fargateMarks(300, 5, HIGH_LOAD) }),
      phase: 'FARGATE',
      intent: 'fargate',
      actions: [ENABLE, markWeightChange(), setWeights(35)],
    },
    {
      name: 'raised after the pause when tasks get healthy: 35 -> the next step 50 with room for 75',
      observed: observed({ ...shifting, ...read([20000, 20000]), ...weights(35), healthyTargets: 4, marks: fargateMarks(300, 30, HIGH_LOAD) }),
      phase: 'SHIFTING_TO_FARGATE',
      intent: 'fargate',
      actions: [ENABLE, markWeightChange(), setWeights(50)],
    },
    {
      name: 'raised to the cap, not the step, when the cap is lower: 50 -> 75 rather than 100',
      observed: observed({ ...shifting, ...read([20000, 20000]), ...weights(50), healthyTargets: 4, marks: fargateMarks(300, 30, HIGH_LOAD) }),
      phase: 'SHIFTING_TO_FARGATE',
      intent: 'fargate',
      actions: [ENABLE, markWeightChange(), setWeights(75)],
    },
    {
      name: 'the first step is capped too: 1 healthy task carries 7 % of 50,000 requests/min, so 0 -> 5',
      observed: observed({
        ...shifting,
        ...read([50000, 50000]),
        desiredCount: 10,
        minCapacity: 10,
        runningCount: 10,
        healthyTargets: 1,
        marks: fargateMarks(60, 3600, HIGH_LOAD),
      }),
      phase: 'SCALING_OUT',
      intent: 'fargate',
      actions: [ENABLE, markWeightChange({ shiftStartMs: NOW }), setWeights(5)],
    },
    {
      name: 'no first step when the cap rounds down to 0: 1 task for 80,000 requests/min',
      observed: observed({
        ...shifting,
        ...read([80000, 80000]),
        desiredCount: 10,
        minCapacity: 10,
        runningCount: 10,
        healthyTargets: 1,
        marks: fargateMarks(60, 3600, HIGH_LOAD),
      }),
      phase: 'SCALING_OUT',
      intent: 'fargate',
      actions: [ENABLE],
    },
    {
      name: 'the cap uses the configured per-task capacity',
      observed: observed({ ...shifting, ...read([20000, 20000]), ...weights(100), healthyTargets: 4, marks: fargateMarks(900, 1, HIGH_LOAD) }),
      config: { taskCapacityRequestsPerMinute: 2000 },
      phase: 'FARGATE',
      intent: 'fargate',
      actions: [ENABLE, markWeightChange(), setWeights(40)],
    },
    {
      name: 'without published minutes there is no estimate, so there is no cap',
      observed: observed({ ...shifting, ...read([]), ...weights(50), healthyTargets: 1, marks: fargateMarks(300, 30, HIGH_LOAD) }),
      phase: 'SHIFTING_TO_FARGATE',
      intent: 'fargate',
      actions: [ENABLE, markWeightChange(), setWeights(100), { kind: 'setMinCapacity', min: 1 }],
    },
  ];
  test.each(rows)('$name', runRow);

  test('a rising demand is capped on its extrapolation: 2 tasks, 10,000 then 20,000 requests/min, the minute ended 2 minutes ago', () => {
    // Estimated 20,000 + 2 x 10,000 = 40,000: 7,500 of it is 18.75 %.
    const seen = observed({ ...shifting, ...read([20000, 10000]), ...weights(50), healthyTargets: 2, marks: fargateMarks(300, 5, HIGH_LOAD) });
    expect(decide(seen, CONFIG).actions).toContainEqual(setWeights(15));
  });

  test('the share is the floor to the weight granularity, never rounded up', () => {
    // 3 x 3,750 / 11,300 = 99.6 %.
    const seen = observed({ ...shifting, ...read([11300, 11300]), ...weights(100), healthyTargets: 3, marks: fargateMarks(900, 1, HIGH_LOAD) });
    expect(decideWith(seen, { weightGranularity: 5 }).actions).toContainEqual(setWeights(95));
    expect(decideWith(seen, { weightGranularity: 1 }).actions).toContainEqual(setWeights(99));
    expect(decideWith(seen, { weightGranularity: 50 }).actions).toContainEqual(setWeights(50));
  });

  test('shifting back, Fargate still never keeps more than its healthy tasks carry', () => {
    // Pinned to Lambda under high load: 9 of 10 tasks crashed during the shift back; 1 task carries 5 % of 40,000.
    const seen = observed({
      override: 'lambda',
      scaleOutAlarm: 'ALARM',
      ...read([40000, 40000]),
      ...weights(50),
      desiredCount: 10,
      minCapacity: 1,
      runningCount: 10,
      healthyTargets: 1,
      marks: lambdaMarks(10, 10),
    });
    expect(afterActions(seen, decide(seen, CONFIG).actions).fargateWeight).toBeLessThanOrEqual(5);
  });
});

describe('estimateDemand', () => {
  test.each<[string, TrafficMetrics | undefined, number]>([
    ['no metrics read', undefined, 0],
    ['no published minute', traffic([]), 0],
    ['a published minute of 0', traffic([0, 4000]), 0],
    ['flat: the newest minute', traffic([6000, 6000]), 6000],
    ['falling: the newest minute, never extrapolated down', traffic([4000, 6000]), 4000],
    ['rising, the minute just ended: the newest minute', traffic([6000, 4000], { latestMinuteBeganSecondsAgo: 60 }), 6000],
    ['rising, the minute ended 1 minute ago: one rise ahead', traffic([6000, 4000], { latestMinuteBeganSecondsAgo: 120 }), 8000],
    ['rising, the minute ended 90 s ago: one and a half rises ahead', traffic([6000, 4000], { latestMinuteBeganSecondsAgo: 150 }), 9000],
    ['rising, the minute ended 2 minutes ago: two rises ahead', traffic([6000, 4000], { latestMinuteBeganSecondsAgo: 180 }), 10000],
    ['rising, the minute ended 10 minutes ago: still two rises at most', traffic([6000, 4000], { latestMinuteBeganSecondsAgo: 660 }), 10000],
    ['rising, the minute has not ended yet (clock skew): the newest minute', traffic([6000, 4000], { latestMinuteBeganSecondsAgo: 0 }), 6000],
    ['a lone datapoint has no trend: no extrapolation', traffic([6000], { latestMinuteBeganSecondsAgo: 120 }), 6000],
    ['a lone datapoint 2 minutes after its end: still the minute itself', traffic([6000], { latestMinuteBeganSecondsAgo: 180 }), 6000],
    ['only the two newest minutes count', traffic([6000, 6000, 1000]), 6000],
  ])('%s', (_name, metrics, expected) => {
    expect(estimateDemand(metrics, NOW)).toBe(expected);
  });

  test('without the start of the newest minute, the newest minute is the estimate', () => {
    expect(estimateDemand({ ...traffic([6000, 2000]), latestMinuteStartMs: undefined }, NOW)).toBe(6000);
  });
});

describe('overload: Fargate answering much slower than its reference halves its share', () => {
  // 10,000 requests/min; the side sums cover two minutes. 10 healthy tasks: by the prop they carry 37,500.
  const tasks = { desiredCount: 10, minCapacity: 4, runningCount: 10, healthyTargets: 10, scaleOutAlarm: 'ALARM' as const };
  /** Fargate at `share` % of two minutes of 10,000 requests/min, answering in `fargateMs`; Lambda the rest in `lambdaMs`. */
  function timed(share: number, fargateMs: number, lambdaMs?: number, options: TrafficOptions = {}) {
    return read([10000, 10000], {
      fargate: { requests: 200 * share, errors: 0, responseTimeMs: fargateMs },
      lambda: { requests: 200 * (100 - share), errors: 0, responseTimeMs: lambdaMs },
      ...options,
    });
  }
  const shifting = (more: Marks = {}) => fargateMarks(900, 300, { ...HIGH_LOAD, shiftStartMs: ago(900), ...more });

  test('more than 3 x Lambda\'s response time: 50 -> 25 at once, and the capacity per task it carried, less 20 %, is learned', () => {
    const decision = decide(observed({ ...tasks, ...weights(50), ...timed(50, 301, 100), marks: shifting() }), CONFIG);
    // 10,000 Fargate requests in 2 minutes on 10 tasks: 500 per task and minute, 400 counted on.
    // Learned from the newest published minute (it began 3 minutes ago), which then teaches nothing more.
    expect(decision.actions).toEqual([ENABLE, markWeightChange({ learnedCapacityRpm: 400, learnedFromMinuteMs: ago(180) }), setWeights(25)]);
    expect(decision.reason).toMatch(/Fargate answers in 301 ms against 100 ms \(Lambda\) at 500 requests\/min per task, so it is overloaded/);
  });

  test('without Lambda traffic, Fargate\'s best time this shift is the reference: 100 -> 50', () => {
    const seen = observed({ ...tasks, ...weights(100), ...timed(100, 301), marks: shifting({ fargateBaselineMs: 100 }) });
    // 20,000 Fargate requests in 2 minutes on 10 tasks: 1,000 per task and minute, 800 counted on.
    const learned = markWeightChange({ learnedCapacityRpm: 800, learnedFromMinuteMs: ago(180) });
    expect(decide(seen, CONFIG).actions).toEqual([ENABLE, learned, setWeights(50)]);
  });

  test.each<[string, Pick<ObservedState, 'requestsPerMinute' | 'traffic'>, Marks]>([
    ['exactly 3 x Lambda\'s time', timed(50, 300, 100), {}],
    ['Fargate with 59 requests', read([10000, 10000], { fargate: { requests: 59, errors: 0, responseTimeMs: 1000 }, lambda: { requests: 9000, errors: 0, responseTimeMs: 100 } }), {}],
    ['Lambda with 59 requests and no baseline', read([10000, 10000], { fargate: { requests: 9000, errors: 0, responseTimeMs: 1000 }, lambda: { requests: 59, errors: 0, responseTimeMs: 100 } }), {}],
    ['no Fargate response time', read([10000, 10000], { fargate: { requests: 9000, errors: 0 }, lambda: { requests: 9000, errors: 0, responseTimeMs: 100 } }), {}],
    ['exactly 3 x the baseline', timed(50, 300, undefined), { fargateBaselineMs: 100 }],
  ])('not overloaded with %s', (_name, metrics, marks) => {
    const decision = decide(observed({ ...tasks, ...weights(50), ...metrics, marks: shifting(marks) }), CONFIG);
    expect(afterActions(observed({ ...weights(50) }), decision.actions).fargateWeight).toBeGreaterThanOrEqual(50);
  });

  test('halving rounds down to the granularity: 35 -> 15', () => {
    const decision = decide(observed({ ...tasks, ...weights(35), ...timed(35, 400, 100), marks: shifting() }), CONFIG);
    expect(decision.actions).toContainEqual(setWeights(15));
  });

  test('halving never takes the share to 0: 5 holds', () => {
    const decision = decide(observed({ ...tasks, ...weights(5), ...timed(5, 400, 100), marks: shifting() }), CONFIG);
    expect(decision.actions.filter((a) => a.kind === 'setWeights')).toEqual([]);
  });

  test('halves once per published minute: a decision on the same minutes after the halving holds', () => {
    // The halving 100 -> 50 was 5 s ago; the newest published minute began before it, so it says nothing of 50 %.
    const marks = fargateMarks(900, 5, { ...HIGH_LOAD, shiftStartMs: ago(900), fargateBaselineMs: 100, learnedCapacityRpm: 800 });
    const seen = observed({ ...tasks, ...weights(50), ...timed(100, 400), marks });
    expect(stateActions(decide(seen, CONFIG).actions)).toEqual([]);
  });

  test('a minute that began before the last weight change does not halve again, even one that holds the change', () => {
    // NOW is 20 s into a minute: the minute that began 80 s ago shows 30 s of the weight before the change 50 s ago.
    const minuteBefore = timed(50, 400, 100, { latestMinuteBeganSecondsAgo: 80 });
    const seen = observed({ ...tasks, ...weights(50), ...minuteBefore, marks: shifting({ lastWeightChangeMs: ago(50) }) });
    expect(afterActions(seen, decide(seen, CONFIG).actions).fargateWeight).toBeGreaterThanOrEqual(50);
  });

  test('a minute that began after the last weight change halves', () => {
    const minuteAfter = timed(50, 400, 100, { latestMinuteBeganSecondsAgo: 80 });
    const seen = observed({ ...tasks, ...weights(50), ...minuteAfter, marks: shifting({ lastWeightChangeMs: ago(81) }) });
    expect(decide(seen, CONFIG).actions).toContainEqual(setWeights(25));
  });

  test('a learned capacity too small for the granularity does not leave Fargate at 0 for good: it still gets a share to learn from', () => {
    // Learned 40 per task on 10 tasks of 10,000 requests/min: 4 %, which granularity 5 makes 0 %.
    const seen = observed({ ...tasks, ...read([10000, 10000]), marks: shifting({ learnedCapacityRpm: 40, lastWeightChangeMs: ago(600) }) });
    expect(afterActions(seen, decide(seen, CONFIG).actions).fargateWeight).toBeGreaterThan(0);
  });

  test('a later overload lowers the learned capacity: the first was measured on tasks already past theirs', () => {
    // Learned 800 per task; at 80 % of 10,000 on 10 tasks they are overloaded again at 800: 640 is counted on.
    const seen = observed({ ...tasks, ...weights(80), ...timed(80, 400, 100), marks: shifting({ learnedCapacityRpm: 800 }) });
    const written = decide(seen, CONFIG).actions.find((a): a is Extract<Action, { kind: 'setMarks' }> => a.kind === 'setMarks');
    expect(written?.marks.learnedCapacityRpm).toBe(640);
  });

  test('the learned capacity grows while Fargate holds at the share it allows, whatever the granularity left the tasks', () => {
    // Learned 297 on 9 tasks of 5,400 requests/min: 49.5 %, which granularity 10 makes 40 %, 240 per task (81 % of 297).
    const seen = observed({
      ...tasks,
      healthyTargets: 9,
      desiredCount: 9,
      ...weights(40),
      ...read([5400, 5400], {
        fargate: { requests: 4320, errors: 0, responseTimeMs: 30 }, lambda: { requests: 6480, errors: 0, responseTimeMs: 100 },
      }),
      marks: shifting({ learnedCapacityRpm: 297, fargateBaselineMs: 30 }),
    });
    const written = decideWith(seen, { weightGranularity: 10 }).actions.find((a): a is Extract<Action, { kind: 'setMarks' }> => a.kind === 'setMarks');
    expect(written?.marks.learnedCapacityRpm).toBeGreaterThan(297);
  });

  test('each published minute teaches once: the minute the learned capacity grew from does not grow it again', () => {
    const seen = (learnedFromMinuteMs: number) => observed({
      ...tasks,
      healthyTargets: 9,
      desiredCount: 9,
      ...weights(40),
      ...read([5400, 5400], {
        fargate: { requests: 4320, errors: 0, responseTimeMs: 30 }, lambda: { requests: 6480, errors: 0, responseTimeMs: 100 },
      }),
      marks: shifting({ learnedCapacityRpm: 297, fargateBaselineMs: 30, learnedFromMinuteMs }),
    });
    const grown = (at: number) => decideWith(seen(at), { weightGranularity: 10 }).actions
      .find((a): a is Extract<Action, { kind: 'setMarks' }> => a.kind === 'setMarks')?.marks.learnedCapacityRpm;
    const newest = seen(0).traffic!.latestMinuteStartMs!;
    expect(grown(newest - 60_000)).toBeGreaterThan(297);
    expect(grown(newest)).toBeUndefined();
  });

  test('the learned capacity caps the share from then on: 10 tasks at 800 carry 80 % of 10,000', () => {
    const seen = observed({ ...tasks, ...weights(100), ...read([10000, 10000]), marks: shifting({ learnedCapacityRpm: 800 }) });
    expect(decide(seen, CONFIG).actions).toContainEqual(setWeights(80));
  });

  test('a learned capacity above the prop does not raise the cap', () => {
    const seen = observed({ ...tasks, healthyTargets: 2, ...weights(100), ...read([10000, 10000]), marks: shifting({ learnedCapacityRpm: 10_000 }) });
    expect(decide(seen, CONFIG).actions).toContainEqual(setWeights(75));
  });

  test('the learned capacity grows by a tenth with a clean fresh minute in which the tasks carried nearly that much', () => {
    // 80 % of 10,000 on 10 tasks: 800 per task, at the learned 800.
    const seen = observed({ ...tasks, ...weights(80), ...timed(80, 50, 100), marks: shifting({ learnedCapacityRpm: 800, fargateBaselineMs: 50 }) });
    const written = decide(seen, CONFIG).actions.find((a): a is Extract<Action, { kind: 'setMarks' }> => a.kind === 'setMarks');
    // 800 x 1.1 is 880.0000000000001 in floating point, which the ceiling makes 881.
    expect(written?.marks.learnedCapacityRpm).toBeGreaterThanOrEqual(880);
    expect(written?.marks.learnedCapacityRpm).toBeLessThanOrEqual(881);
  });

  test('the learned capacity grows once per published minute, not again when deciding on the same minute', () => {
    const seen = observed({ ...tasks, ...weights(80), ...timed(80, 50, 100), marks: shifting({ learnedCapacityRpm: 800, fargateBaselineMs: 50 }) });
    const first = decide(seen, CONFIG);
    const again = decide(afterActions(seen, first.actions), CONFIG);
    const written = again.actions.find((a): a is Extract<Action, { kind: 'setMarks' }> => a.kind === 'setMarks');
    expect(written?.marks.learnedCapacityRpm).toBeUndefined();
  });

  test('a new Fargate period forgets what the last one learned', () => {
    const seen = observed({ scaleOutAlarm: 'ALARM', ...read([7000]), marks: lambdaMarks(3600, 3600, { learnedCapacityRpm: 800, fargateBaselineMs: 50 }) });
    expect(decide(seen, CONFIG).actions).toContainEqual({
      kind: 'setMarks', marks: { intent: 'fargate', intentSinceMs: NOW, recurrences: 0, lastHighLoadMs: NOW, learnedCapacityRpm: 0, fargateBaselineMs: 0 },
    });
  });
});

describe('error failback: Fargate materially worse than Lambda', () => {
  const taskDefinition = 'arn:aws:ecs:eu-west-1:111111111111:task-definition/web:7';
  const shifting = {
    ...weights(50), desiredCount: 3, minCapacity: 3, runningCount: 3, healthyTargets: 3, taskDefinition, marks: fargateMarks(300, 30),
  };
  function errors(fargate: SideMetrics, lambda: SideMetrics = { requests: 1000, errors: 0 }) {
    return read([3000, 3000], { fargate, lambda });
  }
  const FAILBACK_MARKS: Marks = {
    intent: 'lambda',
    intentSinceMs: NOW,
    lastRestMs: NOW,
    lastWeightChangeMs: NOW,
    failbacks: 1,
    failbackReason: 'errors',
    shiftAllowedAtMs: NOW + 3600_000,
    failbackTaskDefinition: taskDefinition,
  };
  const rows: Row[] = [
    {
      name: 'Fargate fails 10 % against Lambda\'s 0 %: weight 0 at once, intent lambda, the failback and its backoff recorded',
      observed: observed({ ...shifting, ...errors({ requests: 1000, errors: 100 }) }),
      phase: 'SHIFTING_TO_FARGATE',
      intent: 'lambda',
      actions: [ENABLE, { kind: 'setMarks', marks: FAILBACK_MARKS }, setWeights(0)],
    },
    {
      name: 'the failback beats the scale-out alarm',
      observed: observed({ ...shifting, scaleOutAlarm: 'ALARM', ...errors({ requests: 1000, errors: 100 }) }),
      phase: 'SHIFTING_TO_FARGATE',
      intent: 'lambda',
      actions: [ENABLE, { kind: 'setMarks', marks: FAILBACK_MARKS }, setWeights(0)],
    },
    {
      // Like a health failback: the override keeps the intent (no flip to lambda and straight back), the backoff holds it.
      name: 'the failback beats the override too, which keeps intent fargate',
      observed: observed({ ...shifting, override: 'fargate', ...errors({ requests: 1000, errors: 100 }) }),
      phase: 'SHIFTING_TO_FARGATE',
      intent: 'fargate',
      actions: [
        ENABLE,
        markWeightChange({ failbacks: 1, failbackReason: 'errors', shiftAllowedAtMs: NOW + 3600_000, failbackTaskDefinition: taskDefinition }),
        setWeights(0),
      ],
    },
    {
      name: 'a failback while shifting back also takes the weight to 0 at once and counts',
      observed: observed({
        ...shifting, marks: lambdaMarks(10, 10, { lastRestMs: ago(10), failbacks: 0 }), ...errors({ requests: 1000, errors: 100 }),
      }),
      phase: 'SHIFTING_TO_LAMBDA',
      intent: 'lambda',
      actions: [ENABLE, markWeightChange({ failbacks: 1, failbackReason: 'errors', shiftAllowedAtMs: NOW + 3600_000, failbackTaskDefinition: taskDefinition }), setWeights(0)],
    },
    {
      name: 'the error backoff doubles with each failback in a row, capped at maxBackoffSeconds',
      observed: observed({ ...shifting, marks: fargateMarks(300, 30, { failbacks: 2 }), ...errors({ requests: 1000, errors: 100 }) }),
      phase: 'SHIFTING_TO_FARGATE',
      intent: 'lambda',
      actions: [ENABLE, { kind: 'setMarks', marks: { ...FAILBACK_MARKS, failbacks: 3, shiftAllowedAtMs: NOW + 4 * 3600_000 } }, setWeights(0)],
    },
  ];
  test.each(rows)('$name', runRow);

  test.each<[string, SideMetrics, SideMetrics]>([
    ['Lambda is as bad', { requests: 1000, errors: 100 }, { requests: 1000, errors: 100 }],
    ['Fargate is worse by exactly the margin', { requests: 1000, errors: 120 }, { requests: 1000, errors: 100 }],
    ['Fargate has fewer than minErrors errors, at any rate', { requests: 10, errors: 9 }, { requests: 1000, errors: 0 }],
  ])('no failback when %s', (_name, fargate, lambda) => {
    const seen = observed({ ...shifting, ...errors(fargate, lambda) });
    const decision = decide(seen, CONFIG);
    expect({ intent: decision.intent, fargate: afterActions(seen, decision.actions).fargateWeight }).toEqual({ intent: 'fargate', fargate: 100 });
  });

  test('minErrors errors are enough', () => {
    expect(decide(observed({ ...shifting, ...errors({ requests: 10, errors: 10 }) }), CONFIG).actions).toContainEqual(setWeights(0));
  });

  test('errors from minutes before the current shift began do not count: a failback answered them', () => {
    const seen = observed({ ...shifting, ...errors({ requests: 1000, errors: 100 }), marks: fargateMarks(300, 30, { shiftStartMs: ago(170) }) });
    expect(afterActions(seen, decide(seen, CONFIG).actions).fargateWeight).toBe(100);
  });

  test('errors in a window that began in the minute the shift started count', () => {
    const seen = observed({ ...shifting, ...errors({ requests: 1000, errors: 100 }), marks: fargateMarks(300, 30, { shiftStartMs: ago(230) }) });
    expect(afterActions(seen, decide(seen, CONFIG).actions).fargateWeight).toBe(0);
  });

  test('no failback without Fargate weight: errors from before the last failback do not count again', () => {
    const seen = observed({ ...shifting, ...weights(0), scaleOutAlarm: 'ALARM', ...errors({ requests: 1000, errors: 100 }) });
    expect(decide(seen, CONFIG).intent).toBe('fargate');
  });

  test('isMateriallyWorse compares rates with errorRateMargin, Lambda without requests counting as 0 %', () => {
    const metrics = (fargateErrors: number, lambda: SideMetrics) => traffic([1], { fargate: { requests: 1000, errors: fargateErrors }, lambda });
    expect([
      isMateriallyWorse(metrics(121, { requests: 1000, errors: 100 }), CONFIG),
      isMateriallyWorse(metrics(120, { requests: 1000, errors: 100 }), CONFIG),
      isMateriallyWorse(metrics(21, { requests: 0, errors: 0 }), CONFIG),
      isMateriallyWorse(metrics(121, { requests: 1000, errors: 100 }), { ...CONFIG, errorRateMargin: 0.05 }),
      isMateriallyWorse(undefined, CONFIG),
    ]).toEqual([true, false, true, false, false]);
  });

  describe('while in an error backoff', () => {
    const backoff = lambdaMarks(600, 600, {
      failbacks: 1, failbackReason: 'errors', shiftAllowedAtMs: NOW + 1800_000, failbackTaskDefinition: taskDefinition,
    });
    const loaded = { scaleOutAlarm: 'ALARM' as const, ...read([7000, 7000]), taskDefinition, marks: backoff };

    test('the scale-out alarm does not bring intent fargate, and the schedule stays on to try again', () => {
      const decision = decide(observed(loaded), CONFIG);
      expect({ intent: decision.intent, actions: decision.actions }).toEqual({ intent: 'lambda', actions: [ENABLE] });
      expect(decision.reason).toBe('Scale-out alarm is ALARM but Fargate errors keep it off until 2023-11-14T22:43:20.000Z; Lambda takes all traffic.');
    });

    test('waiting for the backoff does not poll: the schedule brings the next decision', () => {
      expect(decide(observed(loaded), CONFIG).pollSoon).toBe(false);
    });

    test('a new task definition (a deploy) ends the backoff', () => {
      const decision = decide(observed({ ...loaded, taskDefinition: `${taskDefinition.slice(0, -1)}8` }), CONFIG);
      expect(decision.intent).toBe('fargate');
      expect(decision.actions).toContainEqual({ kind: 'setDesiredCount', count: 3 });
    });

    test('an unknown task definition does not end it', () => {
      expect(decide(observed({ ...loaded, taskDefinition: undefined }), CONFIG).intent).toBe('lambda');
    });

    test('it ends when shiftAllowedAtMs is reached', () => {
      expect(decide(observed({ ...loaded, nowMs: NOW + 1800_000 }), CONFIG).intent).toBe('fargate');
    });

    test('without load it is at rest: the schedule turns off', () => {
      const decision = decide(observed({ taskDefinition, marks: backoff }), CONFIG);
      expect(decision.actions).toEqual([DISABLE]);
    });
  });
});

describe('health failback: weighted Fargate without a healthy running task', () => {
  const crashed = { ...weights(50), desiredCount: 3, minCapacity: 3, runningCount: 3, unhealthyTargets: 3, scaleOutAlarm: 'ALARM' as const };
  function healthFailback(failbacks: number, backoffMs: number): Action {
    return markWeightChange({ failbacks, failbackReason: 'health', shiftAllowedAtMs: NOW + backoffMs });
  }
  const rows: Row[] = [
    {
      name: 'weight 0 at once, intent stays fargate, the first failback waits healthBackoffSeconds',
      observed: observed({ ...crashed, marks: fargateMarks(100, 1, HIGH_LOAD) }),
      phase: 'SHIFTING_TO_FARGATE',
      intent: 'fargate',
      actions: [ENABLE, healthFailback(1, 60_000), setWeights(0)],
    },
    {
      name: 'the same with override fargate',
      observed: observed({ ...crashed, override: 'fargate', ...weights(100), marks: fargateMarks(100, 1, HIGH_LOAD) }),
      phase: 'FARGATE',
      intent: 'fargate',
      actions: [ENABLE, healthFailback(1, 60_000), setWeights(0)],
    },
    {
      name: 'the same with the Fargate error alarm in ALARM',
      observed: observed({ ...crashed, fargateErrorAlarm: 'ALARM', marks: fargateMarks(300, 300, HIGH_LOAD) }),
      phase: 'SHIFTING_TO_FARGATE',
      intent: 'fargate',
      actions: [ENABLE, healthFailback(1, 60_000), setWeights(0)],
    },
    {
      name: 'the third failback in a row waits 60 x 2^2 = 240 s',
      observed: observed({ ...crashed, marks: fargateMarks(100, 1, { ...HIGH_LOAD, failbacks: 2, failbackReason: 'health' }) }),
      phase: 'SHIFTING_TO_FARGATE',
      intent: 'fargate',
      actions: [ENABLE, healthFailback(3, 240_000), setWeights(0)],
    },
    {
      name: 'the backoff is capped at maxBackoffSeconds',
      observed: observed({ ...crashed, marks: fargateMarks(100, 1, { ...HIGH_LOAD, failbacks: 9, failbackReason: 'health' }) }),
      phase: 'SHIFTING_TO_FARGATE',
      intent: 'fargate',
      actions: [ENABLE, healthFailback(10, 4 * 3600_000), setWeights(0)],
    },
    {
      name: 'shifting back, the weight also goes to 0 at once, without counting a failback',
      observed: observed({ ...crashed, scaleOutAlarm: 'OK', marks: lambdaMarks(10, 10) }),
      phase: 'SHIFTING_TO_LAMBDA',
      intent: 'lambda',
      actions: [ENABLE, markWeightChange(), setWeights(0)],
    },
  ];
  test.each(rows)('$name', runRow);

  describe('the next first step waits for the backoff', () => {
    const recovered = {
      scaleOutAlarm: 'ALARM' as const, desiredCount: 3, minCapacity: 3, runningCount: 3, healthyTargets: 3, ...read([7000, 7000]),
    };
    const backoff = (untilMs: number) => fargateMarks(300, 30, { ...HIGH_LOAD, failbacks: 1, failbackReason: 'health', shiftAllowedAtMs: untilMs });

    test('before shiftAllowedAtMs: weight 0 holds, the schedule stays on, no polling', () => {
      const decision = decide(observed({ ...recovered, marks: backoff(NOW + 1) }), CONFIG);
      expect({ actions: decision.actions, needsReconcile: decision.needsReconcile, pollSoon: decision.pollSoon })
        .toEqual({ actions: [ENABLE], needsReconcile: true, pollSoon: false });
      expect(decision.reason).toMatch(/after 1 failback \(health\) Fargate gets no weight before 2023-11-14T22:13:20\.001Z/);
    });

    test('at shiftAllowedAtMs: the first step', () => {
      expect(decide(observed({ ...recovered, marks: backoff(NOW) }), CONFIG).actions)
        .toEqual([ENABLE, markWeightChange({ shiftStartMs: NOW }), setWeights(10)]);
    });

    test('a new task definition does not end a health backoff', () => {
      const marks = { ...backoff(NOW + 1), failbackTaskDefinition: 'web:7' };
      expect(stateActions(decide(observed({ ...recovered, taskDefinition: 'web:8', marks }), CONFIG).actions)).toEqual([]);
    });
  });

  test('a health failback after an error failback backs off no less than the error failback did', () => {
    const marks = fargateMarks(100, 1, { ...HIGH_LOAD, failbacks: 1, failbackReason: 'errors', shiftAllowedAtMs: ago(1) });
    const written = decide(observed({ ...crashed, marks }), CONFIG).actions.find((a): a is Extract<Action, { kind: 'setMarks' }> => a.kind === 'setMarks');
    expect(written!.marks.shiftAllowedAtMs! - NOW).toBeGreaterThanOrEqual(3600_000);
  });

  test('an error failback after a health failback backs off no less, even with an error backoff below the health one', () => {
    const marks = fargateMarks(300, 30, { failbacks: 1, failbackReason: 'health', shiftAllowedAtMs: ago(1) });
    const failing = read([3000], { fargate: { requests: 1000, errors: 100 } });
    const seen = observed({ ...crashed, unhealthyTargets: 0, healthyTargets: 3, ...failing, marks });
    const written = decideWith(seen, { healthBackoffSeconds: 600, errorBackoffSeconds: 200 }).actions
      .find((a): a is Extract<Action, { kind: 'setMarks' }> => a.kind === 'setMarks');
    expect(written!.marks.shiftAllowedAtMs! - NOW).toBeGreaterThanOrEqual(600_000);
  });

  test('a normal return to Lambda resets failbacks to 0', () => {
    const seen = observed({
      ...weights(100), desiredCount: 1, minCapacity: 1, healthyTargets: 1, scaleInAlarm: 'ALARM', marks: fargateMarks(600, 1, { failbacks: 3 }),
    });
    expect(decide(seen, CONFIG).actions).toContainEqual({ kind: 'setMarks', marks: { ...BACK_TO_LAMBDA, lastWeightChangeMs: NOW } });
  });

  test.each<[number, 'health' | 'errors', number]>([
    [0, 'health', 60], [1, 'health', 60], [2, 'health', 120], [3, 'health', 240], [9, 'health', 14400], [1000, 'health', 14400],
    [1, 'errors', 3600], [2, 'errors', 7200], [3, 'errors', 14400], [4, 'errors', 14400],
  ])('backoffSeconds(%d failbacks, %s) is %d', (failbacks, reason, seconds) => {
    expect(backoffSeconds(failbacks, reason, CONFIG)).toBe(seconds);
  });
});

describe('stopped tasks the load balancer still counts as healthy', () => {
  const serving = { desiredCount: 3, minCapacity: 3, runningCount: 2, healthyTargets: 2, scaleOutAlarm: 'ALARM' as const };
  const rows: Row[] = [
    {
      name: 'Fargate\'s share is suspended at once, not a failback: no backoff, the share to restore recorded',
      observed: observed({ ...serving, ...weights(50), deadTargets: 1, marks: fargateMarks(300, 300, HIGH_LOAD) }),
      phase: 'SHIFTING_TO_FARGATE',
      intent: 'fargate',
      actions: [ENABLE, markWeightChange({ suspendedShare: 50 }), setWeights(0)],
    },
    {
      name: 'the suspension holds while a stopped task still counts',
      observed: observed({ ...serving, deadTargets: 1, marks: fargateMarks(300, 5, { ...HIGH_LOAD, suspendedShare: 50 }) }),
      phase: 'SCALING_OUT',
      intent: 'fargate',
      actions: [ENABLE],
    },

    {
      name: 'no first step either while a stopped task still counts, without a suspension to restore',
      observed: observed({ ...serving, deadTargets: 1, marks: fargateMarks(300, 600, HIGH_LOAD) }),
      phase: 'SCALING_OUT',
      intent: 'fargate',
      actions: [ENABLE],
    },
    {
      name: 'a suspension the cap does not allow back yet is kept',
      // 2 tasks carry 7,500 of 200,000 requests/min: 3.75 %, 0 at granularity 5.
      observed: observed({
        ...serving, ...read([200000, 200000]), deadTargets: 0, marks: fargateMarks(300, 5, { ...HIGH_LOAD, suspendedShare: 50 }),
      }),
      phase: 'SCALING_OUT',
      intent: 'fargate',
      actions: [ENABLE, { kind: 'setMinCapacity', min: 10 }, { kind: 'setDesiredCount', count: 10 }],
    },
    {
      name: 'a return to Lambda ends the suspension',
      observed: observed({ ...serving, scaleOutAlarm: 'OK', scaleInAlarm: 'ALARM', deadTargets: 0, marks: fargateMarks(900, 5, { suspendedShare: 50 }) }),
      phase: 'SCALING_OUT',
      intent: 'lambda',
      actions: [ENABLE, { kind: 'setMarks', marks: { ...BACK_TO_LAMBDA, suspendedShare: 0 } }],
    },
  ];
  test.each(rows)('$name', runRow);

  test.each<[string, Partial<ObservedState>, number]>([
    ['once the stopped tasks are out, the share comes back at once, not from the first step', {}, 50],
    ['the share restored is capped by what the healthy tasks carry', read([20000, 20000]), 35],
  ])('%s', (_name, changes, restored) => {
    const seen = observed({ ...serving, deadTargets: 0, marks: fargateMarks(300, 5, { ...HIGH_LOAD, suspendedShare: 50 }), ...changes });
    const after = afterActions(seen, decide(seen, CONFIG).actions);
    expect({ fargate: after.fargateWeight, suspendedShare: after.marks.suspendedShare }).toEqual({ fargate: restored, suspendedShare: 0 });
  });

  test('the stopped tasks\' errors, answered by the suspension, do not count against Fargate once its share is back', () => {
    // Fargate took 50 % since 10 minutes; a task stopped in the last published minute and a third of Fargate's requests failed
    // for 20 s (about 6 %) until the share was suspended; the share was restored 5 s ago and the next poll comes.
    const minutes = read([3000, 3000], {
      latestMinuteBeganSecondsAgo: 80, fargate: { requests: 3000, errors: 170 }, lambda: { requests: 3000, errors: 0 },
    });
    const resumed = observed({ ...serving, ...minutes, marks: fargateMarks(900, 5, { ...HIGH_LOAD, shiftStartMs: ago(600), suspendedShare: 50 }) });
    const afterResume = afterActions(resumed, decide(resumed, CONFIG).actions);
    const next = decide({ ...afterResume, nowMs: NOW + 5000 }, CONFIG);
    expect(afterActions(afterResume, next.actions).fargateWeight).toBe(50);
  });
});

describe('cancelling a pointless scale-out', () => {
  // Tasks started for a burst that was over before Fargate got any weight.
  const started = { desiredCount: 3, minCapacity: 3, runningCount: 3, healthyTargets: 0, marks: fargateMarks(60, 3600) };
  const rows: Row[] = [
    {
      name: 'load below the scale-in threshold before the first weight: intent lambda, tasks stopped (the drain time has passed)',
      observed: observed({ ...started, ...read([299, 2000]) }),
      phase: 'SCALING_OUT',
      intent: 'lambda',
      actions: [ENABLE, { kind: 'setMarks', marks: BACK_TO_LAMBDA }, { kind: 'setMinCapacity', min: 0 }, { kind: 'setDesiredCount', count: 0 }],
    },
    {
      name: 'with a weight change less than drainSeconds ago the tasks wait for the drain',
      observed: observed({ ...started, ...read([299, 2000]), marks: fargateMarks(60, 29) }),
      phase: 'SCALING_OUT',
      intent: 'lambda',
      actions: [ENABLE, { kind: 'setMarks', marks: BACK_TO_LAMBDA }],
    },
    {
      name: 'the drain then scales the tasks to 0 after drainSeconds',
      observed: observed({ ...started, ...read([299, 2000]), marks: lambdaMarks(1, 30) }),
      phase: 'DRAINING',
      intent: 'lambda',
      actions: [ENABLE, { kind: 'setMinCapacity', min: 0 }, { kind: 'setDesiredCount', count: 0 }],
    },
  ];
  test.each(rows)('$name', runRow);

  test.each<[string, Partial<ObservedState>]>([
    ['the scale-out alarm is ALARM', { scaleOutAlarm: 'ALARM', ...read([299]), marks: fargateMarks(60, 3600, HIGH_LOAD) }],
    ['the newest minute is at the threshold', read([300])],
    ['no minute is published', read([])],
    ['the metrics were not read', {}],
    ['Fargate already has weight', { ...read([299]), ...weights(10), healthyTargets: 1 }],
  ])('not cancelled when %s', (_name, changes) => {
    expect(decide(observed({ ...started, ...changes }), CONFIG).intent).toBe('fargate');
  });
});

describe('recurring bursts hold Fargate longer', () => {
  test.each<[string, Marks, number]>([
    ['within recurrenceWindowSeconds of the last return to Lambda: one more recurrence', { lastRestMs: ago(3599), recurrences: 1 }, 2],
    ['a first recurrence', { lastRestMs: ago(60) }, 1],
    ['after the window: recurrences start again at 0', { lastRestMs: ago(3600), recurrences: 3 }, 0],
    ['no return to Lambda recorded: 0', { recurrences: 3 }, 0],
  ])('scale-out %s', (_name, marks, recurrences) => {
    const decision = decide(observed({ scaleOutAlarm: 'ALARM', ...read([7000]), marks: lambdaMarks(600, 600, marks) }), CONFIG);
    expect(decision.actions).toContainEqual({ kind: 'setMarks', marks: { intent: 'fargate', intentSinceMs: NOW, recurrences, lastHighLoadMs: NOW } });
  });

  const onFargate = { ...weights(100), desiredCount: 1, minCapacity: 1, runningCount: 1, healthyTargets: 1, scaleInAlarm: 'ALARM' as const };
  test.each<[string, Marks, Intent]>([
    ['2 recurrences hold 600 x 2^2 = 2,400 s: 2,399 s after the intent started it stays', fargateMarks(2399, 2399, { recurrences: 2 }), 'fargate'],
    ['2 recurrences hold 2,400 s: at 2,400 s it returns', fargateMarks(2400, 2400, { recurrences: 2 }), 'lambda'],
    ['the hold counts from the last high load when that is later', fargateMarks(5000, 5000, { lastHighLoadMs: ago(599) }), 'fargate'],
    ['minFargateSeconds after the last high load it returns', fargateMarks(5000, 5000, { lastHighLoadMs: ago(600) }), 'lambda'],
    ['an older high load does not shorten the hold', fargateMarks(599, 599, { lastHighLoadMs: ago(5000) }), 'fargate'],
    ['the hold is capped at maxHoldSeconds', fargateMarks(14400, 14400, { recurrences: 10 }), 'lambda'],
    ['just below the cap it stays', fargateMarks(14399, 14399, { recurrences: 10 }), 'fargate'],
  ])('scale-in alarm: %s', (_name, marks, intent) => {
    expect(decide(observed({ ...onFargate, marks }), CONFIG).intent).toBe(intent);
  });

  test('load seen high on Fargate is marked, at most once a minute', () => {
    const carrying = { ...onFargate, scaleInAlarm: 'OK' as const, scaleOutAlarm: 'ALARM' as const };
    const marksWritten = (lastHighLoadSecondsAgo: number) => {
      const marks = fargateMarks(900, 900, { lastHighLoadMs: ago(lastHighLoadSecondsAgo) });
      return decide(observed({ ...carrying, marks }), CONFIG).actions.filter((a) => a.kind === 'setMarks');
    };
    expect([marksWritten(59), marksWritten(60)]).toEqual([[], [{ kind: 'setMarks', marks: { lastHighLoadMs: NOW } }]]);
  });

  test.each([
    [0, 600], [1, 1200], [2, 2400], [4, 9600], [5, 14400], [50, 14400], [-1, 600],
  ])('holdSeconds(%d recurrences) is %d', (recurrences, seconds) => {
    expect(holdSeconds(recurrences, CONFIG)).toBe(seconds);
  });

  test('holdSeconds is never below minFargateSeconds, even with a smaller maxHoldSeconds', () => {
    expect(holdSeconds(3, { ...CONFIG, minFargateSeconds: 600, maxHoldSeconds: 300 })).toBe(600);
  });
});

describe('evidence: the first steps wait for a published minute that shows Fargate serving them', () => {
  const atFirstStep = {
    ...weights(10), desiredCount: 3, minCapacity: 3, runningCount: 3, healthyTargets: 3, scaleOutAlarm: 'ALARM' as const, marks: fargateMarks(300, 60, HIGH_LOAD),
  };
  const minuteAfterTheStep = { latestMinuteBeganSecondsAgo: 60, lambda: { requests: 6000, errors: 0 } };
  const waiting = { stepsWaitingForDatapoint: 1 };

  test('with 1, the step after the first waits while the newest minute began before the weight change', () => {
    const minuteBefore = read([7000, 7000], { latestMinuteBeganSecondsAgo: 61, fargate: { requests: 700, errors: 0 } });
    const decision = decideWith(observed({ ...atFirstStep, ...minuteBefore }), waiting);
    expect({ actions: decision.actions, pollSoon: decision.pollSoon }).toEqual({ actions: [ENABLE], pollSoon: false });
    expect(decision.reason).toMatch(/Fargate weight 10 waits for a published minute that shows Fargate serving it without errors/);
  });

  test('with 1, a minute that began at the weight change with Fargate requests and no material errors lets it go on', () => {
    const seen = observed({ ...atFirstStep, ...read([7000, 7000], { ...minuteAfterTheStep, fargate: { requests: 700, errors: 9 } }) });
    expect(decideWith(seen, waiting).actions).toEqual([ENABLE, markWeightChange(), setWeights(50)]);
  });

  test('with 1, a minute without Fargate requests is no evidence', () => {
    const seen = observed({ ...atFirstStep, ...read([7000, 7000], { ...minuteAfterTheStep, fargate: { requests: 0, errors: 0 } }) });
    expect(decideWith(seen, waiting).actions).toEqual([ENABLE]);
  });

  test('with 1, without metrics there is no evidence', () => {
    expect(decideWith(observed(atFirstStep), waiting).actions).toEqual([ENABLE]);
  });

  test('with 1, a minute with material errors is a failback, not evidence', () => {
    const seen = observed({ ...atFirstStep, ...read([7000, 7000], { ...minuteAfterTheStep, fargate: { requests: 700, errors: 70 } }) });
    expect(afterActions(seen, decideWith(seen, waiting).actions).fargateWeight).toBe(0);
  });

  test('with 1, the second step does not wait', () => {
    const seen = observed({ ...atFirstStep, ...weights(50), ...read([7000, 7000], { latestMinuteBeganSecondsAgo: 600 }) });
    expect(decideWith(seen, waiting).actions).toEqual([ENABLE, markWeightChange(), setWeights(100), { kind: 'setMinCapacity', min: 1 }]);
  });

  test('with 2, the second step waits too', () => {
    const seen = observed({ ...atFirstStep, ...weights(50), ...read([7000, 7000], { latestMinuteBeganSecondsAgo: 600 }) });
    expect(decideWith(seen, { stepsWaitingForDatapoint: 2 }).actions).toEqual([ENABLE]);
  });

  test('with 0, nothing waits', () => {
    const seen = observed({ ...atFirstStep, ...read([7000, 7000], { latestMinuteBeganSecondsAgo: 600 }) });
    expect(decideWith(seen, { stepsWaitingForDatapoint: 0 }).actions).toEqual([ENABLE, markWeightChange(), setWeights(50)]);
  });

  test('with 1, pinned to Fargate at a load that gives its step no request, the shift does not wait forever', () => {
    // 5 requests a minute: 10 % of them is half a request, which no minute can show.
    const seen = observed({ ...atFirstStep, override: 'fargate', scaleOutAlarm: 'OK', ...read([5, 5], { ...minuteAfterTheStep, lambda: { requests: 9, errors: 0 } }) });
    expect(afterActions(seen, decideWith(seen, waiting).actions).fargateWeight).toBeGreaterThan(10);
  });

  test('with lost marks the current weight has served for an unknown time: no wait, the pause starts now', () => {
    const seen = observed({ ...atFirstStep, ...read([7000, 7000], { latestMinuteBeganSecondsAgo: 600 }), marks: { intent: 'fargate', intentSinceMs: ago(300), ...HIGH_LOAD } });
    expect(decideWith(seen, waiting).actions).toEqual([ENABLE, markWeightChange()]);
  });
});

describe('never stuck', () => {
  test('enableReconcile comes before every change when the decision is not at rest', () => {
    const decision = decide(observed({ scaleOutAlarm: 'ALARM', requestsPerMinute: 7000 }), CONFIG);
    expect(decision.actions.map((a) => a.kind)).toEqual(['enableReconcile', 'setMinCapacity', 'setDesiredCount', 'setMarks']);
  });

  test('a decision that scales to zero keeps the schedule on, so the next one confirms the drain took effect', () => {
    const decision = decide(observed({ desiredCount: 1, minCapacity: 1, marks: lambdaMarks(180, 30) }), CONFIG);
    expect({ first: decision.actions[0], needsReconcile: decision.needsReconcile }).toEqual({ first: ENABLE, needsReconcile: true });
  });

  describe('settled on Fargate', () => {
    const settled = { ...weights(100), desiredCount: 2, minCapacity: 1, runningCount: 2, healthyTargets: 2, marks: fargateMarks(900, 900) };

    test('at 100 %, nothing pending, a healthy task, no backoff: at rest, the schedule turns off', () => {
      const decision = decide(observed(settled), CONFIG);
      expect({ actions: decision.actions, needsReconcile: decision.needsReconcile, pollSoon: decision.pollSoon })
        .toEqual({ actions: [DISABLE], needsReconcile: false, pollSoon: false });
    });

    test.each<[string, Partial<ObservedState>]>([
      ['the scale-in alarm is ALARM (its hold is re-checked)', { scaleInAlarm: 'ALARM' }],
      ['the minimum is not back at minTasks', { minCapacity: 2 }],
      ['the desired count is below minTasks', { desiredCount: 0 }],
      ['a backoff is running', { marks: fargateMarks(900, 900, { failbacks: 1, failbackReason: 'health', shiftAllowedAtMs: NOW + 1 }) }],
      ['the intent changes now', { override: 'lambda' }],
    ])('not at rest when %s', (_name, changes) => {
      expect(decide(observed({ ...settled, ...changes }), CONFIG).actions[0]).toEqual(ENABLE);
    });

    test('not at rest before a published minute can show the last weight change: the cap is checked on data first', () => {
      // The shift reached 100 % 10 s ago; the metrics are not read at 100 % with quiet alarms, so no later look would come.
      const decision = decide(observed({ ...settled, marks: fargateMarks(900, 10) }), CONFIG);
      expect(decision.actions[0]).toEqual(ENABLE);
    });

    test('pinned to Fargate by the override at low load, it is at rest too', () => {
      const decision = decide(observed({ ...settled, override: 'fargate', scaleInAlarm: 'ALARM' }), CONFIG);
      expect(decision.actions).toEqual([DISABLE]);
    });
  });

  describe('pollSoon', () => {
    test.each<[string, ObservedState, boolean]>([
      ['at rest on Lambda', observed(), false],
      ['scaling out, waiting for healthy tasks', observed({ scaleOutAlarm: 'ALARM', desiredCount: 3, minCapacity: 3, marks: fargateMarks(20, 3600, HIGH_LOAD) }), true],
      ['shifting out, in the pause', observed({ ...weights(10), desiredCount: 3, minCapacity: 3, healthyTargets: 3, marks: fargateMarks(60, 29) }), true],
      ['steady on Fargate while the scale-in hold runs', observed({
        ...weights(100), desiredCount: 1, minCapacity: 1, healthyTargets: 1, scaleInAlarm: 'ALARM', marks: fargateMarks(300, 300),
      }), false],
      ['settled on Fargate', observed({ ...weights(100), desiredCount: 1, minCapacity: 1, healthyTargets: 1, marks: fargateMarks(300, 300) }), false],
      ['Fargate weight moving (overflow)', observed({
        requestsPerMinute: 40000, ...weights(100), desiredCount: 10, minCapacity: 10, healthyTargets: 10, overloadAlarm: 'ALARM', marks: fargateMarks(900, 1),
      }), true],
      ['shifting back', observed({ ...weights(50), desiredCount: 1, minCapacity: 1, healthyTargets: 1, marks: lambdaMarks(10, 10) }), true],
      ['draining', observed({ desiredCount: 1, minCapacity: 1, healthyTargets: 1, marks: lambdaMarks(180, 29) }), true],
      ['waiting for a health backoff', observed({
        scaleOutAlarm: 'ALARM',
        desiredCount: 3,
        minCapacity: 3,
        healthyTargets: 3,
        marks: fargateMarks(300, 30, { ...HIGH_LOAD, failbacks: 1, failbackReason: 'health', shiftAllowedAtMs: NOW + 30_000 }),
      }), false],
    ])('%s: %s', (_name, seen, expected) => {
      const decision = decideWith(seen, { overflowLambdaWeight: 20 });
      expect({ pollSoon: decision.pollSoon, keepsPolling: keepsPolling(decision) }).toEqual({ pollSoon: expected, keepsPolling: expected });
    });
  });

  describe('needsTraffic', () => {
    test.each<[string, ObservedState, boolean]>([
      ['at rest on Lambda with quiet alarms', observed(), false],
      ['at rest on Lambda with the scale-in alarm', observed({ scaleInAlarm: 'ALARM' }), false],
      ['settled on Fargate with quiet alarms', observed({ ...weights(100), desiredCount: 1, minCapacity: 1, healthyTargets: 1, marks: fargateMarks(900, 900) }), false],
      ['pinned to Fargate, settled, with quiet alarms', observed({
        override: 'fargate', ...weights(100), desiredCount: 1, minCapacity: 1, healthyTargets: 1, marks: fargateMarks(900, 900),
      }), false],
      ['the scale-out alarm in ALARM', observed({ scaleOutAlarm: 'ALARM' }), true],
      ['the Fargate error alarm in ALARM', observed({ ...weights(100), fargateErrorAlarm: 'ALARM', marks: fargateMarks(900, 900) }), true],
      ['the overload alarm in ALARM', observed({ ...weights(100), overloadAlarm: 'ALARM', marks: fargateMarks(900, 900) }), true],
      ['scaling out (to size the tasks, or cancel)', observed({ desiredCount: 3, marks: fargateMarks(20, 3600) }), true],
      ['shifting out', observed({ ...weights(50), desiredCount: 3, healthyTargets: 3, marks: fargateMarks(60, 30) }), true],
      ['Fargate capped below 100 %', observed({ ...weights(75), desiredCount: 3, healthyTargets: 3, marks: fargateMarks(900, 900) }), true],
      ['shifting back', observed({ ...weights(50), desiredCount: 1, healthyTargets: 1, marks: lambdaMarks(10, 10) }), true],
      ['marks lost with Fargate weighted', observed({ ...weights(50), desiredCount: 1, healthyTargets: 1, marks: {} }), true],
    ])('%s: %s', (_name, seen, expected) => {
      expect(needsTraffic(seen)).toBe(expected);
    });
  });
});

describe('overrides', () => {
  const rows: Row[] = [
    {
      name: 'override fargate scales out from rest despite the scale-in alarm',
      observed: observed({ override: 'fargate', scaleInAlarm: 'ALARM' }),
      phase: 'LAMBDA',
      intent: 'fargate',
      actions: [
        ENABLE,
        { kind: 'setMinCapacity', min: 1 },
        { kind: 'setDesiredCount', count: 1 },
        { kind: 'setMarks', marks: { intent: 'fargate', intentSinceMs: NOW, recurrences: 0 } },
      ],
    },
    {
      name: 'override lambda shifts back despite the scale-out alarm, first step at once',
      observed: observed({
        override: 'lambda', ...weights(100), desiredCount: 4, minCapacity: 1, healthyTargets: 4, scaleOutAlarm: 'ALARM', marks: fargateMarks(30, 1),
      }),
      phase: 'FARGATE',
      intent: 'lambda',
      actions: [ENABLE, { kind: 'setMarks', marks: { ...BACK_TO_LAMBDA, lastWeightChangeMs: NOW } }, setWeights(50)],
    },
    {
      name: 'override lambda keeps Lambda at rest despite the scale-out alarm',
      observed: observed({ override: 'lambda', scaleOutAlarm: 'ALARM' }),
      phase: 'LAMBDA',
      intent: 'lambda',
      actions: [DISABLE],
    },
  ];
  test.each(rows)('$name', runRow);

  test('override fargate keeps Fargate before and after minFargateSeconds', () => {
    const pinned = (seconds: number) => observed({
      override: 'fargate', ...weights(100), desiredCount: 1, minCapacity: 1, healthyTargets: 1, scaleInAlarm: 'ALARM', marks: fargateMarks(seconds, seconds),
    });
    expect([decide(pinned(60), CONFIG), decide(pinned(7200), CONFIG)].map((d) => [d.intent, stateActions(d.actions)]))
      .toEqual([['fargate', []], ['fargate', []]]);
  });
});

describe('missing marks', () => {
  const rows: Row[] = [
    {
      name: 'weighted Fargate means intent fargate; the unknown change time starts the pause now',
      observed: observed({ ...weights(50), desiredCount: 3, minCapacity: 3, healthyTargets: 3, marks: {} }),
      phase: 'SHIFTING_TO_FARGATE',
      intent: 'fargate',
      actions: [ENABLE, { kind: 'setMarks', marks: { intent: 'fargate', intentSinceMs: NOW, lastWeightChangeMs: NOW } }],
    },
    {
      name: 'tasks without weight and no scale-in alarm mean intent fargate',
      observed: observed({ desiredCount: 2, minCapacity: 2, marks: {} }),
      phase: 'SCALING_OUT',
      intent: 'fargate',
      actions: [ENABLE, { kind: 'setMarks', marks: { intent: 'fargate', intentSinceMs: NOW } }],
    },
    {
      name: 'tasks without weight and the scale-in alarm mean intent lambda; the drain starts now',
      observed: observed({ desiredCount: 2, minCapacity: 2, healthyTargets: 2, scaleInAlarm: 'ALARM', marks: {} }),
      phase: 'DRAINING',
      intent: 'lambda',
      actions: [ENABLE, { kind: 'setMarks', marks: { intent: 'lambda', intentSinceMs: NOW, lastWeightChangeMs: NOW } }],
    },
    {
      // Only a return from Fargate is a rest a later scale-out can recur after, so no lastRestMs here.
      name: 'nothing on Fargate means intent lambda, at rest',
      observed: observed({ marks: {} }),
      phase: 'LAMBDA',
      intent: 'lambda',
      actions: [{ kind: 'setMarks', marks: { intent: 'lambda', intentSinceMs: NOW } }, DISABLE],
    },
    {
      name: 'a lost intent start counts from now, so the scale-in alarm waits minFargateSeconds more',
      observed: observed({
        ...weights(100), desiredCount: 1, minCapacity: 1, healthyTargets: 1, scaleInAlarm: 'ALARM', marks: { intent: 'fargate', lastWeightChangeMs: ago(3600) },
      }),
      phase: 'FARGATE',
      intent: 'fargate',
      actions: [ENABLE, { kind: 'setMarks', marks: { intent: 'fargate', intentSinceMs: NOW } }],
    },
    {
      name: 'with minFargateSeconds 0 a lost intent start does not delay the scale-in',
      observed: observed({ ...weights(100), desiredCount: 1, minCapacity: 1, healthyTargets: 1, scaleInAlarm: 'ALARM', marks: { intent: 'fargate' } }),
      config: { minFargateSeconds: 0 },
      phase: 'FARGATE',
      intent: 'lambda',
      actions: [ENABLE, { kind: 'setMarks', marks: { ...BACK_TO_LAMBDA, lastWeightChangeMs: NOW } }, setWeights(50)],
    },
  ];
  test.each(rows)('$name', runRow);

  test.each([
    [{ ...weights(10) }, 'fargate'],
    [{ desiredCount: 1 }, 'fargate'],
    [{ desiredCount: 1, scaleInAlarm: 'ALARM' as const }, 'lambda'],
    [{ ...weights(10), scaleInAlarm: 'ALARM' as const }, 'fargate'],
    [{}, 'lambda'],
  ])('inferIntent(%j) is %s', (changes, intent) => {
    expect(inferIntent(observed({ ...changes, marks: {} }))).toBe(intent);
  });
});

describe('redeploy repair (marks say fargate, scale-out alarm still ALARM)', () => {
  const carrying = { requestsPerMinute: 9000, scaleOutAlarm: 'ALARM' as const, marks: fargateMarks(1200, 1100, HIGH_LOAD) };
  const rows: Row[] = [
    {
      name: 'listener and service both reset: the minimum and desired count come back first',
      observed: observed({ ...carrying, runningCount: 3 }),
      phase: 'SCALING_OUT',
      intent: 'fargate',
      actions: [ENABLE, { kind: 'setMinCapacity', min: 3 }, { kind: 'setDesiredCount', count: 3 }],
    },
    {
      // The ramp restarts at the first step even with every task healthy: a redeploy is when a new image arrives,
      // and the small first step lets the error comparison catch a bad one.
      name: 'listener reset, tasks healthy: weight returns at once, restarting at the first step',
      observed: observed({ ...carrying, desiredCount: 3, minCapacity: 1, healthyTargets: 3 }),
      phase: 'SCALING_OUT',
      intent: 'fargate',
      actions: [ENABLE, { kind: 'setMinCapacity', min: 3 }, markWeightChange({ shiftStartMs: NOW }), setWeights(10)],
    },
    {
      name: 'service reset while the tasks still serve: counts restored, weight kept',
      observed: observed({ ...carrying, ...weights(100), desiredCount: 0, minCapacity: 0, runningCount: 3, healthyTargets: 3 }),
      phase: 'FARGATE',
      intent: 'fargate',
      actions: [ENABLE, { kind: 'setMinCapacity', min: 1 }, { kind: 'setDesiredCount', count: 3 }],
    },
    {
      name: 'listener reset and tags lost: intent comes from the alarm and the marks are written again',
      observed: observed({ ...carrying, desiredCount: 3, minCapacity: 3, healthyTargets: 3, marks: {} }),
      phase: 'SCALING_OUT',
      intent: 'fargate',
      actions: [
        ENABLE,
        { kind: 'setMarks', marks: { intent: 'fargate', intentSinceMs: NOW, lastWeightChangeMs: NOW, shiftStartMs: NOW, lastHighLoadMs: NOW } },
        setWeights(10),
      ],
    },
  ];
  test.each(rows)('$name', runRow);
});

describe('partly applied decisions', () => {
  const config = CONFIG;

  test('a throttled weight change after its mark was written is retried after one more pause', () => {
    const first = observed({
      ...weights(10), desiredCount: 3, minCapacity: 3, healthyTargets: 3, requestsPerMinute: 7000, marks: fargateMarks(300, 30),
    });
    const marksOnly = afterActions(first, decide(first, config).actions.filter((action) => action.kind !== 'setWeights'));
    expect(marksOnly.fargateWeight).toBe(10);
    expect(stateActions(decide(marksOnly, config).actions)).toEqual([]);
    const later = { ...marksOnly, nowMs: NOW + 30_000 };
    expect(decide(later, config).actions).toContainEqual(setWeights(50));
  });

  test('a scale-out whose desired count took effect but weight change did not continues from what is observed', () => {
    const start = observed({ scaleOutAlarm: 'ALARM', requestsPerMinute: 2000 });
    const countsOnly = afterActions(start, decide(start, config).actions.filter((action) => action.kind === 'setDesiredCount'));
    expect(countsOnly).toMatchObject({ desiredCount: 1, minCapacity: 0, marks: { intent: 'lambda' } });
    const next = decide({ ...countsOnly, healthyTargets: 1 }, config);
    expect(next.actions).toEqual([
      ENABLE,
      { kind: 'setMinCapacity', min: 1 },
      { kind: 'setMarks', marks: { intent: 'fargate', intentSinceMs: NOW, recurrences: 0, lastWeightChangeMs: NOW, shiftStartMs: NOW, lastHighLoadMs: NOW } },
      setWeights(10),
    ]);
  });

  test('deciding again on the state the actions produced changes nothing', () => {
    const starts = [
      observed({ scaleOutAlarm: 'ALARM', requestsPerMinute: 7000 }),
      observed({ ...weights(50), desiredCount: 3, minCapacity: 3, healthyTargets: 3, marks: fargateMarks(90, 30) }),
      observed({ ...weights(100), desiredCount: 1, minCapacity: 1, healthyTargets: 1, scaleInAlarm: 'ALARM', marks: fargateMarks(600, 1) }),
      observed({ desiredCount: 1, minCapacity: 1, healthyTargets: 1, marks: lambdaMarks(180, 30) }),
      observed({ ...weights(50), desiredCount: 3, minCapacity: 3, marks: {} }),
      observed({
        ...weights(50),
        desiredCount: 3,
        minCapacity: 3,
        healthyTargets: 3,
        ...read([3000], { fargate: { requests: 1000, errors: 100 } }),
        marks: fargateMarks(90, 30),
      }),
      observed({ ...weights(100), desiredCount: 5, minCapacity: 5, healthyTargets: 4, scaleOutAlarm: 'ALARM', ...read([20000, 20000]), marks: fargateMarks(900, 1) }),
    ];
    const again = starts.map((start) => stateActions(decide(afterActions(start, decide(start, config).actions), config).actions));
    expect(again).toEqual(starts.map(() => []));
  });
});

describe('reason', () => {
  test('is one sentence naming what was seen and what follows', () => {
    const decision = decide(observed({ scaleOutAlarm: 'ALARM', requestsPerMinute: 7000 }), CONFIG);
    expect(decision.reason).toBe(
      'Scale-out alarm is ALARM so intent is fargate; Fargate weight 0 waits for a healthy running task; '
      + 'minimum capacity 0 -> 3 and desired count 0 -> 3 for 7000 requests/min.',
    );
  });

  test('names the pause and the time elapsed while waiting', () => {
    const decision = decide(observed({ ...weights(50), desiredCount: 1, minCapacity: 1, healthyTargets: 1, marks: lambdaMarks(60, 12) }), CONFIG);
    expect(decision.reason).toBe('Intent stays lambda; Fargate weight 50 waits for the 60 s pause (12 s elapsed) before going to 20.');
  });

  test('names the capacity behind a cap', () => {
    const seen = observed({
      ...read([20000, 20000]), ...weights(100), desiredCount: 5, minCapacity: 5, healthyTargets: 4, scaleOutAlarm: 'ALARM', marks: fargateMarks(900, 1, HIGH_LOAD),
    });
    expect(decide(seen, CONFIG).reason).toBe(
      'Scale-out alarm is ALARM so intent is fargate; 4 healthy tasks carry 15000 of an estimated 20000 requests/min so Fargate weight goes 100 -> 75; '
      + 'minimum capacity 5 -> 7 and desired count 5 -> 7 for 20000 requests/min.',
    );
  });

  test('names the errors behind a failback', () => {
    const seen = observed({
      ...weights(50),
      desiredCount: 3,
      minCapacity: 3,
      healthyTargets: 3,
      ...read([3000], { fargate: { requests: 1000, errors: 100 }, lambda: { requests: 900, errors: 3 } }),
      marks: fargateMarks(300, 30),
    });
    expect(decide(seen, CONFIG).reason).toBe(
      'Fargate failed 100 of 1000 requests against Lambda\'s 3 of 900 so traffic goes back to Lambda at once; Fargate weight 50 goes to 0 at once; '
      + 'tasks drain for 30 s before the service scales to zero.',
    );
  });
});

describe('helpers', () => {
  test.each([
    [0, 1], [3000, 1], [3001, 2], [7000, 3], [30000, 10], [1e9, 10], [-5, 1], [Number.NaN, 1],
  ])('initialTaskCount(%d requests/min) is %d with the defaults', (requestsPerMinute, tasks) => {
    expect(initialTaskCount(requestsPerMinute, CONFIG)).toBe(tasks);
  });

  test('initialTaskCount respects minTasks', () => {
    expect(initialTaskCount(0, { ...CONFIG, minTasks: 2 })).toBe(2);
  });

  test.each([
    [0, 10], [10, 50], [30, 50], [50, 100], [99, 100],
  ])('nextShiftOutStep(%d) is %d', (weight, next) => {
    expect(nextShiftOutStep(weight, CONFIG.shiftOutSteps)).toBe(next);
  });

  test.each([
    [100, 50], [80, 50], [50, 20], [30, 20], [20, 0], [1, 0],
  ])('nextShiftBackStep(%d) is %d', (weight, next) => {
    expect(nextShiftBackStep(weight, CONFIG.shiftBackSteps)).toBe(next);
  });

  test.each<[Partial<ObservedState>, Phase]>([
    [{}, 'LAMBDA'],
    [{ minCapacity: 1 }, 'DRAINING'],
    [{ desiredCount: 1 }, 'DRAINING'],
    [{ ...weights(20) }, 'SHIFTING_TO_LAMBDA'],
    [{ ...weights(100) }, 'SHIFTING_TO_LAMBDA'],
    [{ marks: fargateMarks(1, 1) }, 'SCALING_OUT'],
    [{ ...weights(10), marks: fargateMarks(1, 1) }, 'SHIFTING_TO_FARGATE'],
    [{ ...weights(100), marks: fargateMarks(1, 1) }, 'FARGATE'],
    [{ ...weights(80), desiredCount: 10, overloadAlarm: 'ALARM', marks: fargateMarks(1, 1) }, 'FARGATE'],
    [{ ...weights(80), desiredCount: 10, marks: fargateMarks(1, 1) }, 'SHIFTING_TO_FARGATE'],
    [{ ...weights(75), healthyTargets: 4, ...read([20000, 20000]), marks: fargateMarks(1, 1) }, 'FARGATE'],
    [{ ...weights(50), healthyTargets: 4, ...read([20000, 20000]), marks: fargateMarks(1, 1) }, 'SHIFTING_TO_FARGATE'],
  ])('derivePhase(%j) is %s', (changes, phase) => {
    expect(derivePhase(observed(changes), { ...CONFIG, overflowLambdaWeight: 20 })).toBe(phase);
  });

  test('decide refuses an unusable config, naming the problem', () => {
    expect(() => decide(observed(), { ...CONFIG, shiftBackSteps: [50, 20] })).toThrow(
      /^Invalid controller config: shiftBackSteps must be strictly decreasing integers in 0\.\.99 ending at 0; got \[50, 20\]$/,
    );
  });
});

describe('sizing once Fargate carries all traffic', () => {
  const steady = (changes: Partial<ObservedState>) => observed({
    ...weights(100),
    desiredCount: 4,
    runningCount: 4,
    minCapacity: 1,
    healthyTargets: 4,
    scaleOutAlarm: 'ALARM',
    marks: fargateMarks(1200, 600, HIGH_LOAD),
    ...changes,
  });

  test('a load reading above the tasks does not raise the count: ECS target tracking owns it', () => {
    // 12,600 requests/min would be 5 tasks of 3,000; target tracking keeps 4 within its tolerance.
    expect(stateActions(decide(steady({ requestsPerMinute: 12_600 }), CONFIG).actions)).toEqual([]);
  });

  test('a load well ahead of the tasks raises the count for it', () => {
    // 13,300 requests/min is more than 1.1 x 4 x 3,000.
    expect(decide(steady({ requestsPerMinute: 13_300 }), CONFIG).actions).toContainEqual({ kind: 'setDesiredCount', count: 5 });
  });

  test('a desired count reset to 0 while weighted (redeploy) is restored for the current load', () => {
    const decision = decide(steady({ desiredCount: 0, requestsPerMinute: 12_600 }), CONFIG);
    expect(decision.actions).toContainEqual({ kind: 'setDesiredCount', count: 5 });
  });

  test('the overload alarm raises the count for the load at once', () => {
    const decision = decide(steady({ overloadAlarm: 'ALARM', requestsPerMinute: 18_000 }), CONFIG);
    expect(decision.actions).toContainEqual({ kind: 'setDesiredCount', count: 6 });
  });
});
