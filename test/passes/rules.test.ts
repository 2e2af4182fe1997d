/**
 * Each rewrite rule on a small graph: the op list after the pass, and numerical equality with the graph
 * before it on random inputs. The verifier runs after every pass (runPasses).
 */
import { describe, expect, it } from 'vitest';
import { input, param, values, Graph } from '../../compiler/index.ts';
import * as B from '../../compiler/ir/build.ts';
import type { Node } from '../../compiler/ir/node.ts';
import { runPasses, type PassReport } from '../../compiler/passes/index.ts';
import { trainStepGraph, inferenceGraph } from '../../compiler/train/step.ts';
import { simplify } from '../../compiler/passes/rules/simplify.ts';
import { foldConstants } from '../../compiler/passes/rules/fold-constants.ts';
import { cse } from '../../compiler/passes/rules/cse.ts';
import { groupElementwise } from '../../compiler/passes/rules/group-elementwise.ts';
import type { Pass } from '../../compiler/passes/pass.ts';
import { runGraph, randoms } from '../support/run.ts';

const x = () => input('x', [3, 4]);
const feeds = (seed: number) => ({ x: { data: randoms(12, seed, 0.1, 2), shape: [3, 4] } });

function check(pass: Pass, out: Node, expectedOps: string[]) {
  const g = new Graph([{ name: 'out', node: out }], 'rule');
  const after = runPasses(g, [pass]);
  const ops = after.nodes.filter((n) => !['Input', 'Param', 'Const'].includes(n.op)).map((n) => n.op);
  expect(ops).toEqual(expectedOps);
  for (const seed of [1, 2, 3]) {
    const a = runGraph(after, feeds(seed), 'f64').out;
    const b = runGraph(g, feeds(seed), 'f64').out;
    expect(a.length).toBe(b.length);
    // equal up to float32 rounding of folded constants
    a.forEach((v, i) => expect(Math.abs(v - b[i])).toBeLessThanOrEqual(1e-6 * (1 + Math.abs(b[i]))));
  }
  return after;
}

describe('simplify', () => {
  it('x*1 + 0, -(-x), log(exp(x)), x/1, x - 0', () => {
    const v = x().node;
    check(simplify, B.sub(B.div(B.log(B.exp(B.neg(B.neg(B.add(B.mul(v, 1), 0))))), 1), 0), []);
  });
  it('0 - x and x*(-1) become Neg; (-a)*(-b) becomes a*b', () => {
    const v = x().node;
    check(simplify, B.sub(0, v), ['Neg']);
    check(simplify, B.mul(B.neg(v), B.neg(B.exp(v))), ['Exp', 'Mul']);
  });
  it('a broadcasting multiplication by 1 is not removed', () => {
    const v = input('v', [4]).node;
    const g = new Graph([{ name: 'out', node: B.mul(v, B.constant([1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1], [3, 4])) }]);
    expect(runPasses(g, [simplify]).nodes.map((n) => n.op)).toContain('Mul');
  });
  it('transposes fold into MatMul flags', () => {
    const W = param('W', [5, 4], values(randoms(20, 9))).node;
    check(simplify, B.matmul(x().node, B.transpose(W)), ['MatMul']);
    check(simplify, B.transpose(B.matmul(x().node, B.transpose(W))), ['MatMul']);
  });
  it('transposes of the last two axes fold into BatchMatMul flags; other transposes stay', () => {
    const P = param('P', [2, 5, 4], values(randoms(40, 7))).node, Q = param('Q', [2, 4, 3], values(randoms(24, 8))).node;
    const R = param('R', [4, 5], values(randoms(20, 6))).node, S = param('S', [4, 2, 5], values(randoms(40, 5))).node;
    const bmm = (a: Node, b: Node) => B.mk('BatchMatMul', [a, b]);
    check(simplify, bmm(x().node, B.transpose(P, [0, 2, 1])), ['BatchMatMul']);
    check(simplify, bmm(B.transpose(Q, [0, 2, 1]), R), ['BatchMatMul']);
    check(simplify, bmm(B.transpose(Q, [0, 2, 1]), B.transpose(P, [0, 2, 1])), ['BatchMatMul']);
    check(simplify, bmm(x().node, B.transpose(S, [1, 0, 2])), ['Transpose', 'BatchMatMul']);
  });
});

