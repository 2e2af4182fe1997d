/**
 * slice-concat: a slice that takes whole parts of a Concat becomes the part (or a Concat of the run of
 * parts), also through a Reshape that only drops or inserts axes of size 1; a slice that cuts a part,
 * steps, or slices another axis stays, and --explain says why. On a 2-layer RNN unrolled by hand as the
 * ONNX importer unrolls it: the values the same floats with the pass as without, the train step's gradient
 * without the sequence's scatter, and that gradient against central differences (float64 plans).
 */
import { describe, expect, it } from 'vitest';
import '../../compiler/ops/index.ts';
import * as B from '../../compiler/ir/build.ts';
import { Graph } from '../../compiler/ir/graph.ts';
import { inLeafScope, inScopeOf, type Node } from '../../compiler/ir/node.ts';
import { grad } from '../../compiler/autodiff/grad.ts';
import { compileModel } from '../../compiler/passes/compile.ts';
import { forwardPasses, graphPasses, runPasses, type PassReport } from '../../compiler/passes/pipeline.ts';
import { sliceConcat } from '../../compiler/passes/rules/slice-concat.ts';
import { trainStepGraph } from '../../compiler/train/step.ts';
import type { OptimizerConfig } from '../../compiler/train/optimizers.ts';
import { explain } from '../../cli/compile.ts';
import { randoms, runGraph } from '../support/run.ts';

const input = (name: string, shape: number[]) => B.mk('Input', [], { name, shape, dtype: 'f32' });
const cut = (x: Node, begin: number[], shape: number[], step = begin.map(() => 1)) => B.mk('Slice', [x], { begin, step, shape });
const size = (s: readonly number[]) => s.reduce((p, d) => p * d, 1);
const feedsOf = (g: Graph, seed: number) =>
  Object.fromEntries(g.nodes.filter((n) => n.op === 'Input').map((n, k) => [String(n.attrs.name), { data: randoms(size(n.shape as number[]), seed + k), shape: n.shape as number[] }]));

