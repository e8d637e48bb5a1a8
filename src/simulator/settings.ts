/**
 * Everything a simulation is parameterised by: the construct's scaling props, the workload, AWS timings and prices.
 * Defaults come from timings.json (timings, workload, scaling) and src/cost/prices.json (prices); a config file
 * overrides any of them. Validation mirrors the construct's, so a config the construct would reject is rejected here.
 */
import { Faults, resolveFaults } from './faults';
import { Spread } from './random';
import timingsJson from './timings.json';
import { CONTROLLER_DEFAULTS, defaultTaskCapacity, SCALING_DEFAULTS, SCALING_RANGES, SIZING_DEFAULTS, validateControllerConfig } from '../controller/tunables';
import { ControllerConfig, ModeOverride } from '../controller/types';
import { DEFAULT_PRICES, Prices } from '../cost/idle-cost';

/** The construct's scaling props as the simulated controller and alarms use them. */
export interface ScalingSettings {
  readonly mode: ModeOverride;
  readonly scaleOutRequestsPerMinute: number;
  readonly scaleOutPeriods: number;
  readonly scaleInRequestsPerMinute: number;
  readonly scaleInPeriods: number;
  readonly fargateErrorsPerMinute: number;
  readonly pollIntervalSeconds: number;
  /** The always-enabled heartbeat schedule's interval. */
  readonly heartbeatSeconds: number;
  /** Whether the controller function has a reserved concurrency of 1, so its invocations never overlap. */
  readonly serializeController: boolean;
  /** What the construct passes to the controller function (CONTROLLER_CONFIG). */
  readonly controller: ControllerConfig;
}

/** CPU architecture of the image; both sides run it. */
export type Architecture = 'x86_64' | 'arm64';

/** The application and its traffic. */
export interface WorkloadSettings {
  /** Time a request takes on a warm Lambda environment or a Fargate task with spare capacity. */
  readonly requestDurationMs: Spread;
  readonly lambdaMemoryMb: number;
  /** Extra time of the first request on a new execution environment (billed, since container images bill INIT). */
  readonly lambdaColdStartMs: Spread;
  /** Cap on the function's concurrent executions; requests beyond it are throttled. Undefined: unreserved. */
  readonly lambdaReservedConcurrency?: number;
  /** From the desired count rising to the container answering requests (before load balancer health checks). */
  readonly fargateTaskStartSeconds: Spread;
  readonly architecture: Architecture;
  readonly fargateCpu: number;
  readonly fargateMemoryMiB: number;
  /** Requests per second one task serves; beyond it requests queue. */
  readonly taskRequestsPerSecond: number;
  /** A request that would wait longer than this in a task's queue fails. */
  readonly queueTimeoutSeconds: number;
  /** Bytes in and out per request, for the load balancer's processed-bytes LCU dimension. */
  readonly bytesPerRequest: number;
  /** Requests a client sends over one connection, for the new-connections LCU dimension. */
  readonly requestsPerConnection: number;
  /** Bytes Lambda writes to CloudWatch Logs of its own per invocation: the START, END and REPORT lines (Text format). */
  readonly lambdaPlatformLogBytesPerInvocation: number;
  /** Bytes the application writes to CloudWatch Logs per request served, on either side. */
  readonly appLogBytesPerRequest: number;
}

/** How AWS behaves, from timings.json. */
export type AwsTimings = Omit<typeof timingsJson, '_about' | '_read' | '_sources' | 'workload'>;

