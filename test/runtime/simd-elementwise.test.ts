/**
 * Elementwise ops in WebAssembly SIMD against the same ops' JS kernels: every op with a SIMD rule, each
 * broadcast the generator handles (same shape, scalar, tile, channel), lengths that are not a multiple of 4, and
 * the awkward values (NaN, ±0, ±Infinity, ties). Bit for bit, except exp and sigmoid, whose SIMD forms
 * are float32 polynomials: those are held to a few float32 ulps of the float64 functions over a dense
 * sweep, with the special values exact. And the fused BCE-with-logits loss against its float64 form.
 */
import { describe, expect, it } from 'vitest';
import '../../compiler/ops/index.ts';
import { allOps, getOp } from '../../compiler/ops/op.ts';
import { heap } from '../../runtime/kernels/heap.ts';
import { elementwiseKernel } from '../../runtime/kernels/elementwise.ts';
import { simdElementwise, simdRuleOf } from '../../runtime/kernels/wasm/elementwise.ts';
import type { Node } from '../../compiler/ir/node.ts';
import { randoms } from '../support/run.ts';

const h = heap()!;
const special = [NaN, 0, -0, Infinity, -Infinity, 1, -1, 0.5, 3e38, -3e38, 1e-45];

function values(n: number, seed: number): Float32Array {
  const r = randoms(n, seed, -3, 3);
  // a fifth of the values are special, and some repeat their neighbour's (ties for comparisons)
  for (let i = 0; i < n; i += 5) r[i] = special[(i / 5 + seed) % special.length];
  for (let i = 3; i < n; i += 7) r[i] = r[i - 1];
  return h.copyOf(r);
}

const same = (a: Float32Array, b: Float32Array) => {
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) expect.fail(`element ${i}: SIMD ${a[i]}, JS ${b[i]}`);
};

/** The spacing of float32 values at |x| (the smallest subnormal at 0). */
function ulp(x: number): number {
  const f = new Float32Array([Math.abs(x)]);
  const before = f[0];
  new Int32Array(f.buffer)[0]++;
  return Math.max(f[0] - before, 2 ** -149);
}
// polynomial forms: within this many float32 ulps of the float64 function (measured: exp 0.97, sigmoid 2.12)
const approximate: Record<string, number> = { Exp: 1.5, Sigmoid: 3 };
const near = (name: string, a: Float32Array, ins: Float32Array[]) => {
  const f = getOp(name).traits!.elementwise!.fn;
  for (let i = 0; i < a.length; i++) {
    const want = f(ins[0][i]);
    if (Number.isNaN(want) ? !Number.isNaN(a[i]) : Math.abs(a[i] - want) > approximate[name] * ulp(want) && Math.fround(want) !== a[i])
      expect.fail(`${name}(${ins[0][i]}): SIMD ${a[i]}, float64 ${want} (${(Math.abs(a[i] - want) / ulp(want)).toFixed(2)} ulps)`);
  }
};

// float32 at each step in SIMD, float64 then rounded once in JS: SigmoidExp's (1 + e) is rounded before the
// division, so the two may differ by a rounding (at most 1 ulp); everything else exact (NaN, infinities, ±0)
const rounded: Record<string, number> = { SigmoidExp: 1 };
const within = (ulps: number, a: Float32Array, b: Float32Array) => {
  for (let i = 0; i < a.length; i++) {
    if (Object.is(a[i], b[i])) continue;
    if (!Number.isFinite(b[i]) || Math.abs(a[i] - b[i]) > ulps * ulp(b[i])) expect.fail(`element ${i}: SIMD ${a[i]}, JS ${b[i]}`);
  }
};

const simdOps = allOps().filter((o) => o.traits?.elementwise?.simd);

