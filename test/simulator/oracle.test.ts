import * as fc from 'fast-check';
import { OracleInput, OraclePlan, planOracle } from '../../src/simulator/oracle';

/**
 * Round figures for the hand-computed plans: a task serves 600 requests a minute and costs 0.02 a minute; it takes
 * 180 s to start, so each launch costs 3 task-minutes (0.06); a request on Lambda costs 0.0001, so a full task's
 * worth of requests (600) costs 0.06 a minute on Lambda. One task for k busy minutes costs 0.06 + 0.02k against
 * 0.06k on Lambda: Lambda is cheaper for one minute, Fargate from two.
 */
const ROUND: Omit<OracleInput, 'requestsByMinute'> = {
  taskRequestsPerSecond: 10,
  taskStartSeconds: 180,
  maxTasks: 2,
  taskMinuteUsd: 0.02,
  lambdaRequestUsd: 0.0001,
  fargateRequestUsd: 0,
};

/** Costs compared after different sums of the same terms may differ in the last bits. */
const RELATIVE_TOLERANCE = 1e-9;

function expectSameCost(actualUsd: number, expectedUsd: number): void {
  expect(Math.abs(actualUsd - expectedUsd)).toBeLessThanOrEqual(RELATIVE_TOLERANCE * Math.max(1, Math.abs(expectedUsd)));
}

/** The cost of a schedule, computed apart from the module from the model's formulas. */
function scheduleCostUsd(input: OracleInput, tasksByMinute: readonly number[]): number {
  return tasksByMinute.reduce(
    (total, tasks, minute) => total + stepCostUsd(input, minute, minute === 0 ? input.initialTasks ?? 0 : tasksByMinute[minute - 1], tasks),
    0,
  );
}

/** Going from `before` tasks to `tasks` for the minute: launches, then the minute's tasks and requests. */
function stepCostUsd(input: OracleInput, minute: number, before: number, tasks: number): number {
  const capacity = tasks * capacityPerTask(input, minute);
  const demand = input.requestsByMinute[minute];
  return Math.max(0, tasks - before) * (input.taskStartSeconds / 60) * input.taskMinuteUsd
    + tasks * input.taskMinuteUsd
    + Math.min(demand, capacity) * input.fargateRequestUsd
    + Math.max(0, demand - capacity) * input.lambdaRequestUsd;
}

function capacityPerTask(input: OracleInput, minute: number): number {
  const factors = input.capacityFactorByMinute ?? [];
  return input.taskRequestsPerSecond * 60 * (minute < factors.length ? factors[minute] : 1);
}

/** Every schedule of task counts 0..maxTasks over the trace. */
function allSchedules(minutes: number, maxTasks: number): number[][] {
  if (minutes === 0) return [[]];
  return allSchedules(minutes - 1, maxTasks).flatMap((rest) => Array.from({ length: maxTasks + 1 }, (_, tasks) => [tasks, ...rest]));
}

function bruteForceCostUsd(input: OracleInput): number {
  return Math.min(...allSchedules(input.requestsByMinute.length, input.maxTasks).map((schedule) => scheduleCostUsd(input, schedule)));
}

/** The textbook dynamic programme, comparing every pair of counts, to check the running-minimum shortcut against. */
function quadraticDpCostUsd(input: OracleInput): number {
  const counts = Array.from({ length: input.maxTasks + 1 }, (_, tasks) => tasks);
  let costs = counts.map((tasks) => (tasks === (input.initialTasks ?? 0) ? 0 : Infinity));
  for (let minute = 0; minute < input.requestsByMinute.length; minute++) {
    const before = costs;
    costs = counts.map((to) => Math.min(...counts.map((from) => before[from] + stepCostUsd(input, minute, from, to))));
  }
  return Math.min(...costs);
}

function constantSchedule(input: OracleInput, tasks: number): number[] {
  return new Array(input.requestsByMinute.length).fill(tasks);
}

