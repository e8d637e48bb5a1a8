import { afterActions, stateActions } from './world';
import {
  decide,
  DEFAULT_CONTROLLER_CONFIG,
  derivePhase,
  inferIntent,
  initialTaskCount,
  keepsPolling,
  nextShiftBackStep,
  nextShiftOutStep,
  targetsNeededFor,
  validateControllerConfig,
} from '../../src/controller/decision';
import { Action, ControllerConfig, Intent, Marks, ObservedState, Phase } from '../../src/controller/types';

const NOW = 1_700_000_000_000;
const CONFIG = DEFAULT_CONTROLLER_CONFIG;

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

/** Fargate intent for `seconds`, with the last weight change `lastChangeSeconds` ago. */
function fargateMarks(seconds: number, lastChangeSeconds: number): Marks {
  return { intent: 'fargate', intentSinceMs: ago(seconds), lastWeightChangeMs: ago(lastChangeSeconds) };
}

function lambdaMarks(seconds: number, lastChangeSeconds: number): Marks {
  return { intent: 'lambda', intentSinceMs: ago(seconds), lastWeightChangeMs: ago(lastChangeSeconds) };
}

function weights(fargate: number): Pick<ObservedState, 'lambdaWeight' | 'fargateWeight'> {
  return { lambdaWeight: 100 - fargate, fargateWeight: fargate };
}

const ENABLE: Action = { kind: 'enableReconcile' };
const DISABLE: Action = { kind: 'disableReconcile' };

function setWeights(fargate: number): Action {
  return { kind: 'setWeights', lambda: 100 - fargate, fargate };
}

function markWeightChange(): Action {
  return { kind: 'setMarks', marks: { lastWeightChangeMs: NOW } };
}

interface Row {
  readonly name: string;
  readonly observed: ObservedState;
  readonly config?: Partial<ControllerConfig>;
  readonly phase: Phase;
  readonly intent: Intent;
  readonly actions: Action[];
}

