/** The synthetic data sets' generator: seeded, and normal by the standard normal's own figures. */
import { describe, expect, it } from 'vitest';
import { FastRandom } from '../../compiler/init/fast-random.ts';

// Φ through erf (Abramowitz and Stegun 7.1.26, absolute error below 1.5e-7)
function phi(z: number): number {
  const x = Math.abs(z) / Math.SQRT2, t = 1 / (1 + 0.3275911 * x);
  const erf = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return 0.5 * (1 + (z >= 0 ? erf : -erf));
}

describe('FastRandom', () => {
  it('gives the same values for the same seed and others for another', () => {
    expect([...new FastRandom(7).normal(50)]).toEqual([...new FastRandom(7).normal(50)]);
    expect([...new FastRandom(7).normal(50)]).not.toEqual([...new FastRandom(8).normal(50)]);
  });

  it('normal values: mean, variance, kurtosis, tails and the distribution (Kolmogorov-Smirnov) of N(0, 1)', () => {
    const n = 1 << 20;
    const x = new FastRandom(42).normal(n);
    let m = 0;
    for (const v of x) m += v;
    m /= n;
    let v2 = 0, v4 = 0;
    for (const v of x) (v2 += (v - m) ** 2), (v4 += (v - m) ** 4);
    v2 /= n;
    v4 /= n * v2 * v2;
    // five standard errors: mean 1/√n, variance √(2/n), kurtosis √(24/n)
    expect(Math.abs(m)).toBeLessThan(5 / Math.sqrt(n));
    expect(Math.abs(v2 - 1)).toBeLessThan(5 * Math.sqrt(2 / n));
    expect(Math.abs(v4 - 3)).toBeLessThan(5 * Math.sqrt(24 / n));
    // the tail beyond the ziggurat's base strip (3.4426) and the wedges, as fractions of the draws
    for (const c of [0.5, 1, 2, 3, 3.5, 4]) {
      let k = 0;
      for (const v of x) if (Math.abs(v) > c) k++;
      const p = 2 * (1 - phi(c));
      expect(Math.abs(k / n - p)).toBeLessThan(5 * Math.sqrt((p * (1 - p)) / n) + 1e-6);
    }
    const s = Float64Array.from(x).sort();
    let d = 0;
    for (let i = 0; i < n; i++) d = Math.max(d, Math.abs(phi(s[i]) - i / n), Math.abs(phi(s[i]) - (i + 1) / n));
    expect(d).toBeLessThan(1.95 / Math.sqrt(n)); // the 0.1% critical value
  });

  it('scales and shifts; class labels cover 0 .. k − 1 evenly', () => {
    const x = new FastRandom(3).normal(1 << 16, 5, 0.5);
    const mean = x.reduce((a, b) => a + b, 0) / x.length;
    expect(Math.abs(mean - 5)).toBeLessThan(0.02);
    const y = new FastRandom(3).integers(100_000, 10);
    const counts = new Array(10).fill(0);
    for (const v of y) counts[v]++;
    expect(counts.every((c) => Math.abs(c - 10_000) < 500)).toBe(true);
    expect(y.every((v) => Number.isInteger(v) && v >= 0 && v < 10)).toBe(true);
  });
});
