/**
 * Every op's gradient rule against central finite differences in float64, on random inputs, broadcasting
 * included (the rows of gradient-table.ts, in the style of JAX's autodiff tests: op, input shapes, input
 * domain). The runtime's float64 mode runs the same kernels on Float64Array buffers. An op with a gradient
 * rule and no row in the table fails the coverage test. Second derivatives: gradients differentiated again, against finite
 * differences of the first gradient (Hessian-vector products).
 */
import { describe, expect, it } from 'vitest';
import '../../compiler/ops/index.ts';
import { Graph } from '../../compiler/ir/graph.ts';
import { Node } from '../../compiler/ir/node.ts';
import { allOps } from '../../compiler/ops/op.ts';
import { inLeafScope } from '../../compiler/ir/node.ts';
import * as B from '../../compiler/ir/build.ts';
import { grad } from '../../compiler/autodiff/grad.ts';
import { GraphError } from '../../compiler/ir/errors.ts';
import { Plan } from '../../runtime/plan.ts';
import { randoms } from '../support/run.ts';
import { convAttrs } from '../../compiler/ops/conv.ts';
import { poolAttrs } from '../../compiler/ops/pool.ts';
import { noGradient, rows, type Row } from './gradient-table.ts';

function leaves(shapes: number[][], seed: number, row: Row): { nodes: Node[]; values: Float64Array[] } {
  return inLeafScope(() => {
    const nodes = shapes.map((s, k) => B.mk('Input', [], { name: `a${k}`, shape: s, dtype: 'f32' }));
    const values = shapes.map((s, k) => {
      const [lo, hi] = row.domains?.[k] ?? row.domain ?? [-2, 2];
      return Float64Array.from(randoms(s.reduce((p, d) => p * d, 1), seed + 17 * k, lo, hi));
    });
    return { nodes, values };
  });
}

function evaluate(outputs: Node[], nodes: Node[], values: Float64Array[]): Float64Array[] {
  const g = new Graph(outputs.map((n, k) => ({ name: `o${k}`, node: n })));
  const plan = new Plan(g, new Map(nodes.map((n, k) => [String(n.attrs.name), n.shape as number[]])), 'f64');
  plan.run(new Map(nodes.map((n, k) => [String(n.attrs.name), values[k] as unknown as Float32Array])));
  return outputs.map((o) => Float64Array.from(plan.value(o).data));
}

function checkRow(row: Row, seed: number) {
  const { nodes, values } = leaves(row.shapes, seed, row);
  const y = row.build(nodes);
  const w = B.constant(randoms(y.shape.reduce((p: number, d) => p * (d as number), 1), seed + 99, 0.5, 1.5), y.shape as number[]);
  const f = B.sum(B.mul(y, w));
  const gs = grad(f, nodes);
  gs.forEach((g, k) => expect(g.shape, `${row.name}: gradient shape of input ${k}`).toEqual(nodes[k].shape));
  const [, ...analytic] = evaluate([f, ...gs], nodes, values);
  const h = 1e-6;
  values.forEach((v, k) => {
    for (let i = 0; i < v.length; i++) {
      const keep = v[i];
      v[i] = keep + h;
      const fp = evaluate([f], nodes, values)[0][0];
      v[i] = keep - h;
      const fm = evaluate([f], nodes, values)[0][0];
      v[i] = keep;
      const fd = (fp - fm) / (2 * h);
      const a = analytic[k][i];
      expect(Math.abs(fd - a), `${row.name}: d/d a${k}[${i}] analytic ${a} vs finite difference ${fd}`).toBeLessThanOrEqual(1e-6 + 1e-6 * Math.abs(fd));
    }
  });
}

