/**
 * The driver of the WebAssembly SIMD matrix-product kernel (panel.ts). It packs B panel
 * by panel (N padded to whole panels of 8, the padding zeros), then walks column blocks, K blocks and
 * rows, so a packed block of B is reused by every row; the last M mod 4 rows as a row group padded with zeros.
 * Operands in the runtime's heap are used in place; others are copied into a private memory first.
 * C accumulates in float32, as BLAS does.
 * C[M,N] = op(A)·op(B): A is [M,K] or, transposed, stored [K,M] (read with strides, no copy); a
 * transposed B is packed from its columns (in WebAssembly, by 4×4 transposes, when it is in the heap).
 * With a helper thread (threads.ts), large products are split by rows between the calling thread and
 * the helper, in chunks that each takes while any are left; the helper packs half of a large B first.
 * A product whose A is no larger than its B (and B not large) is split by columns instead, each thread
 * packing its own chunks of B's columns and computing every row of them (gemm-columns.ts).
 * An epilogue (a linear layer's bias, then ReLU: `epilogue`) is applied by the panel kernel as it stores
 * the last K block's tiles, on every path (rows, columns, the tail group, the padded C), so C is written once.
 */
import type { WasmKernels } from './module.ts';
import { idleHelper, reserveHelperCells } from '../threads.ts';
import { MAX_CHUNKS } from '../jobs.ts';
import { helped, splitTimer, type SplitTimer } from '../split.ts';
import { byColumns, columnCells, gemmColumnsShared, packPanels } from './gemm-columns.ts';

/**
 * K block (rows of packed B a panel call streams) and N block (columns): a block of B is KC×NC floats
 * (512 KB, one core's L2 here). Chosen by measurement on this machine among 128–512 × 256–1024; the
 * differences were within its run-to-run noise except for 1024³ on one thread, best with these.
 */
export const KC = 512;
export const NC = 256;

/** Columns of B (and C) rounded up to whole 8-column panels. */
export const padded = (N: number) => (N + 7) & ~7;
/** Floats of a transposed A's strip (a row group's four values of each k of a K block). */
export const STRIP = 4 * KC;
/** Columns (padded) from which a transposed A is read through the strip: 8 panels read each copy. */
const STRIP_MIN_COLUMNS = 64;

/** Scratch `gemm` needs: B packed ([K, N rounded up to 8]), and, when N is not a multiple of 8, a padded C. */
export interface GemmScratch {
  readonly packed: Float32Array;
  /** [M, N rounded up to 8]: the kernel writes whole panels into it (the extra columns of B are zeros). */
  readonly paddedC: Float32Array | null;
  /** Whether posting rows to the helper thread pays for this product (split.ts). */
  readonly timer: SplitTimer;
  /** With a transposed A: 4·KC floats where a row group's values of A are copied per K block (panel.ts, `gemmRowsKernel`). */
  readonly strip: Float32Array | null;
  /** Where M is not a multiple of 4: the last M mod 4 rows of op(A) padded to a row group ([4, K]), then their rows of C ([4, NP]) (`tailGroup`). */
  readonly tail: Float32Array | null;
  /** With an epilogue: the bias padded with zeros to whole panels ([N rounded up to 8]), copied in by `epilogue` where it is not read in place. */
  readonly bias: Float32Array | null;
}

/** Scratch for `gemm` of one shape, from `alloc`. */
export function gemmScratch(M: number, K: number, N: number, alloc: (floats: number) => Float32Array, transA = false, transB = false, withBias = false): GemmScratch {
  // the helper's cells for a product split by columns, reserved now: a step's call never grows them
  if (byColumns(M, K, N, true)) reserveHelperCells(columnCells(M, K));
  return { packed: alloc(K * padded(N)), paddedC: N % 8 ? alloc(M * padded(N)) : null, timer: gemmTimer(M, K, N, transA, transB), strip: transA && M >= 4 ? alloc(STRIP) : null, tail: M % 4 ? alloc(tailFloats(K, N)) : null, bias: withBias ? alloc(padded(N)) : null };
}

/**
 * The epilogue argument of `gemm` for a bias of N floats (or null) and a ReLU: the byte offset of the bias
 * the panel kernel reads, or'ed with 1 for ReLU; 0 for none. The panel kernel reads the bias 8 floats
 * (a panel) at a time: where N fills whole panels and the bias is in the kernels' memory (`inMemory`),
 * it is read in place, nothing copied, so a call reads its values of that call (a parameter a training
 * step updates); else it is copied into the scratch's padded bias (its padding zeros, so the padded
 * columns of C stay the product's). The scratch must have been made `withBias` for a bias.
 */