describe('hand-computed plans', () => {
  test('one busy minute stays on Lambda: a task would cost more to start than the minute costs on Lambda', () => {
    // Lambda: 600 * 0.0001 = 0.06. A task: launch 0.06 + one minute 0.02 = 0.08.
    const plan = planOracle({ ...ROUND, requestsByMinute: [0, 600, 0] });

    expect(plan.servingTasksByMinute).toEqual([0, 0, 0]);
    expect(plan.fargateShareByMinute).toEqual([0, 0, 0]);
    expect(plan.launchesByMinute).toEqual([0, 0, 0]);
    expect(plan.plannedCostUsd).toBeCloseTo(0.06, 12);
  });

  test('a long busy stretch goes to one task, launched for its first minute and stopped after its last', () => {
    // Lambda: 3 * 0.06 = 0.18. One task: launch 0.06 + 3 * 0.02 = 0.12. Lambda for the first minute and a task for
    // the other two: 0.06 + 0.06 + 2 * 0.02 = 0.16.
    const plan = planOracle({ ...ROUND, requestsByMinute: [0, 600, 600, 600, 0] });

    expect(plan.servingTasksByMinute).toEqual([0, 1, 1, 1, 0]);
    expect(plan.fargateShareByMinute).toEqual([0, 1, 1, 1, 0]);
    expect(plan.launchesByMinute).toEqual([0, 1, 0, 0, 0]);
    expect(plan.plannedCostUsd).toBeCloseTo(0.12, 12);
  });

  test('demand above what the tasks serve overflows to Lambda, and a task that would be part-used is not launched', () => {
    // 1,500 requests a minute, 600 per task. Two tasks: launches 2 * 0.06 + 3 minutes * 2 * 0.02 + 300 a minute on
    // Lambda 3 * 0.03 = 0.12 + 0.12 + 0.09 = 0.33. Three tasks: 0.18 + 0.18 = 0.36. One: 0.06 + 0.06 + 3 * 0.09 = 0.39.
    // None: 3 * 0.15 = 0.45.
    const plan = planOracle({ ...ROUND, maxTasks: 3, requestsByMinute: [1500, 1500, 1500] });

    expect(plan.servingTasksByMinute).toEqual([2, 2, 2]);
    expect(plan.fargateShareByMinute).toEqual([0.8, 0.8, 0.8]);
    expect(plan.launchesByMinute).toEqual([2, 0, 0]);
    expect(plan.plannedCostUsd).toBeCloseTo(0.33, 12);
  });

  test('maxTasks caps the count even when more tasks would be cheaper', () => {
    // The same trace with at most one task: 0.39 (above), against 0.45 on Lambda.
    const plan = planOracle({ ...ROUND, maxTasks: 1, requestsByMinute: [1500, 1500, 1500] });

    expect(plan.servingTasksByMinute).toEqual([1, 1, 1]);
    expect(plan.fargateShareByMinute).toEqual([0.4, 0.4, 0.4]);
    expect(plan.plannedCostUsd).toBeCloseTo(0.39, 12);
  });

  test('a capacity factor 0 minute puts all its requests on Lambda, while the task is kept for the minutes after', () => {
    // Keeping the task: launch 0.06 + 4 * 0.02 + minute 1 on Lambda 0.06 = 0.20. Stopping it for minute 1:
    // 0.06 + 0.02 + 0.06 + 0.06 + 2 * 0.02 = 0.24. Lambda for minutes 0 and 1: 0.12 + 0.06 + 0.04 = 0.22.
    const plan = planOracle({ ...ROUND, requestsByMinute: [600, 600, 600, 600], capacityFactorByMinute: [1, 0, 1, 1] });

    expect(plan.servingTasksByMinute).toEqual([1, 1, 1, 1]);
    expect(plan.fargateShareByMinute).toEqual([1, 0, 1, 1]);
    expect(plan.plannedCostUsd).toBeCloseTo(0.2, 12);
  });

  test('when Fargate must not serve at all, everything stays on Lambda', () => {
    // 3 * 0.06 = 0.18; any task would add its cost and serve nothing.
    const plan = planOracle({ ...ROUND, requestsByMinute: [600, 600, 600], capacityFactorByMinute: [0, 0, 0] });

    expect(plan.servingTasksByMinute).toEqual([0, 0, 0]);
    expect(plan.plannedCostUsd).toBeCloseTo(0.18, 12);
  });

  test('slow tasks (capacity factor 0.6) serve 360 a minute each and leave the rest to Lambda', () => {
    // One task: 0.06 + 4 * 0.02 + 4 * 240 * 0.0001 = 0.06 + 0.08 + 0.096 = 0.236. Lambda: 4 * 0.06 = 0.24.
    // Two tasks: 0.12 + 4 * 0.04 = 0.28. A task from minute 1: 0.06 + 0.06 + 3 * 0.02 + 3 * 0.024 = 0.252.
    const plan = planOracle({ ...ROUND, requestsByMinute: [600, 600, 600, 600], capacityFactorByMinute: [0.6, 0.6, 0.6, 0.6] });

    expect(plan.servingTasksByMinute).toEqual([1, 1, 1, 1]);
    expect(plan.fargateShareByMinute).toEqual([0.6, 0.6, 0.6, 0.6]);
    expect(plan.plannedCostUsd).toBeCloseTo(0.236, 12);
  });

  test('the price per request on Fargate counts: a dearer one sends a six-minute stretch back to Lambda', () => {
    // Lambda: 6 * 0.06 = 0.36. A task at 0.00004 a request: 0.06 + 6 * (0.02 + 0.024) = 0.324; at 0.00006:
    // 0.06 + 6 * (0.02 + 0.036) = 0.396.
    const requestsByMinute = [600, 600, 600, 600, 600, 600];
    const cheap = planOracle({ ...ROUND, requestsByMinute, fargateRequestUsd: 0.00004 });
    const dear = planOracle({ ...ROUND, requestsByMinute, fargateRequestUsd: 0.00006 });

    expect(cheap.servingTasksByMinute).toEqual([1, 1, 1, 1, 1, 1]);
    expect(cheap.plannedCostUsd).toBeCloseTo(0.324, 12);
    expect(dear.servingTasksByMinute).toEqual([0, 0, 0, 0, 0, 0]);
    expect(dear.plannedCostUsd).toBeCloseTo(0.36, 12);
  });

  test('tasks serving before the trace are not launched again, and stopping them is free', () => {
    // Two tasks already serve. Keeping one for minute 0: 0.02, against 0.06 on Lambda; then stopping both costs nothing.
    const plan = planOracle({ ...ROUND, initialTasks: 2, requestsByMinute: [600, 0, 0, 0] });

    expect(plan.servingTasksByMinute).toEqual([1, 0, 0, 0]);
    expect(plan.launchesByMinute).toEqual([0, 0, 0, 0]);
    expect(plan.plannedCostUsd).toBeCloseTo(0.02, 12);
  });

  describe('a task is kept idle between busy minutes while that costs less than launching it again', () => {
    // Exact binary figures, so ties are exact: a task-minute costs 1, a launch 3 (180 s), a busy minute 30 on Lambda.
    const EXACT = { ...ROUND, taskRequestsPerSecond: 1, taskMinuteUsd: 1, lambdaRequestUsd: 0.5 };

    test('two idle minutes: kept (2 idle minutes cost less than a launch of 3)', () => {
      // Kept: 3 + 4 * 1 = 7. Stopped: 2 * (3 + 1) = 8.
      const plan = planOracle({ ...EXACT, requestsByMinute: [60, 0, 0, 60] });

      expect(plan.servingTasksByMinute).toEqual([1, 1, 1, 1]);
      expect(plan.plannedCostUsd).toBe(7);
    });

    test('three idle minutes tie with a launch: fewer tasks win the tie', () => {
      // Kept: 3 + 5 * 1 = 8. Stopped: 2 * (3 + 1) = 8.
      const plan = planOracle({ ...EXACT, requestsByMinute: [60, 0, 0, 0, 60] });

      expect(plan.servingTasksByMinute).toEqual([1, 0, 0, 0, 1]);
      expect(plan.launchesByMinute).toEqual([1, 0, 0, 0, 1]);
      expect(plan.plannedCostUsd).toBe(8);
    });
  });

  test('when everything costs nothing, no task is planned', () => {
    const plan = planOracle({ ...ROUND, taskMinuteUsd: 0, lambdaRequestUsd: 0, requestsByMinute: [600, 1200, 600] });

    expect(plan.servingTasksByMinute).toEqual([0, 0, 0]);
    expect(plan.plannedCostUsd).toBe(0);
  });

  test('an empty trace has an empty plan that costs nothing', () => {
    expect(planOracle({ ...ROUND, initialTasks: 1, requestsByMinute: [] })).toEqual<OraclePlan>({
      servingTasksByMinute: [],
      fargateShareByMinute: [],
      launchesByMinute: [],
      plannedCostUsd: 0,
    });
  });
});