describe('SIMD elementwise kernels equal the JS kernels', () => {
  it('covers the ops that have SIMD rules', () => expect(simdOps.map((o) => o.name)).toEqual(expect.arrayContaining(['Add', 'Sub', 'Mul', 'Div', 'Max', 'Neg', 'Abs', 'Relu', 'Sqrt', 'GreaterEqual', 'Equal'])));
  for (const op of simdOps) {
    const arity = op.arity as number;
    const layouts: number[][][] = arity === 1 ? [[[1027]], [[64, 33]]] : [[[1027], [1027]], [[64, 33], [1]], [[1], [64, 36]], [[50, 64], [64]], [[64], [50, 64]], [[6, 16, 4, 4], [16, 1, 1]], [[1, 8, 1, 1], [3, 8, 2, 2]]];
    for (const shapes of layouts)
      it(`${op.name} ${shapes.map((s) => `[${s}]`).join(' ')}`, () => {
        const out = shapes.reduce((a, b) => (a.length >= b.length && a.reduce((x, y) => x * y, 1) >= b.reduce((x, y) => x * y, 1) ? a : b));
        const ins = shapes.map((s, j) => values(s.reduce((x, y) => x * y, 1), j + 1));
        const n = out.reduce((x, y) => x * y, 1);
        const ctx = { node: null as unknown as Node, inShapes: shapes, outShape: out, attrs: {}, precision: 'f32' as const };
        const simd = h.alloc(n), js = h.alloc(n), viaOp = h.alloc(n);
        const jsKernel = elementwiseKernel(op.traits!.elementwise!.js(...shapes.map((_, j) => `x${j}`)), shapes, out, (xs) => op.traits!.elementwise!.fn(...xs));
        // the generator must take this layout (not fall back to the JS kernel)
        const simdKernel = simdElementwise([{ name: op.name, rule: simdRuleOf(op.traits!.elementwise)!, args: shapes.map((_, j) => -(j + 1)) }], shapes, out, 'f32', jsKernel);
        expect(simdKernel).not.toBe(jsKernel);
        simdKernel(ins, simd);
        jsKernel(ins, js);
        getOp(op.name).kernel!(ctx)(ins, viaOp); // the op's own kernel
        if (op.name in approximate) {
          near(op.name, simd, ins);
          near(op.name, viaOp, ins);
        } else if (op.name in rounded) {
          within(rounded[op.name], simd, js);
          within(rounded[op.name], viaOp, js);
        } else {
          same(simd, js);
          same(viaOp, js);
        }
      });
  }
  it('a tile whose length is not a multiple of 4 is left to the JS kernel, which gets it right', () => {
    const shapes = [[128, 10], [10]], out = [128, 10];
    const a = values(1280, 1), b = values(10, 2), got = h.alloc(1280);
    const jsKernel = elementwiseKernel('(x0 + x1)', shapes, out, (xs) => xs[0] + xs[1]);
    expect(simdElementwise([{ name: 'Add', rule: simdRuleOf(getOp('Add').traits!.elementwise)!, args: [-1, -2] }], shapes, out, 'f32', jsKernel)).toBe(jsKernel);
    getOp('Add').kernel!({ node: null as unknown as Node, inShapes: shapes, outShape: out, attrs: {}, precision: 'f32' })([a, b], got);
    for (let i = 0; i < 1280; i++) expect(Object.is(got[i], Math.fround(a[i] + b[i % 10]))).toBe(true);
  });
  it('a channel whose runs are not whole vectors is left to the JS kernel, which gets it right', () => {
    const shapes = [[2, 8, 3, 3], [8, 1, 1]], out = [2, 8, 3, 3];
    const a = values(144, 1), b = values(8, 2), got = h.alloc(144);
    const jsKernel = elementwiseKernel('(x0 * x1)', shapes, out, (xs) => xs[0] * xs[1]);
    expect(simdElementwise([{ name: 'Mul', rule: simdRuleOf(getOp('Mul').traits!.elementwise)!, args: [-1, -2] }], shapes, out, 'f32', jsKernel)).toBe(jsKernel);
    getOp('Mul').kernel!({ node: null as unknown as Node, inShapes: shapes, outShape: out, attrs: {}, precision: 'f32' })([a, b], got);
    for (let i = 0; i < 144; i++) expect(Object.is(got[i], Math.fround(a[i] * b[Math.floor(i / 9) % 8]))).toBe(true);
  });
  it('a fused chain of five operands, three of them channels (a batch norm gradient: k·(g − m·(x − μ)))', () => {
    const n = 5 * 12 * 8, g = values(n, 1), x = values(n, 2), k = values(12, 3), m = values(12, 4), mu = values(12, 5);
    const body = JSON.stringify([['Sub', [-2, -5]], ['Mul', [-4, 0]], ['Sub', [-1, 1]], ['Mul', [-3, 2]]]);
    const shapes = [[5, 12, 8], [5, 12, 8], [12, 1], [1, 12, 1], [12, 1]];
    const fused = { node: null as unknown as Node, inShapes: shapes, outShape: [5, 12, 8], attrs: { body }, precision: 'f32' as const };
    const a = h.alloc(n);
    const kernel = getOp('Fused').kernel!(fused);
    expect((kernel as { path?: string }).path).toBe('WebAssembly SIMD');
    kernel([g, x, k, m, mu], a);
    for (let i = 0; i < n; i++) {
      const c = Math.floor(i / 8) % 12;
      const want = Math.fround(k[c] * Math.fround(g[i] - Math.fround(m[c] * Math.fround(x[i] - mu[c]))));
      if (!Object.is(a[i], want)) expect.fail(`element ${i}: ${a[i]}, want ${want}`);
    }
  });
  it('Cast to bool and a fused chain (W - lr·g, the SGD update)', () => {
    const x = values(2050, 9), out1 = h.alloc(2050), out2 = h.alloc(2050);
    const cast = { node: null as unknown as Node, inShapes: [[2050]], outShape: [2050], attrs: { to: 'bool' }, precision: 'f32' as const };
    getOp('Cast').kernel!(cast)([x], out1);
    elementwiseKernel('(x0 !== 0 ? 1 : 0)', [[2050]], [2050], (xs) => (xs[0] !== 0 ? 1 : 0))([x], out2);
    same(out1, out2);
    const W = values(4096, 3), g = values(4096, 4), lr = h.copyOf([0.05]);
    const body = JSON.stringify([['Mul', [-2, -3]], ['Sub', [-1, 0]]]);
    const fused = { node: null as unknown as Node, inShapes: [[64, 64], [64, 64], []], outShape: [64, 64], attrs: { body }, precision: 'f32' as const };
    const a = h.alloc(4096);
    getOp('Fused').kernel!(fused)([W, g, lr], a);
    // float32 per op: round(W - round(g·lr))
    for (let i = 0; i < 4096; i++) expect(Object.is(a[i], Math.fround(W[i] - Math.fround(g[i] * lr[0])))).toBe(true);
  });
});

