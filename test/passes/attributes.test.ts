/**
 * Elementwise ops with attributes (LeakyRelu's alpha, Clip's bounds) fuse like any other: their
 * attributes go with their instructions into the fused loop and its SIMD kernel, which computes what the
 * unfused ops compute in float64, and the fused node expands back to the ops for export.
 */
import { describe, expect, it } from 'vitest';
import '../../compiler/ops/index.ts';
import { Graph } from '../../compiler/ir/graph.ts';
import * as B from '../../compiler/ir/build.ts';
import { inLeafScope } from '../../compiler/ir/node.ts';
import { printGraph } from '../../compiler/ir/print.ts';
import { graphPasses, runPasses, type PassReport } from '../../compiler/passes/pipeline.ts';
import { expandFused } from '../../compiler/ops/fused.ts';
import { Plan } from '../../runtime/plan.ts';
import { runGraph, randoms } from '../support/run.ts';
import { explain, explainPlan } from '../../cli/compile.ts';

const rows = 37;
/** y = leaky_relu(clamp(x·w + b, -1.5, 2), 0.2)·3: elementwise after a product, with attributes. */
const chain = () =>
  inLeafScope(() => {
    const x = B.mk('Input', [], { name: 'x', shape: ['N', 4] as unknown as number[], dtype: 'f32' });
    const w = B.mk('Input', [], { name: 'w', shape: [4, 4], dtype: 'f32' });
    const b = B.mk('Input', [], { name: 'b', shape: [4], dtype: 'f32' });
    const z = B.add(B.matmul(x, w), b);
    const y = B.mul(B.mk('LeakyRelu', [B.mk('Clip', [z], { min: -1.5, max: 2 })], { alpha: 0.2 }), 3);
    return new Graph([{ name: 'y', node: y }], 'chain');
  });
const feeds = (seed: number) => ({
  x: { data: randoms(rows * 4, seed, -3, 3), shape: [rows, 4] },
  w: { data: randoms(16, seed + 1, -1, 1), shape: [4, 4] },
  b: { data: randoms(4, seed + 2, -1, 1), shape: [4] },
});

describe('elementwise ops with attributes in fused chains', () => {
  const raw = chain();
  const report: PassReport[] = [];
  const opt = runPasses(raw, graphPasses(), report);
  const fused = opt.nodes.filter((n) => n.op === 'Fused');

  it('a LeakyRelu(alpha=0.2) and a Clip chain fuses into one loop that keeps their attributes', () => {
    expect(fused).toHaveLength(1);
    expect(opt.nodes.map((n) => n.op)).not.toContain('LeakyRelu');
    const text = printGraph(opt);
    expect(text).toContain('Add·Clip(min=-1.5, max=2)·LeakyRelu(alpha=0.2)·Mul');
    const group = report.find((r) => r.pass === 'group-elementwise')!;
    expect(group.rewrites.map((r) => r.what)).toContain('Add·Clip·LeakyRelu·Mul (4 ops) -> one loop');
    // as `graphc compile --explain` shows it: the rewrite, and the loop's kernel in WebAssembly SIMD
    expect(explain(report)).toContain('Add·Clip·LeakyRelu·Mul (4 ops) -> one loop');
    expect(explainPlan('plan', opt, rows)).toMatch(/kernels, by path:\n(.*\n)* {4}\d+ WebAssembly SIMD: Fused\{Add·Clip·LeakyRelu·Mul\}/);
  });

  it('its kernel is WebAssembly SIMD and matches the unfused float64 reference', () => {
    const plan = new Plan(opt, new Map([['x', [rows, 4]], ['w', [4, 4]], ['b', [4]]]));
    const k = plan.report().kernels.find((r) => r.node === fused[0])!;
    expect(k.path).toMatch(/^WebAssembly SIMD/);
    for (const seed of [1, 2, 3]) {
      const got = runGraph(opt, feeds(seed)).y;
      const want = runGraph(raw, feeds(seed), 'f64').y;
      expect(want.some((v) => v < 0) && want.some((v) => v === 6)).toBe(true); // both branches and a bound taken
      got.forEach((v, i) => expect(Math.abs(v - want[i]), `entry ${i}`).toBeLessThanOrEqual(1e-6 * (1 + Math.abs(want[i]))));
    }
  });

  it('the fused node expands back to the ops with their attributes', () => {
    const back = expandFused(fused[0]);
    expect(back.op).toBe('Mul');
    const leaky = back.inputs.find((n) => n.op === 'LeakyRelu')!;
    expect(leaky.attrs).toEqual({ alpha: 0.2 });
    expect(leaky.inputs[0].attrs).toEqual({ min: -1.5, max: 2 });
  });
});
