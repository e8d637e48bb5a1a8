import { decide } from '../../src/controller/decision';
import {
  assertValidConfig,
  CONTROLLER_DEFAULTS,
  defaultTaskCapacity,
  SCALING_DEFAULTS,
  SCALING_RANGES,
  SIZING_DEFAULTS,
  TASK_CAPACITY_HEADROOM,
  validateControllerConfig,
} from '../../src/controller/tunables';
import { ControllerConfig } from '../../src/controller/types';

const CONFIG = CONTROLLER_DEFAULTS;

describe('CONTROLLER_DEFAULTS', () => {
  test('validate', () => {
    expect(validateControllerConfig(CONTROLLER_DEFAULTS)).toEqual([]);
  });

  test('are the ones the README documents', () => {
    expect(CONTROLLER_DEFAULTS).toEqual({
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
      taskCapacityRequestsPerMinute: 3750,
      scaleInRequestsPerMinute: 300,
      weightGranularity: 5,
      stepsWaitingForDatapoint: 0,
      errorRateMargin: 0.02,
      minErrors: 10,
      overloadResponseTimeRatio: 3,
      healthBackoffSeconds: 60,
      errorBackoffSeconds: 3600,
      maxBackoffSeconds: 14_400,
      recurrenceWindowSeconds: 3600,
      maxHoldSeconds: 14_400,
    });
  });

  test('share the sizing and the scale-in threshold with the construct\'s defaults', () => {
    expect([CONTROLLER_DEFAULTS.maxTasks, CONTROLLER_DEFAULTS.requestsPerTaskPerMinute, CONTROLLER_DEFAULTS.scaleInRequestsPerMinute])
      .toEqual([SIZING_DEFAULTS.maxTasks, SIZING_DEFAULTS.requestsPerTaskPerMinute, SCALING_DEFAULTS.scaleInRequestsPerMinute]);
  });
});

describe('defaultTaskCapacity', () => {
  test.each([
    [3000, 3750], [1000, 1250], [100, 125], [1, 1], [3, 4],
  ])('is 1.25 x %d requests/min: %d', (target, capacity) => {
    expect(defaultTaskCapacity(target)).toBe(capacity);
  });

  test('is the default per-task capacity, with a headroom of 25 %', () => {
    expect([TASK_CAPACITY_HEADROOM, CONTROLLER_DEFAULTS.taskCapacityRequestsPerMinute])
      .toEqual([1.25, defaultTaskCapacity(CONTROLLER_DEFAULTS.requestsPerTaskPerMinute)]);
  });
});

describe('SCALING_DEFAULTS lie within SCALING_RANGES', () => {
  test.each(Object.entries(SCALING_RANGES))('%s', (key, range) => {
    const value = SCALING_DEFAULTS[key as keyof typeof SCALING_RANGES];
    expect(value >= range.min && value <= range.max).toBe(true);
  });
});

