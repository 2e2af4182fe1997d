/**
 * What this machine's WebAssembly SIMD can do at best: a loop of independent f32x4 multiply-adds (relaxed
 * SIMD's fused form where the engine has it, as graphc's kernels use), twelve accumulators so that no add
 * waits on another, nothing loaded from memory. Its GFLOP/s bound every WebAssembly kernel on one thread;
 * native peers with wider vectors (AVX2's 256 bits, AVX-512's 512) are not bound by it.
 */
import { module, type Func } from '../runtime/kernels/wasm/asm.ts';
import { FunctionBuilder } from '../runtime/kernels/wasm/builder.ts';
import { hasRelaxedSimd } from '../runtime/kernels/wasm/module.ts';

const ACC = 12;

function peakKernel(fma: boolean): Func {
  const f = new FunctionBuilder('peak', ['i32']);
  const [n] = f.params;
  const [i] = f.locals('i32', 1), [x, y] = f.locals('v128', 2), acc = f.locals('v128', ACC);
  f.f32x4(1.0000001).set(x).f32x4(0.9999999).set(y);
  acc.forEach((a, k) => f.f32x4(k).set(a));
  f.i32(0).set(i);
  f.forUp(i, n, 1, () => {
    for (const a of acc)
      if (fma) f.get(a, x, y).op('f32x4.relaxed_madd').set(a);
      else f.get(a, x).op('f32x4.mul').get(y).op('f32x4.add').set(a);
  });
  // keep the sums alive: store lane 0 of their total at address 0
  f.i32(0).get(acc[0]);
  for (const a of acc.slice(1)) f.get(a).op('f32x4.add');
  f.op('f32x4.extract_lane', 0).op('f32.store');
  return f.func();
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
