/**
 * Drivers of the WebAssembly matrix-vector and vector-matrix kernels (vector.ts): one row or one column
 * streamed once, split by rows with the helper thread (threads.ts) where the product is large enough.
 */
import { hasRelaxedSimd, shapeKernel, type ShapeKernel, type WasmKernels } from './module.ts';
import { WIDE_ARG, WIDE_ROWS, vecmatWideKernel } from './vector.ts';
import { idleHelper, type HelperThread } from '../threads.ts';
import { CHUNK, MAX_CHUNKS } from '../jobs.ts';
import { helped, splitTimer, type SplitTimer } from '../split.ts';
import { SPLIT_MIN_WORK } from './gemm.ts';

/** Matrices (K·N) from this size have vector-matrix products split by rows. */
export const VECMAT_SPLIT_MIN = 1 << 16;

/** Rows of a chunk of a split matrix-vector product of M rows (a multiple of 4): about 1/32 of them. */
export const matvecChunkRows = (M: number) => Math.max(16, ((Math.ceil(M / 32) + 3) & ~3));

/**
 * c[i] = Σ_k A[i,k]·v[k] for A [M,K] row-major; all three views of the kernels' memory. Short rows (K a
 * multiple of 4, up to a few vectors) go four at a time, reduced together. A product large enough to
 * split is done in chunks of rows (`matvecChunkRows`) which both threads take while any are left, when
 * the helper is posted (split.ts); each row's sum is the same whichever thread computes its chunk.
 */
export function matvec(k: WasmKernels, A: Float32Array, v: Float32Array, c: Float32Array, M: number, K: number, timer: SplitTimer | null = null): void {
  const split = timer !== null && M * K >= SPLIT_MIN_WORK && M >= 64;
  const ch = split ? matvecChunkRows(M) : M, chunks = Math.ceil(M / ch);
  const helper = split && chunks <= MAX_CHUNKS ? idleHelper() : null;
  const post = helper !== null && timer!.split();
  const t0 = helper ? performance.now() : 0;
  const kb16 = (K - (K % 16)) * 4, kb4 = (K - (K % 4)) * 4, lda = K * 4;
  const four = K % 4 === 0 && K <= 64;
  const m = matvecCalling;
  m.k = k, m.a0 = A.byteOffset, m.lda = lda, m.v0 = v.byteOffset, m.c0 = c.byteOffset, m.M = M, m.kb16 = kb16, m.kb4 = kb4, m.four = four, m.ch = ch;
  let done = 0;
  if (post) {
    const hp = helper!;
    hp.post('matvec', A.byteOffset, lda, v.byteOffset, c.byteOffset, M, kb16, kb4, lda, ch, four ? 1 : 0, hp.freeChunks(chunks), hp.spare(ch));
    done = hp.shareChunks(chunks, matvecChunk);
  } else matvecRows(m, 0, M);
  if (helper) timer!.record(post, performance.now() - t0, helped(done, chunks));
}

/**
 * The matrix-vector product the calling thread is running (one at a time: a thread runs one kernel at
 * once), set in place and run by functions made once, so that a call, split or not, allocates nothing (a
 * closure made a call would be garbage every training step).
 */
const matvecCalling = { k: null as WasmKernels | null, a0: 0, lda: 0, v0: 0, c0: 0, M: 0, kb16: 0, kb4: 0, four: false, ch: 0 };

/** Rows [i, i + r) of `m`: four at a time where they are short, the last r mod 4 one at a time. */
function matvecRows(m: typeof matvecCalling, i: number, r: number): void {
  const r4 = m.four ? r - (r % 4) : 0;
  if (r4 > 0) m.k!.matvec4(m.a0 + i * m.lda, m.lda, m.v0, m.c0 + i * 4, r4, m.lda);
  if (r4 < r) m.k!.matvec(m.a0 + (i + r4) * m.lda, m.lda, m.v0, m.c0 + (i + r4) * 4, r - r4, m.kb16, m.kb4, m.lda);
}

/** Chunk n of the calling thread's split matrix-vector product. */
function matvecChunk(n: number): void {
  const m = matvecCalling;
  matvecRows(m, n * m.ch, Math.min(m.M, n * m.ch + m.ch) - n * m.ch);
}

/** What a vector-matrix product of one width needs in the heap: partial sums and argument blocks. */
export interface VecmatScratch {
  /** Rows of a chunk of a split product (a multiple of WIDE_ROWS), and how many chunks (1: not split). */
  readonly chunkRows: number;
  readonly chunks: number;
  /** The calling thread's partial sums of chunks 1, 2, …: N rounded up to 4 floats each, at n·N4 (chunk 0 goes to c). */
  readonly own: Float32Array;
  /** Chunk 1's partial sums (the four-row kernel's helper share, the one-call driver's second share). */
  readonly partial: Float32Array;
  /** The wide kernel's blocks by chunk: the caller's at 8·n, the helper's at 8·(chunks + n). */
  readonly blocks: Int32Array;
  /** The wide kernel for this width and memory, found on the first call (null: none). */
  wide?: ShapeKernel | null;
  /** Whether posting rows to the helper thread pays for this product (split.ts). */
  readonly timer: SplitTimer;
}