describe('validateControllerConfig', () => {
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
    [{ shiftBackPauseSeconds: -0.5 }, 'shiftBackPauseSeconds must be a number of seconds >= 0; got -0.5'],
    [{ minFargateSeconds: -600 }, 'minFargateSeconds must be a number of seconds >= 0; got -600'],
    [{ drainSeconds: -1 }, 'drainSeconds must be a number of seconds >= 0; got -1'],
    [{ healthBackoffSeconds: -1 }, 'healthBackoffSeconds must be a number of seconds >= 0; got -1'],
    [{ recurrenceWindowSeconds: -1 }, 'recurrenceWindowSeconds must be a number of seconds >= 0; got -1'],
    [{ maxHoldSeconds: -1 }, 'maxHoldSeconds must be a number of seconds >= 0; got -1'],
    [{ minTasks: 0 }, 'minTasks must be an integer >= 1 (Fargate never carries traffic without a task); got 0'],
    [{ minTasks: 1.5, maxTasks: 10 }, 'minTasks must be an integer >= 1 (Fargate never carries traffic without a task); got 1.5'],
    [{ maxTasks: 0 }, 'maxTasks must be an integer >= minTasks (1); got 0'],
    [{ minTasks: 4, maxTasks: 3 }, 'maxTasks must be an integer >= minTasks (4); got 3'],
    [{ requestsPerTaskPerMinute: 0 }, 'requestsPerTaskPerMinute must be a number > 0; got 0'],
    [{ taskCapacityRequestsPerMinute: -3750 }, 'taskCapacityRequestsPerMinute must be a number > 0; got -3750'],
    [{ scaleInRequestsPerMinute: 0 }, 'scaleInRequestsPerMinute must be a number > 0; got 0'],
    [{ overflowLambdaWeight: 100 }, 'overflowLambdaWeight must be an integer in 0..99 (0 disables overflow); got 100'],
    [{ overflowLambdaWeight: 12.5 }, 'overflowLambdaWeight must be an integer in 0..99 (0 disables overflow); got 12.5'],
    [{ weightGranularity: 0 }, 'weightGranularity must be an integer in 1..50; got 0'],
    [{ weightGranularity: 51 }, 'weightGranularity must be an integer in 1..50; got 51'],
    [{ weightGranularity: 2.5 }, 'weightGranularity must be an integer in 1..50; got 2.5'],
    [{ stepsWaitingForDatapoint: -1 }, 'stepsWaitingForDatapoint must be an integer in 0..100; got -1'],
    [{ stepsWaitingForDatapoint: 101 }, 'stepsWaitingForDatapoint must be an integer in 0..100; got 101'],
    [{ errorRateMargin: -0.01 }, 'errorRateMargin must be a share of requests in 0..1; got -0.01'],
    [{ errorRateMargin: 2 }, 'errorRateMargin must be a share of requests in 0..1; got 2'],
    [{ minErrors: 0 }, 'minErrors must be an integer >= 1; got 0'],
    [{ minErrors: 2.5 }, 'minErrors must be an integer >= 1; got 2.5'],
    [{ overloadResponseTimeRatio: 0.9 }, 'overloadResponseTimeRatio must be a number >= 1; got 0.9'],
    [{ maxBackoffSeconds: 3599 }, 'maxBackoffSeconds 3599 must be at least healthBackoffSeconds and errorBackoffSeconds'],
    [{ errorBackoffSeconds: 14_401 }, 'maxBackoffSeconds 14400 must be at least healthBackoffSeconds and errorBackoffSeconds'],
  ])('rejects %j', (change, message) => {
    expect(validateControllerConfig({ ...CONFIG, ...change })).toEqual([message]);
  });

  test.each<[string, Partial<ControllerConfig>, string]>([
    ['a string number with its quotes', { drainSeconds: '5' as unknown as number }, 'drainSeconds must be a number of seconds >= 0; got "5"'],
    ['a string with a newline escaped', { minTasks: '2\n' as unknown as number }, 'minTasks must be an integer >= 1 (Fargate never carries traffic without a task); got "2\\n"'],
    ['null as null', { minErrors: null as unknown as number }, 'minErrors must be an integer >= 1; got null'],
    ['undefined by name', { weightGranularity: undefined as unknown as number }, 'weightGranularity must be an integer in 1..50; got undefined'],
    ['a string step inside the list', { shiftOutSteps: ['10', 100] as unknown as number[] }, 'shiftOutSteps must be strictly increasing integers in 1..100 ending at 100; got ["10", 100]'],
    ['NaN by name, not as null', { drainSeconds: Number.NaN }, 'drainSeconds must be a number of seconds >= 0; got NaN'],
    ['Infinity by name, not as null', { shiftBackPauseSeconds: Number.POSITIVE_INFINITY }, 'shiftBackPauseSeconds must be a number of seconds >= 0; got Infinity'],
  ])('shows the value as JSON: %s', (_name, change, message) => {
    expect(validateControllerConfig({ ...CONFIG, ...change })).toEqual([message]);
  });

  test('lists every problem, each naming its field', () => {
    const problems = validateControllerConfig({ ...CONFIG, shiftOutSteps: [50, 10], drainSeconds: -1, minErrors: 0 });
    expect(problems.map((problem) => problem.split(' ')[0])).toEqual(['shiftOutSteps', 'drainSeconds', 'minErrors']);
  });

  test('accepts the edges of each range', () => {
    expect(validateControllerConfig({
      ...CONFIG,
      shiftOutSteps: [100],
      shiftBackSteps: [0],
      shiftOutPauseSeconds: 0,
      minTasks: 3,
      maxTasks: 3,
      overflowLambdaWeight: 99,
      weightGranularity: 50,
      stepsWaitingForDatapoint: 100,
      errorRateMargin: 1,
      minErrors: 1,
      overloadResponseTimeRatio: 1,
      healthBackoffSeconds: 0,
      errorBackoffSeconds: 0,
      maxBackoffSeconds: 0,
    })).toEqual([]);
  });
});

describe('assertValidConfig', () => {
  test('throws one error listing every problem', () => {
    expect(() => assertValidConfig({ ...CONFIG, minErrors: 0, weightGranularity: 0 })).toThrow(
      /^Invalid controller config: weightGranularity must be an integer in 1\.\.50; got 0; minErrors must be an integer >= 1; got 0$/,
    );
  });

  test('decide refuses an unusable config the same way', () => {
    expect(() => decide({
      nowMs: 0,
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
      marks: {},
    }, { ...CONFIG, taskCapacityRequestsPerMinute: 0 })).toThrow(/^Invalid controller config: taskCapacityRequestsPerMinute must be a number > 0; got 0$/);
  });
});
