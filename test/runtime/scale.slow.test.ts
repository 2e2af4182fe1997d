/**
 * Large graphs plan in near-linear time: a chain of 50,000 Relu and a graph 20,000 nodes wide import,
 * plan and run, with the right values, buffers shared by liveness (`bench/scale.ts` times them).
 */
import { describe, expect, it } from 'vitest';
import { importOnnx } from '../../export/index.ts';
import { Plan } from '../../runtime/plan.ts';
import { chain, wide } from '../fuzz/build.ts';

function planAndRun(bytes: Uint8Array) {
  const m = importOnnx(bytes);
  const t0 = performance.now();
  const plan = new Plan(m.graph, new Map([['x', [2, 4]]]));
  const ms = performance.now() - t0;
  const leaves = new Map<string, Float32Array>([['x', Float32Array.of(-1, 2, -3, 4, 5, -6, 7, -8)]]);
  for (const p of m.params) leaves.set(String(p.attrs.name), p.attrs.init as Float32Array);
  plan.run(leaves);
  return { plan, ms, out: [...plan.value(m.graph.outputs[0].node).data] };
}

describe('planning large graphs', () => {
  it('a chain of 50,000 Relu: two buffers, planned in seconds', () => {
    const { plan, ms, out } = planAndRun(chain(50000, 'Relu'));
    expect(out).toEqual([0, 2, 0, 4, 5, 0, 7, 0]);
    // 32 bytes per value, aligned to 64: a chain needs at most two buffers alive at once, plus the output
    expect(plan.memory.livenessBound).toBeLessThanOrEqual(128);
    expect(plan.memory.arenaBytes).toBeGreaterThanOrEqual(plan.memory.livenessBound);
    expect(plan.memory.arenaBytes).toBeLessThanOrEqual(192);
    // quadratic placement took about a minute here; the bound leaves room for a loaded machine
    expect(ms).toBeLessThan(30_000);
  });
  it('a graph 20,000 nodes wide', () => {
    const n = 20000;
    const { plan, out } = planAndRun(wide(n));
    // sum over k of (x + k)
    const x = [-1, 2, -3, 4, 5, -6, 7, -8];
    out.forEach((v, i) => expect(v).toBeCloseTo(n * x[i] + (n * (n - 1)) / 2, -2));
    expect(plan.memory.arenaBytes).toBeGreaterThanOrEqual(plan.memory.livenessBound);
    expect(plan.memory.arenaBytes).toBeLessThan(plan.memory.unsharedBytes);
  });
});
