/**
 * Drivers of the WebAssembly matrix-vector and vector-matrix kernels (vector.ts): one row or one column
 * streamed once, split by rows with the helper thread (threads.ts) where the product is large enough.
 */
import { hasRelaxedSimd, shapeKernel, type ShapeKernel, type WasmKernels } from './module.ts';
import { WIDE_ARG, WIDE_ROWS, vecmatWideKernel } from './vector.ts';
import { idleHelper, type HelperThread } from '../threads.ts';
import type { JobArgs } from '../jobs.ts';
import { splitTimer, type SplitTimer } from '../split.ts';
import { SPLIT_MIN_WORK } from './gemm.ts';

/** Matrices (K·N) from this size have vector-matrix products split by rows. */
export const VECMAT_SPLIT_MIN = 1 << 16;

/** c[i] = Σ_k A[i,k]·v[k] for A [M,K] row-major; all three views of the kernels' memory. */
export function matvec(k: WasmKernels, A: Float32Array, v: Float32Array, c: Float32Array, M: number, K: number, timer: SplitTimer | null = null): void {
  // split: rows [0, mine) here, [mine, M) by the helper's kernel (matvec), here when not posted or taken back
  const split = timer !== null && M * K >= SPLIT_MIN_WORK && M >= 16;
  const helper = split ? idleHelper() : null;
  const post = helper !== null && timer!.split();
  const t0 = helper ? performance.now() : 0;
  const mine = split ? M >> 1 : M;
  const kb16 = (K - (K % 16)) * 4, kb4 = (K - (K % 4)) * 4;
  const theirs = (): JobArgs<'matvec'> => [A.byteOffset + mine * K * 4, K * 4, v.byteOffset, c.byteOffset + mine * 4, M - mine, kb16, kb4, K * 4];
  if (post) helper!.post('matvec', ...theirs());
  // short rows (K a multiple of 4, up to a few vectors): four rows at a time, reduced together
  const four = K % 4 === 0 && K <= 64 ? mine - (mine % 4) : 0;
  if (four > 0) k.matvec4(A.byteOffset, K * 4, v.byteOffset, c.byteOffset, four, K * 4);
  if (four < mine) k.matvec(A.byteOffset + four * K * 4, K * 4, v.byteOffset, c.byteOffset + four * 4, mine - four, kb16, kb4, K * 4);
  if (split && (!post || helper!.finish())) {
    k.matvec(...theirs());
  }
  if (helper) timer!.record(post, performance.now() - t0);
}

/** What a vector-matrix product of one width needs in the heap: the helper's partial sums and two argument blocks. */
export interface VecmatScratch {
  /** The helper's share of the outputs (N rounded up to 4 floats). */
  readonly partial: Float32Array;
  /**
   * Argument blocks of the wide kernel (WIDE_ARG), eight i32s each: `vecmat`'s (ours at 0, the helper's
   * at 8), then its entry's (all rows at 16, ours at 24, the helper's at 32) and the entry's own at 40.
   */
  readonly args: Int32Array;
  /** The wide kernel for this width and memory, found on the first call (null: none). */
  wide?: ShapeKernel | null;
  /** Whether posting rows to the helper thread pays for this product (split.ts). */
  readonly timer: SplitTimer;
}

/** Scratch for `vecmat` of width N (over K rows), from `alloc` (heap floats). */
export function vecmatScratch(K: number, N: number, alloc: (floats: number) => Float32Array): VecmatScratch {
  const N4 = (N + 3) & ~3;
  const f = alloc(N4 + 48);
  return { partial: f.subarray(0, N4), args: new Int32Array(f.buffer, f.byteOffset + N4 * 4, 48), timer: splitTimer(`vector-matrix product [${K}]·[${K},${N}]`) };
}

/** The wide vector-matrix kernel for rows of `ldm` bytes, compiled for the heap's memory (null where it does not compile). */
export function wideKernel(ldm: number, memory: WebAssembly.Memory): ShapeKernel | null {
  const fma = hasRelaxedSimd();
  return shapeKernel(`vecmatWide|${fma}|${ldm}`, () => vecmatWideKernel(ldm, fma), memory);
}

/**
 * c[j] = Σ_k v[k]·A[k,j] for A [K,N] row-major and v with stride `sv` (elements); all views of the kernels'
 * memory. The columns are done in whole vectors, N rounded up to 4: the extra lanes read the start of the
 * next row (or up to 12 bytes past the matrix, inside the heap's slack) and are written into c's padding
 * (every heap buffer has 16-byte padding), never into a result. With `scratch` (in the same memory), rows
 * go eight at a time through the kernel generated for this width (vector.ts, `vecmatWideKernel`), and
 * with a helper thread they are split: the helper sums the last half of the rows (a multiple of 8) into
 * `scratch.partial`, which is then added to c. Each thread streams one contiguous half of the matrix, the
 * same half call after call, which for a weight matrix can stay in that core's cache (a 784×256 float
 * matrix does not fit one core's L2 on every machine; its halves do; halves of every row would use only
 * half of the L2's sets).
 */
