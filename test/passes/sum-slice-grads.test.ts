/**
 * sum-slice-grads: a tensor sliced several times gets its gradient from one SliceGradSum instead of an
 * Add-tree of zero-padded SliceGrads. Checked for slices that cover the tensor without overlap (a
 * sequence's steps), that overlap, that leave parts uncovered, that step backwards, along the last axis
 * (an offset map) and beside a whole use of the tensor: the pipeline's gradient against central finite
 * differences (float64 plans), the float32 gradient the same floats as without the pass, and --explain
 * naming where the pass applied and why it did not.
 */
import { describe, expect, it } from 'vitest';
import '../../compiler/ops/index.ts';
import * as B from '../../compiler/ir/build.ts';
import { Graph } from '../../compiler/ir/graph.ts';
import { inLeafScope, type Node } from '../../compiler/ir/node.ts';
import { grad } from '../../compiler/autodiff/grad.ts';
import { graphPasses, runPasses, type PassReport } from '../../compiler/passes/pipeline.ts';
import { sumSliceGrads } from '../../compiler/passes/rules/sum-slice-grads.ts';
import { explain } from '../../cli/compile.ts';
import { randoms, runGraph } from '../support/run.ts';

type Cut = { begin: number[]; step: number[]; shape: number[] };
const size = (s: readonly number[]) => s.reduce((p, d) => p * d, 1);

/** f = Σ_i Σ w_i·slice_i(x) (+ Σ w·x where `whole`), and its gradient for x, unoptimized. */
function build(xs: number[], cuts: Cut[], whole = false) {
  return inLeafScope(() => {
    const x = B.mk('Input', [], { name: 'x', shape: xs, dtype: 'f32' });
    const terms: Node[] = cuts.map((c, i) => B.sum(B.mul(B.mk('Slice', [x], c), B.constant(randoms(size(c.shape), 40 + i, 0.5, 1.5), c.shape))));
    if (whole) terms.push(B.sum(B.mul(B.exp(x), B.constant(randoms(size(xs), 7, 0.5, 1.5), xs))));
    const f = terms.reduce((a, t) => B.add(a, t));
    const [dx] = grad(f, [x]);
    return new Graph([{ name: 'f', node: f }, { name: 'dx', node: dx }], 'slices');
  });
}

const rowsOf = (xs: number[], n: number): Cut[] => Array.from({ length: xs[0] / n }, (_, t) => ({ begin: [t * n, 0, 0], step: [1, 1, 1], shape: [n, xs[1], xs[2]] }));
const cases: [string, number[], Cut[], boolean][] = [
  ['one step each, covering the tensor (an unrolled sequence)', [6, 2, 3], rowsOf([6, 2, 3], 1), false],
  ['pieces of two steps, and the tensor used whole too', [6, 2, 3], rowsOf([6, 2, 3], 2), true],
  ['overlapping windows', [5, 4], [{ begin: [0, 0], step: [1, 1], shape: [3, 4] }, { begin: [1, 1], step: [1, 1], shape: [4, 3] }, { begin: [2, 0], step: [1, 1], shape: [2, 2] }], false],
  ['backwards and strided, with parts no slice covers', [7, 5], [{ begin: [6, 0], step: [-2, 1], shape: [3, 5] }, { begin: [1, 1], step: [4, 2], shape: [2, 2] }], false],
  ['a stepped last axis (offset map), overlapping a row', [4, 6], [{ begin: [0, 5], step: [1, -2], shape: [4, 3] }, { begin: [2, 0], step: [1, 1], shape: [1, 6] }], false],
];

