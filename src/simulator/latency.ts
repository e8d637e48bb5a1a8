/**
 * Latency percentiles (p50, p99, p99.9) without keeping one number per request.
 *
 * A served request takes its duration D (log-normal, the workload's request duration) plus an extra delay E known per
 * second: 0 on a warm Lambda environment, a cold start (log-normal) on a new one, the queue wait on Fargate. During
 * the run only the extra delays are counted, in log buckets whose bounds grow by BUCKET_RATIO. At the end the latency
 * D + E has the distribution function F(x) = sum over delay buckets of share(bucket) * P(D <= x - middle(bucket)),
 * where P(D <= y) is the log-normal CDF itself (the duration is neither sampled nor cut into points). Cold starts are
 * bucketed the same way, each bucket weighted by its exact log-normal probability. A percentile is the smallest x with
 * F(x) >= its fraction, found by bisection since F never decreases. Failed requests have no latency and are not
 * counted.
 *
 * Error bound: the percentiles are within 1 % of those of the modelled latency D + E (0.3 % in fact), plus 0.05 ms
 * from rounding to 0.1 ms. The only approximation of substance is the bucket middle: a delay e in [a, a*r) is within
 * (sqrt(r) - 1) * e of the geometric middle a*sqrt(r), so every request's latency D + e moves by at most
 * (sqrt(r) - 1) = 0.25 % of itself for r = 1.005, and a percentile of values that each move by at most a relative
 * 0.25 % moves by at most 0.25 % too. The rest is far smaller: cold start buckets cover mu +- 9 sigma (the
 * probability left out, 2e-19, is below what a double next to 1 can hold), the normal CDF is within 1.2e-7 of each
 * tail probability, and the bisection stops within 1e-7 of the percentile.
 */
import { inverseStandardNormal, logNormalParameters, Spread, standardNormalCdf } from './random';

const BUCKET_RATIO = 1.005;
const LOG_RATIO = Math.log(BUCKET_RATIO);
const COLD_START_SIGMAS = 9;
const BISECTION_TOLERANCE = 1e-7;

/** Latency percentiles in ms, rounded to 0.1 ms; null when no request was served. */
export interface LatencyPercentiles {
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
  readonly p999Ms: number | null;
}

/** `weight` served requests whose latency is their own duration plus `delayMs`. */
interface DelayGroup {
  readonly delayMs: number;
  readonly weight: number;
}

/** Collects served requests by extra delay during a run; `percentiles()` combines them with the request duration. */
export class LatencyRecorder {
  /** Requests by delay bucket: bucket k holds the delays in [BUCKET_RATIO^k, BUCKET_RATIO^(k+1)) ms. */
  private readonly delayedByBucket = new Map<number, number>();
  private servedWithoutDelay = 0;
  private coldStarts = 0;

  constructor(private readonly requestDurationMs: Spread, private readonly coldStartMs: Spread) {}

  /** Requests that waited `extraDelayMs` beyond their own duration (0 for none). */
  addServed(count: number, extraDelayMs: number): void {
    if (count <= 0) {
      return;
    }
    if (extraDelayMs <= 0) {
      this.servedWithoutDelay += count;
      return;
    }
    const bucket = Math.floor(Math.log(extraDelayMs) / LOG_RATIO);
    this.delayedByBucket.set(bucket, (this.delayedByBucket.get(bucket) ?? 0) + count);
  }

  /** Requests served by a new execution environment: their extra delay is a cold start. */
  addColdStarts(count: number): void {
    this.coldStarts += Math.max(0, count);
  }

  percentiles(): LatencyPercentiles {
    const groups = [
      { delayMs: 0, weight: this.servedWithoutDelay },
      ...[...this.delayedByBucket].map(([bucket, weight]) => ({ delayMs: bucketMiddle(bucket), weight })),
      ...coldStartGroups(this.coldStarts, this.coldStartMs),
    ].filter((group) => group.weight > 0);
    if (groups.length === 0) {
      return { p50Ms: null, p99Ms: null, p999Ms: null };
    }
    const duration = durationDistribution(this.requestDurationMs);
    const at = (fraction: number) => roundToTenth(latencyQuantile(fraction, groups, duration));
    return { p50Ms: at(0.5), p99Ms: at(0.99), p999Ms: at(0.999) };
  }
}

function bucketMiddle(bucket: number): number {
  return Math.exp((bucket + 0.5) * LOG_RATIO);
}

/** Cold starts spread over delay buckets by their log-normal probability (a single delay when they have no spread). */
function coldStartGroups(count: number, coldStartMs: Spread): DelayGroup[] {
  if (count <= 0) {
    return [];
  }
  if (coldStartMs.spread <= 0) {
    return [{ delayMs: coldStartMs.mean, weight: count }];
  }
  const { mu, sigma } = logNormalParameters(coldStartMs);
  const first = Math.floor((mu - COLD_START_SIGMAS * sigma) / LOG_RATIO);
  const last = Math.floor((mu + COLD_START_SIGMAS * sigma) / LOG_RATIO);
  const groups: DelayGroup[] = [];
  for (let bucket = first; bucket <= last; bucket++) {
    const probability = standardNormalMass((bucket * LOG_RATIO - mu) / sigma, ((bucket + 1) * LOG_RATIO - mu) / sigma);
    groups.push({ delayMs: bucketMiddle(bucket), weight: count * probability });
  }
  return groups;
}

/** P(a < Z <= b), taken on the side of the smaller tail so that far-out buckets keep their precision. */
function standardNormalMass(a: number, b: number): number {
  return a >= 0 ? standardNormalCdf(-a) - standardNormalCdf(-b) : standardNormalCdf(b) - standardNormalCdf(a);
}

interface DurationDistribution {
  cdf(ms: number): number;
  quantile(fraction: number): number;
}

/** The request duration: log-normal, or constant when it has no spread. */
function durationDistribution(spread: Spread): DurationDistribution {
  if (spread.spread <= 0) {
    return { cdf: (ms) => (ms >= spread.mean ? 1 : 0), quantile: () => spread.mean };
  }
  const { mu, sigma } = logNormalParameters(spread);
  return {
    cdf: (ms) => (ms <= 0 ? 0 : standardNormalCdf((Math.log(ms) - mu) / sigma)),
    quantile: (fraction) => Math.exp(mu + sigma * inverseStandardNormal(fraction)),
  };
}

/**
 * The smallest latency x with F(x) >= fraction. Delays only add, so F(x) <= P(D <= x) and the duration's own quantile
 * is a lower bound; that quantile plus the largest delay is an upper bound.
 */
function latencyQuantile(fraction: number, groups: readonly DelayGroup[], duration: DurationDistribution): number {
  const total = groups.reduce((sum, group) => sum + group.weight, 0);
  const cdf = (ms: number) => groups.reduce((sum, group) => sum + group.weight * duration.cdf(ms - group.delayMs), 0) / total;
  let low = duration.quantile(fraction);
  if (cdf(low) >= fraction) {
    return low;
  }
  let high = low + groups.reduce((largest, group) => Math.max(largest, group.delayMs), 0);
  while (cdf(high) < fraction) {
    // Only reached through rounding in the bounds above.
    high *= 2;
  }
  while (high - low > BISECTION_TOLERANCE * high) {
    const middle = (low + high) / 2;
    if (cdf(middle) >= fraction) {
      high = middle;
    } else {
      low = middle;
    }
  }
  return high;
}

function roundToTenth(ms: number): number {
  return Math.round(ms * 10) / 10;
}
