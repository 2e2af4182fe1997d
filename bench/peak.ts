/**
 * What this machine's WebAssembly SIMD can do at best: a loop of independent f32x4 multiply-adds (relaxed
 * SIMD's fused form where the engine has it, as graphc's kernels use), twelve accumulators so that no add
 * waits on another, nothing loaded from memory. Its GFLOP/s bound every WebAssembly kernel on one thread;
 * native peers with wider vectors (AVX2's 256 bits, AVX-512's 512) are not bound by it.
 */
import { I32, V128, module, op, simd, type Func } from '../runtime/kernels/wasm/asm.ts';
import { hasRelaxedSimd } from '../runtime/kernels/wasm/module.ts';

const ACC = 12;

function peakKernel(fma: boolean): Func {
  const P = { n: 0 };
  const L = { i: 1, x: 2, y: 3, acc: 4 };
  const b: number[] = [];
  const emit = (...xs: number[][]) => xs.forEach((x) => b.push(...x));
  emit(simd.f32(1.0000001), op.set(L.x), simd.f32(0.9999999), op.set(L.y));
  for (let a = 0; a < ACC; a++) emit(simd.f32(a), op.set(L.acc + a));
  emit(op.i32(0), op.set(L.i));
  emit(op.block, op.loop, op.get(L.i), op.get(P.n), op.geS, op.brIf(1));
  for (let a = 0; a < ACC; a++)
    if (fma) emit(op.get(L.acc + a), op.get(L.x), op.get(L.y), op.f32x4RelaxedMadd, op.set(L.acc + a));
    else emit(op.get(L.acc + a), op.get(L.x), op.f32x4Mul, op.get(L.y), op.f32x4Add, op.set(L.acc + a));
  emit(op.get(L.i), op.i32(1), op.add, op.set(L.i), op.br(0), op.end, op.end);
  // keep the sums alive: store lane 0 of their total at address 0
  emit(op.i32(0), op.get(L.acc));
  for (let a = 1; a < ACC; a++) emit(op.get(L.acc + a), op.f32x4Add);
  emit(op.f32x4Extract(0), op.f32Store(0));
  return { name: 'peak', params: [I32], locals: [I32, V128, V128, ...Array(ACC).fill(V128)], body: b };
}

/** Best GFLOP/s of the loop on the calling thread, over a few rounds of about 20 ms. */
export function simdPeakGflops(): number {
  const fma = hasRelaxedSimd();
  const memory = new WebAssembly.Memory({ initial: 1 });
  const run = new WebAssembly.Instance(new WebAssembly.Module(module([peakKernel(fma)], { shared: false }) as Uint8Array<ArrayBuffer>), { env: { memory } }).exports.peak as (n: number) => void;
  const n = 1 << 20;
  run(n);
  let best = 0;
  for (let round = 0; round < 5; round++) {
    const t = performance.now();
    run(n);
    const s = (performance.now() - t) / 1000;
    best = Math.max(best, (ACC * 4 * 2 * n) / s / 1e9);
  }
  return best;
}
