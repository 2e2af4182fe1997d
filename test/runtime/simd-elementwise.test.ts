/**
 * Elementwise ops in WebAssembly SIMD against the same ops' JS kernels, bit for bit: every op with a SIMD
 * rule, each broadcast the generator handles (same shape, scalar, tile), lengths that are not a multiple
 * of 4, and the awkward values (NaN, ±0, ±Infinity, ties).
 */
import { describe, expect, it } from 'vitest';
import '../../compiler/ops/index.ts';
import { allOps, getOp } from '../../compiler/ir/registry.ts';
import { heap } from '../../runtime/heap.ts';
import { elementwiseKernel } from '../../runtime/kernels/elementwise.ts';
import { simdElementwise } from '../../runtime/wasm/elementwise.ts';
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

const simdOps = allOps().filter((o) => o.traits?.elementwise?.simd);

describe('SIMD elementwise kernels equal the JS kernels', () => {
  it('covers the ops that have SIMD rules', () => expect(simdOps.map((o) => o.name)).toEqual(expect.arrayContaining(['Add', 'Sub', 'Mul', 'Div', 'Max', 'Neg', 'Abs', 'Relu', 'Sqrt', 'GreaterEqual', 'Equal'])));
  for (const op of simdOps) {
    const arity = op.arity as number;
    const layouts: number[][][] = arity === 1 ? [[[1027]], [[64, 33]]] : [[[1027], [1027]], [[64, 33], [1]], [[1], [64, 36]], [[50, 64], [64]], [[64], [50, 64]]];
    for (const shapes of layouts)
      it(`${op.name} ${shapes.map((s) => `[${s}]`).join(' ')}`, () => {
        const out = shapes.reduce((a, b) => (a.length >= b.length && a.reduce((x, y) => x * y, 1) >= b.reduce((x, y) => x * y, 1) ? a : b));
        const ins = shapes.map((s, j) => values(s.reduce((x, y) => x * y, 1), j + 1));
        const n = out.reduce((x, y) => x * y, 1);
        const ctx = { node: null as unknown as Node, inShapes: shapes, outShape: out, attrs: {}, precision: 'f32' as const };
        const simd = h.alloc(n), js = h.alloc(n), viaOp = h.alloc(n);
        const jsKernel = elementwiseKernel(op.traits!.elementwise!.js(...shapes.map((_, j) => `x${j}`)), shapes, out);
        // the generator must take this layout (not fall back to the JS kernel)
        const simdKernel = simdElementwise([{ name: op.name, rule: op.traits!.elementwise!.simd!, args: shapes.map((_, j) => -(j + 1)) }], shapes, out, 'f32', jsKernel);
        expect(simdKernel).not.toBe(jsKernel);
        simdKernel(ins, simd);
        jsKernel(ins, js);
        same(simd, js);
        getOp(op.name).kernel!(ctx)(ins, viaOp); // the op's own kernel
        same(viaOp, js);
      });
  }
  it('a tile whose length is not a multiple of 4 is left to the JS kernel, which gets it right', () => {
    const shapes = [[128, 10], [10]], out = [128, 10];
    const a = values(1280, 1), b = values(10, 2), got = h.alloc(1280);
    const jsKernel = elementwiseKernel('(x0 + x1)', shapes, out);
    expect(simdElementwise([{ name: 'Add', rule: getOp('Add').traits!.elementwise!.simd!, args: [-1, -2] }], shapes, out, 'f32', jsKernel)).toBe(jsKernel);
    getOp('Add').kernel!({ node: null as unknown as Node, inShapes: shapes, outShape: out, attrs: {}, precision: 'f32' })([a, b], got);
    for (let i = 0; i < 1280; i++) expect(Object.is(got[i], Math.fround(a[i] + b[i % 10]))).toBe(true);
  });
  it('Cast to bool and a fused chain (W - lr·g, the SGD update)', () => {
    const x = values(2050, 9), out1 = h.alloc(2050), out2 = h.alloc(2050);
    const cast = { node: null as unknown as Node, inShapes: [[2050]], outShape: [2050], attrs: { to: 'bool' }, precision: 'f32' as const };
    getOp('Cast').kernel!(cast)([x], out1);
    elementwiseKernel('(x0 !== 0 ? 1 : 0)', [[2050]], [2050])([x], out2);
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