function runRow(row: Row) {
  const decision = decide(row.observed, { ...CONFIG, ...row.config });
  expect({ phase: decision.phase, intent: decision.intent, actions: decision.actions }).toEqual({
    phase: row.phase,
    intent: row.intent,
    actions: row.actions,
  });
  expect(decision.needsReconcile).toBe(row.actions[row.actions.length - 1].kind === 'enableReconcile');
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
        { kind: 'setMinCapacity', min: 3 },
        { kind: 'setDesiredCount', count: 3 },
        { kind: 'setMarks', marks: { intent: 'fargate', intentSinceMs: NOW } },
        ENABLE,
      ],
    },
    {
      name: 'SCALING_OUT waits while no task is healthy',
      observed: observed({ ...load, scaleOutAlarm: 'ALARM', desiredCount: 3, minCapacity: 3, runningCount: 3, marks: fargateMarks(20, 3600) }),
      phase: 'SCALING_OUT',
      intent: 'fargate',
      actions: [ENABLE],
    },
    {
      name: 'SCALING_OUT -> SHIFTING_TO_FARGATE: one healthy target is enough for the first step at once',
      observed: observed({ ...load, desiredCount: 3, minCapacity: 3, healthyTargets: 1, marks: fargateMarks(60, 3600) }),
      phase: 'SCALING_OUT',
      intent: 'fargate',
      actions: [markWeightChange(), setWeights(10), ENABLE],
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
      actions: [markWeightChange(), setWeights(50), ENABLE],
    },
    {
      name: 'SHIFTING_TO_FARGATE waits for enough healthy targets for the next step (50 % of 3 tasks needs 2)',
      observed: observed({ ...load, ...weights(10), desiredCount: 3, minCapacity: 3, healthyTargets: 1, marks: fargateMarks(60, 300) }),
      phase: 'SHIFTING_TO_FARGATE',
      intent: 'fargate',
      actions: [ENABLE],
    },
    {
      name: 'SHIFTING_TO_FARGATE -> FARGATE: 50 -> 100, then the minimum goes back to minTasks for autoscaling',
      observed: observed({ ...load, ...weights(50), desiredCount: 3, minCapacity: 3, healthyTargets: 3, marks: fargateMarks(90, 30) }),
      phase: 'SHIFTING_TO_FARGATE',
      intent: 'fargate',
      actions: [markWeightChange(), setWeights(100), { kind: 'setMinCapacity', min: 1 }, ENABLE],
    },
    {
      name: 'FARGATE stays while nothing changes, and leaves a larger desired count to autoscaling',
      observed: observed({ ...load, ...weights(100), desiredCount: 7, minCapacity: 1, healthyTargets: 7, marks: fargateMarks(900, 800) }),
      phase: 'FARGATE',
      intent: 'fargate',
      actions: [ENABLE],
    },
    {
      name: 'FARGATE -> overflow: overloaded at maxTasks, Lambda takes overflowLambdaWeight at once',
      observed: observed({ requestsPerMinute: 40000, ...weights(100), desiredCount: 10, minCapacity: 1, healthyTargets: 10, overloadAlarm: 'ALARM', marks: fargateMarks(900, 1) }),
      config: { overflowLambdaWeight: 20 },
      phase: 'FARGATE',
      intent: 'fargate',
      actions: [markWeightChange(), setWeights(80), ENABLE],
    },
    {
      name: 'overflow is judged on the desired count this decision sets, so the next decision has nothing to add',
      observed: observed({ requestsPerMinute: 40000, ...weights(100), desiredCount: 8, minCapacity: 1, healthyTargets: 8, overloadAlarm: 'ALARM', marks: fargateMarks(900, 300) }),
      config: { overflowLambdaWeight: 20 },
      phase: 'FARGATE',
      intent: 'fargate',
      actions: [{ kind: 'setDesiredCount', count: 10 }, markWeightChange(), setWeights(80), ENABLE],
    },
    {
      name: 'overflow holds while the overload alarm stays',
      observed: observed({ requestsPerMinute: 40000, ...weights(80), desiredCount: 10, minCapacity: 1, healthyTargets: 10, overloadAlarm: 'ALARM', marks: fargateMarks(900, 300) }),
      config: { overflowLambdaWeight: 20 },
      phase: 'FARGATE',
      intent: 'fargate',
      actions: [ENABLE],
    },
    {
      name: 'overflow ends: back to 100 once the overload clears (after the shift-out pause)',
      observed: observed({
        requestsPerMinute: 25000, ...weights(80), desiredCount: 10, minCapacity: 1, healthyTargets: 10, marks: fargateMarks(900, 300),
      }),
      config: { overflowLambdaWeight: 20 },
      phase: 'SHIFTING_TO_FARGATE',
      intent: 'fargate',
      actions: [markWeightChange(), setWeights(100), ENABLE],
    },
    {
      name: 'no overflow below maxTasks: ECS autoscaling can still add tasks',
      observed: observed({ requestsPerMinute: 25000, ...weights(100), desiredCount: 9, minCapacity: 1, healthyTargets: 9, overloadAlarm: 'ALARM', marks: fargateMarks(900, 300) }),
      config: { overflowLambdaWeight: 20 },
      phase: 'FARGATE',
      intent: 'fargate',
      actions: [ENABLE],
    },
    {
      name: 'no overflow when overflowLambdaWeight is 0',
      observed: observed({ requestsPerMinute: 40000, ...weights(100), desiredCount: 10, minCapacity: 1, healthyTargets: 10, overloadAlarm: 'ALARM', marks: fargateMarks(900, 300) }),
      phase: 'FARGATE',
      intent: 'fargate',
      actions: [ENABLE],
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
      actions: [{ kind: 'setMarks', marks: { intent: 'lambda', intentSinceMs: NOW, lastWeightChangeMs: NOW } }, setWeights(50), ENABLE],
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
      actions: [markWeightChange(), setWeights(20), ENABLE],
    },
    {
      name: 'SHIFTING_TO_LAMBDA 20 -> 0 after the pause, tasks kept for the drain',
      observed: observed({ ...weights(20), desiredCount: 1, minCapacity: 1, healthyTargets: 1, marks: lambdaMarks(120, 60) }),
      phase: 'SHIFTING_TO_LAMBDA',
      intent: 'lambda',
      actions: [markWeightChange(), setWeights(0), ENABLE],
    },
    {
      name: 'SHIFTING_TO_LAMBDA: the first step back also happens at once when only the intent mark took effect',
      observed: observed({ ...weights(100), desiredCount: 1, minCapacity: 1, healthyTargets: 1, marks: { intent: 'lambda', intentSinceMs: ago(5), lastWeightChangeMs: ago(700) } }),
      phase: 'SHIFTING_TO_LAMBDA',
      intent: 'lambda',
      actions: [markWeightChange(), setWeights(50), ENABLE],
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
      actions: [{ kind: 'setMinCapacity', min: 0 }, { kind: 'setDesiredCount', count: 0 }, ENABLE],
    },
    {
      name: 'DRAINING finishes a drain that only lowered the minimum',
      observed: observed({ desiredCount: 1, minCapacity: 0, healthyTargets: 1, marks: lambdaMarks(180, 60) }),
      phase: 'DRAINING',
      intent: 'lambda',
      actions: [{ kind: 'setDesiredCount', count: 0 }, ENABLE],
    },
    {
      name: 'DRAINING is not over while only the minimum capacity is left',
      observed: observed({ minCapacity: 2 }),
      phase: 'DRAINING',
      intent: 'lambda',
      actions: [{ kind: 'setMinCapacity', min: 0 }, ENABLE],
    },
    {
      name: 'SCALING_OUT -> back to Lambda: tasks that never took traffic stop once the drain time has passed',
      observed: observed({ desiredCount: 2, minCapacity: 2, scaleInAlarm: 'ALARM', marks: fargateMarks(600, 3600) }),
      phase: 'SCALING_OUT',
      intent: 'lambda',
      actions: [
        { kind: 'setMarks', marks: { intent: 'lambda', intentSinceMs: NOW } },
        { kind: 'setMinCapacity', min: 0 },
        { kind: 'setDesiredCount', count: 0 },
        ENABLE,
      ],
    },
  ];
  test.each(rows)('$name', runRow);
});