describe('slice-concat on slices of one Concat', () => {
  // parts of 2, 1 and 3 rows along axis 0: rows [0, 2), [2, 3), [3, 6)
  const build = () =>
    inLeafScope(() => {
      const [a, b, c] = [input('a', [2, 3]), input('b', [1, 3]), input('c', [3, 3])];
      const cat = B.mk('Concat', [a, b, c], { axis: 0 });
      const outs: [string, Node][] = [
        ['part', cut(cat, [2, 0], [1, 3])],
        ['run', cut(cat, [0, 0], [3, 3])],
        ['last', cut(cat, [3, 0], [3, 3])],
        ['inside', cut(cat, [3, 0], [1, 3])],
        ['stepped', cut(cat, [0, 0], [3, 3], [2, 1])],
        ['across', cut(cat, [1, 0], [2, 3])],
        ['narrow', cut(cat, [2, 1], [1, 2])],
        // built before the pass: the run's Concat merges with it (interning), whatever the order of building
        ['ab', B.mk('Concat', [a, b], { axis: 0 })],
      ];
      return { g: new Graph(outs.map(([name, node]) => ({ name, node })), 'cuts'), a, b, c };
    });

  it('takes the part or the run of parts, leaves the others, and says why in --explain', () => {
    const { g, b, c } = build();
    const report: PassReport[] = [];
    const after = runPasses(g, [sliceConcat], report);
    const out = (name: string) => after.outputs.find((o) => o.name === name)!.node;
    expect(out('part')).toBe(b);
    expect(out('last')).toBe(c);
    expect(out('run')).toBe(out('ab'));
    for (const name of ['inside', 'stepped', 'across', 'narrow']) expect(out(name).op, name).toBe('Slice');
    const feeds = feedsOf(g, 1), [x, y] = [runGraph(g, feeds), runGraph(after, feeds)];
    for (const o of g.outputs) expect(Array.from(y[o.name]), o.name).toEqual(Array.from(x[o.name]));
    const text = explain(report);
    expect(text).toMatch(/slice-concat: \d+ -> \d+ ops, 1 rewrite at .*slice-concat\.test\.ts:\d+/);
    expect(text).toContain('3 Slices of Concat [6, 3] (3 parts along axis 0) -> 2 whole parts and 1 Concat of fewer parts');
    expect(text).toContain('why: no copy into the Concat and back out, and in the gradient no zero-padded scatter of the whole Concat per slice');
    const stays = (why: string) => new RegExp(`not applied at .*slice-concat\\.test\\.ts:\\d+: Slice \\[\\d, \\d\\] of Concat \\[6, 3\\] \\(3 parts along axis 0\\) stays a copy: ${why.replace(/[[\]()]/g, '\\$&')}`);
    expect(text).toMatch(stays('it takes [3, 4) along axis 0, cutting part 2 [3, 6)'));
    expect(text).toMatch(stays('it steps by 2 along axis 0'));
    expect(text).toMatch(stays('it takes [1, 3) along axis 0, across parts, cutting part 0 [0, 2)'));
    expect(text).toMatch(stays('it slices axis 1 too (begin 1, step 1: 2 of 3)'));
  });

  it('reads through a Reshape of unit axes (an RNN layer\'s Y squeezed), and not through another', () => {
    const { g, hs } = inLeafScope(() => {
      const hs = [0, 1, 2].map((t) => input(`h${t}`, [2, 4]));
      const y = B.mk('Concat', hs.map((h) => B.unsqueeze(h, [0, 1])), { axis: 0 });
      const seq = B.reshape(y, [3, 2, 4]), flat = B.reshape(y, [3, 8]);
      const outs = [0, 1, 2].map((t) => ({ name: `s${t}`, node: B.reshape(cut(seq, [t, 0, 0], [1, 2, 4]), [2, 4]) }));
      outs.push({ name: 'flat', node: cut(flat, [1, 0], [1, 8]) });
      return { g: new Graph(outs, 'squeezed'), hs };
    });
    const report: PassReport[] = [];
    const after = runPasses(g, [sliceConcat], report);
    // each step reads its part as computed: no Slice, Reshape or Unsqueeze left between them
    [0, 1, 2].forEach((t) => expect(after.outputs[t].node).toBe(hs[t]));
    const feeds = feedsOf(g, 2), [x, y] = [runGraph(g, feeds), runGraph(after, feeds)];
    for (const o of g.outputs) expect(Array.from(y[o.name]), o.name).toEqual(Array.from(x[o.name]));
    const text = explain(report);
    expect(text).toContain('3 Slices of Concat [3, 1, 2, 4] (3 parts along axis 0, read through a Reshape to [3, 2, 4]) -> 3 whole parts');
    expect(text).toContain('stays a copy: the Reshape of [3, 1, 2, 4] to [3, 8] does more than drop or insert axes of size 1');
  });
});

// a 2-layer tanh RNN unrolled as export/import-rnn.ts unrolls one: the second layer slices the first's
// output, a Concat of its steps squeezed, once per step; the loss reads the second layer's last step
const [S, N, I, H] = [5, 3, 2, 4];
function rnn2() {
  return inLeafScope(() => {
    const x = input('x', [S, N, I]), target = input('y', [N, H]);
    const param = (name: string, shape: number[], seed: number) => B.mk('Param', [], { name, shape, init: Float32Array.from(randoms(size(shape), seed, -0.6, 0.6)) });
    const layer = (xs: Node, w: Node, r: Node) => {
      const hs: Node[] = [];
      for (let t = 0; t < S; t++) {
        const xt = B.reshape(cut(xs, [t, 0, 0], [1, N, xs.shape[2] as number]), [N, xs.shape[2]]);
        const z = B.matmul(xt, w, false, true);
        hs.push(B.tanh(t ? B.add(z, B.matmul(hs[t - 1], r, false, true)) : z));
      }
      return { hs, y: B.reshape(B.mk('Concat', hs.map((h) => B.unsqueeze(h, [0, 1])), { axis: 0 }), [S, N, H]) };
    };
    const one = layer(x, param('w1', [H, I], 1), param('r1', [H, H], 2));
    const two = layer(one.y, param('w2', [H, H], 3), param('r2', [H, H], 4));
    const d = B.sub(two.hs[S - 1], target), loss = B.mean(B.mul(d, d));
    return { name: 'rnn2', description: '', options: {}, forward: new Graph([{ name: 'loss', node: loss }, { name: 'predict', node: two.hs[S - 1] }], 'rnn2') };
  });
}

