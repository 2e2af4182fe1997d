/**
 * Einsum (export/import-einsum.ts): 400 random equations against the sum over every index assignment
 * (test/support/einsum.ts), which product each form lowers to, a symbolic batch, the gradient against
 * finite differences, and the forms refused in one line.
 */
import { describe, expect, it } from 'vitest';
import { importOnnx } from '../../export/index.ts';
import { grad } from '../../compiler/autodiff/grad.ts';
import * as B from '../../compiler/ir/build.ts';
import { Graph } from '../../compiler/ir/graph.ts';
import { randoms, runGraph } from '../support/run.ts';
import { refused } from '../support/refused.ts';
import { einsumModel, inputsOf, randomCase, reference, type Case } from '../support/einsum.ts';

function run(c: Case, xs: number[][]) {
  const m = importOnnx(einsumModel(c.eq, c.shapes));
  const y = runGraph(m.graph, Object.fromEntries(xs.map((x, k) => [`x${k}`, { data: x, shape: c.shapes[k] }]))).y;
  return { m, y };
}

const close = (got: ArrayLike<number>, want: number[], abs: number[], what: string) => {
  expect(got.length, what).toBe(want.length);
  want.forEach((w, i) => expect(Math.abs(got[i] - w), `${what} [${i}]: ${got[i]} vs ${w}`).toBeLessThanOrEqual(2e-6 * abs[i] + 1e-6));
};

describe('Einsum', () => {
  it('400 random equations equal the sum over every index assignment', () => {
    for (let seed = 1; seed <= 400; seed++) {
      const c = randomCase(seed);
      const xs = inputsOf(c, seed);
      const { m, y } = run(c, xs);
      const want = reference(c, xs);
      expect(m.graph.outputs[0].node.shape, c.eq).toEqual(c.out.map((l) => c.size[l]));
      close(y, want.y, want.abs, `'${c.eq}' ${JSON.stringify(c.shapes)}`);
    }
  });

  const lowered = (eq: string, shapes: (number | string)[][]) => importOnnx(einsumModel(eq, shapes)).graph.nodes.map((n) => n.op);
  it('lowers a contraction with no batch label to one 2-D MatMul, a batched one to BatchMatMul', () => {
    expect(lowered('bij,jk->bik', [[2, 3, 4], [4, 5]]).filter((o) => o.endsWith('MatMul'))).toEqual(['MatMul']);
    // 'ij,kj->ik' reads the second operand transposed: no Transpose node
    const ops = lowered('ij,kj->ik', [[2, 3], [4, 3]]);
    expect(ops).toContain('MatMul');
    expect(ops).not.toContain('Transpose');
    expect(lowered('bhqd,bhkd->bhqk', [[2, 3, 4, 5], [2, 3, 6, 5]])).toContain('BatchMatMul');
    // nothing to sum: a broadcast Mul
    expect(lowered('i,j->ij', [[2], [3]])).toContain('Mul');
  });

  it('a symbolic batch dim: attention scores and a product with a shared matrix', () => {
    for (const [eq, shapes, fed] of [
      ['bhqd,bhkd->bhqk', [['N', 2, 3, 4], ['N', 2, 5, 4]], [[3, 2, 3, 4], [3, 2, 5, 4]]],
      ['bij,jk->bik', [['N', 3, 4], [4, 2]], [[2, 3, 4], [4, 2]]],
    ] as const) {
      const m = importOnnx(einsumModel(eq, shapes as unknown as (number | string)[][]));
      expect(m.graph.outputs[0].node.shape[0]).toBe('N');
      const labels = eq.split('->')[0].split(',').map((t) => [...t]);
      const size: Record<string, number> = {};
      labels.forEach((ls, k) => ls.forEach((l, i) => (size[l] = fed[k][i])));
      const c: Case = { eq, labels, shapes: fed.map((s) => [...s]), out: [...eq.split('->')[1]], size };
      const xs = inputsOf(c, 5);
      const y = runGraph(m.graph, Object.fromEntries(xs.map((x, k) => [`x${k}`, { data: x, shape: c.shapes[k] }]))).y;
      const want = reference(c, xs);
      close(y, want.y, want.abs, eq);
    }
  });

  it('its gradient through the imported ops equals central finite differences (float64)', () => {
    for (const [eq, shapes] of [['bij,bjk->bik', [[2, 2, 3], [2, 3, 2]]], ['ii,ij->j', [[3, 3], [3, 2]]], ['i,j,ij->', [[2], [3], [2, 3]]]] as const) {
      const m = importOnnx(einsumModel(eq, shapes as unknown as number[][]));
      const y = m.graph.outputs[0].node;
      const n = y.shape.reduce((p: number, d) => p * (d as number), 1);
      const f = B.sum(B.mul(y, B.constant(randoms(n, 3, 0.5, 1.5), y.shape as number[])));
      const gs = grad(f, m.inputs);
      const g = new Graph([{ name: 'f', node: f }, ...gs.map((node, k) => ({ name: `g${k}`, node }))]);
      const xs = shapes.map((s, k) => randoms(s.reduce((p, d) => p * d, 1), 11 + k, -2, 2));
      const at = () => runGraph(g, Object.fromEntries(xs.map((x, k) => [`x${k}`, { data: x, shape: [...shapes[k]] }])), 'f64');
      const analytic = at();
      const h = 1e-6;
      xs.forEach((x, k) =>
        x.forEach((v, i) => {
          x[i] = v + h;
          const fp = at().f[0];
          x[i] = v - h;
          const fm = at().f[0];
          x[i] = v;
          const fd = (fp - fm) / (2 * h);
          expect(Math.abs(analytic[`g${k}`][i] - fd), `${eq}: d/dx${k}[${i}]`).toBeLessThanOrEqual(1e-6 + 1e-6 * Math.abs(fd));
        }),
      );
    }
  });

  it('refuses in one line, naming Einsum and the equation, what it does not compute', () => {
    const at = String.raw`^node 'e' \(Einsum, opset 17\): Einsum '`;
    // a symbolic dim it needs as a number: the model is specialised on the input's shape
    refused(einsumModel('ii->i', [['N', 'N']]), new RegExp(`${at}ii->i': the label 'i' repeated over the symbolic dim N; it comes from the shape of graph input 'x0', known at run time: graphc specialises the model on it `));
    refused(einsumModel('...i->i', [[2, 3]]), new RegExp(`${at}\\.\\.\\.i->i': the inputs' ellipsis covers dims the output`));
    refused(einsumModel('ij,jk', [[2, 3], [4, 5]]), new RegExp(`${at}ij,jk': 'j' is 3 in an earlier input and 4 in input 1$`));
    refused(einsumModel('ij->ji', [[2, 3, 4]]), new RegExp(`${at}ij->ji': term 0 has 2 letters for input 0 of shape \\[2, 3, 4\\]$`));
    refused(einsumModel('i1->i', [[2, 3]]), new RegExp(`${at}i1->i': '1' in term 'i1' is not a letter or an ellipsis$`));
    refused(einsumModel('ij->ik', [[2, 3]]), new RegExp(`${at}ij->ik': the output's 'k' is in no input$`));
    refused(einsumModel('ij,jk->ik', [[2, 3]]), new RegExp(`${at}ij,jk->ik': 2 terms for 1 inputs$`));
  });
});
