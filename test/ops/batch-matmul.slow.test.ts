/**
 * BatchMatMul (compiler/ops/batch-matmul.ts, runtime/kernels/batch-matmul.ts) against numpy.matmul in
 * float64: shapes whose batch slices take the WebAssembly GEMM, the vector kernels and the JS loops,
 * numpy's batch broadcasting (either side, both, a rank-2 side), transposed operands, odd sizes, K beyond
 * the GEMM's K block, an inner dimension of 0 and an empty batch; a transposed side read through the
 * op's flag and through a Transpose node. Gradients of sum(w ∘ a·b) in a float32 plan (products with
 * transposed operands) against torch.autograd (float64) and central finite differences in numpy. Products
 * and gradients with transposed operands exported to ONNX (a Transpose before MatMul) and run by
 * onnxruntime-node.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import '../../compiler/ops/index.ts';
import * as B from '../../compiler/ir/build.ts';
import { Graph } from '../../compiler/ir/graph.ts';
import type { Node } from '../../compiler/ir/node.ts';
import { grad } from '../../compiler/autodiff/grad.ts';
import { Plan } from '../../runtime/plan.ts';
import { randoms } from '../support/run.ts';
import { hasTorch, python, sayIfMissing } from '../support/peers.ts';
import * as ort from 'onnxruntime-node';
import { exportGraph } from '../../export/export.ts';

sayIfMissing('PyTorch (python3-torch)', hasTorch, 'batch-matmul.slow.test');
const dir = mkdtempSync(join(tmpdir(), 'graphc-bmm-'));

/** A product: operand shapes as stored (a transposed side stored with its last two axes swapped). */
interface Case {
  readonly a: number[];
  readonly b: number[];
  readonly tA?: boolean;
  readonly tB?: boolean;
  /** The kernel path the plan reports for the product (a substring). */
  readonly path: string;
}

const GEMM = 'WebAssembly SIMD GEMM', JS = 'JavaScript';
const cases: Case[] = [
  { a: [2, 3, 128, 64], b: [2, 3, 64, 128], path: GEMM }, // attention-shaped
  { a: [2, 3, 37, 45], b: [3, 45, 29], path: GEMM }, // odd M, N; B broadcast over the first batch dim
  { a: [2, 1, 36, 40], b: [1, 3, 40, 24], path: GEMM }, // both broadcast
  { a: [4, 50, 64], b: [64, 40], path: 'the batch as one product [200,64]' }, // B of rank 2: one stacked product
  { a: [3, 4, 20, 64], b: [3, 1, 64, 48], path: '3 batch slices [80,64]' }, // B broadcast over a trailing batch dim
  { a: [40, 64], b: [5, 64, 36], path: GEMM }, // A of rank 2
  { a: [6, 1, 300], b: [6, 300, 40], path: 'matrix-vector' }, // one row a slice
  { a: [6, 64, 300], b: [6, 300, 1], path: 'matrix-vector' }, // one column a slice
  { a: [2, 20, 600], b: [2, 600, 24], path: GEMM }, // K beyond a K block
  { a: [2, 16, 40], b: [2, 40, 300], path: GEMM }, // N beyond a column block
  { a: [2, 2, 3], b: [2, 3, 2], path: JS }, // small
  { a: [3, 5, 7, 9], b: [5, 9, 6], path: JS },
  { a: [4, 64, 37], b: [4, 53, 64], tA: true, tB: true, path: GEMM },
  { a: [2, 3, 45, 33], b: [45, 29], tA: true, path: GEMM }, // transposed A, B broadcast
  { a: [2, 1, 33, 45], b: [3, 29, 45], tB: true, path: GEMM },
  { a: [2, 3, 0], b: [2, 0, 4], path: 'inner dimension of 0' },
  { a: [0, 3, 4], b: [1, 4, 5], path: '' },
];

const size = (s: readonly number[]) => s.reduce((p, d) => p * d, 1);
const swap = (s: readonly number[]) => [...s.slice(0, -2), s[s.length - 1], s[s.length - 2]];
const swapLast = (x: Node) => B.transpose(x, [...Array(x.shape.length - 2).keys(), x.shape.length - 1, x.shape.length - 2]);
const input = (name: string, shape: readonly number[]) => B.mk('Input', [], { name, shape: [...shape], dtype: 'f32' });

/** The product, a transposed side read through the op's flag (as the simplify pass and gradients make it) or, `spelled`, through a Transpose node. */
function product(c: Case, spelled = false) {
  const a = input('a', c.a), b = input('b', c.b);
  const y = spelled ? B.mk('BatchMatMul', [c.tA ? swapLast(a) : a, c.tB ? swapLast(b) : b]) : B.batchMatmul(a, b, c.tA, c.tB);
  return { a, b, y };
}

