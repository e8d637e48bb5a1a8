import { Duration, Size, SizeRoundingBehavior, Token } from 'aws-cdk-lib';

/**
 * Synth-time checks. Every message names the prop, the value given (as JSON, so that a string "512" or a stray
 * newline shows) and what is allowed.
 */

/** A value as JSON, so a string "512" or a stray newline is visible in a message. */
export function show(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}

/** An integer prop in a range; a token passes (CloudFormation checks it). */
export function checkIntegerRange(prop: string, value: number | undefined, min: number, max: number, unit = ''): void {
  if (value === undefined || Token.isUnresolved(value)) {
    return;
  }
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${prop} ${show(value)} is not allowed; use an integer from ${min} to ${max}${unit ? ' ' + unit : ''}`);
  }
}

export function checkPort(prop: string, value: number | undefined): void {
  checkIntegerRange(prop, value, 1, 65535);
}

/** A prop that the construct computes with, or writes into a configuration, so it cannot be a token. */
export function checkKnown(prop: string, value: unknown, why: string): void {
  if (value !== undefined && Token.isUnresolved(value)) {
    throw new Error(`${prop} is a token; it must be known at synth, because ${why}; pass a literal value`);
  }
}

/**
 * A Duration prop in whole seconds within a range. A token fails with the prop's name and the reason the value must
 * be known at synth; a duration that is not a whole number of seconds fails naming the prop.
 */
export function durationSeconds(prop: string, duration: Duration, min: number, max: number, why: string, unit = 'seconds'): number {
  if (duration.isUnresolved()) {
    throw new Error(`${prop} is a token; it must be known at synth, because ${why}; pass a literal Duration`);
  }
  const millis = duration.toMilliseconds();
  if (millis % 1000 !== 0) {
    throw new Error(`${prop} ${show(duration.toHumanString())} is not a whole number of seconds; use Duration.seconds() with an integer`);
  }
  const seconds = millis / 1000;
  checkIntegerRange(prop, seconds, min, max, unit);
  return seconds;
}

/** A Size prop within a range of whole MiB or GiB; a token passes (CloudFormation checks it). */
export function checkSize(prop: string, size: Size | undefined, min: number, max: number, unit: 'MiB' | 'GiB'): void {
  if (size === undefined || size.isUnresolved()) {
    return;
  }
  const mebibytes = size.toMebibytes({ rounding: SizeRoundingBehavior.NONE });
  const value = unit === 'GiB' ? mebibytes / 1024 : mebibytes;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${prop} ${show(value)} ${unit} is not allowed; use a whole number of ${unit} from ${min} to ${max}`);
  }
}

/** Fargate task sizes: CPU units to the memory sizes (MiB) AWS accepts for it. */
const FARGATE_SIZES: Record<number, number[]> = {
  256: [512, 1024, 2048],
  512: range(1024, 4096, 1024),
  1024: range(2048, 8192, 1024),
  2048: range(4096, 16384, 1024),
  4096: range(8192, 30720, 1024),
  8192: range(16384, 61440, 4096),
  16384: range(32768, 122880, 8192),
};

function range(from: number, to: number, step: number): number[] {
  const out: number[] = [];
  for (let v = from; v <= to; v += step) {
    out.push(v);
  }
  return out;
}

export function checkFargateSize(cpu: number, memoryLimitMiB: number, memoryIsDefault = false): void {
  if (Token.isUnresolved(cpu) || Token.isUnresolved(memoryLimitMiB)) {
    return;
  }
  const memories = typeof cpu === 'number' ? FARGATE_SIZES[cpu] : undefined;
  if (!memories) {
    throw new Error(`fargate.cpu ${show(cpu)} is not a Fargate size; use one of ${Object.keys(FARGATE_SIZES).join(', ')}`);
  }
  if (typeof memoryLimitMiB !== 'number' || !memories.includes(memoryLimitMiB)) {
    const allowed = memories.length > 4
      ? `${memories[0]} to ${memories[memories.length - 1]} in steps of ${memories[1] - memories[0]}`
      : memories.join(', ');
    throw new Error(`fargate.memoryLimitMiB ${show(memoryLimitMiB)}${memoryIsDefault ? ' (the default)' : ''} is not allowed with `
      + `fargate.cpu ${show(cpu)}; use ${allowed}`);
  }
}

export function checkHealthCheckPath(prop: string, value: string | undefined): void {
  if (value === undefined || Token.isUnresolved(value)) {
    return;
  }
  // ALB health check paths: start with '/', at most 1024 characters, printable ASCII without spaces.
  if (typeof value !== 'string' || !/^\/[\x21-\x7e]{0,1023}$/.test(value)) {
    throw new Error(`${prop} ${show(value)} is not a valid health check path; use a path starting with '/', up to 1024 printable characters without spaces`);
  }
}

/**
 * Names Lambda sets itself and rejects in a function's configuration (besides every name starting with `AWS_`).
 * https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime
 */
export const LAMBDA_RESERVED_VARIABLES = ['_HANDLER', '_X_AMZN_TRACE_ID', 'LAMBDA_TASK_ROOT', 'LAMBDA_RUNTIME_DIR', 'TZ'];

/** Lambda's limit on the total size of a function's environment variables, names and values. */
export const LAMBDA_ENVIRONMENT_LIMIT_BYTES = 4096;

export function checkEnvironmentName(prop: string, key: string, reserved: readonly string[]): void {
  if (key.startsWith('AWS_') || LAMBDA_RESERVED_VARIABLES.includes(key) || reserved.includes(key)) {
    throw new Error(`${prop} key ${show(key)} is reserved; names starting with AWS_ and ${[...LAMBDA_RESERVED_VARIABLES, ...reserved].join(', ')} `
      + 'are set by the Lambda runtime or by this construct');
  }
  if (!/^[a-zA-Z][a-zA-Z0-9_]*$/.test(key)) {
    throw new Error(`${prop} key ${show(key)} is not a valid variable name; use letters, digits and underscores, starting with a letter`);
  }
}

export function checkEnvironment(prop: string, env: { [key: string]: string } | undefined, reserved: readonly string[]): void {
  for (const [key, value] of Object.entries(env ?? {})) {
    checkEnvironmentName(prop, key, reserved);
    if (typeof value !== 'string') {
      throw new Error(`${prop} ${show(key)} has the value ${show(value)}; environment values must be strings`);
    }
  }
}

/**
 * Lambda's 4 KB limit on the environment, counted as UTF-8 bytes of names and values. A token's value is not known
 * at synth: it is counted by the length of its rendered placeholder, which is about the length of an ARN.
 */
export function checkLambdaEnvironmentSize(env: { [key: string]: string }): void {
  const bytes = Object.entries(env).reduce((sum, [key, value]) => sum + Buffer.byteLength(key) + Buffer.byteLength(value), 0);
  if (bytes > LAMBDA_ENVIRONMENT_LIMIT_BYTES) {
    throw new Error(`The Lambda side's environment (environment, lambda.environment, secrets and addEnvironment) is ${bytes} bytes; `
      + `Lambda allows ${LAMBDA_ENVIRONMENT_LIMIT_BYTES} bytes of names and values in total: move large values to SSM Parameter Store or S3`);
  }
}

export function fail(message: string): never {
  throw new Error(message);
}
