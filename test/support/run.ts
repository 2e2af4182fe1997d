/** Running graphs in tests: feed named values, read named outputs (float32 runtime or float64 reference). */
import type { Graph } from '../../compiler/ir/graph.ts';
import { Plan } from '../../runtime/plan.ts';

export type Feeds = Record<string, { data: ArrayLike<number>; shape: number[] }>;

export function runGraph(g: Graph, feeds: Feeds, precision: 'f32' | 'f64' = 'f32'): Record<string, Float64Array> {
  const Arr = precision === 'f64' ? Float64Array : Float32Array;
  const leaves = new Map<string, Float32Array>();
  const shapes = new Map<string, number[]>();
  for (const n of g.nodes) {
    const name = String(n.attrs.name);
    if (n.op === 'Input') {
      const f = feeds[name];
      if (!f) throw new Error(`test: no feed for input '${name}'`);
      leaves.set(name, Arr.from(f.data) as unknown as Float32Array);
      shapes.set(name, f.shape);
    } else if (n.op === 'Param') {
      const f = feeds[name];
      leaves.set(name, Arr.from(f ? f.data : (n.attrs.init as Float32Array)) as unknown as Float32Array);
    }
  }
  const plan = new Plan(g, shapes, { precision, reuse: false });
  plan.run(leaves);
  return Object.fromEntries(g.outputs.map((o) => [o.name, Float64Array.from(plan.value(o.node).data)]));
}

/** Deterministic pseudo-random numbers in [lo, hi). */
export function randoms(n: number, seed: number, lo = -1, hi = 1): number[] {
  let s = seed >>> 0 || 1;
  return Array.from({ length: n }, () => {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    return lo + ((s >>> 0) / 4294967296) * (hi - lo);
  });
}
