/**
 * Latency percentiles without keeping one number per request.
 *
 * A served request takes its duration (drawn from the workload's request duration distribution) plus an extra delay
 * known per second: 0 on a warm Lambda environment, a cold start on a new one, the queue wait on Fargate. During the
 * run only the extra delays are counted, in buckets 2 % wide. At the end each bucket is spread over 100 equally
 * likely request durations (and cold starts over 50 equally likely cold start times), which gives the histogram of
 * the sum; p50 and p99 are read from it, so they are exact to about 2 %. Failed requests have no latency and are
 * not counted.
 */
import { logNormalQuantiles, Spread } from './random';

const BUCKET_RATIO = 1.02;
const LOG_RATIO = Math.log(BUCKET_RATIO);
/** 1 ms to about 10 minutes. */
const BUCKETS = Math.ceil(Math.log(600_000) / LOG_RATIO) + 1;
const DURATION_POINTS = 100;
const COLD_START_POINTS = 50;

/** Counts of values in buckets 2 % wide, with values under 1 ms in bucket 0. */
class LogHistogram {
  readonly counts = new Float64Array(BUCKETS);

  add(valueMs: number, count: number): void {
    this.counts[bucketOf(valueMs)] += count;
  }

  total(): number {
    let sum = 0;
    for (const count of this.counts) {
      sum += count;
    }
    return sum;
  }

  /** The value below which `fraction` of the counts fall (the bucket's geometric middle), or undefined when empty. */
  quantile(fraction: number): number | undefined {
    const total = this.total();
    if (total <= 0) {
      return undefined;
    }
    const wanted = fraction * total;
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i];
      if (seen >= wanted) {
        return valueOf(i);
      }
    }
    return valueOf(BUCKETS - 1);
  }
}

function bucketOf(valueMs: number): number {
  if (!(valueMs > 1)) {
    return 0;
  }
  return Math.min(BUCKETS - 1, Math.floor(Math.log(valueMs) / LOG_RATIO) + 1);
}

function valueOf(bucket: number): number {
  return bucket === 0 ? 1 : Math.exp((bucket - 0.5) * LOG_RATIO);
}

/** Collects served requests by extra delay during a run; `percentiles()` convolves them with the request duration. */
export class LatencyRecorder {
  private readonly extraDelays = new LogHistogram();
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
    } else {
      this.extraDelays.add(extraDelayMs, count);
    }
  }

  /** Requests served by a new execution environment: their extra delay is a cold start. */
  addColdStarts(count: number): void {
    this.coldStarts += Math.max(0, count);
  }

  percentiles(): { p50Ms: number | null; p99Ms: number | null } {
    const durations = logNormalQuantiles(this.requestDurationMs, DURATION_POINTS);
    const total = new LogHistogram();
    const spreadOverDurations = (extraMs: number, count: number) => {
      const each = count / durations.length;
      for (const duration of durations) {
        total.add(duration + extraMs, each);
      }
    };
    spreadOverDurations(0, this.servedWithoutDelay);
    this.extraDelays.counts.forEach((count, bucket) => {
      if (count > 0) {
        spreadOverDurations(valueOf(bucket), count);
      }
    });
    if (this.coldStarts > 0) {
      const coldStarts = logNormalQuantiles(this.coldStartMs, COLD_START_POINTS);
      for (const coldStart of coldStarts) {
        spreadOverDurations(coldStart, this.coldStarts / coldStarts.length);
      }
    }
    return { p50Ms: roundOrNull(total.quantile(0.5)), p99Ms: roundOrNull(total.quantile(0.99)) };
  }
}

function roundOrNull(value: number | undefined): number | null {
  return value === undefined ? null : Math.round(value);
}
