/**
 * Faults injected into a simulated run, from the `faults` section of the --config file. All times are trace minutes;
 * the model that acts on them is in model/fargate-service.ts (tasks), model/controller.ts (events and AWS calls) and
 * model/cloudwatch.ts (metric delay). See the README's "Faults" section for what each one does to the system.
 */

/** How many tasks a fault hits: a count, or every task in service at the time. */
export type TaskSelection = number | 'all';

export interface TaskCrash {
  readonly atMinute: number;
  readonly tasks: TaskSelection;
}

export interface UnhealthyTasks {
  readonly fromMinute: number;
  readonly toMinute: number;
  readonly tasks: TaskSelection;
}

export interface SlowTasks {
  readonly fromMinute: number;
  readonly toMinute: number;
  /** Share of the per-task capacity the tasks really have, in (0, 1]. */
  readonly capacityFactor: number;
}

export interface FargateErrorRate {
  readonly fromMinute: number;
  readonly toMinute: number;
  /** Share of the requests Fargate serves that answer 5xx, in [0, 1]. */
  readonly rate: number;
}

/** The resources a stack update rewrites from the template. */
export type RedeployTarget = 'listener' | 'service' | 'schedule';
export const REDEPLOY_TARGETS: readonly RedeployTarget[] = ['listener', 'service', 'schedule'];

export interface Redeploy {
  readonly atMinute: number;
  readonly touches: readonly RedeployTarget[];
}

/** Spread of the delay before a one-minute datapoint reaches CloudWatch. */
export interface DelayRange {
  readonly min: number;
  readonly max: number;
}

export interface Faults {
  readonly taskCrashes: readonly TaskCrash[];
  readonly unhealthyTasks: readonly UnhealthyTasks[];
  readonly slowTasks: readonly SlowTasks[];
  readonly fargateErrorRate: readonly FargateErrorRate[];
  readonly redeploys: readonly Redeploy[];
  /** Probability that one EventBridge delivery to the controller is dropped. */
  readonly lostEventRate: number;
  /** Probability that one attempt of one AWS call fails (throttled or 5xx). */
  readonly apiFailureRate: number;
  /** Undefined: the fixed delay of timings.json. */
  readonly metricDelaySeconds?: DelayRange;
}

export const NO_FAULTS: Faults = {
  taskCrashes: [], unhealthyTasks: [], slowTasks: [], fargateErrorRate: [], redeploys: [], lostEventRate: 0, apiFailureRate: 0,
};

const FAULT_KEYS = [
  'taskCrashes', 'unhealthyTasks', 'slowTasks', 'fargateErrorRate', 'redeploys', 'lostEventRate', 'apiFailureRate', 'metricDelaySeconds',
];

/** Faults from the parsed `faults` section; every problem is pushed to `problems` with the path that has it. */
export function resolveFaults(input: unknown, problems: string[]): Faults {
  if (input === undefined) {
    return NO_FAULTS;
  }
  const root = object(input, 'faults', problems);
  if (!root) {
    return NO_FAULTS;
  }
  for (const key of Object.keys(root)) {
    if (!FAULT_KEYS.includes(key)) {
      problems.push(`faults.${key} is not a fault; known: ${FAULT_KEYS.join(', ')}`);
    }
  }
  const delay = root.metricDelaySeconds === undefined ? undefined : delayRange(root.metricDelaySeconds, problems);
  return {
    taskCrashes: list(root.taskCrashes, 'faults.taskCrashes', problems, (item, name) => ({
      atMinute: minute(item.atMinute, `${name}.atMinute`, problems),
      tasks: tasks(item.tasks, `${name}.tasks`, problems),
    }), ['atMinute', 'tasks']),
    unhealthyTasks: list(root.unhealthyTasks, 'faults.unhealthyTasks', problems, (item, name) => ({
      ...windowOf(item, name, problems),
      tasks: tasks(item.tasks, `${name}.tasks`, problems),
    }), ['fromMinute', 'toMinute', 'tasks']),
    slowTasks: list(root.slowTasks, 'faults.slowTasks', problems, (item, name) => ({
      ...windowOf(item, name, problems),
      capacityFactor: fraction(item.capacityFactor, `${name}.capacityFactor`, problems, false),
    }), ['fromMinute', 'toMinute', 'capacityFactor']),
    fargateErrorRate: list(root.fargateErrorRate, 'faults.fargateErrorRate', problems, (item, name) => ({
      ...windowOf(item, name, problems),
      rate: fraction(item.rate, `${name}.rate`, problems, true),
    }), ['fromMinute', 'toMinute', 'rate']),
    redeploys: list(root.redeploys, 'faults.redeploys', problems, (item, name) => ({
      atMinute: minute(item.atMinute, `${name}.atMinute`, problems),
      touches: touches(item.touches, `${name}.touches`, problems),
    }), ['atMinute', 'touches']),
    lostEventRate: root.lostEventRate === undefined ? 0 : probability(root.lostEventRate, 'faults.lostEventRate', problems),
    apiFailureRate: root.apiFailureRate === undefined ? 0 : probability(root.apiFailureRate, 'faults.apiFailureRate', problems),
    ...(delay ? { metricDelaySeconds: delay } : {}),
  };
}