describe('safety invariants', () => {
  const rows: Row[] = [
    {
      name: 'weighted Fargate with no healthy target: Lambda gets everything at once (intent fargate)',
      observed: observed({ ...weights(50), desiredCount: 2, minCapacity: 2, unhealthyTargets: 2, marks: fargateMarks(100, 1) }),
      phase: 'SHIFTING_TO_FARGATE',
      intent: 'fargate',
      actions: [markWeightChange(), setWeights(0), ENABLE],
    },
    {
      name: 'weighted Fargate with no healthy target: Lambda gets everything at once (override fargate)',
      observed: observed({ override: 'fargate', ...weights(100), desiredCount: 1, minCapacity: 1, marks: fargateMarks(100, 1) }),
      phase: 'FARGATE',
      intent: 'fargate',
      actions: [markWeightChange(), setWeights(0), ENABLE],
    },
    {
      name: 'weighted Fargate with no healthy target: Lambda gets everything at once (shifting back, inside the pause)',
      observed: observed({ ...weights(50), desiredCount: 1, minCapacity: 1, marks: lambdaMarks(10, 10) }),
      phase: 'SHIFTING_TO_LAMBDA',
      intent: 'lambda',
      actions: [markWeightChange(), setWeights(0), ENABLE],
    },
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
      actions: [markWeightChange(), setWeights(0), ENABLE],
    },
    {
      name: 'hand-edited weights that do not sum to 100 are rewritten as the share ALB gives',
      observed: observed({ lambdaWeight: 1, fargateWeight: 1, desiredCount: 2, minCapacity: 1, healthyTargets: 2, marks: fargateMarks(900, 5) }),
      phase: 'SHIFTING_TO_FARGATE',
      intent: 'fargate',
      actions: [markWeightChange(), setWeights(50), ENABLE],
    },
    {
      name: 'intent fargate never lowers a desired count chosen by autoscaling',
      observed: observed({
        requestsPerMinute: 3000, ...weights(100), desiredCount: 8, minCapacity: 1, healthyTargets: 8, marks: fargateMarks(900, 800),
      }),
      phase: 'FARGATE',
      intent: 'fargate',
      actions: [ENABLE],
    },
  ];
  test.each(rows)('$name', runRow);

  test('weighted Fargate with no healthy target is never left weighted, whatever else is observed', () => {
    const variants: Array<Partial<ObservedState>> = [
      { override: 'auto' }, { override: 'lambda' }, { override: 'fargate' },
      { scaleOutAlarm: 'ALARM' }, { scaleInAlarm: 'ALARM' }, { fargateErrorAlarm: 'ALARM' }, { overloadAlarm: 'ALARM', desiredCount: 10 },
      { marks: {} }, { marks: lambdaMarks(1, 1) }, { marks: fargateMarks(1, 1) },
    ];
    const outcomes = variants.map((variant) => {
      const seen = observed({ ...weights(50), desiredCount: 3, minCapacity: 3, ...variant });
      const after = afterActions(seen, decide(seen, { ...CONFIG, overflowLambdaWeight: 20 }).actions);
      return [after.lambdaWeight, after.fargateWeight];
    });
    expect(outcomes).toEqual(variants.map(() => [100, 0]));
  });
});

