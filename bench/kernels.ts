/**
 * `npm run bench:kernels`: graphc's kernels alone, variants side by side in one process, for choosing
 * between them on a noisy machine: the variants run in interleaved rounds (each round runs every variant
 * once, many calls), and each one's best round is reported. Not a workload of the benchmark; the figures
 * behind the choices in wasm/rows.ts and wasm/vector.ts.
 *   rows    W2's row kernel (759 rows, 8 features: the program the plan finds in the logistic regression's
 *           step without its loss) with 1 to 5 groups of four rows per iteration
 *   vecmat  W5 batch 1's product (784×256 weights) by the four-row kernel and by the wide kernel
 *           generated for its row width, all rows and half of them (one thread's share)
 *   packing A·Bᵀ with B packed in WebAssembly (in the heap) and in JavaScript (the copying path's way),
 *           at a batch of 128: an MLP's input gradient [128,256]·[784,256]ᵀ and W4's [128,10]·[256,10]ᵀ
 */
import '../compiler/ops/index.ts';
import { compileModel } from '../compiler/passes/compile.ts';
import { Graph } from '../compiler/ir/graph.ts';
import { Plan } from '../runtime/plan.ts';
import { neededIn, regionGroups, regionOf } from '../runtime/rows.ts';
import { resolveShape } from '../compiler/ir/shape.ts';
import diabetes from '../graphs/diabetes.ts';
import { rowKernel, ARG, copiesFor, type RowProgram } from '../runtime/kernels/wasm/rows.ts';
import { vecmatKernel, vecmatWideKernel, WIDE_ARG } from '../runtime/kernels/wasm/vector.ts';
import { module, type Func } from '../runtime/kernels/wasm/asm.ts';
import { heap, MAX_PAGES } from '../runtime/kernels/heap.ts';
import { gemm, gemmScratch } from '../runtime/kernels/wasm/gemm.ts';
import { kernelsFor } from '../runtime/kernels/wasm/gemm-memory.ts';
import { useRelaxedSimd } from '../runtime/node.ts';
import { TorchGenerator } from '../compiler/init/torch-random.ts';

const fma = useRelaxedSimd();
const h = heap()!;
const g = new TorchGenerator(3);
const compile = (f: Func) => new WebAssembly.Instance(new WebAssembly.Module(module([f], { shared: true, maxPages: MAX_PAGES }) as Uint8Array<ArrayBuffer>), { env: { memory: h.memory } }).exports as Record<string, (...a: number[]) => void>;
const ints = (n: number) => {
  const f = h.alloc(n, h);
  return new Int32Array(f.buffer, f.byteOffset, n);
};

/** Best round of each variant (µs a call), over `rounds` interleaved rounds of `calls` calls. */
function race(variants: [string, () => void][], rounds = 40, calls = 2000): void {
  const best = variants.map(() => Infinity);
  for (let r = 0; r < rounds; r++)
    variants.forEach(([, run], i) => {
      const t = performance.now();
      for (let c = 0; c < calls; c++) run();
      best[i] = Math.min(best[i], ((performance.now() - t) / calls) * 1000);
    });
  for (const [i, [name]] of variants.entries()) console.log(`  ${name.padEnd(40)} ${best[i].toFixed(2)} µs`);
}

const want = (w: string) => process.argv.length <= 2 || process.argv.includes(w);