/** Whether any fault is configured, for reports. */
export function hasFaults(faults: Faults): boolean {
  return faults.taskCrashes.length + faults.unhealthyTasks.length + faults.slowTasks.length + faults.fargateErrorRate.length
    + faults.redeploys.length > 0 || faults.lostEventRate > 0 || faults.apiFailureRate > 0 || faults.metricDelaySeconds !== undefined;
}

/** Whether `second` lies in a window given in minutes, start included, end excluded. */
export function inWindow(window: { readonly fromMinute: number; readonly toMinute: number }, second: number): boolean {
  return second >= window.fromMinute * 60 && second < window.toMinute * 60;
}

/** The capacity factor of slow tasks at `second`: the smallest of the windows that cover it, 1 outside all. */
export function capacityFactorAt(faults: Faults, second: number): number {
  let factor = 1;
  for (const slow of faults.slowTasks) {
    if (inWindow(slow, second)) {
      factor = Math.min(factor, slow.capacityFactor);
    }
  }
  return factor;
}

/** The injected Fargate error rate at `second`: the largest of the windows that cover it. */
export function fargateErrorRateAt(faults: Faults, second: number): number {
  let rate = 0;
  for (const window of faults.fargateErrorRate) {
    if (inWindow(window, second)) {
      rate = Math.max(rate, window.rate);
    }
  }
  return rate;
}

function windowOf(item: Record<string, unknown>, name: string, problems: string[]) {
  const fromMinute = minute(item.fromMinute, `${name}.fromMinute`, problems);
  const toMinute = minute(item.toMinute, `${name}.toMinute`, problems);
  if (toMinute <= fromMinute) {
    problems.push(`${name}.toMinute ${toMinute} must be after fromMinute ${fromMinute}`);
  }
  return { fromMinute, toMinute };
}

function list<T>(
  value: unknown,
  name: string,
  problems: string[],
  parse: (item: Record<string, unknown>, name: string) => T,
  keys: readonly string[],
): T[] {
  if (value === undefined) {
    return [];
  }
  if (!Array.isArray(value)) {
    problems.push(`${name} must be a list; got ${JSON.stringify(value)}`);
    return [];
  }
  const parsed: T[] = [];
  value.forEach((entry, index) => {
    const itemName = `${name}[${index}]`;
    const item = object(entry, itemName, problems);
    if (!item) {
      return;
    }
    for (const key of Object.keys(item)) {
      if (!keys.includes(key)) {
        problems.push(`${itemName}.${key} is not a field; known: ${keys.join(', ')}`);
      }
    }
    parsed.push(parse(item, itemName));
  });
  return parsed;
}

function object(value: unknown, name: string, problems: string[]): Record<string, unknown> | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    problems.push(`${name} must be a JSON object; got ${JSON.stringify(value)}`);
    return undefined;
  }
  return value as Record<string, unknown>;
}

function minute(value: unknown, name: string, problems: string[]): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    problems.push(`${name} ${JSON.stringify(value)} is not a minute >= 0`);
    return 0;
  }
  return value;
}

function tasks(value: unknown, name: string, problems: string[]): TaskSelection {
  if (value === undefined || value === 'all') {
    return 'all';
  }
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    problems.push(`${name} ${JSON.stringify(value)} is not a task count >= 1 or "all"`);
    return 'all';
  }
  return value;
}

function fraction(value: unknown, name: string, problems: string[], zeroAllowed: boolean): number {
  const ok = typeof value === 'number' && Number.isFinite(value) && value <= 1 && (zeroAllowed ? value >= 0 : value > 0);
  if (!ok) {
    problems.push(`${name} ${JSON.stringify(value)} is not a number in ${zeroAllowed ? '[0, 1]' : '(0, 1]'}`);
    return 1;
  }
  return value as number;
}

function probability(value: unknown, name: string, problems: string[]): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value >= 1) {
    problems.push(`${name} ${JSON.stringify(value)} is not a probability in [0, 1)`);
    return 0;
  }
  return value;
}

function touches(value: unknown, name: string, problems: string[]): RedeployTarget[] {
  if (value === undefined) {
    return [...REDEPLOY_TARGETS];
  }
  if (!Array.isArray(value) || value.length === 0 || !value.every((item) => REDEPLOY_TARGETS.includes(item as RedeployTarget))) {
    problems.push(`${name} ${JSON.stringify(value)} is not a non-empty list of ${REDEPLOY_TARGETS.map((t) => `"${t}"`).join(', ')}`);
    return [...REDEPLOY_TARGETS];
  }
  return [...new Set(value as RedeployTarget[])];
}

function delayRange(value: unknown, problems: string[]): DelayRange | undefined {
  const range = object(value, 'faults.metricDelaySeconds', problems);
  if (!range) {
    return undefined;
  }
  const { min, max } = range;
  if (typeof min !== 'number' || typeof max !== 'number' || !Number.isFinite(min) || !Number.isFinite(max) || min < 0 || max < min) {
    problems.push(`faults.metricDelaySeconds ${JSON.stringify(value)} is not { "min": seconds >= 0, "max": seconds >= min }`);
    return undefined;
  }
  return { min, max };
}
