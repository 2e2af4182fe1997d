/**
 * The matrix-product kernels' memories: the process-wide engine with a private memory, into which
 * operands that are not in the runtime's heap are copied (`wasmMatmul`), and the kernels bound to the
 * heap, which the helper thread shares (`kernelsFor`). Both run `gemm` (gemm.ts).
 */
import { WasmKernels } from './module.ts';
import { noteFallback } from '../fallbacks.ts';
import { STRIP, gemm, gemmTimer, padded, tailFloats } from './gemm.ts';

const PAGE = 65536;

/** The panel kernel with its own memory: operands that are not in the heap are copied in. */
export class WasmMatmul {
  private readonly memory = new WebAssembly.Memory({ initial: 16 });
  private readonly kernels = new WasmKernels(this.memory, false);
  private f32 = new Float32Array(this.memory.buffer);

  private ensure(floats: number): Float32Array {
    const bytes = floats * 4;
    if (bytes > this.memory.buffer.byteLength) this.memory.grow(Math.ceil((bytes - this.memory.buffer.byteLength) / PAGE));
    if (this.f32.buffer !== this.memory.buffer) this.f32 = new Float32Array(this.memory.buffer);
    return this.f32;
  }

  /** c = op(a)·op(b); op(a) is [M,K], op(b) is [K,N]. */
  run(a: Float32Array, b: Float32Array, c: Float32Array, M: number, K: number, N: number, transA: boolean, transB: boolean): void {
    const NP = padded(N);
    const aOff = 0, pOff = M * K, qOff = pOff + K * NP, cOff = qOff + M * NP, sOff = cOff + M * N + 8, tOff = sOff + STRIP;
    const mem = this.ensure(tOff + tailFloats(K, N));
    mem.set(a.subarray(0, M * K), aOff);
    const cv = mem.subarray(cOff, cOff + M * N);
    // (the private memory is not shared, so these products never split; their timer is still their shape's)
    const scratch = { packed: mem.subarray(pOff, qOff), paddedC: N % 8 ? mem.subarray(qOff, cOff) : null, timer: gemmTimer(M, K, N, transA, transB), strip: transA ? mem.subarray(sOff, sOff + STRIP) : null, tail: M % 4 ? mem.subarray(tOff, tOff + tailFloats(K, N)) : null, bias: null };
    gemm(this.kernels, mem.subarray(aOff, aOff + M * K), b, cv, scratch, M, K, N, transA, transB);
    c.set(cv);
  }
}

let shared: WasmMatmul | null | undefined;
/** The process-wide engine with a private memory, or null where WebAssembly SIMD is not available. */
export function wasmMatmul(): WasmMatmul | null {
  if (shared === undefined) {
    try {
      shared = new WasmMatmul();
    } catch (e) {
      noteFallback('WebAssembly matrix products (private memory)', e);
      shared = null;
    }
  }
  return shared;
}

const bound = new WeakMap<WebAssembly.Memory, WasmKernels | null>();
/** The kernels bound to a shared memory (the runtime's heap), or null where that fails. */
export function kernelsFor(memory: WebAssembly.Memory): WasmKernels | null {
  let k = bound.get(memory);
  if (k === undefined) {
    try {
      k = new WasmKernels(memory, true);
    } catch (e) {
      noteFallback('WebAssembly matrix products in the heap', e);
      k = null;
    }
    bound.set(memory, k);
  }
  return k;
}