describe('overrides', () => {
  const rows: Row[] = [
    {
      name: 'override fargate scales out from rest despite the scale-in alarm',
      observed: observed({ override: 'fargate', scaleInAlarm: 'ALARM' }),
      phase: 'LAMBDA',
      intent: 'fargate',
      actions: [{ kind: 'setMinCapacity', min: 1 }, { kind: 'setDesiredCount', count: 1 }, { kind: 'setMarks', marks: { intent: 'fargate', intentSinceMs: NOW } }, ENABLE],
    },
    {
      name: 'override fargate keeps Fargate before and after minFargateSeconds',
      observed: observed({ override: 'fargate', ...weights(100), desiredCount: 1, minCapacity: 1, healthyTargets: 1, scaleInAlarm: 'ALARM', marks: fargateMarks(7200, 7200) }),
      phase: 'FARGATE',
      intent: 'fargate',
      actions: [ENABLE],
    },
    {
      name: 'override lambda shifts back despite the scale-out alarm, first step at once',
      observed: observed({ override: 'lambda', ...weights(100), desiredCount: 4, minCapacity: 1, healthyTargets: 4, scaleOutAlarm: 'ALARM', marks: fargateMarks(30, 1) }),
      phase: 'FARGATE',
      intent: 'lambda',
      actions: [{ kind: 'setMarks', marks: { intent: 'lambda', intentSinceMs: NOW, lastWeightChangeMs: NOW } }, setWeights(50), ENABLE],
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
});

describe('missing marks', () => {
  const rows: Row[] = [
    {
      name: 'weighted Fargate means intent fargate; the unknown change time starts the pause now',
      observed: observed({ ...weights(50), desiredCount: 3, minCapacity: 3, healthyTargets: 3, marks: {} }),
      phase: 'SHIFTING_TO_FARGATE',
      intent: 'fargate',
      actions: [{ kind: 'setMarks', marks: { intent: 'fargate', intentSinceMs: NOW, lastWeightChangeMs: NOW } }, ENABLE],
    },
    {
      name: 'tasks without weight and no scale-in alarm mean intent fargate',
      observed: observed({ desiredCount: 2, minCapacity: 2, marks: {} }),
      phase: 'SCALING_OUT',
      intent: 'fargate',
      actions: [{ kind: 'setMarks', marks: { intent: 'fargate', intentSinceMs: NOW } }, ENABLE],
    },
    {
      name: 'tasks without weight and the scale-in alarm mean intent lambda; the drain starts now',
      observed: observed({ desiredCount: 2, minCapacity: 2, healthyTargets: 2, scaleInAlarm: 'ALARM', marks: {} }),
      phase: 'DRAINING',
      intent: 'lambda',
      actions: [{ kind: 'setMarks', marks: { intent: 'lambda', intentSinceMs: NOW, lastWeightChangeMs: NOW } }, ENABLE],
    },
    {
      name: 'nothing on Fargate means intent lambda, at rest',
      observed: observed({ marks: {} }),
      phase: 'LAMBDA',
      intent: 'lambda',
      actions: [{ kind: 'setMarks', marks: { intent: 'lambda', intentSinceMs: NOW } }, DISABLE],
    },
    {
      name: 'a lost intent start counts from now, so the scale-in alarm waits minFargateSeconds more',
      observed: observed({ ...weights(100), desiredCount: 1, minCapacity: 1, healthyTargets: 1, scaleInAlarm: 'ALARM', marks: { intent: 'fargate', lastWeightChangeMs: ago(3600) } }),
      phase: 'FARGATE',
      intent: 'fargate',
      actions: [{ kind: 'setMarks', marks: { intent: 'fargate', intentSinceMs: NOW } }, ENABLE],
    },
    {
      name: 'with minFargateSeconds 0 a lost intent start does not delay the scale-in',
      observed: observed({ ...weights(100), desiredCount: 1, minCapacity: 1, healthyTargets: 1, scaleInAlarm: 'ALARM', marks: { intent: 'fargate' } }),
      config: { minFargateSeconds: 0 },
      phase: 'FARGATE',
      intent: 'lambda',
      actions: [{ kind: 'setMarks', marks: { intent: 'lambda', intentSinceMs: NOW, lastWeightChangeMs: NOW } }, setWeights(50), ENABLE],
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

describe('Fargate error alarm', () => {
  const rows: Row[] = [
    {
      name: 'holds the weight instead of taking the next step',
      observed: observed({ ...weights(10), desiredCount: 1, minCapacity: 1, healthyTargets: 1, fargateErrorAlarm: 'ALARM', marks: fargateMarks(300, 300) }),
      phase: 'SHIFTING_TO_FARGATE',
      intent: 'fargate',
      actions: [ENABLE],
    },
    {
      name: 'holds the first step back while tasks are healthy',
      observed: observed({ desiredCount: 1, minCapacity: 1, healthyTargets: 1, fargateErrorAlarm: 'ALARM', scaleOutAlarm: 'ALARM', marks: fargateMarks(300, 300) }),
      phase: 'SCALING_OUT',
      intent: 'fargate',
      actions: [ENABLE],
    },
    {
      name: 'goes back to Lambda weights when Fargate also has no healthy target',
      observed: observed({ ...weights(10), desiredCount: 1, minCapacity: 1, unhealthyTargets: 1, fargateErrorAlarm: 'ALARM', marks: fargateMarks(300, 300) }),
      phase: 'SHIFTING_TO_FARGATE',
      intent: 'fargate',
      actions: [markWeightChange(), setWeights(0), ENABLE],
    },
    {
      name: 'does not stop the overflow from relieving an overloaded Fargate',
      observed: observed({ requestsPerMinute: 40000, ...weights(100), desiredCount: 10, minCapacity: 1, healthyTargets: 10, fargateErrorAlarm: 'ALARM', overloadAlarm: 'ALARM', marks: fargateMarks(900, 300) }),
      config: { overflowLambdaWeight: 30 },
      phase: 'FARGATE',
      intent: 'fargate',
      actions: [markWeightChange(), setWeights(70), ENABLE],
    },
  ];
  test.each(rows)('$name', runRow);
});

describe('redeploy repair (marks say fargate, scale-out alarm still ALARM)', () => {
  const carrying = { requestsPerMinute: 9000, scaleOutAlarm: 'ALARM' as const, marks: fargateMarks(1200, 1100) };
  const rows: Row[] = [
    {
      name: 'listener and service both reset: the minimum and desired count come back first',
      observed: observed({ ...carrying, runningCount: 3 }),
      phase: 'SCALING_OUT',
      intent: 'fargate',
      actions: [{ kind: 'setMinCapacity', min: 3 }, { kind: 'setDesiredCount', count: 3 }, ENABLE],
    },
    {
      // The ramp restarts at the first step even with every task healthy: a redeploy is when a new image arrives,
      // and the small first step lets the Fargate error alarm catch a bad one.
      name: 'listener reset, tasks healthy: weight returns at once, restarting at the first step',
      observed: observed({ ...carrying, desiredCount: 3, minCapacity: 1, healthyTargets: 3 }),
      phase: 'SCALING_OUT',
      intent: 'fargate',
      actions: [{ kind: 'setMinCapacity', min: 3 }, markWeightChange(), setWeights(10), ENABLE],
    },
    {
      name: 'service reset while the tasks still serve: counts restored, weight kept',
      observed: observed({ ...carrying, ...weights(100), desiredCount: 0, minCapacity: 0, runningCount: 3, healthyTargets: 3 }),
      phase: 'FARGATE',
      intent: 'fargate',
      actions: [{ kind: 'setMinCapacity', min: 1 }, { kind: 'setDesiredCount', count: 3 }, ENABLE],
    },
    {
      name: 'listener reset and tags lost: intent comes from the alarm and the marks are written again',
      observed: observed({ ...carrying, desiredCount: 3, minCapacity: 3, healthyTargets: 3, marks: {} }),
      phase: 'SCALING_OUT',
      intent: 'fargate',
      actions: [{ kind: 'setMarks', marks: { intent: 'fargate', intentSinceMs: NOW, lastWeightChangeMs: NOW } }, setWeights(10), ENABLE],
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
      { kind: 'setMinCapacity', min: 1 },
      { kind: 'setMarks', marks: { intent: 'fargate', intentSinceMs: NOW, lastWeightChangeMs: NOW } },
      setWeights(10),
      ENABLE,
    ]);
  });

  test('deciding again on the state the actions produced changes nothing', () => {
    const starts = [
      observed({ scaleOutAlarm: 'ALARM', requestsPerMinute: 7000 }),
      observed({ ...weights(50), desiredCount: 3, minCapacity: 3, healthyTargets: 3, marks: fargateMarks(90, 30) }),
      observed({ ...weights(100), desiredCount: 1, minCapacity: 1, healthyTargets: 1, scaleInAlarm: 'ALARM', marks: fargateMarks(600, 1) }),
      observed({ desiredCount: 1, minCapacity: 1, healthyTargets: 1, marks: lambdaMarks(180, 30) }),
      observed({ ...weights(50), desiredCount: 3, minCapacity: 3, marks: {} }),
    ];
    const again = starts.map((start) => stateActions(decide(afterActions(start, decide(start, config).actions), config).actions));
    expect(again).toEqual(starts.map(() => []));
  });
});

describe('reason', () => {
  test('is one sentence naming what was seen and what follows', () => {
    const decision = decide(observed({ scaleOutAlarm: 'ALARM', requestsPerMinute: 7000 }), CONFIG);
    expect(decision.reason).toBe(
      'Scale-out alarm is ALARM so intent is fargate; Fargate weight 0 waits for 1 healthy target before going to 10 (0 healthy); '
      + 'minimum capacity 0 -> 3 and desired count 0 -> 3 for 7000 requests/min.',
    );
  });

  test('names the pause and the time elapsed while waiting', () => {
    const decision = decide(observed({ ...weights(50), desiredCount: 1, minCapacity: 1, healthyTargets: 1, marks: lambdaMarks(60, 12) }), CONFIG);
    expect(decision.reason).toBe('Intent stays lambda; Fargate weight 50 waits for the 60 s pause (12 s elapsed) before going to 20.');
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
    [10, 1, 1], [50, 3, 2], [100, 3, 3], [10, 10, 1], [50, 10, 5], [0, 4, 1],
  ])('targetsNeededFor(%d %%, %d tasks) is %d', (weight, tasks, needed) => {
    expect(targetsNeededFor(weight, tasks)).toBe(needed);
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
  ])('derivePhase(%j) is %s', (changes, phase) => {
    expect(derivePhase(observed(changes), { ...CONFIG, overflowLambdaWeight: 20 })).toBe(phase);
  });

  test('the defaults are the documented ones', () => {
    expect(DEFAULT_CONTROLLER_CONFIG).toEqual({
      shiftOutSteps: [10, 50, 100],
      shiftOutPauseSeconds: 30,
      shiftBackSteps: [50, 20, 0],
      shiftBackPauseSeconds: 60,
      minTasks: 1,
      maxTasks: 10,
      requestsPerTaskPerMinute: 3000,
      minFargateSeconds: 600,
      drainSeconds: 30,
      overflowLambdaWeight: 0,
    });
  });
});

describe('validateControllerConfig', () => {
  test('accepts the defaults', () => {
    expect(validateControllerConfig(DEFAULT_CONTROLLER_CONFIG)).toEqual([]);
  });

  test.each<[Partial<ControllerConfig>, string]>([
    [{ shiftOutSteps: [50, 10] }, 'shiftOutSteps must be strictly increasing integers in 1..100 ending at 100; got [50, 10]'],
    [{ shiftOutSteps: [10, 50] }, 'shiftOutSteps must be strictly increasing integers in 1..100 ending at 100; got [10, 50]'],
    [{ shiftOutSteps: [0, 100] }, 'shiftOutSteps must be strictly increasing integers in 1..100 ending at 100; got [0, 100]'],
    [{ shiftOutSteps: [10.5, 100] }, 'shiftOutSteps must be strictly increasing integers in 1..100 ending at 100; got [10.5, 100]'],
    [{ shiftOutSteps: [] }, 'shiftOutSteps must be strictly increasing integers in 1..100 ending at 100; got []'],
    [{ shiftBackSteps: [20, 50, 0] }, 'shiftBackSteps must be strictly decreasing integers in 0..99 ending at 0; got [20, 50, 0]'],
    [{ shiftBackSteps: [50, 20] }, 'shiftBackSteps must be strictly decreasing integers in 0..99 ending at 0; got [50, 20]'],
    [{ shiftBackSteps: [100, 0] }, 'shiftBackSteps must be strictly decreasing integers in 0..99 ending at 0; got [100, 0]'],
    [{ shiftOutPauseSeconds: -1 }, 'shiftOutPauseSeconds must be a number of seconds >= 0; got -1'],
    [{ shiftBackPauseSeconds: Number.POSITIVE_INFINITY }, 'shiftBackPauseSeconds must be a number of seconds >= 0; got Infinity'],
    [{ minFargateSeconds: -600 }, 'minFargateSeconds must be a number of seconds >= 0; got -600'],
    [{ drainSeconds: Number.NaN }, 'drainSeconds must be a number of seconds >= 0; got NaN'],
    [{ minTasks: 0 }, 'minTasks must be an integer >= 1 (Fargate never carries traffic without a task); got 0'],
    [{ maxTasks: 0 }, 'maxTasks must be an integer >= minTasks (1); got 0'],
    [{ minTasks: 4, maxTasks: 3 }, 'maxTasks must be an integer >= minTasks (4); got 3'],
    [{ requestsPerTaskPerMinute: 0 }, 'requestsPerTaskPerMinute must be a number > 0; got 0'],
    [{ overflowLambdaWeight: 100 }, 'overflowLambdaWeight must be an integer in 0..99 (0 disables overflow); got 100'],
    [{ overflowLambdaWeight: 12.5 }, 'overflowLambdaWeight must be an integer in 0..99 (0 disables overflow); got 12.5'],
  ])('rejects %j', (change, message) => {
    expect(validateControllerConfig({ ...CONFIG, ...change })).toEqual([message]);
  });

  test('lists every problem', () => {
    expect(validateControllerConfig({ ...CONFIG, shiftOutSteps: [50, 10], drainSeconds: -1 })).toHaveLength(2);
  });

  test('decide refuses an unusable config, naming the problem', () => {
    expect(() => decide(observed(), { ...CONFIG, shiftBackSteps: [50, 20] })).toThrow(
      /^Invalid controller config: shiftBackSteps must be strictly decreasing integers in 0\.\.99 ending at 0; got \[50, 20\]$/,
    );
  });
});

describe('keepsPolling', () => {
  const base = { intent: 'fargate' as const, reason: 'r' };
  test.each([
    ['at rest', { ...base, phase: 'LAMBDA' as const, actions: [], needsReconcile: false }, false],
    ['waiting for healthy targets', { ...base, phase: 'SCALING_OUT' as const, actions: [], needsReconcile: true }, true],
    ['steady on Fargate', { ...base, phase: 'FARGATE' as const, actions: [{ kind: 'enableReconcile' as const }], needsReconcile: true }, false],
    ['Fargate phase but weights move (overflow)', {
      ...base, phase: 'FARGATE' as const, actions: [{ kind: 'setWeights' as const, lambda: 20, fargate: 80 }], needsReconcile: true,
    }, true],
    ['draining', { ...base, phase: 'DRAINING' as const, actions: [], needsReconcile: true }, true],
  ])('%s', (_name, decision, expected) => {
    expect(keepsPolling(decision)).toBe(expected);
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
    marks: fargateMarks(1200, 600),
    ...changes,
  });

  test('a load reading above the tasks does not raise the count: ECS target tracking owns it', () => {
    // 12,600 requests/min would be 5 tasks of 3,000; target tracking keeps 4 within its tolerance.
    expect(stateActions(decide(steady({ requestsPerMinute: 12_600 }), CONFIG).actions)).toEqual([]);
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
