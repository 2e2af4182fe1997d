/**
 * Large graphs, timed: a chain of Relu nodes and a graph as wide, each imported from ONNX, planned and
 * run on a [4, 4] input; prints milliseconds per stage and per node.
 *   node --conditions=graphc-source --import tsx bench/scale.ts [chain nodes] [wide nodes]
 */
import { importOnnx } from '../export/index.ts';
import { Plan } from '../runtime/plan.ts';
import { chain, wide } from '../test/fuzz/build.ts';

function time(label: string, nodes: number, bytes: Uint8Array): void {
  const t0 = performance.now();
  const m = importOnnx(bytes);
  const t1 = performance.now();
  const plan = new Plan(m.graph, new Map([['x', [4, 4]]]));
  const t2 = performance.now();
  const leaves = new Map<string, Float32Array>([['x', new Float32Array(16).fill(1)]]);
  for (const p of m.params) leaves.set(String(p.attrs.name), p.attrs.init as Float32Array);
  plan.run(leaves);
  const t3 = performance.now();
  const f = (ms: number) => `${ms.toFixed(0)} ms`;
  console.log(`${label}: import ${f(t1 - t0)}, plan ${f(t2 - t1)}, run ${f(t3 - t2)}; ${(((t3 - t0) / nodes) * 1000).toFixed(1)} µs per node`);
}

const [n = 50000, w = 20000] = process.argv.slice(2).map(Number);
time(`chain of ${n} Relu`, n, chain(n, 'Relu'));
time(`${w} wide`, 2 * w, wide(w));
