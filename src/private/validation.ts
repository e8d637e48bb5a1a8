import { Token } from 'aws-cdk-lib';

/**
 * Synth-time checks. Every message names the prop, the value given and what is allowed.
 * Values that are unresolved tokens are left to CloudFormation.
 */

export function checkIntegerRange(prop: string, value: number | undefined, min: number, max: number, unit = ''): void {
  if (value === undefined || Token.isUnresolved(value)) {
    return;
  }
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${prop} ${value} is not allowed; use an integer from ${min} to ${max}${unit ? ' ' + unit : ''}`);
  }
}

export function checkPort(prop: string, value: number | undefined): void {
  checkIntegerRange(prop, value, 1, 65535);
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

export function checkFargateSize(cpu: number, memoryLimitMiB: number): void {
  if (Token.isUnresolved(cpu) || Token.isUnresolved(memoryLimitMiB)) {
    return;
  }
  const memories = FARGATE_SIZES[cpu];
  if (!memories) {
    throw new Error(`fargate.cpu ${cpu} is not a Fargate size; use one of ${Object.keys(FARGATE_SIZES).join(', ')}`);
  }
  if (!memories.includes(memoryLimitMiB)) {
    const allowed = memories.length > 4
      ? `${memories[0]} to ${memories[memories.length - 1]} in steps of ${memories[1] - memories[0]}`
      : memories.join(', ');
    throw new Error(`fargate.memoryLimitMiB ${memoryLimitMiB} is not allowed with fargate.cpu ${cpu}; use ${allowed}`);
  }
}

export function checkHealthCheckPath(prop: string, value: string | undefined): void {
  if (value === undefined || Token.isUnresolved(value)) {
    return;
  }
  // ALB health check paths: start with '/', at most 1024 characters, printable ASCII without spaces.
  if (!/^\/[\x21-\x7e]{0,1023}$/.test(value)) {
    throw new Error(`${prop} '${value}' is not a valid health check path; use a path starting with '/', up to 1024 printable characters without spaces`);
  }
}

export function checkEnvironment(prop: string, env: { [key: string]: string } | undefined, reserved: string[]): void {
  for (const key of Object.keys(env ?? {})) {
    if (!/^[a-zA-Z][a-zA-Z0-9_]*$/.test(key)) {
      throw new Error(`${prop} key '${key}' is not a valid variable name; use letters, digits and underscores, starting with a letter`);
    }
    if (key.startsWith('AWS_') || reserved.includes(key)) {
      throw new Error(`${prop} key '${key}' is reserved; names starting with AWS_ and ${reserved.join(', ')} are set by the runtime or by this construct`);
    }
  }
}

export function fail(message: string): never {
  throw new Error(message);
}
