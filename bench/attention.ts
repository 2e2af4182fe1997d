/**
 * `node --import tsx --conditions=graphc-source bench/attention.ts [--rounds R] [--calls C]`: the
 * attention-shaped batched products alone, as plans run them (float32, the shared heap, the helper thread
 * installed as the CLI installs it): the forward product [8,12,128,64]·[8,12,64,128] (attention's Q·Kᵀ and
 * P·V have its slices' shape), and its gradient's two products (G·Bᵀ and Aᵀ·G, as the op's gradient rule
 * writes them) in one plan. Each is timed
 * with the helper's share forced off (one thread), forced on (two threads) and measured (the kernels'
 * own split timers: what a plan does), in interleaved rounds of C calls; each way's best round is
 * reported (ms a call), and each product's kernel path.
 */
import '../compiler/ops/index.ts';
import * as B from '../compiler/ir/build.ts';
import { Graph } from '../compiler/ir/graph.ts';
import { Plan } from '../runtime/plan.ts';
import { heap } from '../runtime/kernels/heap.ts';
import { SplitTimer } from '../runtime/kernels/split.ts';
import { readyHelper } from '../runtime/kernels/threads.ts';
import { useNodeHelperThread } from '../runtime/node.ts';
import { TorchGenerator } from '../compiler/init/torch-random.ts';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const rounds = arg('--rounds', 15), calls = arg('--calls', 20);
const helper = useNodeHelperThread();
const h = heap()!;
const g = new TorchGenerator(1);
const size = (s: readonly number[]) => s.reduce((p, d) => p * d, 1);
const input = (name: string, shape: number[]) => B.mk('Input', [], { name, shape, dtype: 'f32' });

const as = [8, 12, 128, 64], bs = [8, 12, 64, 128], ys = [8, 12, 128, 128];
const a = input('a', as), b = input('b', bs), w = input('w', ys);
const y = B.mk('BatchMatMul', [a, b]);
// the gradient's products as BatchMatMul's gradient rule writes them, for an incoming gradient w
const da = B.batchMatmul(w, b, false, true), db = B.batchMatmul(a, w, true, false);
const feeds = { a: h.copyOf(g.normal(size(as))), b: h.copyOf(g.normal(size(bs))), w: h.copyOf(g.normal(size(ys))) };

function planOf(outputs: { name: string; node: typeof y }[]) {
  const graph = new Graph(outputs);
  const plan = new Plan(graph, new Map([['a', as], ['b', bs], ['w', ys]]));
  const leaves = plan.leafNames.map((n) => feeds[n as keyof typeof feeds]);
  return { plan, run: () => plan.runWith(leaves) };
}

const cases = [
  { what: `forward [${as}]·[${bs}]`, ...planOf([{ name: 'y', node: y }]) },
  { what: 'gradient: dA = G·Bᵀ and dB = Aᵀ·G', ...planOf([{ name: 'da', node: da }, { name: 'db', node: db }]) },
];

// the helper started (it starts when a kernel first has work to split) and every kernel warmed both ways
for (let i = 0; i < 200 && helper && !readyHelper(); i++) {
  for (const c of cases) c.run();
  await new Promise((r) => setTimeout(r, 10));
}
const ways: [string, boolean | null][] = [['one thread', false], ['two threads', true], ['measured', null]];
for (const [, force] of ways) {
  SplitTimer.force = force;
  for (const c of cases) for (let i = 0; i < 40; i++) c.run();
}
const best = cases.map(() => ways.map(() => Infinity));
for (let r = 0; r < rounds; r++)
  cases.forEach((c, i) =>
    ways.forEach(([, force], j) => {
      SplitTimer.force = force;
      const t = performance.now();
      for (let k = 0; k < calls; k++) c.run();
      best[i][j] = Math.min(best[i][j], (performance.now() - t) / calls);
    }),
  );
SplitTimer.force = null;
console.log(`helper thread: ${readyHelper() ? 'running' : 'none'}; best of ${rounds} rounds of ${calls} calls (ms a call)`);
cases.forEach((c, i) => {
  console.log(`${c.what}`);
  for (const k of c.plan.report().kernels) if (k.node.op === 'BatchMatMul') console.log(`  path: ${k.path}`);
  ways.forEach(([name], j) => console.log(`  ${name.padEnd(12)} ${best[i][j].toFixed(3)} ms`));
});
process.exit(0);