/** Mostly the faults the simulator injects (none, slow tasks, no serving), sometimes any factor. */
const capacityFactorArb = fc.oneof(fc.constantFrom(0, 0.6, 1), fc.double({ min: 0, max: 1, noNaN: true }));

/** Random inputs: demand around what a few tasks serve, faults now and then, prices in realistic ratios. */
function inputArb(maxMinutes: number, maxTasks: number): fc.Arbitrary<OracleInput> {
  return fc.record({
    requestsByMinute: fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 3000 })), { maxLength: maxMinutes }),
    taskRequestsPerSecond: fc.integer({ min: 0, max: 20 }),
    capacityFactorByMinute: fc.option(fc.array(capacityFactorArb, { maxLength: maxMinutes }), { nil: undefined }),
    taskStartSeconds: fc.integer({ min: 0, max: 300 }),
    maxTasks: fc.integer({ min: 0, max: maxTasks }),
    taskMinuteUsd: fc.integer({ min: 0, max: 50 }).map((n) => n / 1000),
    lambdaRequestUsd: fc.integer({ min: 0, max: 50 }).map((n) => n / 1e6),
    fargateRequestUsd: fc.integer({ min: 0, max: 10 }).map((n) => n / 1e6),
    initialTasks: fc.nat(maxTasks),
  }).map((input) => ({ ...input, initialTasks: Math.min(input.initialTasks, input.maxTasks) }));
}