if (want('rows')) {
  // the program of W2's step without its loss, as the plan makes it from the pass's region
  const m = diabetes.build();
  const step = compileModel(m, { lr: diabetes.train.lr }).trainStep;
  const quiet = new Graph(step.outputs.filter((o) => o.name !== 'loss'));
  const N = 759, K = 8;
  const plan = new Plan(quiet, new Map([['x', [N, K]], ['y', [N, 1]]]), { regions: false });
  const shapes = new Map(quiet.nodes.map((n) => [n, resolveShape(n.shape, plan.env)] as const));
  const region = regionOf([...regionGroups(quiet).values()][0], shapes, neededIn(quiet));
  const p: RowProgram = region.program;
  const x = h.copyOf(g.uniform(N * K, -1, 1)), w = h.copyOf(g.uniform(K, -0.5, 0.5));
  // operands: the region's (scalars: their values if known when planning, else a bias-like 0.1; rows: 0/1 targets)
  const operands = region.operands.map((o, j) => h.copyOf(typeof o === 'number' ? [o] : p.operands[j] === 'row' ? g.uniform(N, 0, 1).map((v) => (v > 0.5 ? 1 : 0)) : [0.1]));
  const outs = [...p.stores.map(() => h.alloc(N)), ...p.grads.map(() => h.alloc(K)), ...p.sums.map(() => h.alloc(16))];
  const mask = ints(4);
  for (let l = 0; l < 4; l++) mask[l] = l < N % 4 ? -1 : 0;
  const a = ints(ARG.first + operands.length + outs.length + p.sums.length); // the sums' totals: 0, not written
  a[ARG.x] = x.byteOffset; a[ARG.w] = w.byteOffset; a[ARG.groups] = N >> 2; a[ARG.tail] = N % 4; a[ARG.mask] = mask.byteOffset;
  [...operands, ...outs].forEach((buf, j) => (a[ARG.first + j] = buf.byteOffset));
  console.log(`rows: W2's row kernel, ${N} rows × ${K} (graphc uses ${copiesFor(K)} groups per iteration)`);
  race([1, 2, 3, 4, 5].map((c) => {
    const run = compile(rowKernel(p, fma, c)).kernel;
    return [`${c} group(s) of four rows per iteration`, () => run(a.byteOffset)] as [string, () => void];
  }));
}

if (want('vecmat')) {
  const K = 784, N = 256;
  const v = h.copyOf(g.normal(K)), A = h.copyOf(g.normal(K * N, 0, 0.05)), c = h.alloc(N);
  const four = compile(vecmatKernel(4, fma)).vecmat4, wide = compile(vecmatWideKernel(N * 4, fma)).kernel;
  const args = ints(8);
  const wideRows = (rows: number) => () => {
    args[WIDE_ARG.v0] = v.byteOffset; args[WIDE_ARG.sv] = 4; args[WIDE_ARG.m0] = A.byteOffset; args[WIDE_ARG.c0] = c.byteOffset; args[WIDE_ARG.K] = rows;
    wide(args.byteOffset);
  };
  console.log(`vecmat: W5 batch 1's product, v [${K}] · A [${K}, ${N}], one thread`);
  race([
    [`four rows a pass, all ${K} rows`, () => four(v.byteOffset, 4, A.byteOffset, N * 4, c.byteOffset, K, N * 4, 1)],
    [`wide (eight rows a pass), all ${K} rows`, wideRows(K)],
    [`four rows a pass, ${K / 2} rows`, () => four(v.byteOffset, 4, A.byteOffset, N * 4, c.byteOffset, K / 2, N * 4, 1)],
    [`wide (eight rows a pass), ${K / 2} rows`, wideRows(K / 2)],
  ], 25, 1000);
}
if (want('packing')) {
  const k = kernelsFor(h.memory)!;
  for (const [M, K, N] of [[128, 256, 784], [128, 10, 256]]) {
    const a = h.copyOf(g.normal(M * K)), b = h.copyOf(g.normal(K * N)), c = h.alloc(M * N);
    const scratch = gemmScratch(M, K, N, (n) => h.alloc(n, h), false, true);
    console.log(`packing: A [${M},${K}] · Bᵀ (B stored [${N},${K}]), one thread`);
    // many short rounds: on a shared machine a core's speed changes over tens of milliseconds
    race([true, false].map((inWasm) => [`B packed in ${inWasm ? 'WebAssembly' : 'JavaScript'}`, () => gemm(k, a, b, c, scratch, M, K, N, false, true, inWasm)] as [string, () => void]), 200, Math.max(1, Math.round(2e6 / (M * K * N))));
  }
}
process.exit(0);