describe('exp and sigmoid in SIMD, over a dense sweep', () => {
  for (const [name, lo, hi] of [['Exp', -110, 95], ['Sigmoid', -120, 120]] as const)
    it(`${name} on ${1 << 20} points of [${lo}, ${hi}], and the special values`, () => {
      const n = 1 << 20;
      const x = h.alloc(n);
      for (let i = 0; i < n; i++) x[i] = lo + ((hi - lo) * i) / n;
      const out = h.alloc(n);
      getOp(name).kernel!({ node: null as unknown as Node, inShapes: [[n]], outShape: [n], attrs: {}, precision: 'f32' })([x], out);
      near(name, out, [x]);
      const sp = [NaN, 0, -0, Infinity, -Infinity, 88.8, -200, 1e4, -1e4];
      const xs = h.alloc(1024), o = h.alloc(1024);
      xs.set(sp);
      getOp(name).kernel!({ node: null as unknown as Node, inShapes: [[1024]], outShape: [1024], attrs: {}, precision: 'f32' })([xs], o);
      const want = sp.map((v) => Math.fround(getOp(name).traits!.elementwise!.fn(v)));
      expect([...o.subarray(0, sp.length)].map((v) => (Object.is(v, -0) ? 0 : v))).toEqual(want.map((v) => (Object.is(v, -0) ? 0 : v)));
    });
});

describe('BCE with logits in SIMD', () => {
  it('equals the float64 loss to float32 accuracy, tail and awkward logits included', () => {
    for (const n of [256, 759, 1027]) {
      const z = h.copyOf(randoms(n, n, -30, 30).map((v, i) => (i % 17 === 0 ? [0, -0, 1e4, -1e4, 88, -88][i % 6] : v)));
      const y = h.copyOf(randoms(n, n + 1, 0, 1).map((v) => (v > 0.5 ? 1 : 0)));
      const out = h.alloc(1);
      getOp('BCEWithLogits').kernel!({ node: null as unknown as Node, inShapes: [[n, 1], [n, 1]], outShape: [], attrs: {}, precision: 'f32' })([z, y], out);
      let s = 0;
      for (let i = 0; i < n; i++) s += Math.max(z[i], 0) - z[i] * y[i] + Math.log1p(Math.exp(-Math.abs(z[i])));
      expect(Math.abs(out[0] - s / n)).toBeLessThanOrEqual(4 * ulp(s / n));
    }
  });
});
