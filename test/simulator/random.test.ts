import { inverseStandardNormal, logNormalParameters, standardNormalCdf } from '../../src/simulator/random';

describe('standardNormalCdf', () => {
  // Reference values from Python: erfc(-z / sqrt(2)) / 2, which keeps its precision in the tails.
  test.each([
    [0, 0.5],
    [1.959963984540054, 0.975],
    [-3.090232306167813, 0.001],
    [-8, 6.220960574271819e-16],
  ])('P(Z <= %d) is %d to within 1.2e-7 of itself', (z, expected) => {
    expect(Math.abs(standardNormalCdf(z) / expected - 1)).toBeLessThan(1.2e-7);
  });

  test('far in the upper tail the distance to 1 keeps its precision', () => {
    expect(Math.abs((1 - standardNormalCdf(6)) / 9.865876450377012e-10 - 1)).toBeLessThan(1e-6);
  });

  test('inverts inverseStandardNormal', () => {
    for (const p of [0.001, 0.02, 0.5, 0.9, 0.999]) {
      expect(standardNormalCdf(inverseStandardNormal(p))).toBeCloseTo(p, 7);
    }
  });
});

describe('logNormalParameters', () => {
  test('mean 100 and spread 50: sigma^2 = ln(1.25) and the median exp(mu) is 100 / sqrt(1.25)', () => {
    const { mu, sigma } = logNormalParameters({ mean: 100, spread: 50 });
    expect(sigma * sigma).toBeCloseTo(Math.log(1.25), 12);
    expect(Math.exp(mu)).toBeCloseTo(100 / Math.sqrt(1.25), 9);
  });
});
