/**
 * The ops share-exp makes (BCEWithLogitsExp, SigmoidExp), given e = e^(−|z|) from the Exp kernel: in float32
 * plans they compute what BCEWithLogits and Sigmoid compute (bit for bit where the work is the same), and
 * the loss is within a few float32 ulps of the float64 formula over logits that include 0, ±88, ±1e4 and
 * values whose e^(−|z|) is subnormal or 0. Float64 kernels are the plain formulas.
 */
import { describe, expect, it } from 'vitest';
import '../../compiler/ops/index.ts';
import { getOp } from '../../compiler/ops/op.ts';
import type { Node } from '../../compiler/ir/node.ts';
import { heap } from '../../runtime/kernels/heap.ts';
import { randoms } from '../support/run.ts';

const h = heap()!;
const ctx = (shapes: number[][], out: number[], precision: 'f32' | 'f64' = 'f32') => ({ node: null as unknown as Node, inShapes: shapes, outShape: out, attrs: {}, precision });
const kernel = (op: string, shapes: number[][], out: number[], precision: 'f32' | 'f64' = 'f32') => getOp(op).kernel!(ctx(shapes, out, precision));

function ulp(x: number): number {
  const f = new Float32Array([Math.abs(x)]);
  const before = f[0];
  new Int32Array(f.buffer)[0]++;
  return Math.max(f[0] - before, 2 ** -149);
}

const awkward = [0, -0, 1e4, -1e4, 88, -88, 87.5, -87.5, 103, -103, 120, -120, 1e-30, -1e-30];
/** Logits in [−30, 30] with the awkward values mixed in, targets 0 and 1, and e = e^(−|z|) by the f32 Exp kernel. */
function operands(n: number, seed: number) {
  const z = h.copyOf(randoms(n, seed, -30, 30).map((v, i) => (i % 13 === 0 ? awkward[(i / 13) % awkward.length] : v)));
  const y = h.copyOf(randoms(n, seed + 1, 0, 1).map((v) => (v > 0.5 ? 1 : 0)));
  const negAbs = h.copyOf(Array.from(z, (v) => -Math.abs(v)));
  const e = h.alloc(n);
  kernel('Exp', [[n, 1]], [n, 1])([negAbs], e);
  return { z, y, e };
}

describe('BCEWithLogitsExp and SigmoidExp (float32 plans, SIMD)', () => {
  for (const n of [256, 759, 1024, 1027])
    it(`n = ${n}: the loss within 4 float32 ulps of the float64 formula`, () => {
      const { z, y, e } = operands(n, n);
      const out = h.alloc(1);
      kernel('BCEWithLogitsExp', [[n, 1], [n, 1], [n, 1]], [])([z, y, e], out);
      let s = 0;
      for (let i = 0; i < n; i++) s += Math.max(z[i], 0) - z[i] * y[i] + Math.log1p(Math.exp(-Math.abs(z[i])));
      expect(Number.isFinite(out[0])).toBe(true);
      expect(Math.abs(out[0] - s / n)).toBeLessThanOrEqual(4 * ulp(s / n));
      // the kernel reads e, not z, for the log term: a different e gives a different loss
      const twice = h.copyOf(Array.from(e, (v) => v / 2));
      const other = h.alloc(1);
      kernel('BCEWithLogitsExp', [[n, 1], [n, 1], [n, 1]], [])([z, y, twice], other);
      expect(other[0]).toBeLessThan(out[0]);
    });

  it('equals BCEWithLogits bit for bit when n is a multiple of 4 (the same float32 terms, summed alike)', () => {
    for (const n of [256, 1024, 4096]) {
      const { z, y, e } = operands(n, 7 * n);
      const a = h.alloc(1), b = h.alloc(1);
      kernel('BCEWithLogitsExp', [[n], [n], [n]], [])([z, y, e], a);
      kernel('BCEWithLogits', [[n], [n]], [])([z, y], b);
      expect(Object.is(a[0], b[0]), `n = ${n}: ${a[0]} vs ${b[0]}`).toBe(true);
    }
  });

  it('SigmoidExp(z, e) equals the Sigmoid kernel bit for bit', () => {
    const n = 1 << 16;
    const zs = new Float32Array(n);
    for (let i = 0; i < n; i++) zs[i] = -120 + (240 * i) / n;
    zs.set([0, -0, NaN, Infinity, -Infinity, 1e4, -1e4, 88.8, -88.8, 1e-45, -1e-45]);
    const z = h.copyOf(zs);
    const negAbs = h.copyOf(Array.from(zs, (v) => -Math.abs(v)));
    const e = h.alloc(n), a = h.alloc(n), b = h.alloc(n);
    kernel('Exp', [[n]], [n])([negAbs], e);
    kernel('SigmoidExp', [[n], [n]], [n])([z, e], a);
    kernel('Sigmoid', [[n]], [n])([z], b);
    for (let i = 0; i < n; i++) if (!Object.is(a[i], b[i])) expect.fail(`z = ${z[i]}: SigmoidExp ${a[i]}, Sigmoid ${b[i]}`);
  });

  it('small tensors and operands outside the heap use the float64 loop', () => {
    for (const n of [5, 300]) {
      const { z, y, e } = operands(n, 3);
      const [zo, yo, eo] = [z, y, e].map((a) => Float32Array.from(a)); // ordinary arrays
      const out = new Float32Array(1);
      kernel('BCEWithLogitsExp', [[n], [n], [n]], [])([zo, yo, eo], out);
      let s = 0;
      for (let i = 0; i < n; i++) s += Math.max(zo[i], 0) - zo[i] * yo[i] + Math.log1p(eo[i]);
      expect(out[0]).toBe(Math.fround(s / n));
    }
  });
});

describe('float64 kernels are the formulas', () => {
  it('BCEWithLogitsExp with e = Math.exp(−|z|) equals BCEWithLogits exactly; SigmoidExp is sigmoid', () => {
    const n = 1027;
    const z = Float64Array.from(randoms(n, 5, -40, 40));
    const y = Float64Array.from(randoms(n, 6, 0, 1), (v) => (v > 0.5 ? 1 : 0));
    const e = z.map((v) => Math.exp(-Math.abs(v)));
    const f64 = (a: Float64Array) => a as unknown as Float32Array;
    const a = new Float64Array(1), b = new Float64Array(1);
    kernel('BCEWithLogitsExp', [[n], [n], [n]], [], 'f64')([f64(z), f64(y), f64(e)], f64(a));
    kernel('BCEWithLogits', [[n], [n]], [], 'f64')([f64(z), f64(y)], f64(b));
    expect(a[0]).toBe(b[0]);
    const s = new Float64Array(n);
    kernel('SigmoidExp', [[n], [n]], [n], 'f64')([f64(z), f64(e)], f64(s));
    for (let i = 0; i < n; i++) expect(Math.abs(s[i] - 1 / (1 + Math.exp(-z[i])))).toBeLessThanOrEqual(4.5e-16 * s[i]); // a few float64 roundings apart
  });
});
