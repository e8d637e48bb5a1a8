/**
 * The Lambda side, one second at a time: warm execution environments, new (cold) ones within the burst scaling rate,
 * and throttling beyond the reserved or account concurrency.
 *
 * Environments needed in a second: the requests of that second times their mean duration is the mean concurrency
 * (Little's law); arrivals are random, so one standard deviation of a Poisson count is added for the peak within
 * the second. An environment stays warm for `idleEnvironmentSeconds` after its last use, so the warm pool is the
 * largest concurrency of that window.
 */
import { AwsTimings, WorkloadSettings } from '../settings';

export interface LambdaSecond {
  readonly served: number;
  readonly throttled: number;
  readonly coldStarts: number;
  /** Environments busy in this second. */
  readonly concurrency: number;
}

const NOTHING: LambdaSecond = { served: 0, throttled: 0, coldStarts: 0, concurrency: 0 };

export class LambdaFunction {
  private burstTokens: number;
  private refilledAt = -Infinity;
  private readonly burstRefillPerSecond: number;
  private readonly burstCapacity: number;
  private readonly concurrencyLimit: number;
  private readonly meanDurationSeconds: number;
  private readonly idleSeconds: number;
  /** Sliding-window maximum of concurrency over the idle time: seconds and values, values decreasing. */
  private readonly windowSeconds: number[] = [];
  private readonly windowValues: number[] = [];
  private windowStart = 0;

  constructor(workload: WorkloadSettings, timings: AwsTimings['lambda']) {
    this.burstCapacity = timings.burstEnvironmentsPer10Seconds;
    this.burstRefillPerSecond = timings.burstEnvironmentsPer10Seconds / 10;
    this.burstTokens = this.burstCapacity;
    this.concurrencyLimit = Math.min(workload.lambdaReservedConcurrency ?? Infinity, timings.accountConcurrencyLimit);
    this.meanDurationSeconds = workload.requestDurationMs.mean / 1000;
    this.idleSeconds = timings.idleEnvironmentSeconds;
  }

  /** Environments kept warm at `second`, before this second's requests. */
  warmEnvironments(second: number): number {
    this.forget(second);
    return this.windowStart < this.windowValues.length ? this.windowValues[this.windowStart] : 0;
  }

  /** Serves the requests of one second. */
  invoke(second: number, requests: number): LambdaSecond {
    const warm = this.warmEnvironments(second);
    this.refill(second);
    if (requests <= 0) {
      return NOTHING;
    }
    const meanConcurrency = requests * this.meanDurationSeconds;
    const needed = Math.max(1, Math.ceil(meanConcurrency + Math.sqrt(meanConcurrency)));
    const allowed = Math.min(needed, this.concurrencyLimit);
    const created = Math.max(0, Math.min(allowed - warm, Math.floor(this.burstTokens)));
    this.burstTokens -= created;
    const available = Math.min(warm + created, this.concurrencyLimit);
    const throttled = available >= needed ? 0 : Math.round(requests * (1 - available / needed));
    const served = requests - throttled;
    const concurrency = Math.min(needed, available);
    this.remember(second, concurrency);
    return { served, throttled, coldStarts: Math.min(created, served), concurrency };
  }

  /** The scaling rate refills continuously and does not accumulate beyond its capacity. */
  private refill(second: number): void {
    const elapsed = second - this.refilledAt;
    this.burstTokens = Math.min(this.burstCapacity, this.burstTokens + elapsed * this.burstRefillPerSecond);
    this.refilledAt = second;
  }

  private remember(second: number, concurrency: number): void {
    while (this.windowValues.length > this.windowStart && this.windowValues[this.windowValues.length - 1] <= concurrency) {
      this.windowValues.pop();
      this.windowSeconds.pop();
    }
    this.windowValues.push(concurrency);
    this.windowSeconds.push(second);
  }

  private forget(second: number): void {
    while (this.windowStart < this.windowSeconds.length && this.windowSeconds[this.windowStart] <= second - this.idleSeconds) {
      this.windowStart++;
    }
    if (this.windowStart > 1024 && this.windowStart * 2 > this.windowSeconds.length) {
      this.windowSeconds.splice(0, this.windowStart);
      this.windowValues.splice(0, this.windowStart);
      this.windowStart = 0;
    }
  }
}
