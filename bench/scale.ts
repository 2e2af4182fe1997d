/**
 * Large graphs, timed stage by stage: a chain of Relu nodes, a chain of Add nodes and a graph as wide,
 * each decoded and imported from ONNX, verified, optimized (every pass of the pipeline, timed alone),
 * planned, run on a [4, 4] input and exported again. Prints milliseconds and microseconds per node for
 * each stage, so a stage that grows faster than the graph shows as a per-node time that grows with it.
 *   node --conditions=graphc-source --import tsx bench/scale.ts [chain nodes] [wide nodes]
 */
import { decodeModel, exportGraph, importOnnx } from '../export/index.ts';
import { verify } from '../compiler/ir/verify.ts';
import { graphPasses, runPasses } from '../compiler/passes/index.ts';
import type { Graph } from '../compiler/ir/graph.ts';
import { Plan } from '../runtime/plan.ts';
import { chain, wide } from '../test/fuzz/build.ts';

interface Stage {
  readonly stage: string;
  readonly ms: number;
}

function stages(bytes: Uint8Array): Stage[] {
  const out: Stage[] = [];
  const timed = <T>(stage: string, fn: () => T): T => {
    const t0 = performance.now();
    const r = fn();
    out.push({ stage, ms: performance.now() - t0 });
    return r;
  };
  timed('decode', () => decodeModel(bytes));
  const m = timed('import', () => importOnnx(bytes));
  timed('verify', () => verify(m.graph));
  let g: Graph = m.graph;
  for (const p of graphPasses()) g = timed(p.name, () => runPasses(g, [p]));
  const plan = timed('plan', () => new Plan(g, new Map([['x', [4, 4]]])));
  const leaves = new Map<string, Float32Array>([['x', new Float32Array(16).fill(1)]]);
  for (const p of g.params) leaves.set(String(p.attrs.name), p.attrs.init as Float32Array);
  timed('run', () => plan.run(leaves));
  timed('export', () => exportGraph(g, { mode: 'inference', name: 'scale' }));
  return out;
}

function report(label: string, nodes: number, bytes: Uint8Array): void {
  const s = stages(bytes);
  const total = s.reduce((a, x) => a + (x.stage === 'decode' ? 0 : x.ms), 0);
  console.log(`${label} (${nodes} nodes, ${(bytes.length / 1e6).toFixed(1)} MB): ${(total / 1000).toFixed(2)} s, ${((total / nodes) * 1000).toFixed(1)} µs per node`);
  // decode is part of import; runPasses verifies before and after each pass, so each pass's time holds two verifications
  for (const x of s) console.log(`  ${x.stage.padEnd(18)} ${x.ms.toFixed(0).padStart(7)} ms ${((x.ms / nodes) * 1000).toFixed(2).padStart(8)} µs/node`);
}

const [n = 100000, w = 20000] = process.argv.slice(2).map(Number);
report(`chain of ${n} Relu`, n, chain(n, 'Relu'));
report(`chain of ${n} Add`, n, chain(n, 'Add'));
// w nodes reading the input, w - 1 summing them pairwise
report(`${w} wide`, 2 * w - 1, wide(w));