export function epilogue(scratch: GemmScratch, bias: Float32Array | null, N: number, relu: boolean, inMemory = false): number {
  let at = 0;
  if (bias && inMemory && N % 8 === 0) at = bias.byteOffset;
  else if (bias) {
    const p = scratch.bias!;
    for (let j = 0; j < N; j++) p[j] = bias[j]; // (no view made: a call allocates nothing)
    p.fill(0, N);
    at = p.byteOffset;
  }
  return at | (relu ? 1 : 0);
}

/** Floats of a product's tail group (`GemmScratch.tail`). */
export const tailFloats = (K: number, N: number) => 4 * (K + padded(N));

/** The split timer of a product's shape (split.ts): one per shape and layout of the operands. */
export function gemmTimer(M: number, K: number, N: number, transA: boolean, transB: boolean): SplitTimer {
  const layout = transA || transB ? ` (${[transA && 'A', transB && 'B'].filter(Boolean).join(', ')} transposed)` : '';
  return splitTimer(`matrix product [${M},${K}]·[${K},${N}]${layout}`);
}

/**
 * c = op(a)·op(b) with the panel kernel: op(a) is [M,K], op(b) is [K,N]. `a`, `c` and the scratch must
 * be views of the kernels' memory; `b` may be any array (`bInMemory` says whether it is in the kernels'
 * memory too, so that the packing kernel can read it). `epi`: the epilogue (`epilogue`), 0 for none.
 */
export function gemm(k: WasmKernels, a: Float32Array, b: Float32Array, c: Float32Array, scratch: GemmScratch, M: number, K: number, N: number, transA: boolean, transB: boolean, bInMemory = false, epi = 0): void {
  const M4 = M - (M % 4), N8 = N - (N % 8), NP = padded(N);
  const packed = scratch.packed;
  // C: in place when N fills whole panels, else the padded copy
  const cp = scratch.paddedC ?? c;
  // pack B: for each K block, panel after panel of 8 columns, row after row
  const inPlaceB = !transB && bInMemory;
  const helper = M4 > 0 && K > 0 && splits(k, scratch.timer, M4, M * K * N) ? idleHelper() : null;
  // a product split by columns: each thread packs its own columns of B (the call's time from here)
  const inColumns = byColumns(M, K, N, bInMemory);
  if (helper && inColumns) {
    gemmColumnsShared(k, helper, scratch, a.byteOffset, transA ? 1 : K, transA ? M : 1, b.byteOffset, transB, c.byteOffset, M4, K, N, epi, KC, NC);
    return;
  }
  // rows to be shared: the helper woken now spins by the time they are posted, after the packing
  helper?.wake();
  // B's whole panels packed by the kernels (B in the heap): a split product's helper packs the later half
  // of them meanwhile (the same bytes, wherever they are packed)
  const panels = bInMemory ? N8 >> 3 : 0, sharesPacking = panels > 1 && K * N8 >= PACK_SPLIT_MIN;
  const share = helper && sharesPacking ? panels >> 1 : 0;
  // where the packing is shared (or, split, would be: by columns), the call's time for the split timer
  // starts before it (read only then)
  const start = sharesPacking || inColumns ? performance.now() : -1;
  const ldb = transB ? K * 4 : N * 4;
  if (share > 0) helper!.post('pack', b.byteOffset, ldb, packed.byteOffset, K, NP, panels - share, panels, KC, transB ? 1 : 0);
  for (let k0 = 0; k0 < K; k0 += KC) {
    const kc = Math.min(KC, K - k0);
    const block = k0 * NP;
    if (panels > 0) packPanels(k, b.byteOffset, ldb, packed.byteOffset, k0, kc, NP, 0, panels - share, transB);
    else
      for (let j0 = 0; j0 < N8; j0 += 8) {
        let o = block + j0 * kc;
        for (let kk = k0; kk < k0 + kc; kk++) {
          if (transB) for (let t = 0; t < 8; t++) packed[o++] = b[(j0 + t) * K + kk];
          else {
            const r = kk * N + j0;
            for (let t = 0; t < 8; t++) packed[o++] = b[r + t];
          }
        }
      }
    if (N8 < N && inPlaceB) k.packTail(b.byteOffset + (k0 * N + N8) * 4, N * 4, packed.byteOffset + (block + N8 * kc) * 4, kc, (N - N8) * 4);
    else if (N8 < N) {
      let o = block + N8 * kc;
      for (let kk = k0; kk < k0 + kc; kk++)
        for (let j = N8; j < NP; j++) packed[o++] = j >= N ? 0 : transB ? b[j * K + kk] : b[kk * N + j];
    }
  }
  // the helper's panels: done, or taken back before it began them and packed here
  if (share > 0 && helper!.finish())
    for (let k0 = 0; k0 < K; k0 += KC) packPanels(k, b.byteOffset, ldb, packed.byteOffset, k0, Math.min(KC, K - k0), NP, panels - share, panels, transB);
  if (K === 0) {
    // (matmulKernel runs K = 0, with or without an epilogue, in JavaScript: the panel kernel never sees it)
    if (epi) throw new Error('gemm: an epilogue needs K > 0');
    c.fill(0);
    return;
  }
  const sa = transA ? 1 : K, ska = transA ? M : 1; // A(i,k) = a[i*sa + k*ska]
  const aOff = a.byteOffset, bOff = packed.byteOffset, cOff = cp.byteOffset;
  // a transposed A through the strip where enough panels read each copy (measured: 32 panels, W4's weight
  // gradient, about 9% faster; 2 panels, a 10-column product, slower)
  const strip = transA && scratch.strip && NP >= STRIP_MIN_COLUMNS ? scratch.strip.byteOffset : 0;
  // where a split call shares the packing, its time for the split timer includes it (a call on one thread's too)
  if (M4 > 0) gemmRowsShared(k, scratch.timer, aOff, sa, ska, bOff, cOff, K, NP, M4, M * K * N, strip, start, epi);
  // the last M mod 4 rows, by the same kernel as a row group padded with zero rows
  if (M > M4) tailGroup(k, a, scratch.tail!, bOff, cp, M, K, NP, M4, transA, epi);
  // the padded C's real columns into C (both in the kernels' memory)
  if (cp !== c) k.copyRows(cp.byteOffset, NP * 4, c.byteOffset, N * 4, M, N * 4);
}