describe('gradients against central finite differences (float64)', () => {
  for (const row of rows) it(row.name, () => [1, 2].forEach((seed) => checkRow(row, seed)));

  it('every op with a gradient rule has a row (or a stated reason for none)', () => {
    const covered = new Set(rows.map((r) => r.op));
    const missing = allOps().filter((d) => d.grad && !d.traits?.leaf && !covered.has(d.name) && !(d.name in noGradient)).map((d) => d.name);
    expect(missing).toEqual([]);
  });

  it('comparisons and counts pass no gradient', () => {
    const { nodes } = leaves([[3], [3]], 1, rows[0]);
    for (const op of ['GreaterEqual', 'Equal']) {
      const n = B.mk(op, nodes);
      expect(Object.keys(noGradient)).toContain(op);
      expect(n.inputs.length).toBe(2);
    }
  });

  it('grad of a non-scalar without a seed is refused', () => {
    const { nodes } = leaves([[3]], 1, rows[0]);
    expect(() => grad(B.exp(nodes[0]), nodes)).toThrow(GraphError);
  });
});

describe('second derivatives: gradients are graphs, differentiated again', () => {
  const cases: [string, number[], (x: Node) => Node, [number, number]][] = [
    ['sigmoid', [4], (x) => B.sum(B.sigmoid(x)), [-3, 3]],
    ['log', [4], (x) => B.sum(B.log(x)), [0.5, 2]],
    ['x * exp(x)', [4], (x) => B.sum(B.mul(x, B.exp(x))), [-1, 1]],
    ['x * y * y (y = tanh x)', [4], (x) => { const t = B.tanh(x); return B.sum(B.mul(x, B.mul(t, t))); }, [-1, 1]],
    ['BCE on logits', [4, 1], (x) => B.bceWithLogits(x, B.constant([0, 1, 1, 0], [4, 1])), [-3, 3]],
    ['conv of x with x as its kernel', [1, 1, 3, 3], (x) => { const y = B.mk('Conv', [x, x], convAttrs({ pads: [1, 1, 1, 1] })); return B.sum(B.mul(y, y)); }, [-1, 1]],
    ['batch norm (training) squared', [4, 2], (x) => { const y = B.mk('BatchNormTrain', [x, B.constant([1.5, 0.5], [2]), B.constant([0.1, -0.2], [2]), B.constant([0, 0], [2]), B.constant([1, 1], [2])], { eps: 1e-5, momentum: 0.1 }); return B.sum(B.mul(y, B.mul(y, B.constant([1, 2, 3, 4, 5, 6, 7, 8], [4, 2])))); }, [-1, 1]],
    ['avg pool squared', [1, 1, 4, 4], (x) => { const y = B.mk('AvgPool', [x], poolAttrs({ kernel: [2, 2], stride: [1, 1] }, true)); return B.sum(B.mul(y, y)); }, [-1, 1]],
    ['local response norm squared (size 4, PyTorch window)', [1, 5, 2, 2], (x) => { const y = B.mk('LRN', [x], { size: 4, alpha: 0.8, beta: 0.75, bias: 1, lead: 2 }); return B.sum(B.mul(y, y)); }, [-1, 1]],
    ['matmul loss', [2, 3], (x) => B.sum(B.mul(B.matmul(x, B.transpose(x)), B.matmul(x, B.transpose(x)))), [-1, 1]],
  ];
  for (const [label, shape, fn, domain] of cases)
    it(label, () => {
      const { nodes, values } = leaves([shape], 5, { name: label, op: "", shapes: [shape], build: (xs) => fn(xs[0]), domain });
      const x = nodes[0];
      const [g] = grad(fn(x), [x]);
      const v = B.constant(randoms(values[0].length, 7), shape);
      const [hv] = grad(B.sum(B.mul(g, v)), [x]); // Hessian·v, as a graph
      const analytic = evaluate([hv], nodes, values)[0];
      const vv = randoms(values[0].length, 7).map(Math.fround);
      const h = 1e-5;
      const plus = values.map((a) => a.map((z, i) => z + h * vv[i]));
      const minus = values.map((a) => a.map((z, i) => z - h * vv[i]));
      const gp = evaluate([g], nodes, plus)[0];
      const gm = evaluate([g], nodes, minus)[0];
      analytic.forEach((a, i) => expect(Math.abs(a - (gp[i] - gm[i]) / (2 * h)), `${label}[${i}]`).toBeLessThanOrEqual(1e-5 * (1 + Math.abs(a))));
    });
});
