/**
 * Concat's gradient against central finite differences of the forward op in float64: for a loss
 * sum(w · Concat(parts)) with w random, each part's gradient (from `grad`, Concat's rule) must be the
 * slope of the loss along each of the part's values, measured by running Concat's kernel. Several axes
 * (first, middle, last), parts of uneven sizes (one of size 1), two to four parts: a gradient that gives
 * a part another part's slice, or a slice at the wrong offset, fails.
 */
import { describe, expect, it } from 'vitest';
import '../../compiler/ops/index.ts';
import { Graph } from '../../compiler/ir/graph.ts';
import { Node, inLeafScope } from '../../compiler/ir/node.ts';
import * as B from '../../compiler/ir/build.ts';
import { grad } from '../../compiler/autodiff/grad.ts';
import { Plan } from '../../runtime/plan.ts';
import { randoms } from '../support/run.ts';

const size = (s: readonly number[]) => s.reduce((p, d) => p * d, 1);

/** [axis, the parts' shapes] */
const cases: [number, number[][]][] = [
  [0, [[1, 3], [4, 3], [2, 3]]],
  [1, [[2, 3, 4], [2, 1, 4], [2, 2, 4]]],
  [2, [[2, 3, 1], [2, 3, 5]]],
  [3, [[2, 1, 2, 3], [2, 1, 2, 1], [2, 1, 2, 2], [2, 1, 2, 4]]],
  [1, [[3, 5, 2], [3, 2, 2]]],
];

function check(axis: number, shapes: number[][], seed: number) {
  const { parts, f } = inLeafScope(() => {
    const parts = shapes.map((s, k) => B.mk('Input', [], { name: `p${k}`, shape: s, dtype: 'f32' }));
    const y = B.mk('Concat', parts, { axis });
    const w = B.constant(randoms(size(y.shape as number[]), seed + 99, 0.5, 1.5), y.shape as number[]);
    return { parts, f: B.sum(B.mul(y, w)) };
  });
  const gs = grad(f, parts);
  const plan = (outputs: Node[]) => new Plan(new Graph(outputs.map((node, k) => ({ name: `o${k}`, node }))), new Map(parts.map((p) => [String(p.attrs.name), p.shape as number[]])), 'f64');
  const values = shapes.map((s, k) => Float64Array.from(randoms(size(s), seed + 17 * k)));
  const feeds = () => new Map(parts.map((p, k) => [String(p.attrs.name), values[k] as unknown as Float32Array]));
  const analytic = plan(gs);
  analytic.run(feeds());
  const loss = plan([f]);
  const at = () => (loss.run(feeds()), loss.value(f).data[0]);
  const h = 1e-6;
  values.forEach((v, k) => {
    const dk = analytic.value(gs[k]).data;
    expect(dk.length, `part ${k}: gradient size`).toBe(v.length);
    for (let i = 0; i < v.length; i++) {
      const keep = v[i];
      v[i] = keep + h;
      const fp = at();
      v[i] = keep - h;
      const fm = at();
      v[i] = keep;
      const fd = (fp - fm) / (2 * h);
      expect(Math.abs(dk[i] - fd), `axis ${axis}, part ${k} [${i}]: gradient ${dk[i]} vs finite difference ${fd}`).toBeLessThanOrEqual(1e-7 * (1 + Math.abs(fd)));
    }
  });
}

describe('Concat gradient against finite differences of Concat (float64)', () => {
  for (const [axis, shapes] of cases)
    it(`axis ${axis}: ${shapes.map((s) => `[${s}]`).join(' + ')}`, () => [1, 2].forEach((seed) => check(axis, shapes, seed)));
});