export interface SimulationSettings {
  readonly scaling: ScalingSettings;
  readonly workload: WorkloadSettings;
  readonly aws: AwsTimings;
  readonly prices: Prices;
  /** Faults injected into the run; none by default. */
  readonly faults: Faults;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid simulator config: ${problems.join('; ')}`);
    this.name = 'ConfigError';
  }
}

export const AWS_TIMINGS: AwsTimings = {
  lambda: timingsJson.lambda,
  fargate: timingsJson.fargate,
  alb: timingsJson.alb,
  cloudwatch: timingsJson.cloudwatch,
  ecsTargetTracking: timingsJson.ecsTargetTracking,
  controller: timingsJson.controller,
};

/** Scaling props the config file accepts: the construct's ScalingOptions (durations in seconds) plus the Fargate sizing. */
const SCALING_KEYS = [
  'mode', 'scaleOutRequestsPerMinute', 'scaleOutPeriods', 'scaleInRequestsPerMinute', 'scaleInPeriods',
  'shiftOutSteps', 'shiftOutPause', 'shiftBackSteps', 'shiftBackPause', 'minTasks', 'minFargateDuration',
  'drainDuration', 'overflowLambdaWeight', 'fargateErrorsPerMinute', 'pollInterval', 'serializeController', 'maxTasks',
  'requestsPerTaskPerMinute', 'taskCapacityRequestsPerMinute', 'stepsWaitingForDatapoint', 'fargateErrorRateMargin',
  'healthFailbackBackoff', 'errorFailbackBackoff', 'maxFailbackBackoff', 'recurrenceWindow', 'maxHoldDuration', 'heartbeatInterval',
] as const;

const WORKLOAD_KEYS = [
  'requestDurationMs', 'lambdaMemoryMb', 'lambdaColdStartMs', 'lambdaReservedConcurrency', 'architecture',
  'fargateTaskStartSeconds', 'fargateCpu', 'fargateMemoryMiB', 'taskRequestsPerSecond', 'queueTimeoutSeconds',
  'bytesPerRequest', 'requestsPerConnection', 'lambdaPlatformLogBytesPerInvocation', 'appLogBytesPerRequest',
] as const;

const TOP_LEVEL_KEYS = ['scaling', 'workload', 'prices', 'faults'];

/** The settings of a default HybridAlbService with the default workload. */
export function defaultSettings(): SimulationSettings {
  return resolveSettings({});
}

/**
 * Settings from a parsed config file: `{ scaling?, workload?, prices?, faults? }`, each a partial override of the defaults.
 * Throws a ConfigError listing every problem found.
 */
export function resolveSettings(config: unknown): SimulationSettings {
  const problems: string[] = [];
  const root = asObject(config, 'config', problems) ?? {};
  unknownKeys(root, TOP_LEVEL_KEYS, 'config', problems);
  const scalingInput = asObject(root.scaling ?? {}, 'scaling', problems) ?? {};
  const workloadInput = asObject(root.workload ?? {}, 'workload', problems) ?? {};
  unknownKeys(scalingInput, SCALING_KEYS, 'scaling', problems);
  unknownKeys(workloadInput, WORKLOAD_KEYS, 'workload', problems);

  const scaling = resolveScaling(scalingInput, problems);
  const workload = resolveWorkload(workloadInput, problems);
  const prices = mergePrices(DEFAULT_PRICES, root.prices ?? {}, 'prices', problems) as Prices;
  const faults = resolveFaults(root.faults, problems);
  if (problems.length > 0) {
    throw new ConfigError(problems);
  }
  return { scaling, workload, aws: AWS_TIMINGS, prices, faults };
}

function resolveScaling(input: Record<string, unknown>, problems: string[]): ScalingSettings {
  const integer = (key: string, fallback: number, range: { min: number; max: number }) =>
    integerIn(input[key], `scaling.${key}`, fallback, range.min, range.max, problems);
  const seconds = (key: string, fallback: number) => numberAtLeast(input[key], `scaling.${key}`, fallback, 0, problems, 'a number of seconds');
  const mode = input.mode ?? SCALING_DEFAULTS.mode;
  if (mode !== 'auto' && mode !== 'lambda' && mode !== 'fargate') {
    problems.push(`scaling.mode ${JSON.stringify(mode)} is not a traffic mode; use "auto", "lambda" or "fargate"`);
  }
  const scaleOutRequestsPerMinute = integer('scaleOutRequestsPerMinute', SCALING_DEFAULTS.scaleOutRequestsPerMinute, SCALING_RANGES.scaleOutRequestsPerMinute);
  const scaleInRequestsPerMinute = integer('scaleInRequestsPerMinute', SCALING_DEFAULTS.scaleInRequestsPerMinute, SCALING_RANGES.scaleInRequestsPerMinute);
  if (scaleInRequestsPerMinute >= scaleOutRequestsPerMinute) {
    problems.push(`scaling.scaleInRequestsPerMinute ${scaleInRequestsPerMinute} must be below scaling.scaleOutRequestsPerMinute ${scaleOutRequestsPerMinute}`);
  }
  const deregistrationDelay = AWS_TIMINGS.alb.deregistrationDelaySeconds;
  const d = CONTROLLER_DEFAULTS;
  const requestsPerTaskPerMinute = integer('requestsPerTaskPerMinute', SIZING_DEFAULTS.requestsPerTaskPerMinute, { min: 1, max: 10_000_000 });
  const controller: ControllerConfig = {
    shiftOutSteps: steps(input.shiftOutSteps, 'scaling.shiftOutSteps', d.shiftOutSteps, problems),
    shiftOutPauseSeconds: seconds('shiftOutPause', d.shiftOutPauseSeconds),
    shiftBackSteps: steps(input.shiftBackSteps, 'scaling.shiftBackSteps', d.shiftBackSteps, problems),
    shiftBackPauseSeconds: seconds('shiftBackPause', d.shiftBackPauseSeconds),
    minTasks: integer('minTasks', d.minTasks, { min: 1, max: 5000 }),
    maxTasks: integer('maxTasks', SIZING_DEFAULTS.maxTasks, { min: 1, max: 5000 }),
    requestsPerTaskPerMinute,
    minFargateSeconds: seconds('minFargateDuration', d.minFargateSeconds),
    // The construct's default: the deregistration delay plus 15 s.
    drainSeconds: seconds('drainDuration', deregistrationDelay + 15),
    overflowLambdaWeight: integer('overflowLambdaWeight', d.overflowLambdaWeight, { min: 0, max: 99 }),
    taskCapacityRequestsPerMinute: integer('taskCapacityRequestsPerMinute', defaultTaskCapacity(requestsPerTaskPerMinute), { min: 1, max: 100_000_000 }),
    scaleInRequestsPerMinute,
    weightGranularity: d.weightGranularity,
    stepsWaitingForDatapoint: integer('stepsWaitingForDatapoint', d.stepsWaitingForDatapoint, { min: 0, max: 100 }),
    errorRateMargin: numberAtLeast(input.fargateErrorRateMargin, 'scaling.fargateErrorRateMargin', d.errorRateMargin, 0, problems, 'a share in 0..1'),
    minErrors: d.minErrors,
    overloadResponseTimeRatio: d.overloadResponseTimeRatio,
    healthBackoffSeconds: seconds('healthFailbackBackoff', d.healthBackoffSeconds),
    errorBackoffSeconds: seconds('errorFailbackBackoff', d.errorBackoffSeconds),
    maxBackoffSeconds: seconds('maxFailbackBackoff', d.maxBackoffSeconds),
    recurrenceWindowSeconds: seconds('recurrenceWindow', d.recurrenceWindowSeconds),
    maxHoldSeconds: seconds('maxHoldDuration', d.maxHoldSeconds),
  };
  problems.push(...validateControllerConfig(controller).map((problem) => `scaling.${problem}`));
  if (controller.drainSeconds < deregistrationDelay) {
    problems.push(`scaling.drainDuration ${controller.drainSeconds} seconds is shorter than the deregistration delay ${deregistrationDelay} seconds`);
  }
  return {
    mode: mode as ModeOverride,
    scaleOutRequestsPerMinute,
    scaleOutPeriods: integer('scaleOutPeriods', SCALING_DEFAULTS.scaleOutPeriods, SCALING_RANGES.scaleOutPeriods),
    scaleInRequestsPerMinute,
    scaleInPeriods: integer('scaleInPeriods', SCALING_DEFAULTS.scaleInPeriods, SCALING_RANGES.scaleInPeriods),
    fargateErrorsPerMinute: integer('fargateErrorsPerMinute', SCALING_DEFAULTS.fargateErrorsPerMinute, SCALING_RANGES.fargateErrorsPerMinute),
    pollIntervalSeconds: integer('pollInterval', SCALING_DEFAULTS.pollIntervalSeconds, SCALING_RANGES.pollIntervalSeconds),
    heartbeatSeconds: integer('heartbeatInterval', SCALING_DEFAULTS.heartbeatSeconds, SCALING_RANGES.heartbeatSeconds),
    serializeController: boolean(input.serializeController, 'scaling.serializeController', SCALING_DEFAULTS.serializeController, problems),
    controller,
  };
}

function resolveWorkload(input: Record<string, unknown>, problems: string[]): WorkloadSettings {
  const defaults = timingsJson.workload;
  const positive = (key: string, fallback: number, what = 'a number > 0') => numberAtLeast(input[key], `workload.${key}`, fallback, Number.MIN_VALUE, problems, what);
  const bytes = (key: string, fallback: number) => numberAtLeast(input[key], `workload.${key}`, fallback, 0, problems, 'a number of bytes >= 0');
  const architecture = input.architecture ?? defaults.architecture;
  if (architecture !== 'x86_64' && architecture !== 'arm64') {
    problems.push(`workload.architecture ${JSON.stringify(architecture)} is not an architecture; use "x86_64" or "arm64"`);
  }
  const reserved = input.lambdaReservedConcurrency;
  return {
    requestDurationMs: spread(input.requestDurationMs, 'workload.requestDurationMs', defaults.requestDurationMs, problems),
    lambdaMemoryMb: integerIn(input.lambdaMemoryMb, 'workload.lambdaMemoryMb', defaults.lambdaMemoryMb, 128, 10240, problems),
    lambdaColdStartMs: spread(input.lambdaColdStartMs, 'workload.lambdaColdStartMs', defaults.lambdaColdStartMs, problems),
    ...(reserved === undefined || reserved === null
      ? {}
      : { lambdaReservedConcurrency: integerIn(reserved, 'workload.lambdaReservedConcurrency', 1, 1, 100_000, problems) }),
    fargateTaskStartSeconds: spread(input.fargateTaskStartSeconds, 'workload.fargateTaskStartSeconds', defaults.fargateTaskStartSeconds, problems),
    architecture: architecture as Architecture,
    fargateCpu: integerIn(input.fargateCpu, 'workload.fargateCpu', defaults.fargateCpu, 256, 16384, problems),
    fargateMemoryMiB: integerIn(input.fargateMemoryMiB, 'workload.fargateMemoryMiB', defaults.fargateMemoryMiB, 512, 122880, problems),
    taskRequestsPerSecond: integerIn(input.taskRequestsPerSecond, 'workload.taskRequestsPerSecond', defaults.taskRequestsPerSecond, 1, 1_000_000, problems),
    queueTimeoutSeconds: positive('queueTimeoutSeconds', defaults.queueTimeoutSeconds, 'a number of seconds > 0'),
    bytesPerRequest: bytes('bytesPerRequest', defaults.bytesPerRequest),
    requestsPerConnection: numberAtLeast(input.requestsPerConnection, 'workload.requestsPerConnection', defaults.requestsPerConnection, 1, problems, 'a number >= 1'),
    lambdaPlatformLogBytesPerInvocation: bytes('lambdaPlatformLogBytesPerInvocation', defaults.lambdaPlatformLogBytesPerInvocation),
    appLogBytesPerRequest: bytes('appLogBytesPerRequest', defaults.appLogBytesPerRequest),
  };
}

function spread(value: unknown, name: string, fallback: Spread, problems: string[]): Spread {
  if (value === undefined) {
    return fallback;
  }
  const object = asObject(value, name, problems);
  if (!object) {
    return fallback;
  }
  unknownKeys(object, ['mean', 'spread'], name, problems);
  return {
    mean: numberAtLeast(object.mean, `${name}.mean`, fallback.mean, Number.MIN_VALUE, problems, 'a number > 0'),
    spread: numberAtLeast(object.spread, `${name}.spread`, fallback.spread, 0, problems, 'a number >= 0 (standard deviation)'),
  };
}

function steps(value: unknown, name: string, fallback: number[], problems: string[]): number[] {
  if (value === undefined) {
    return fallback;
  }
  if (!Array.isArray(value) || !value.every((step) => typeof step === 'number')) {
    problems.push(`${name} ${JSON.stringify(value)} is not a list of numbers`);
    return fallback;
  }
  return value;
}

function boolean(value: unknown, name: string, fallback: boolean, problems: string[]): boolean {
  if (value === undefined) {
    return fallback;
  }
  if (typeof value !== 'boolean') {
    problems.push(`${name} ${JSON.stringify(value)} is not true or false`);
    return fallback;
  }
  return value;
}

function integerIn(value: unknown, name: string, fallback: number, min: number, max: number, problems: string[]): number {
  if (value === undefined) {
    return fallback;
  }
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    problems.push(`${name} ${JSON.stringify(value)} is not an integer in ${min}..${max}`);
    return fallback;
  }
  return value;
}

function numberAtLeast(value: unknown, name: string, fallback: number, min: number, problems: string[], what: string): number {
  if (value === undefined) {
    return fallback;
  }
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    problems.push(`${name} ${JSON.stringify(value)} is not ${what}`);
    return fallback;
  }
  return value;
}

function asObject(value: unknown, name: string, problems: string[]): Record<string, unknown> | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    problems.push(`${name} must be a JSON object; got ${JSON.stringify(value)}`);
    return undefined;
  }
  return value as Record<string, unknown>;
}

function unknownKeys(object: Record<string, unknown>, known: readonly string[], name: string, problems: string[]): void {
  for (const key of Object.keys(object)) {
    if (!known.includes(key)) {
      problems.push(`${name}.${key} is not a setting; known: ${known.join(', ')}`);
    }
  }
}

/** Prices as in prices.json with the given figures replaced; every key must exist there and every price be a number >= 0. */
function mergePrices(base: unknown, override: unknown, name: string, problems: string[]): unknown {
  if (typeof base === 'number') {
    if (typeof override !== 'number' || !Number.isFinite(override) || override < 0) {
      problems.push(`${name} ${JSON.stringify(override)} is not a price >= 0`);
      return base;
    }
    return override;
  }
  if (typeof base !== 'object' || base === null) {
    problems.push(`${name} cannot be overridden`);
    return base;
  }
  const overrides = asObject(override, name, problems);
  if (!overrides) {
    return base;
  }
  const merged: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [key, value] of Object.entries(overrides)) {
    if (!(key in merged) || key.startsWith('_')) {
      problems.push(`${name}.${key} is not a price in src/cost/prices.json`);
      continue;
    }
    merged[key] = mergePrices(merged[key], value, `${name}.${key}`, problems);
  }
  return merged;
}
