/**
 * The driver of the narrow product kernel (narrow.ts): which products it runs, Bᵀ and the bias where they
 * are not in the kernels' memory, and the split of the rows with the helper thread.
 */
import type { WasmKernels } from './module.ts';
import { idleHelper } from '../threads.ts';
import { MAX_CHUNKS } from '../jobs.ts';
import { helped, splitTimer, type SplitTimer } from '../split.ts';
import { SPLIT_MIN_WORK } from './gemm.ts';
import { matvecChunkRows } from './vector-drivers.ts';

/**
 * Whether the narrow kernel runs a product of M·K·N (A not transposed) rather than the panel kernel: below
 * 4 columns always (the panel kernel takes 4 or more; the JavaScript loops ran such products 15 to 30
 * times slower), else for a product large enough to split (SPLIT_MIN_WORK) where the panel kernel's
 * padding to whole panels of 8 is more than an eighth of its work. Measured on [4096,256]·[256,N], one
 * thread: the narrow kernel faster for N 2–6, 9–13 and 17–20 (10 columns: 0.55 against 0.81 ms), the panel
 * kernel for 7, 8, 15, 16 and 24. Smaller products keep the panel kernel, whose sums run along k in order:
 * there the gain is microseconds a call, and a model trained many epochs follows the order its kernels
 * sum in (the digits CNN's ten epochs of Adam moved by more than PyTorch's own spread).
 */
export const narrowApplies = (M: number, K: number, N: number) =>
  N >= 2 && (N < 4 || (N <= 24 && 8 * N < 7 * ((N + 7) & ~7) && M * K * N >= SPLIT_MIN_WORK));

/** What a narrow product of one shape keeps in the heap: Bᵀ (where B must be transposed or copied) and a bias's copy. */
export interface NarrowScratch {
  readonly bt: Float32Array;
  readonly bias: Float32Array | null;
  readonly timer: SplitTimer;
}

export function narrowScratch(M: number, K: number, N: number, transB: boolean, withBias: boolean, alloc: (floats: number) => Float32Array): NarrowScratch {
  const layout = transB ? ' (B transposed)' : '';
  return { bt: alloc(N * K), bias: withBias ? alloc(N) : null, timer: splitTimer(`narrow product [${M},${K}]·[${K},${N}]${layout}`) };
}

/**
 * c = a·op(b) (+ bias, then ReLU) by the narrow kernel, a and c in the kernels' memory: a transposed B in
 * it is read in place as Bᵀ, any other is copied into the scratch as Bᵀ first (N·K floats), as is a bias
 * not in it. A product large enough is split by rows with the helper thread where its timer measured that
 * to pay (split.ts): both threads take chunks of rows, the same kernel over the same rows either way.
 */
export function narrowProduct(k: WasmKernels, a: Float32Array, b: Float32Array, c: Float32Array, s: NarrowScratch, M: number, K: number, N: number, transB: boolean, bInMemory: boolean, bias: Float32Array | null, biasInMemory: boolean, relu: boolean): void {
  let bt0: number;
  if (transB && bInMemory) bt0 = b.byteOffset;
  else {
    const bt = s.bt;
    if (transB) for (let i = 0; i < N * K; i++) bt[i] = b[i];
    else for (let j = 0; j < N; j++) for (let kk = 0, o = j * K; kk < K; kk++) bt[o + kk] = b[kk * N + j];
    bt0 = bt.byteOffset;
  }
  let bias0 = 0;
  if (bias && biasInMemory) bias0 = bias.byteOffset;
  else if (bias) {
    const p = s.bias!;
    for (let j = 0; j < N; j++) p[j] = bias[j]; // (no view made: a call allocates nothing)
    bias0 = p.byteOffset;
  }
  const n = narrowCalling;
  n.k = k, n.a0 = a.byteOffset, n.lda = K * 4, n.bt0 = bt0, n.c0 = c.byteOffset, n.ldc = N * 4, n.M = M, n.kb4 = (K & ~3) * 4, n.kb = K * 4, n.N = N, n.bias = bias0, n.relu = relu ? 1 : 0;
  const split = M >= 64 && M * K * N >= SPLIT_MIN_WORK && k.shared;
  const ch = split ? matvecChunkRows(M) : M, chunks = Math.ceil(M / ch);
  const helper = split && chunks <= MAX_CHUNKS ? idleHelper() : null;
  const post = helper !== null && s.timer.split();
  const t0 = helper ? performance.now() : 0;
  n.ch = ch;
  let done = 0;
  if (post) {
    const hp = helper!;
    hp.post('narrow', n.a0, n.lda, bt0, n.kb, n.c0, n.ldc, M, n.kb4, n.kb, N, bias0, n.relu, ch, hp.freeChunks(chunks), hp.spare(ch * N));
    done = hp.shareChunks(chunks, narrowChunk);
  } else narrowRows(0, M);
  if (helper) s.timer.record(post, performance.now() - t0, helped(done, chunks));
}

/**
 * The narrow product the calling thread is running, set in place and run by functions made once, so that
 * a call allocates nothing.
 */
const narrowCalling = { k: null as WasmKernels | null, a0: 0, lda: 0, bt0: 0, c0: 0, ldc: 0, M: 0, kb4: 0, kb: 0, N: 0, bias: 0, relu: 0, ch: 0 };

function narrowRows(i: number, r: number): void {
  const n = narrowCalling;
  n.k!.narrow(n.a0 + i * n.lda, n.lda, n.bt0, n.kb, n.c0 + i * n.ldc, n.ldc, r, n.kb4, n.kb, n.N, n.bias, n.relu);
}

function narrowChunk(c: number): void {
  const n = narrowCalling;
  narrowRows(c * n.ch, Math.min(n.M, c * n.ch + n.ch) - c * n.ch);
}