/**
 * Rows [M4, M) of C (rows NP floats apart) = op(A)·op(B) with B packed (at byte `bOff`), by the row kernel:
 * op(A)'s last M mod 4 rows are copied into `tail` as a row group whose other rows are zeros, the kernel
 * computes the group into the rest of `tail`, and its real rows are copied into C. Each row's sums are
 * those of every other row of the product (the same kernel, the same order). (In plain loops the last
 * rows of a product of few rows and many columns took most of its time: fc's weight gradient
 * [10,128]·[128,1600] in W6b, 2 rows of 10.)
 */
function tailGroup(k: WasmKernels, a: Float32Array, tail: Float32Array, bOff: number, cp: Float32Array, M: number, K: number, NP: number, M4: number, transA: boolean, epi: number): void {
  const rows = M - M4, tOff = tail.byteOffset, cOff = tOff + 4 * K * 4;
  // (copies by the kernels, in the memory both are in: no view made a call)
  if (transA) for (let r = 0; r < rows; r++) for (let kk = 0; kk < K; kk++) tail[r * K + kk] = a[kk * M + M4 + r];
  else k.copyRows(a.byteOffset + M4 * K * 4, K * 4, tOff, K * 4, rows, K * 4);
  tail.fill(0, rows * K, 4 * K);
  k.gemmRows(tOff, K, 1, bOff, cOff, NP * 4, K, NP, 0, 4, KC, NC, 0, epi);
  k.copyRows(cOff, NP * 4, cp.byteOffset + M4 * NP * 4, NP * 4, rows, NP * 4);
}

/**
 * Rows [0, M4) of C (rows NP·4 bytes apart) = A·B with B packed, by the row kernel: with a helper thread
 * (and a heap-resident product of `work` = M·K·N at least SPLIT_MIN_WORK), both threads take chunks of
 * the rows where `timer` measured it to pay; the same kernel over the same rows either way. `strip`: the
 * calling thread's strip for a transposed A (sa 1), or 0; the helper then uses one of its own. `start`:
 * when the call began (performance.now()), where its time for the split timer includes work before the
 * rows (the packing of B, which a split call shares too); else from now.
 */