export function vecmat(k: WasmKernels, v: Float32Array, sv: number, A: Float32Array, c: Float32Array, K: number, N: number, scratch: VecmatScratch | null = null): void {
  const N4 = (N + 3) & ~3;
  // narrow matrices (up to 16 columns): c in registers over all rows, overwritten
  if (N4 <= 16) return k.vecmatTall[(N4 >> 2) - 1](v.byteOffset, sv * 4, A.byteOffset, N * 4, c.byteOffset, K);
  const wide = scratch !== null && k.shared ? (scratch.wide ??= wideKernel(N * 4, k.memory)) : null;
  const split = scratch !== null && vecmatSplits(K, N);
  const helper = split ? idleHelper() : null;
  const post = helper !== null && scratch!.timer.split();
  const t0 = helper ? performance.now() : 0;
  if (wide) vecmatWide(k, wide, split, post ? helper : null, v, sv, A, c, K, N, scratch!);
  else vecmatFour(k, split, post ? helper : null, v, sv, A, c, K, N, scratch);
  if (helper) scratch!.timer.record(post, performance.now() - t0);
}

/** Whether a vector-matrix product of K rows and N columns is split with the helper thread (when there is one). */
export const vecmatSplits = (K: number, N: number) => ((N + 3) & ~3) >= 32 && K >= 64 && K * N >= VECMAT_SPLIT_MIN;

/** Of a split product's K rows, the calling thread's: [0, mine), the helper's [mine, K) (a multiple of 8). */
export const ownRows = (K: number) => K - ((K >> 4) << 3);

/** Writes the wide kernel's argument block at i32 `at` of `a`: rows [r0, r0 + rows) of v·A into out. */
export function wideBlock(a: Int32Array, at: number, v: Float32Array, sv: number, A: Float32Array, N: number, r0: number, rows: number, out: Float32Array): void {
  a[at + WIDE_ARG.v0] = v.byteOffset + r0 * sv * 4; a[at + WIDE_ARG.sv] = sv * 4; a[at + WIDE_ARG.m0] = A.byteOffset + r0 * N * 4;
  a[at + WIDE_ARG.c0] = out.byteOffset; a[at + WIDE_ARG.K] = rows;
}

/**
 * `vecmat` by the wide kernel; `split`: the rows in two shares (the second's sums in `scratch.partial`,
 * added to c), the second posted to `helper` if given. (Each way is a function of its own, as is the
 * choice: V8 optimizes small functions sooner and faster, which a new product's first calls wait for.)
 */
function vecmatWide(k: WasmKernels, wide: ShapeKernel, split: boolean, helper: HelperThread | null, v: Float32Array, sv: number, A: Float32Array, c: Float32Array, K: number, N: number, scratch: VecmatScratch): void {
  const N4 = (N + 3) & ~3;
  const a = scratch.args;
  const slot = helper ? helper.load(wide) : -1;
  const mine = split ? ownRows(K) : K;
  // the second share: the helper's rows are a multiple of 8, all through the wide kernel
  if (split) wideBlock(a, 8, v, sv, A, N, mine, K - mine, scratch.partial);
  if (slot >= 0) {
    helper!.post('call', slot, a.byteOffset + 32);
  }
  const K8 = mine - (mine % WIDE_ROWS);
  wideBlock(a, 0, v, sv, A, N, 0, K8, c);
  wide.fn(a.byteOffset); // (zeroes c first, even for no rows)
  if (K8 < mine) k.vecmat1(v.byteOffset + K8 * sv * 4, sv * 4, A.byteOffset + K8 * N * 4, N * 4, c.byteOffset, mine - K8, N4 * 4, 0);
  if (split) {
    if (slot < 0 || helper!.finish()) wide.fn(a.byteOffset + 32);
    k.addTo(c.byteOffset, scratch.partial.byteOffset, N4 * 4);
  }
}

/** `vecmat` by the four-row kernel. */
function vecmatFour(k: WasmKernels, split: boolean, helper: HelperThread | null, v: Float32Array, sv: number, A: Float32Array, c: Float32Array, K: number, N: number, scratch: VecmatScratch | null): void {
  const N4 = (N + 3) & ~3;
  // rows [0, mine) here, [mine, K) as the helper's job (JOB_VECMAT) does them; mine is a multiple of 4
  split &&= scratch !== null;
  const mine = split ? (K >> 3) << 2 : K;
  const rest = K - mine, rest4 = rest - (rest % 4);
  const theirs = (): JobArgs<'vecmat'> => [
    v.byteOffset + mine * sv * 4, sv * 4, A.byteOffset + mine * N * 4, N * 4, scratch!.partial.byteOffset,
    rest4, N4 * 4, v.byteOffset + (mine + rest4) * sv * 4, A.byteOffset + (mine + rest4) * N * 4, rest - rest4,
  ];
  if (split && helper) helper.post('vecmat', ...theirs());
  const K4 = mine - (mine % 4);
  // (the four-row kernel zeroes c first, even when it has no rows)
  k.vecmat4(v.byteOffset, sv * 4, A.byteOffset, N * 4, c.byteOffset, K4, N4 * 4, 1);
  if (K4 < mine) k.vecmat1(v.byteOffset + K4 * sv * 4, sv * 4, A.byteOffset + K4 * N * 4, N * 4, c.byteOffset, mine - K4, N4 * 4, 0);
  if (split) {
    if (!helper || helper.finish()) {
      const [v0, sv4, m0, ldm, c0, K4t, nb, vt, mt, Kt] = theirs();
      if (nb > 0) {
        k.vecmat4(v0, sv4, m0, ldm, c0, K4t, nb, 1);
        if (Kt > 0) k.vecmat1(vt, sv4, mt, ldm, c0, Kt, nb, 0);
      }
    }
    k.addTo(c.byteOffset, scratch!.partial.byteOffset, N4 * 4);
  }
}
