/**
 * Seeded randomness for the simulator: the same seed gives the same run, on every machine.
 */

/** A uniform number in [0, 1). */
export type Random = () => number;

/* eslint-disable no-bitwise -- a seeded generator is 32-bit integer arithmetic; JavaScript only has it through bitwise operators */

/** mulberry32: small, fast and good enough for simulation (not for cryptography). */
export function seededRandom(seed: number): Random {
  let state = (Math.trunc(seed) ^ 0x9e3779b9) >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Independent streams derived from one seed, so that e.g. arrivals do not change when a strategy draws more numbers. */
export function streamSeed(seed: number, stream: number): number {
  return (Math.imul(Math.trunc(seed) + 1, 0x85ebca6b) ^ Math.imul(stream + 1, 0xc2b2ae35)) >>> 0;
}

/* eslint-enable no-bitwise */

export function standardNormal(random: Random): number {
  // Box-Muller; 1 - u keeps the logarithm finite.
  const u = 1 - random();
  const v = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** Requests arriving in one second at `rate` per second. Knuth below 30, a rounded normal above (error under 1 %). */
export function poisson(random: Random, rate: number): number {
  if (rate <= 0) {
    return 0;
  }
  if (rate < 30) {
    const limit = Math.exp(-rate);
    let count = 0;
    let product = random();
    while (product > limit) {
      count++;
      product *= random();
    }
    return count;
  }
  return Math.max(0, Math.round(rate + Math.sqrt(rate) * standardNormal(random)));
}

/** How many of `trials` go one way with probability `p`: exact below 30 trials, a rounded normal above. */
export function binomial(random: Random, trials: number, p: number): number {
  if (p <= 0 || trials <= 0) {
    return 0;
  }
  if (p >= 1) {
    return trials;
  }
  if (trials < 30) {
    let count = 0;
    for (let i = 0; i < trials; i++) {
      if (random() < p) {
        count++;
      }
    }
    return count;
  }
  const mean = trials * p;
  const sd = Math.sqrt(mean * (1 - p));
  return Math.min(trials, Math.max(0, Math.round(mean + sd * standardNormal(random))));
}

/** A positive quantity with the given mean and standard deviation (a log-normal distribution). */
export interface Spread {
  readonly mean: number;
  readonly spread: number;
}

/** The mean μ and standard deviation σ of the logarithm of a log-normal quantity with the given mean and spread. */
export function logNormalParameters(spread: Spread): { mu: number; sigma: number } {
  const sigma2 = Math.log(1 + (spread.spread * spread.spread) / (spread.mean * spread.mean));
  return { mu: Math.log(spread.mean) - sigma2 / 2, sigma: Math.sqrt(sigma2) };
}

export function sampleLogNormal(random: Random, spread: Spread): number {
  if (spread.spread <= 0) {
    return spread.mean;
  }
  const { mu, sigma } = logNormalParameters(spread);
  return Math.exp(mu + sigma * standardNormal(random));
}

/**
 * P(Z <= z) for a standard normal Z, from erfc by Numerical Recipes' Chebyshev fit (relative error below 1.2e-7 of
 * the tail probability, on both sides, so tails stay accurate far out).
 */
export function standardNormalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.5 * x);
  const erfc = t * Math.exp(-x * x - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806
    + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return z >= 0 ? 1 - erfc / 2 : erfc / 2;
}

/** Acklam's rational approximation (relative error below 1.2e-9). */
export function inverseStandardNormal(p: number): number {
  const a = [-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02, 1.383577518672690e+02,
    -3.066479806614716e+01, 2.506628277459239e+00];
  const b = [-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01, -1.328068155288572e+01];
  const c = [-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00, -2.549732539343734e+00,
    4.374664141464968e+00, 2.938163982698783e+00];
  const d = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00];
  const low = 0.02425;
  const tail = (q: number) => (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5])
    / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  if (p < low) {
    return tail(Math.sqrt(-2 * Math.log(p)));
  }
  if (p > 1 - low) {
    return -tail(Math.sqrt(-2 * Math.log(1 - p)));
  }
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q)
    / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}
