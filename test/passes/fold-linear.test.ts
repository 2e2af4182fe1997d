/**
 * fold-linear: a product's bias and ReLU become one Linear node where nothing else reads the product or
 * the pre-activation; the places it looks and does not apply, with their reasons (`--explain`); the
 * folded graph computes what the ops did (bit for bit in float32: the same accumulation, one rounding of
 * the sum with the bias); and a trained model's costs do not change.
 */
import { describe, expect, it } from 'vitest';
import { Graph } from '../../compiler/index.ts';
import * as B from '../../compiler/ir/build.ts';
import { inLeafScope, type Node } from '../../compiler/ir/node.ts';
import { graphPasses, runPasses, type PassReport } from '../../compiler/passes/index.ts';
import { compileModel } from '../../compiler/passes/compile.ts';
import { Trainer } from '../../runtime/trainer.ts';
import { ParamStore } from '../../runtime/executable.ts';
import { Plan } from '../../runtime/plan.ts';
import mlp, { syntheticData } from '../../graphs/mlp-w4.ts';
import { runGraph, randoms } from '../support/run.ts';

// products large enough for the GEMM (smaller ones a plan runs as their ops: expandLinears), N = 36 padded
const dims: Record<string, number[]> = { x: [40, 64], W: [64, 24], V: [24, 36], b: [24], c: [1, 36], C: [40, 36], Wt: [24, 64] };
const leaf = (name: string): Node => B.mk('Input', [], { name, shape: dims[name], dtype: 'f32' });
const feeds = (g: Graph, seed: number) =>
  Object.fromEntries(g.nodes.filter((n) => n.op === 'Input').map((n, k) => [String(n.attrs.name), { data: randoms(dims[String(n.attrs.name)].reduce((p, d) => p * d, 1), seed + k), shape: dims[String(n.attrs.name)] }]));

/** The graph after the pipeline with and without the fold, its ops, and fold-linear's report. */
function fold(outputs: (l: (name: string) => Node) => Record<string, Node>) {
  const g = inLeafScope(() => new Graph(Object.entries(outputs(leaf)).map(([name, node]) => ({ name, node })), 'case'));
  const report: PassReport[] = [];
  const on = runPasses(g, graphPasses(), report), off = runPasses(g, graphPasses({ linear: false }));
  const r = report.find((p) => p.pass === 'fold-linear')!;
  // the same values as without the fold: bit for bit in float32, and in the float64 plans
  for (const seed of [1, 2]) {
    const f = feeds(g, seed);
    for (const precision of ['f32', 'f64'] as const) expect(runGraph(on, f, precision)).toEqual(runGraph(off, f, precision));
  }
  const ops = on.nodes.filter((n) => n.op !== 'Input').map((n) => (n.op === 'Linear' ? `Linear(${Object.entries(n.attrs).filter(([, v]) => v === true).map(([k]) => k).join(' ')})` : n.op));
  return { ops, rewrites: r.rewrites.map((w) => w.what), misses: r.misses.map((w) => w.what) };
}

describe('fold-linear', () => {
  it('an MLP: the first layer with its ReLU (a fused Add·Relu loop), the second with its bias', () => {
    const r = fold((l) => ({ y: B.add(B.matmul(B.relu(B.add(B.matmul(l('x'), l('W')), l('b'))), l('V')), l('c')) }));
    expect(r.ops).toEqual(['Linear(relu)', 'Linear()']);
    expect(r.rewrites).toEqual(['MatMul·Fused{Add·Relu} [40, 24] -> Linear (relu)', 'MatMul·Add [40, 36] -> Linear']);
    expect(r.misses).toEqual([]);
  });

  it('the bias first, a transposed weight (folded into the product by simplify)', () => {
    const r = fold((l) => ({ y: B.relu(B.add(l('b'), B.matmul(l('x'), B.transpose(l('Wt'), [1, 0])))) }));
    expect(r.ops).toEqual(['Linear(transB relu)']);
  });

  it('the pre-activation read elsewhere: the bias folds, the Relu stays', () => {
    const r = fold((l) => {
      const z = B.add(B.matmul(l('x'), l('W')), l('b'));
      return { y: B.relu(z), s: B.exp(z) };
    });
    expect(r.ops).toEqual(['Linear()', 'Relu', 'Exp']);
    expect(r.rewrites).toEqual(['MatMul·Add [40, 24] -> Linear; the Relu stays: the pre-activation is also read by Exp']);
  });

  it('where it does not apply, the reasons', () => {
    const r = fold((l) => {
      const twice = B.matmul(B.exp(l('x')), l('W'));
      return {
        twice: B.add(twice, l('b')),
        also: B.sum(twice, [1], true),
        out: B.matmul(l('x'), l('W')),
        chain: B.mul(B.relu(B.add(B.matmul(B.neg(l('x')), l('W')), l('b'))), 2),
      };
    });
    expect(r.ops).not.toContain('Linear()');
    expect(r.misses).toHaveLength(3);
    expect(r.misses).toEqual(expect.arrayContaining([
      'MatMul [40, 24] folds no bias: the product is a graph output',
      'MatMul [40, 24] folds no bias: the product is read by a fused loop Add·Relu·Mul, not exactly Add or Add·Relu of it and a bias',
    ]));
    expect(r.misses.some((m) => /^MatMul \[40, 24\] folds no bias: the product is read by 2 ops \((Add, Sum|Sum, Add)\): a fold would drop it$/.test(m))).toBe(true);
  });

  it('a bias that does not broadcast along the rows', () => {
    const r = fold((l) => ({ y: B.add(B.matmul(B.matmul(l('x'), l('W')), l('V')), l('C')) }));
    expect(r.ops).not.toContain('Linear()');
    expect(r.misses).toContain("MatMul [40, 36] folds no bias: the Add's other operand is [40, 36], not a bias [36] or [1, 36] along the rows");
  });

  it('a plan runs a Linear node as its ops where its product takes no GEMM (a batch of 1, float64)', () => {
    const inference = compileModel(mlp.build(), { lr: 0.05 }).inference;
    const kernels = (rows: number, precision: 'f32' | 'f64' = 'f32') => new Plan(inference, new Map([['x', [rows, 784]]]), precision).report().kernels;
    expect(kernels(64).map((k) => k.node.op)).toEqual(['Linear', 'Linear', 'Softmax']);
    expect(kernels(64)[0].path).toBe('WebAssembly SIMD GEMM, the bias and ReLU applied as it stores C');
    expect(kernels(1).map((k) => k.node.op)).toEqual(['MatMul', 'Fused', 'MatMul', 'Add', 'Softmax']);
    expect(kernels(64, 'f64').map((k) => k.node.op)).toEqual(['MatMul', 'Fused', 'MatMul', 'Add', 'Softmax']);
  });

  it('a trained model: the same costs with the fold as without it (W4, three minibatches)', () => {
    const d = syntheticData(384, 7);
    const costs = [true, false].map((linear) => {
      const c = compileModel(mlp.build(), { lr: 0.05, linear });
      expect(c.trainStep.nodes.some((n) => n.op === 'Linear')).toBe(linear);
      const t = new Trainer(c.trainStep, new ParamStore(c.trainStep.params));
      const out: number[] = [];
      for (let i = 0; i < 3; i++) out.push(t.run({ x: { data: d.x.subarray(i * 128 * 784, (i + 1) * 128 * 784), shape: [128, 784] }, y: { data: Float32Array.from(d.y.subarray(i * 128, (i + 1) * 128)), shape: [128] } }));
      return out;
    });
    expect(costs[0]).toEqual(costs[1]);
  });
});