/**
 * The chunks of a vector-matrix product of K rows and N columns: rows [n·rows, (n + 1)·rows) of the
 * K − K mod 8 whole groups of eight, 2 to 32 chunks of at least 2,048 rows where the product splits, else
 * one. Two chunks split the rows where the one-call driver does (vecmat-entry.ts, `ownRows`).
 */
export function vecmatChunks(K: number, N: number): { rows: number; chunks: number } {
  const K8 = K - (K % WIDE_ROWS);
  if (!vecmatSplits(K, N) || K8 === 0) return { rows: K8, chunks: 1 };
  const want = Math.max(2, Math.min(32, Math.floor(K8 / 2048)));
  const rows = (Math.ceil(K8 / want) + WIDE_ROWS - 1) & ~(WIDE_ROWS - 1);
  return { rows, chunks: Math.ceil(K8 / rows) };
}

/** Scratch for `vecmat` of width N (over K rows), from `alloc` (heap floats). */
export function vecmatScratch(K: number, N: number, alloc: (floats: number) => Float32Array): VecmatScratch {
  const N4 = (N + 3) & ~3;
  const { rows, chunks } = vecmatChunks(K, N);
  const P = Math.max(2, chunks) * N4;
  const f = alloc(P + 16 * chunks);
  const own = f.subarray(0, P);
  const ints = (at: number, n: number) => new Int32Array(f.buffer, f.byteOffset + at * 4, n);
  return { chunkRows: rows, chunks, own, partial: own.subarray(N4, 2 * N4), blocks: ints(P, 16 * chunks), timer: splitTimer(`vector-matrix product [${K}]·[${K},${N}]`) };
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
 * go eight at a time through the kernel generated for this width (vector.ts, `vecmatWideKernel`), and a
 * product large enough is summed in chunks of rows (`vecmatChunks`), chunk 0 into c and each other into
 * partial sums, added to c in chunk order after the last M mod 8 rows: the same sums whichever thread
 * computes a chunk. With a helper thread both threads take chunks while any are left, so a helper the
 * scheduler parks does few or none.
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
  // (a call meant to be split whose kernel the helper has not loaded yet ran on one thread: not a
  // measurement); how much of the work the helper did, as a fraction
  const share = wide ? vecmatWide(k, wide, post ? helper : null, v, sv, A, c, K, N, scratch!) : vecmatFour(k, split, post ? helper : null, v, sv, A, c, K, N, scratch);
  if (helper && (share >= 0) === post) scratch!.timer.record(post, performance.now() - t0, helped(share, 1));
}

/** Whether a vector-matrix product of K rows and N columns is split with the helper thread (when there is one). */
export const vecmatSplits = (K: number, N: number) => ((N + 3) & ~3) >= 32 && K >= 64 && K * N >= VECMAT_SPLIT_MIN;

/** Of a split product's K rows, the calling thread's: [0, mine), the helper's [mine, K) (a multiple of 8). */
export const ownRows = (K: number) => K - ((K >> 4) << 3);

/** Writes the wide kernel's argument block at i32 `at` of `a`: rows [r0, r0 + rows) of v·A into the floats at byte offset `out`. */
export function wideBlock(a: Int32Array, at: number, v: Float32Array, sv: number, A: Float32Array, N: number, r0: number, rows: number, out: number): void {
  a[at + WIDE_ARG.v0] = v.byteOffset + r0 * sv * 4; a[at + WIDE_ARG.sv] = sv * 4; a[at + WIDE_ARG.m0] = A.byteOffset + r0 * N * 4;
  a[at + WIDE_ARG.c0] = out; a[at + WIDE_ARG.K] = rows;
}

/**
 * `vecmat` by the wide kernel, in `scratch.chunks` chunks; those the helper computes (when given and the
 * kernel loads there) are summed into its own cells, read for the chunks it finished. Returns the
 * fraction of the chunks the helper did, or -1 where it was not posted. (Each way is a
 * function of its own, as is the choice: V8 optimizes small functions sooner and faster, which a new
 * product's first calls wait for.)
 */
