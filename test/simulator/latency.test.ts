import { LatencyRecorder } from '../../src/simulator/latency';
import { Spread } from '../../src/simulator/random';

/** The module's stated bound. */
const RELATIVE_ERROR = 0.01;

/** Standard normal quantiles, from Python's statistics.NormalDist().inv_cdf. */
const Z = { p80: 0.8416212335729144, p98: 2.053748910631822, p99: 2.3263478740408408, p999: 3.090232306167813 };

const DURATION: Spread = { mean: 100, spread: 50 };
const COLD_START: Spread = { mean: 1000, spread: 400 };

/** The quantile at standard normal quantile `z` of a log-normal quantity with this mean and spread, worked out by hand. */
function logNormalAt(spread: Spread, z: number): number {
  const sigma2 = Math.log(1 + (spread.spread / spread.mean) ** 2);
  return Math.exp(Math.log(spread.mean) - sigma2 / 2 + Math.sqrt(sigma2) * z);
}

function expectWithinBound(actual: number | null, expected: number): void {
  expect(actual).not.toBeNull();
  expect(actual!).toBeGreaterThanOrEqual(expected * (1 - RELATIVE_ERROR));
  expect(actual!).toBeLessThanOrEqual(expected * (1 + RELATIVE_ERROR));
}

describe('LatencyRecorder', () => {
  test('warm requests only: p50 is the log-normal median, p99 and p99.9 its analytic quantiles', () => {
    const recorder = new LatencyRecorder(DURATION, COLD_START);
    recorder.addServed(1_000_000, 0);
    const { p50Ms, p99Ms, p999Ms } = recorder.percentiles();
    expectWithinBound(p50Ms, logNormalAt(DURATION, 0)); // 89.44 ms = 100 / sqrt(1.25)
    expectWithinBound(p99Ms, logNormalAt(DURATION, Z.p99)); // 268.41 ms
    expectWithinBound(p999Ms, logNormalAt(DURATION, Z.p999)); // 385.05 ms
  });

  test('5 % of requests delayed by a constant 10 s: the percentiles of the two-part mixture', () => {
    const recorder = new LatencyRecorder(DURATION, COLD_START);
    recorder.addServed(950_000, 0);
    recorder.addServed(50_000, 10_000);
    const { p50Ms, p99Ms, p999Ms } = recorder.percentiles();
    // The parts do not overlap (a warm request reaches 10 s with probability 1e-23): the median is warm, at
    // P(D <= x) = 0.5 / 0.95; p99 and p99.9 are delayed, at P(D <= x - 10 s) = (0.99 - 0.95) / 0.05 and (0.999 - 0.95) / 0.05.
    expectWithinBound(p50Ms, logNormalAt(DURATION, 0.06601181237584058)); // z of 0.5 / 0.95
    expectWithinBound(p99Ms, 10_000 + logNormalAt(DURATION, Z.p80));
    expectWithinBound(p999Ms, 10_000 + logNormalAt(DURATION, Z.p98));
  });

  test('queue waits spread evenly over 1..1000 ms, on a constant 100 ms duration, read back from the delay buckets', () => {
    const recorder = new LatencyRecorder({ mean: 100, spread: 0 }, COLD_START);
    for (let waitMs = 1; waitMs <= 1000; waitMs++) {
      recorder.addServed(10, waitMs);
    }
    const { p50Ms, p99Ms, p999Ms } = recorder.percentiles();
    expectWithinBound(p50Ms, 100 + 500);
    expectWithinBound(p99Ms, 100 + 990);
    expectWithinBound(p999Ms, 100 + 999);
  });

  test('cold starts only: the log-normal cold start quantiles plus a constant duration', () => {
    const recorder = new LatencyRecorder({ mean: 100, spread: 0 }, COLD_START);
    recorder.addColdStarts(10_000);
    const { p50Ms, p99Ms, p999Ms } = recorder.percentiles();
    expectWithinBound(p50Ms, 100 + logNormalAt(COLD_START, 0)); // 1028.5 ms
    expectWithinBound(p99Ms, 100 + logNormalAt(COLD_START, Z.p99)); // 2375.1 ms
    expectWithinBound(p999Ms, 100 + logNormalAt(COLD_START, Z.p999)); // 3153.6 ms
  });

  test('one cold start in a million requests does not move p99', () => {
    const warm = new LatencyRecorder(DURATION, COLD_START);
    warm.addServed(1_000_000, 0);
    const withColdStart = new LatencyRecorder(DURATION, COLD_START);
    withColdStart.addServed(999_999, 0);
    withColdStart.addColdStarts(1);
    expectWithinBound(withColdStart.percentiles().p99Ms, warm.percentiles().p99Ms!);
  });

  test('2 % cold starts move p99 into the cold start range: half the cold requests lie above it', () => {
    const recorder = new LatencyRecorder(DURATION, { mean: 1000, spread: 0 });
    recorder.addServed(98_000, 0);
    recorder.addColdStarts(2_000);
    // Warm requests above 1 s are 1.6e-7 of them, so p99 is the median of the cold ones: 1 s + the median duration.
    const { p99Ms } = recorder.percentiles();
    expectWithinBound(p99Ms, 1000 + logNormalAt(DURATION, 0));
  });

  test('long waits are not capped', () => {
    const recorder = new LatencyRecorder({ mean: 100, spread: 0 }, COLD_START);
    recorder.addServed(100, 1_800_000);
    expectWithinBound(recorder.percentiles().p50Ms, 1_800_100);
  });

  test('percentiles are rounded to 0.1 ms', () => {
    const recorder = new LatencyRecorder({ mean: 12.34, spread: 0 }, COLD_START);
    recorder.addServed(1, 0);
    expect(recorder.percentiles()).toEqual({ p50Ms: 12.3, p99Ms: 12.3, p999Ms: 12.3 });
  });

  test('no served request, no percentile; empty and negative counts are ignored', () => {
    const recorder = new LatencyRecorder(DURATION, COLD_START);
    recorder.addServed(0, 500);
    recorder.addColdStarts(-3);
    expect(recorder.percentiles()).toEqual({ p50Ms: null, p99Ms: null, p999Ms: null });
  });
});
