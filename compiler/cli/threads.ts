/**
 * Node's side of the runtime: the helper thread, spawned with worker_threads (the CLI starts it unless
 * told `--threads 1`; the runtime splits large kernels with it from then on), and V8's relaxed SIMD,
 * which Node 20 has behind a flag (the kernels' multiply-adds become fused multiply-adds). Both are
 * called at start-up, before the first kernel is compiled.
 */
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { hasRelaxedSimd } from '../../runtime/wasm/module.ts';

/** Turns on relaxed SIMD where V8 has it behind a flag; returns whether the kernels can use it. */
export function useRelaxedSimd(): boolean {
  if (!WebAssembly.validate(relaxedProbe)) setFlagsFromString('--experimental-wasm-relaxed-simd');
  return hasRelaxedSimd();
}

// (module (func (param v128 v128 v128) (result v128) local.get 0 local.get 1 local.get 2 f32x4.relaxed_madd))
const relaxedProbe = Uint8Array.from([0, 97, 115, 109, 1, 0, 0, 0, 1, 8, 1, 96, 3, 123, 123, 123, 1, 123, 3, 2, 1, 0, 10, 13, 1, 11, 0, 32, 0, 32, 1, 32, 2, 253, 133, 2, 11]);
import { useHelperThread } from '../../runtime/threads.ts';

/**
 * On a machine with a second core, lets the runtime start its helper thread (with worker_threads) when a
 * kernel first has work to split; returns whether it will. Also turns on relaxed SIMD.
 */
export function useNodeHelperThread(): boolean {
  useRelaxedSimd();
  if (availableParallelism() < 2) return false;
  useHelperThread((source) => new Worker(source, { eval: true }));
  return true;
}