describe('sum-slice-grads', () => {
  for (const [name, xs, cuts, whole] of cases)
    it(`${name}: one SliceGradSum; its gradient against central differences, float32 as without the pass`, () => {
      const raw = build(xs, cuts, whole);
      expect(raw.nodes.filter((n) => n.op === 'SliceGrad')).toHaveLength(cuts.length);
      const report: PassReport[] = [];
      const opt = runPasses(raw, graphPasses(), report);
      const ops = opt.nodes.map((n) => n.op);
      expect(ops.filter((op) => op === 'SliceGradSum')).toHaveLength(1);
      expect(ops).not.toContain('SliceGrad');
      expect(report.find((r) => r.pass === 'sum-slice-grads')!.rewrites).toHaveLength(1);
      const x = randoms(size(xs), 3, -1, 1);
      const feeds = (v: number[]) => ({ x: { data: v, shape: xs } });
      const analytic = runGraph(opt, feeds(x), 'f64').dx;
      const h = 1e-6;
      for (let i = 0; i < x.length; i++) {
        const at = (d: number) => runGraph(raw, feeds(x.map((v, j) => (j === i ? v + d : v))), 'f64').f[0];
        const fd = (at(h) - at(-h)) / (2 * h);
        expect(Math.abs(analytic[i] - fd), `d f / d x[${i}]: ${analytic[i]} vs ${fd}`).toBeLessThanOrEqual(1e-6 + 1e-6 * Math.abs(fd));
      }
      // float32: the same floats as the Add-tree of SliceGrads (the same graph with only the pass left out);
      // a whole term within rounding, which a fused loop without the pass adds before rounding it
      const without = runPasses(raw, graphPasses().filter((p) => p !== sumSliceGrads));
      expect(without.nodes.map((n) => n.op)).toContain('SliceGrad');
      const [a, b] = [opt, without].map((g) => Array.from(runGraph(g, feeds(x)).dx));
      a.forEach((v, i) => expect(Math.abs(v - b[i]), `float32 dx[${i}]: ${v} vs ${b[i]}`).toBeLessThanOrEqual(whole ? 2 ** -22 * Math.abs(b[i]) : 0));
    });

  it('rebuilds the sums it does not rewrite over the ones it does', () => {
    const g = inLeafScope(() => {
      const x = B.mk('Input', [], { name: 'x', shape: [4, 3], dtype: 'f32' }), d = B.mk('Input', [], { name: 'd', shape: [1, 3], dtype: 'f32' });
      const sg = (t: number) => B.mk('SliceGrad', [d, x], { begin: [t, 0], step: [1, 1], shape: [1, 3] });
      const r = B.add(sg(0), sg(2));
      // a sum of no SliceGrad, reading r beneath its own inner Add
      const q = B.add(B.add(B.exp(r), B.mul(r, 2)), x);
      return new Graph([{ name: 'q', node: q }]);
    });
    const out = sumSliceGrads.run(g).graph;
    expect(out.nodes.map((n) => n.op)).not.toContain('SliceGrad');
    const feeds = { x: { data: randoms(12, 1), shape: [4, 3] }, d: { data: randoms(3, 2), shape: [1, 3] } };
    expect(Array.from(runGraph(out, feeds).q)).toEqual(Array.from(runGraph(g, feeds).q));
  });

  it('a slice of a whole axis is its input: no copy, and no SliceGrad in its gradient (an RNN of one direction)', () => {
    inLeafScope(() => {
      const w = B.mk('Input', [], { name: 'w', shape: [1, 8, 3], dtype: 'f32' });
      const gate = B.sliceAxis(B.sliceAxis(w, 0, 0, 1), 1, 4, 4);
      expect(gate.inputs[0]).toBe(w);
      const ops = new Graph(grad(B.sum(gate), [w]).map((node) => ({ name: 'dw', node }))).nodes.map((n) => n.op);
      expect(ops.filter((op) => op === 'SliceGrad')).toHaveLength(1);
    });
  });

  it('--explain names where it applied, and each SliceGrad it left, with why', () => {
    const g = inLeafScope(() => {
      const x = B.mk('Input', [], { name: 'x', shape: [4, 3], dtype: 'f32' }), y = B.mk('Input', [], { name: 'y', shape: [4, 3], dtype: 'f32' });
      const cut = (a: Node, t: number) => B.mk('Slice', [a], { begin: [t, 0], step: [1, 1], shape: [1, 3] });
      const f = B.sum(B.add(B.add(B.mul(cut(x, 0), cut(x, 1)), cut(x, 3)), B.exp(cut(y, 2))));
      return new Graph(grad(f, [x, y]).map((node, k) => ({ name: `d${k}`, node })), 'explained');
    });
    const report: PassReport[] = [];
    runPasses(g, [sumSliceGrads], report);
    const text = explain(report);
    expect(text).toMatch(/sum-slice-grads: \d+ -> \d+ ops, 1 rewrite at .*sum-slice-grads\.test\.ts:\d+/);
    expect(text).toContain('3 SliceGrads of [4, 3] summed by 2 Adds -> SliceGradSum');
    expect(text).toContain("why: each slice's gradient put into one buffer: no zero-padded [4, 3] per slice and no Add of whole buffers");
    expect(text).toMatch(/not applied at .*sum-slice-grads\.test\.ts:\d+: SliceGrad \[1, 3\] of \[4, 3\] stays a zero-padded buffer: it is a graph output/);
  });
});