function vecmatWide(k: WasmKernels, wide: ShapeKernel, helper: HelperThread | null, v: Float32Array, sv: number, A: Float32Array, c: Float32Array, K: number, N: number, scratch: VecmatScratch): number {
  const N4 = (N + 3) & ~3;
  const { chunks: C, chunkRows: ch, blocks: b } = scratch;
  const K8 = K - (K % WIDE_ROWS);
  const slot = helper && C > 1 ? helper.load(wide) : -1;
  const theirs = slot >= 0 ? helper!.spare(C * N4) : 0;
  for (let n = 0; n < C; n++) {
    const r0 = n * ch, rows = Math.min(K8, r0 + ch) - r0;
    wideBlock(b, 8 * n, v, sv, A, N, r0, rows, n === 0 ? c.byteOffset : scratch.own.byteOffset + n * N4 * 4);
    if (slot >= 0) wideBlock(b, 8 * (C + n), v, sv, A, N, r0, rows, theirs + n * N4 * 4);
  }
  // (the kernel zeroes its output first, even for no rows)
  wideCalling.wide = wide, wideCalling.b0 = b.byteOffset;
  let done = 0;
  if (slot >= 0) {
    helper!.post('chunks', slot, b.byteOffset + 32 * C, 32, C, helper!.freeChunks(C), 0, 0);
    done = helper!.shareChunks(C, wideChunk);
  } else for (let n = 0; n < C; n++) wideChunk(n);
  if (byHelper(helper, slot, 0)) k.copyRows(theirs, N * 4, c.byteOffset, N * 4, 1, N * 4);
  if (K8 < K) k.vecmat1(v.byteOffset + K8 * sv * 4, sv * 4, A.byteOffset + K8 * N * 4, N * 4, c.byteOffset, K - K8, N4 * 4, 0);
  for (let n = 1; n < C; n++) k.addTo(c.byteOffset, byHelper(helper, slot, n) ? theirs + n * N4 * 4 : scratch.own.byteOffset + n * N4 * 4, N4 * 4);
  return slot >= 0 ? done / C : -1;
}

/** The wide kernel and argument blocks the calling thread is running (as `matvecCalling`: no closure a call). */
const wideCalling = { wide: null as ShapeKernel | null, b0: 0 };
function wideChunk(n: number): void {
  wideCalling.wide!.fn(wideCalling.b0 + 32 * n);
}

/** Whether the helper (posted with its kernel in `slot`, where that is 0 or more) computed chunk n. */
const byHelper = (helper: HelperThread | null, slot: number, n: number): boolean => slot >= 0 && Atomics.load(helper!.chunks, n) === CHUNK.DONE;

/** `vecmat` by the four-row kernel; returns as `vecmatWide` does (the helper's share is half or none). */
function vecmatFour(k: WasmKernels, split: boolean, helper: HelperThread | null, v: Float32Array, sv: number, A: Float32Array, c: Float32Array, K: number, N: number, scratch: VecmatScratch | null): number {
  const N4 = (N + 3) & ~3;
  // rows [0, mine) here, [mine, K) as the helper's job (JOB_VECMAT) does them; mine is a multiple of 4
  split &&= scratch !== null;
  const mine = split ? (K >> 3) << 2 : K;
  const rest = K - mine, rest4 = rest - (rest % 4);
  // the helper's rows, as its job's arguments (jobs.ts, `vecmat`), in locals: nothing allocated a call
  const v0 = v.byteOffset + mine * sv * 4, sv4 = sv * 4, m0 = A.byteOffset + mine * N * 4, ldm = N * 4, c0 = split ? scratch!.partial.byteOffset : 0;
  const nb = N4 * 4, vt = v.byteOffset + (mine + rest4) * sv * 4, mt = A.byteOffset + (mine + rest4) * N * 4, Kt = rest - rest4;
  if (split && helper) helper.post('vecmat', v0, sv4, m0, ldm, c0, rest4, nb, vt, mt, Kt);
  const K4 = mine - (mine % 4);
  // (the four-row kernel zeroes c first, even when it has no rows)
  k.vecmat4(v.byteOffset, sv * 4, A.byteOffset, N * 4, c.byteOffset, K4, N4 * 4, 1);
  if (K4 < mine) k.vecmat1(v.byteOffset + K4 * sv * 4, sv * 4, A.byteOffset + K4 * N * 4, N * 4, c.byteOffset, mine - K4, N4 * 4, 0);
  let share = helper && split ? 0.5 : -1;
  if (split) {
    if (!helper || helper.finish()) {
      if (helper) share = 0;
      if (nb > 0) {
        k.vecmat4(v0, sv4, m0, ldm, c0, rest4, nb, 1);
        if (Kt > 0) k.vecmat1(vt, sv4, mt, ldm, c0, Kt, nb, 0);
      }
    }
    k.addTo(c.byteOffset, scratch!.partial.byteOffset, N4 * 4);
  }
  return share;
}