describe('simplify is idempotent (the pipeline skips a run on its own result)', () => {
  const again = (g: Graph) => {
    const once = simplify.run(g).graph;
    const twice = simplify.run(once);
    expect(twice.rewrites).toEqual([]);
    expect(twice.graph).toBe(once);
  };
  it('on the rules\' cases', () => {
    const v = x().node;
    const W = param('W', [5, 4], values(randoms(20, 9))).node;
    for (const out of [
      B.sub(B.div(B.log(B.exp(B.neg(B.neg(B.add(B.mul(v, 1), 0))))), 1), 0),
      B.mul(B.neg(B.sub(0, v)), B.neg(B.mul(B.exp(v), -1))),
      B.neg(B.neg(B.neg(B.mul(B.neg(v), -1)))),
      B.transpose(B.matmul(B.transpose(B.transpose(x().node)), B.transpose(W))),
    ])
      again(new Graph([{ name: 'out', node: out }], 'rule'));
  });
  it('on the train steps of the models in graphs/', async () => {
    for (const name of ['toy', 'diabetes', 'xor-mlp', 'zoo-softmax', 'breast-cancer', 'binary-classifier', 'mlp-w4', 'digits-cnn']) {
      const model = (await import(`../../graphs/${name}.ts`)).default;
      const m = model.build();
      again(trainStepGraph(m, { ...(model.train.optimizer ?? {}), lr: model.train.lr }));
      again(inferenceGraph(m));
    }
  });
  it('the pipeline reports the skipped run with no rewrites', () => {
    const report: PassReport[] = [];
    const g = new Graph([{ name: 'out', node: B.neg(B.neg(x().node)) }], 'rule');
    runPasses(g, [simplify, simplify], report);
    expect(report.map((r) => [r.pass, r.rewrites.length])).toEqual([['simplify', 1], ['simplify', 0]]);
  });
});

describe('fold-constants', () => {
  it('evaluates constant subtrees with the ops\' kernels', () => {
    const c = B.exp(B.add(B.constant([1, 2, 3, 4], [4]), 1));
    const after = check(foldConstants, B.mul(x().node, c), ['Mul']);
    const k = after.nodes.find((n) => n.op === 'Const' && (n.attrs.value as Float32Array).length === 4)!;
    expect(Array.from(k.attrs.value as Float32Array)).toEqual([2, 3, 4, 5].map((v) => Math.fround(Math.exp(v))));
  });
  it('element counts of static shapes', () => {
    check(foldConstants, B.div(x().node, B.sizeOf(x().node)), ['Div']);
  });
});

describe('cse', () => {
  it('a+b and b+a become one node', () => {
    const v = x().node;
    const e = B.exp(v);
    check(cse, B.mul(B.add(v, e), B.add(e, v)), ['Exp', 'Add', 'Mul']);
  });
});

describe('group-elementwise', () => {
  it('a chain becomes one Fused loop; a value used twice outside stays', () => {
    const v = x().node;
    const s = B.sigmoid(v);
    const chain = B.div(B.sub(s, 0.5), B.add(B.mul(s, s), 1));
    check(groupElementwise, B.add(B.sum(chain, [1], true), B.sum(s, [1], true)), ['Sigmoid', 'Fused', 'Sum', 'Sum', 'Add']);
  });
  it('broadcast inputs inside a group', () => {
    const v = x().node;
    const row = param('row', [4], values([1, 2, 3, 4])).node;
    const col = param('col', [3, 1], values([0.5, 1, 2])).node;
    check(groupElementwise, B.mul(B.exp(B.add(v, row)), B.sub(col, v)), ['Fused']);
  });
  it('a comparison and its cast join the loop (ReLU\'s gradient), bit for bit in float32', () => {
    const v = x().node;
    const g = B.sigmoid(v);
    const grad = B.mul(g, B.sub(1, B.cast(B.mk('GreaterEqual', [B.scalar(0), B.sub(v, 1)]), 'f32')));
    const graph = new Graph([{ name: 'out', node: grad }], 'rule');
    const after = check(groupElementwise, grad, ['Fused']);
    expect(after.nodes.find((n) => n.op === 'Fused')!.attrs.body).toMatch(/Sigmoid.*GreaterEqual.*Cast.*Sub.*Mul/);
    for (const seed of [1, 2]) expect(Array.from(runGraph(after, feeds(seed), 'f32').out)).toEqual(Array.from(runGraph(graph, feeds(seed), 'f32').out));
  });
  it('a cast to i64 stays its own kernel, and --explain says why', () => {
    const c = B.cast(B.mul(x().node, 2), 'i64');
    const r = groupElementwise.run(new Graph([{ name: 'out', node: c }], 'rule'));
    expect(r.rewrites).toEqual([]);
    expect(r.misses?.map((m) => m.what)).toEqual(['Cast to i64 stays its own kernel: fused loops compute floats and 0/1, not integers']);
  });
});