export function gemmRowsShared(k: WasmKernels, timer: SplitTimer, aOff: number, sa: number, ska: number, bOff: number, cOff: number, K: number, NP: number, M4: number, work: number, strip = 0, start = -1, epi = 0): void {
  const ch = gemmChunkRows(M4), chunks = Math.ceil(M4 / ch);
  const helper = splittable(k, M4, work) ? idleHelper() : null;
  const post = helper !== null && timer.split();
  const t0 = helper ? (start >= 0 ? start : performance.now()) : 0;
  let done = 0;
  if (helper && post) {
    // both threads take chunks of rows until none is left: a thread whose core is slowed by other work
    // (these machines are shared) does fewer, instead of the other waiting for its half; a chunk the
    // helper holds and does not finish in about one chunk's time is taken back and done here
    // the helper's rows of a chunk, then (for a transposed A) its strip
    const spare = helper.spare(ch * NP + (strip ? STRIP : 0));
    helper.post('gemm', aOff, sa, ska, bOff, cOff, NP * 4, K, NP, ch, M4, KC, NC, helper.freeChunks(chunks), spare, strip ? spare + ch * NP * 4 : 0, epi);
    const c = calling;
    c.k = k, c.aOff = aOff, c.sa = sa, c.ska = ska, c.bOff = bOff, c.cOff = cOff, c.K = K, c.NP = NP, c.ch = ch, c.M4 = M4, c.strip = strip, c.epi = epi;
    done = helper.shareChunks(chunks, callerChunk);
  } else k.gemmRows(aOff, sa, ska, bOff, cOff, NP * 4, K, NP, 0, M4, KC, NC, strip, epi); // column blocks, then K blocks, then rows (the first K block overwrites C)
  if (helper) timer.record(post, performance.now() - t0, helped(done, chunks));
}

/**
 * The split product the calling thread is running (one at a time: a thread runs one kernel at once), and
 * its chunk n: set in place and run by one function made once, so that a split call allocates nothing (a
 * closure made a call would be garbage every training step).
 */
const calling = { k: null as WasmKernels | null, aOff: 0, sa: 0, ska: 0, bOff: 0, cOff: 0, K: 0, NP: 0, ch: 0, M4: 0, strip: 0, epi: 0 };
function callerChunk(n: number): void {
  const c = calling;
  c.k!.gemmRows(c.aOff, c.sa, c.ska, c.bOff, c.cOff, c.NP * 4, c.K, c.NP, n * c.ch, Math.min(c.M4, n * c.ch + c.ch), KC, NC, c.strip, c.epi);
}

/** Whether a product of M4 rows (in whole row groups) and `work` = M·K·N may share its rows with the helper. */
function splittable(k: WasmKernels, M4: number, work: number): boolean {
  return M4 >= 64 && work >= SPLIT_MIN_WORK && k.shared && Math.ceil(M4 / gemmChunkRows(M4)) <= MAX_CHUNKS;
}

/** Whether `gemmRowsShared` will post the helper rows of this product, if the helper is idle then. */
function splits(k: WasmKernels, timer: SplitTimer, M4: number, work: number): boolean {
  return splittable(k, M4, work) && timer.split();
}

/**
 * Rows of a chunk of a split product (a multiple of 4): 1/64 of the rows, at least 4, so that the thread
 * that finishes first waits for at most one small chunk of the other's, while each chunk still walks the
 * blocks of B over many rows (a K block of packed B is reread from cache by every four rows of a chunk).
 * With a busy process on the second core (another tenant's work), chunks finish W4's epoch sooner than
 * fixed halves; on a quiet machine the two are the same within the noise (`npm run bench`, W4).
 */
export function gemmChunkRows(M4: number): number {
  return Math.max(4, ((M4 >> 6) + 3) & ~3);
}

/**
 * Floats of B's whole panels from which a split product's helper packs half of them: about 0.2 ms of
 * packing or more, so that the caller's half outlasts a sleeping helper's wake-up (tens of microseconds
 * on a virtual machine) and the helper's half is not waited for. (1024² has 1M floats; W4's and W5's
 * 784×256 weights, 200K, stay packed by the caller alone.)
 */
export const PACK_SPLIT_MIN = 1 << 19;
/** Products (M·K·N) below this run on one thread: a job costs a few microseconds to hand over. */
export const SPLIT_MIN_WORK = 1 << 21;
