/**
 * A product shared with the helper thread by columns rather than rows (gemm.ts decides which): each
 * thread packs its own chunks of B's columns and computes every row of them. Also the packing of B's
 * panels that both ways use (`packPanels`).
 */
import type { WasmKernels } from './module.ts';
import type { HelperThread } from '../threads.ts';
import { MAX_CHUNKS } from '../jobs.ts';
import { helped, type SplitTimer } from '../split.ts';

/** What a product split by columns needs of its scratch: B's packed panels (the caller's chunks) and its split timer. */
export interface ColumnScratch {
  readonly packed: Float32Array;
  readonly timer: SplitTimer;
}

/**
 * Whether a split product is split by columns rather than rows (`gemmColumnsShared`): B in the heap, whole
 * row groups and panels (M a multiple of 4, N of 8: B is never packed whole there, for a tail group), at
 * least two chunks of columns (at most MAX_CHUNKS), B no larger than COLUMNS_MAX_B floats and A no larger
 * than B. Split by rows, the caller packs all of B each call and the helper reads all of it from
 * the caller's cache, so the caller's next packing has to take every line of it back from the helper's;
 * split by columns, each thread packs and reads only its own columns of B and reads all of A instead,
 * which pays where A is not larger than B (W4's forward product, [128,784]·[784,256]: its packing took
 * about three times as long split by rows as on one thread).
 */
export function byColumns(M: number, K: number, N: number, bInMemory: boolean): boolean {
  return bInMemory && M % 4 === 0 && N % 8 === 0 && N >= 2 * COLUMN_CHUNK && N <= MAX_CHUNKS * COLUMN_CHUNK && K * N <= COLUMNS_MAX_B && M <= N;
}

/**
 * Columns of a chunk of a product split by columns (whole panels): for W4's forward product eight
 * chunks, 16 to 128 columns measured alike.
 */
export const COLUMN_CHUNK = 32;
/** The largest B (floats) split by columns: larger ones are split by rows, the helper packing half of B's panels. */
export const COLUMNS_MAX_B = 1 << 19;

/**
 * C (M4 rows, N a multiple of 8, rows N floats apart) = op(A)·op(B), split by columns with the
 * helper (the caller posts it `gemmColumns`: jobs.ts): the caller takes chunks of COLUMN_CHUNK columns
 * from the first, the helper from the last (`HelperThread.shareFromEnds`), so that on a quiet machine each
 * thread packs the same columns of B call after call into cells of its own (the caller at the chunk's
 * place in the packed scratch, laid out as a product of the chunk's width) and computes every row of
 * them. The same panel kernel over the same packed values in the same order: the same bits as on one
 * thread. The call's time, its packing included, goes to the split timer. KC, NC: gemm's blocks (gemm.ts).
 */
export function gemmColumnsShared(k: WasmKernels, helper: HelperThread, scratch: ColumnScratch, aOff: number, sa: number, ska: number, bOff: number, transB: boolean, cOff: number, M4: number, K: number, N: number, epi: number, KC: number, NC: number): void {
  const t0 = performance.now();
  const CW = COLUMN_CHUNK, chunks = Math.ceil(N / CW);
  const ldb = transB ? K * 4 : N * 4;
  const spare = helper.spare(columnCells(M4, K));
  helper.post('gemmColumns', aOff, sa, ska, bOff, ldb, transB ? 1 : 0, cOff, K, CW, N, M4, KC, NC, helper.freeChunks(chunks), spare, epi);
  const c = columns;
  c.k = k, c.aOff = aOff, c.sa = sa, c.ska = ska, c.bOff = bOff, c.ldb = ldb, c.transB = transB, c.packed = scratch.packed.byteOffset, c.cOff = cOff, c.K = K, c.N = N, c.M4 = M4, c.epi = epi, c.KC = KC, c.NC = NC;
  const done = helper.shareFromEnds(chunks, callerColumns);
  scratch.timer.record(true, performance.now() - t0, helped(done, chunks));
}

/** Floats of the helper's cells for a product split by columns: a chunk's packed panels, then its rows of C. */
export const columnCells = (M: number, K: number) => (K + M) * COLUMN_CHUNK;

/** The column-split product the calling thread is running (as `calling` for rows), and its chunk n. */
const columns = { k: null as WasmKernels | null, aOff: 0, sa: 0, ska: 0, bOff: 0, ldb: 0, transB: false, packed: 0, cOff: 0, K: 0, N: 0, M4: 0, epi: 0, KC: 0, NC: 0 };
function callerColumns(n: number): void {
  const c = columns, K = c.K, KC = c.KC, j0 = n * COLUMN_CHUNK, w = Math.min(COLUMN_CHUNK, c.N - j0);
  // the chunk's panels packed at its place in the scratch, as a product of w columns
  const at = c.packed + j0 * K * 4;
  for (let k0 = 0; k0 < K; k0 += KC) packPanels(c.k!, c.bOff + (c.transB ? j0 * c.ldb : j0 * 4), c.ldb, at, k0, Math.min(KC, K - k0), w, 0, w >> 3, c.transB);
  c.k!.gemmRows(c.aOff, c.sa, c.ska, at, c.cOff + j0 * 4, c.N * 4, K, w, 0, c.M4, KC, c.NC, 0, epiFrom(c.epi, j0));
}

/** An epilogue for the columns from j0 on: its bias moved on to column j0 (the helper's `gemmColumns` job does the same). */
export const epiFrom = (epi: number, j0: number) => (epi & ~3 ? epi + j0 * 4 : epi);

/**
 * Panels [p0, p1) of the K block of kc rows from row k0 of a B in the kernels' memory (at byte `src`, rows
 * or, transposed, columns `ldb` bytes apart) to their place in packed B (at byte `dst`, NP columns).
 * The helper's `pack` job (jobs.ts) does the same for its panels.
 */
export function packPanels(k: WasmKernels, src: number, ldb: number, dst: number, k0: number, kc: number, NP: number, p0: number, p1: number, transB: boolean): void {
  if (p1 <= p0) return;
  const to = dst + (k0 * NP + p0 * 8 * kc) * 4;
  if (transB) k.packT(src + k0 * 4 + p0 * 8 * ldb, ldb, to, kc, p1 - p0);
  else k.pack(src + k0 * ldb + p0 * 32, ldb, to, kc, p1 - p0);
}
