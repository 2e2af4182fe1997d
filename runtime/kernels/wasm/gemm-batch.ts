/**
 * A batched product's slices shared with the helper thread (batch-matmul.ts runs them). A slice below the
 * GEMM's own split (an attention head's [128,64]·[64,128]: gemm.ts, `SPLIT_MIN_WORK`) runs on one thread,
 * so a batch of them would use one core of two; here the two threads share the slices instead, in chunks
 * of consecutive slices that each takes while any are left (the helper's `gemmBatch` job: jobs.ts), so a
 * thread slowed by other work does fewer, and a chunk the helper holds and does not finish soon is taken
 * back (`HelperThread.shareChunks`). The caller computes its slices by the 2-D product prepared for the
 * slice's shape; the helper packs each of its slices' B and runs the same row kernel over the same values
 * in the same order: the same bits whichever thread computes a slice. Whether to post the helper its
 * share is measured by the batch's own split timer (split.ts), as a GEMM's split is.
 */
import { idleHelper, reserveHelperCells } from '../threads.ts';
import { MAX_CHUNKS } from '../jobs.ts';
import { helped, splitTimer, type SplitTimer } from '../split.ts';
import { gemmApplies } from '../matmul.ts';
import { heap } from '../heap.ts';
import { KC, NC, SPLIT_MIN_WORK, STRIP } from './gemm.ts';
import { kernelsFor } from './gemm-memory.ts';

/** Work (M·K·N) of a chunk of slices at least, where there are slices enough: each chunk's claim and copy cost a few microseconds. */
export const CHUNK_MIN_WORK = 1 << 18;

/**
 * Whether a batch of `steps` products [M,K]·[K,N] shares its slices with the helper: each slice runs in the
 * GEMM of the heap in whole row groups and panels (M a multiple of 4, N of 8: no tail group, no padded C),
 * does not split itself (gemm.ts splits a product of 64 rows or more and SPLIT_MIN_WORK), and the batch has
 * SPLIT_MIN_WORK at least.
 */
export function sharesSlices(steps: number, M: number, K: number, N: number): boolean {
  const work = M * K * N, h = heap();
  if (steps < 2 || M % 4 !== 0 || N % 8 !== 0 || !gemmApplies(M, K, N, 'f32') || steps * work < SPLIT_MIN_WORK) return false;
  if (M >= 64 && work >= SPLIT_MIN_WORK) return false;
  return h !== null && kernelsFor(h.memory)?.shared === true;
}

/**
 * The slices of one batched product shared with the helper: `steps` products [M,K]·[K,N] (op(A)·op(B),
 * A stored [K,M] with `transA`, B [N,K] with `transB`), slice s reading A at element `aAt(s)` of its
 * buffer and B at `bAt(s)`, and writing C's M·N floats from s·M·N. Made for shapes `sharesSlices` accepts.
 */
export class SliceShare {
  readonly timer: SplitTimer;
  /** Slices a chunk, and chunks. */
  readonly per: number;
  readonly chunks: number;
  /** Each slice's A and B as byte offsets from their buffers' starts (i32 pairs, in the heap). */
  private readonly table: Int32Array;
  private readonly flags: number;
  /** Floats of the helper's cells: a slice's packed B, a chunk's rows of C, the strip. */
  private readonly cells: number;
  /** The call's slice runner and chunk runner (made once: a call allocates nothing). */
  private slice: (s: number) => void = () => {};
  private readonly chunk = (n: number): void => {
    const end = Math.min(this.steps, n * this.per + this.per);
    for (let s = n * this.per; s < end; s++) this.slice(s);
  };

  constructor(private readonly steps: number, private readonly M: number, private readonly K: number, private readonly N: number, transA: boolean, transB: boolean, aAt: (s: number) => number, bAt: (s: number) => number, what: string) {
    const h = heap()!;
    this.per = Math.max(Math.ceil(steps / MAX_CHUNKS), Math.min(Math.ceil(CHUNK_MIN_WORK / (M * K * N)), Math.ceil(steps / 8)));
    this.chunks = Math.ceil(steps / this.per);
    const cells = h.alloc(2 * steps, this);
    this.table = new Int32Array(cells.buffer, cells.byteOffset, 2 * steps);
    for (let s = 0; s < steps; s++) (this.table[2 * s] = aAt(s) * 4), (this.table[2 * s + 1] = bAt(s) * 4);
    // a transposed A through a strip where the 2-D product reads it so (gemm.ts: 64 columns or more)
    const strip = transA && N >= 64;
    this.flags = (transA ? 1 : 0) | (transB ? 2 : 0) | (strip ? 4 : 0);
    this.cells = K * N + this.per * M * N + (strip ? STRIP : 0);
    reserveHelperCells(this.cells);
    this.timer = splitTimer(`${what}, by slices`);
  }

  /**
   * Runs every slice (`slice(s)` computes slice s on the calling thread) with the helper where it is idle
   * and the timer says it pays, else on the calling thread alone. `a`, `b`, `c` must be in the heap.
   */
  run(a: Float32Array, b: Float32Array, c: Float32Array, slice: (s: number) => void): void {
    const helper = idleHelper();
    const post = helper !== null && this.timer.split();
    const t0 = helper ? performance.now() : 0;
    let done = 0;
    if (helper && post) {
      const { M, K, N } = this;
      helper.post('gemmBatch', this.table.byteOffset, a.byteOffset, b.byteOffset, c.byteOffset, this.flags, M, K, N, this.per, this.steps, helper.freeChunks(this.chunks), helper.spare(this.cells), KC, NC);
      this.slice = slice;
      done = helper.shareChunks(this.chunks, this.chunk);
    } else for (let s = 0; s < this.steps; s++) slice(s);
    if (helper) this.timer.record(post, performance.now() - t0, helped(done, this.chunks));
  }
}