function run(g: Graph, feeds: Record<string, { data: number[]; shape: readonly number[] }>) {
  const plan = new Plan(g, new Map(Object.entries(feeds).map(([k, f]) => [k, [...f.shape]])));
  plan.run(new Map(Object.entries(feeds).map(([k, f]) => [k, Float32Array.from(f.data)])));
  return { plan, out: Object.fromEntries(g.outputs.map((o) => [o.name, plan.value(o.node).data])) };
}

const REF = `
import json, sys
import numpy as np
cases = json.load(open(sys.argv[1]))
out = []
for c in cases:
    a = np.array(c['x'], dtype=np.float64).reshape(c['a'])
    b = np.array(c['w'], dtype=np.float64).reshape(c['b'])
    if c.get('tA'): a = np.swapaxes(a, -1, -2)
    if c.get('tB'): b = np.swapaxes(b, -1, -2)
    out.append({'y': np.matmul(a, b).flatten().tolist(), 'abs': np.matmul(np.abs(a), np.abs(b)).flatten().tolist(), 'shape': list(np.matmul(a, b).shape)})
print(json.dumps(out))
`;

describe.skipIf(!hasTorch)('BatchMatMul against numpy and PyTorch', () => {
  it(`${cases.length} products in a float32 plan: within float32 rounding of numpy.matmul (float64), by the path expected`, () => {
    const data = cases.map((c, k) => ({ ...c, x: randoms(size(c.a), 10 + k), w: randoms(size(c.b), 100 + k) }));
    const file = join(dir, 'cases.json');
    writeFileSync(file, JSON.stringify(data));
    const refs = JSON.parse(python(REF, [file])) as { y: number[]; abs: number[]; shape: number[] }[];
    data.forEach((c, k) => [false, ...(c.tA || c.tB ? [true] : [])].forEach((spelled) => {
      const what = `[${c.a}]${c.tA ? 'ᵀ' : ''}·[${c.b}]${c.tB ? 'ᵀ' : ''}${spelled ? ' (Transpose nodes)' : ''}`;
      const { y } = product(c, spelled);
      expect(y.shape, what).toEqual(refs[k].shape);
      const { plan, out } = run(new Graph([{ name: 'y', node: y }]), { a: { data: c.x, shape: c.a }, b: { data: c.w, shape: c.b } });
      const kernel = plan.report().kernels.find((r) => r.node.op === 'BatchMatMul')!;
      expect(kernel.path, what).toContain(c.path);
      const K = c.tA ? c.a[c.a.length - 2] : c.a[c.a.length - 1];
      const { y: want, abs } = refs[k];
      expect(out.y.length, what).toBe(want.length);
      // float32 sums of K terms: within K roundings of the sum of the terms' magnitudes
      for (let i = 0; i < want.length; i++) expect(Math.abs(out.y[i] - want[i]), `${what} [${i}]: ${out.y[i]} vs ${want[i]}`).toBeLessThanOrEqual(2 * (K + 1) * 2 ** -24 * abs[i] + 1e-7);
    }));
  });

  const GRAD = `
import json, sys
import numpy as np
import torch
cases = json.load(open(sys.argv[1]))
out = []
for c in cases:
    a = torch.tensor(c['x'], dtype=torch.float64).reshape(c['a']).requires_grad_()
    b = torch.tensor(c['w'], dtype=torch.float64).reshape(c['b']).requires_grad_()
    w = torch.tensor(c['g'], dtype=torch.float64)
    op = lambda x, t: x.transpose(-1, -2) if t else x
    y = torch.matmul(op(a, c.get('tA')), op(b, c.get('tB')))
    (y.flatten() * w).sum().backward()
    # central differences of the same loss in numpy, at the sampled coordinates
    an, bn, wn = a.detach().numpy(), b.detach().numpy(), w.numpy()
    opn = lambda x, t: np.swapaxes(x, -1, -2) if t else x
    loss = lambda a_, b_: float((np.matmul(opn(a_, c.get('tA')), opn(b_, c.get('tB'))).flatten() * wn).sum())
    def fd(x, at, other, first):
        h, r = 1e-4, []
        for i in at:
            p, m = x.copy().reshape(-1), x.copy().reshape(-1)
            p[i] += h; m[i] -= h
            lp = loss(p.reshape(x.shape), other) if first else loss(other, p.reshape(x.shape))
            lm = loss(m.reshape(x.shape), other) if first else loss(other, m.reshape(x.shape))
            r.append((lp - lm) / (2 * h))
        return r
    out.append({'da': a.grad.flatten().tolist(), 'db': b.grad.flatten().tolist(), 'fa': fd(an, c['ia'], bn, True), 'fb': fd(bn, c['ib'], an, False)})
print(json.dumps(out))
`;

  const gradCases: Case[] = [
    { a: [2, 3, 40, 36], b: [2, 3, 36, 44], path: GEMM },
    { a: [2, 1, 40, 48], b: [3, 48, 24], path: GEMM }, // broadcast both ways: the gradients sum over it
    { a: [3, 40, 64], b: [64, 24], path: GEMM }, // B of rank 2 (stacked rows)
    { a: [2, 37, 45], b: [2, 45, 29], path: GEMM },
    { a: [2, 45, 37], b: [29, 45], tA: true, tB: true, path: GEMM },
    { a: [2, 3, 44, 40], b: [3, 44, 36], tA: true, path: GEMM },
    { a: [3, 40, 48], b: [2, 1, 36, 48], tB: true, path: GEMM },
    { a: [2, 3, 5], b: [2, 5, 4], path: JS },
    { a: [2, 5, 3], b: [2, 4, 5], tA: true, tB: true, path: JS },
  ];

  it(`gradients of ${gradCases.length} products in a float32 plan: torch.autograd's (float64) and central differences`, () => {
    const data = gradCases.map((c, k) => {
      const { y } = product(c);
      const ny = size(y.shape as number[]);
      const sample = (n: number, seed: number) => randoms(12, seed, 0, n).map(Math.floor);
      return { ...c, x: randoms(size(c.a), 20 + k), w: randoms(size(c.b), 200 + k), g: randoms(ny, 300 + k), ia: sample(size(c.a), 40 + k), ib: sample(size(c.b), 50 + k) };
    });
    const file = join(dir, 'grads.json');
    writeFileSync(file, JSON.stringify(data));
    const refs = JSON.parse(python(GRAD, [file])) as { da: number[]; db: number[]; fa: number[]; fb: number[] }[];
    data.forEach((c, k) => {
      const what = `d([${c.a}]${c.tA ? 'ᵀ' : ''}·[${c.b}]${c.tB ? 'ᵀ' : ''})`;
      const { a, b, y } = product(c);
      const w = input('w', y.shape as number[]);
      const [da, db] = grad(B.sum(B.mul(y, w)), [a, b]);
      const { plan, out } = run(new Graph([{ name: 'da', node: da }, { name: 'db', node: db }]), { a: { data: c.x, shape: c.a }, b: { data: c.w, shape: c.b }, w: { data: c.g, shape: y.shape as number[] } });
      // the gradient's products are BatchMatMuls on the path the forward product takes
      const kernels = plan.report().kernels;
      const paths = kernels.filter((r) => r.node.op === 'BatchMatMul').map((r) => r.path);
      // transposed operands read as stored: no Transpose in the gradient
      expect(kernels.filter((r) => r.node.op === 'Transpose'), what).toEqual([]);
      expect(paths.length, what).toBeGreaterThan(0);
      for (const p of paths) expect(p, what).toContain(c.path);
      const r = refs[k];
      // terms of magnitude below 1, sums of at most a few hundred: float32 rounding well under 1e-4
      const near = (got: ArrayLike<number>, want: number[], tag: string, at?: number[]) =>
        want.forEach((v, i) => expect(Math.abs(got[at ? at[i] : i] - v), `${what} ${tag} [${at ? at[i] : i}]`).toBeLessThanOrEqual(1e-4 * Math.max(1, Math.abs(v))));
      near(out.da, r.da, 'dA vs torch');
      near(out.db, r.db, 'dB vs torch');
      near(out.da, r.fa, 'dA vs differences', c.ia);
      near(out.db, r.fb, 'dB vs differences', c.ib);
    });
  });
  it('products with transposed operands, and gradients, exported to ONNX: onnxruntime gives graphc\'s values', async () => {
    const picked = [...cases, ...gradCases].filter((c) => c.tA || c.tB);
    expect(picked.length).toBeGreaterThan(4);
    for (const [k, c] of picked.entries()) {
      const what = `[${c.a}]${c.tA ? 'ᵀ' : ''}·[${c.b}]${c.tB ? 'ᵀ' : ''}`;
      const { a, b, y } = product(c);
      const w = input('w', y.shape as number[]);
      const [da, db] = grad(B.sum(B.mul(y, w)), [a, b]);
      const g = new Graph([{ name: 'y', node: y }, { name: 'da', node: da }, { name: 'db', node: db }]);
      const feeds = { a: { data: randoms(size(c.a), 60 + k), shape: c.a }, b: { data: randoms(size(c.b), 70 + k), shape: c.b }, w: { data: randoms(size(y.shape as number[]), 80 + k), shape: y.shape as number[] } };
      const { out } = run(g, feeds);
      const file = join(dir, `t${k}.onnx`);
      writeFileSync(file, exportGraph(g, { mode: 'inference', name: 'bmm' }));
      const s = await ort.InferenceSession.create(file);
      const theirs = await s.run(Object.fromEntries(Object.entries(feeds).map(([n, f]) => [n, new ort.Tensor('float32', Float32Array.from(f.data), f.shape)])));
      for (const name of ['y', 'da', 'db']) {
        const t = theirs[name].data as Float32Array;
        expect(t.length, `${what} ${name}`).toBe(out[name].length);
        t.forEach((v, i) => expect(Math.abs(out[name][i] - v), `${what} ${name} [${i}]`).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(v))));
      }
    }
  });
});