describe('properties', () => {
  test('the planned cost is the cost of the planned schedule', () => {
    fc.assert(fc.property(inputArb(60, 8), (input) => {
      const plan = planOracle(input);
      expectSameCost(plan.plannedCostUsd, scheduleCostUsd(input, plan.servingTasksByMinute));
    }));
  });

  test('the plan is never dearer than all-Lambda or any constant task count', () => {
    fc.assert(fc.property(inputArb(60, 8), (input) => {
      const plan = planOracle(input);
      for (let tasks = 0; tasks <= input.maxTasks; tasks++) {
        expect(plan.plannedCostUsd).toBeLessThanOrEqual(scheduleCostUsd(input, constantSchedule(input, tasks)) * (1 + RELATIVE_TOLERANCE));
      }
    }));
  });

  test('on tiny traces the plan costs exactly the cheapest of all schedules', () => {
    fc.assert(fc.property(inputArb(5, 2), (input) => {
      const plan = planOracle(input);
      const cheapestUsd = bruteForceCostUsd(input);
      expectSameCost(plan.plannedCostUsd, cheapestUsd);
      expectSameCost(scheduleCostUsd(input, plan.servingTasksByMinute), cheapestUsd);
    }), { numRuns: 300 });
  });

  test('with more tasks the running-minimum shortcut finds the cost the pairwise dynamic programme finds', () => {
    fc.assert(fc.property(inputArb(30, 12), (input) => {
      expectSameCost(planOracle(input).plannedCostUsd, quadraticDpCostUsd(input));
    }), { numRuns: 100 });
  });

  test('tasks stay within 0..maxTasks, launches are the rises in the count, and Fargate never takes more than its tasks serve', () => {
    fc.assert(fc.property(inputArb(60, 8), (input) => {
      const plan = planOracle(input);
      const minutes = input.requestsByMinute.length;
      expect(plan.servingTasksByMinute).toHaveLength(minutes);
      plan.servingTasksByMinute.forEach((tasks, minute) => {
        const before = minute === 0 ? input.initialTasks ?? 0 : plan.servingTasksByMinute[minute - 1];
        const demand = input.requestsByMinute[minute];
        const share = plan.fargateShareByMinute[minute];
        expect(Number.isInteger(tasks) && tasks >= 0 && tasks <= input.maxTasks).toBe(true);
        expect(plan.launchesByMinute[minute]).toBe(Math.max(0, tasks - before));
        expect(share).toBeGreaterThanOrEqual(0);
        expect(share).toBeLessThanOrEqual(1);
        expect(share * demand).toBeLessThanOrEqual(tasks * capacityPerTask(input, minute) * (1 + RELATIVE_TOLERANCE));
      });
    }));
  });
});

describe('validation', () => {
  const VALID: OracleInput = { ...ROUND, requestsByMinute: [600] };

  test.each([
    ['taskRequestsPerSecond', -1],
    ['taskStartSeconds', NaN],
    ['taskMinuteUsd', Infinity],
    ['lambdaRequestUsd', -0.5],
    ['fargateRequestUsd', -Infinity],
  ] as const)('%s %p is refused', (field, value) => {
    expect(() => planOracle({ ...VALID, [field]: value })).toThrow(`oracle ${field} ${value} is not allowed; use a finite number >= 0`);
  });

  test.each([
    ['maxTasks', -1],
    ['maxTasks', 2.5],
    ['initialTasks', -2],
    ['initialTasks', NaN],
  ] as const)('%s %p is refused', (field, value) => {
    expect(() => planOracle({ ...VALID, [field]: value })).toThrow(`oracle ${field} ${value} is not allowed; use an integer >= 0`);
  });

  test('initialTasks above maxTasks is refused', () => {
    expect(() => planOracle({ ...VALID, initialTasks: 3 })).toThrow('oracle initialTasks 3 is above maxTasks 2; use 0 to 2');
  });

  test('a negative or NaN minute of demand is refused, naming the minute', () => {
    expect(() => planOracle({ ...VALID, requestsByMinute: [600, 0, -1] })).toThrow('oracle requestsByMinute[2] -1 is not allowed; use a finite number >= 0');
    expect(() => planOracle({ ...VALID, requestsByMinute: [NaN] })).toThrow('oracle requestsByMinute[0] NaN is not allowed');
  });

  test('a capacity factor outside 0..1 is refused, naming the minute', () => {
    expect(() => planOracle({ ...VALID, capacityFactorByMinute: [1, 1.5] })).toThrow('oracle capacityFactorByMinute[1] 1.5 is not allowed; use a number from 0 to 1');
    expect(() => planOracle({ ...VALID, capacityFactorByMinute: [-0.1] })).toThrow('oracle capacityFactorByMinute[0] -0.1 is not allowed');
  });
});