describe('slice-concat on a 2-layer RNN unrolled', () => {
  it('the train step without the sequence\'s scatter, its values as without the pass; the gradient against central differences', () => {
    const m = rnn2();
    const on = compileModel(m, { lr: 0.1 });
    // the same compilation with only the pass left out
    const off = inScopeOf(m.forward.nodes, () => {
      const forward = runPasses(m.forward, forwardPasses().filter((p) => p !== sliceConcat));
      return runPasses(trainStepGraph({ ...m, forward }, { lr: 0.1 } as OptimizerConfig), graphPasses());
    });
    const scatters = (g: Graph) => g.nodes.filter((n) => (n.op === 'SliceGradSum' || n.op === 'SliceGrad') && n.shape.join() === [S, N, H].join()).length;
    expect(scatters(off)).toBe(1);
    expect(scatters(on.trainStep)).toBe(0);
    expect(on.trainStep.nodes.filter((n) => n.op === 'Concat')).toHaveLength(0);
    expect(on.report.find((r) => r.pass === 'slice-concat' && r.graph === 'rnn2')!.rewrites).toHaveLength(1);
    const feeds = feedsOf(m.forward, 5);
    const [a, b] = [on.trainStep, off].map((g) => runGraph(g, feeds));
    expect(a.loss[0]).toBe(b.loss[0]);
    // the parameters' next values: the gradients' sums taken in another order, within rounding
    for (const name of Object.keys(a).filter((k) => k.startsWith('next:')))
      a[name].forEach((v, i) => expect(Math.abs(v - b[name][i]), `${name}[${i}]`).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(v))));
    // float64: the rewritten forward graph's gradients, through the graph passes, against central differences
    const params = on.forward.nodes.filter((n) => n.op === 'Param');
    const loss = on.forward.outputs[0].node;
    const dg = inScopeOf(on.forward.nodes, () => runPasses(new Graph([loss, ...grad(loss, params)].map((node, k) => ({ name: `o${k}`, node }))), graphPasses()));
    expect(scatters(dg)).toBe(0);
    const values = Object.fromEntries(params.map((p) => [String(p.attrs.name), { data: Array.from(p.attrs.init as Float32Array), shape: p.shape as number[] }]));
    const analytic = runGraph(dg, { ...feeds, ...values }, 'f64');
    const f = (vs: typeof values) => runGraph(m.forward, { ...feeds, ...vs }, 'f64').loss[0];
    const h = 1e-6;
    params.forEach((p, k) => {
      const v = values[String(p.attrs.name)].data;
      for (let i = 0; i < v.length; i++) {
        const keep = v[i];
        v[i] = keep + h;
        const fp = f(values);
        v[i] = keep - h;
        const fm = f(values);
        v[i] = keep;
        const fd = (fp - fm) / (2 * h), got = analytic[`o${k + 1}`][i];
        expect(Math.abs(got - fd), `d loss / d ${String(p.attrs.name)}[${i}]: ${got} vs ${fd}`).toBeLessThanOrEqual(1e-7 + 1e-6 * Math.abs(fd));
      }
    });
  });
});
