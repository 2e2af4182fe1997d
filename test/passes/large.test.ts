/**
 * Large graphs through the passes and the importer's ordering: a fused loop holds at most `MAX_GROUP` ops
 * (a longer chain becomes several loops that compute the same values), and the importer's build order
 * is Kahn's, first-in first-out, with a cycle refused.
 */
import { describe, expect, it } from 'vitest';
import { importOnnx } from '../../export/index.ts';
import { optimize } from '../../compiler/passes/index.ts';
import { MAX_GROUP } from '../../compiler/passes/rules/group-elementwise.ts';
import { bodyOf } from '../../compiler/ops/fused.ts';
import { nodeOrder } from '../../export/import-order.ts';
import { Plan } from '../../runtime/plan.ts';
import { chain } from '../fuzz/build.ts';

describe('a chain longer than a fused loop holds', () => {
  it('becomes several loops of at most MAX_GROUP ops, with the values of the chain', () => {
    const n = 2 * MAX_GROUP + 10;
    const m = importOnnx(chain(n, 'Add'));
    const g = optimize(m.graph);
    const fused = g.nodes.filter((x) => x.op === 'Fused');
    expect(fused.length).toBe(3);
    expect(fused.reduce((s, f) => s + bodyOf(f).length, 0)).toBe(n);
    for (const f of fused) expect(bodyOf(f).length).toBeLessThanOrEqual(MAX_GROUP);
    const x = Float32Array.of(1, -2, 0.5, 3, 0, 1, 2, -1);
    const plan = new Plan(g, new Map([['x', [2, 4]]]));
    plan.run(new Map([['x', x]]));
    // x + x + ... (n + 1 times), exact in float32 for these values
    expect([...plan.value(g.outputs[0].node).data]).toEqual([...x].map((v) => v * (n + 1)));
  });
});

describe('the importer\'s build order', () => {
  const order = (edges: number[][]) => nodeOrder(edges.length, (i, edge) => edges[i].forEach(edge));
  it('producers first, in file order where free, repeats and unordered files allowed', () => {
    expect(order([[], [0, 0], [], [1, 2]])).toEqual([0, 2, 1, 3]);
    expect(order([[2], [2, 0], []])).toEqual([2, 0, 1]);
  });
  it('a cycle, a node reading itself included, has no order', () => {
    expect(order([[1], [0]])).toBeUndefined();
    expect(order([[], [1]])).toBeUndefined();
  });
});
