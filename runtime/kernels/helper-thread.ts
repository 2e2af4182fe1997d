/**
 * One helper thread: its control block and chunk states in the heap, posting a job, waiting for it or
 * taking back what the helper has not done, and loading shape kernels into it (helper-loads.ts). threads.ts
 * says how the helper is shared; this file is the mechanism.
 */
import { heap } from './heap.ts';
import { compiled } from './wasm/module.ts';
import { CHUNK, CONTROL, JOBS, MAX_ARGS, MAX_CHUNKS, REVOKED, TAKEN, type JobArgs, type JobName } from './jobs.ts';
import { HELPER_SOURCE } from './helper-program.ts';
import { KernelLoads } from './helper-loads.ts';

const { SEQ, DONE, KIND, READY, ARGS, STATE, NEXT, POSTED } = CONTROL;

/** What the runtime needs of a worker. */
export interface WorkerLike {
  postMessage(message: unknown): void;
  /** Node: let the process exit while the worker waits for jobs. */
  unref?(): void;
}

/** Whether this thread may block in Atomics.wait (a browser's main thread may not). */
let canSleep = true;

export class HelperThread {
  private readonly ctl: Int32Array;
  /** Byte offset of the control block in the heap (`CONTROL` indexes its i32s). */
  readonly control: number;
  /** Whether `readyHelper` has seen this helper ready (and counted it in `helperEpoch`). */
  announced = false;

  constructor(spawn: (source: string) => WorkerLike) {
    const h = heap();
    if (!h) throw new Error('helper threads need the shared heap');
    // never freed: a stopped helper's block stays readable (ready 0) for calls written for it
    const cells = h.alloc(64);
    this.ctl = new Int32Array(cells.buffer, cells.byteOffset, 64);
    this.args = this.ctl.subarray(ARGS, ARGS + MAX_ARGS);
    this.control = cells.byteOffset;
    const states = h.alloc(MAX_CHUNKS);
    this.chunks = new Int32Array(states.buffer, states.byteOffset, MAX_CHUNKS);
    const w = spawn(HELPER_SOURCE);
    w.postMessage({ module: compiled(true), memory: h.memory, control: this.control });
    w.unref?.();
  }

  /** True once the helper has started and takes jobs. */
  get ready(): boolean {
    return Atomics.load(this.ctl, READY) === 1;
  }

  /** The posted job's argument words (a job may leave results there: `load`'s `ok`). */
  readonly args: Int32Array;
  /** A split GEMM's chunk states (jobs.ts, `CHUNK`), in the heap (never freed, like the control block). */
  readonly chunks: Int32Array;
  private spareRegion: Float32Array | null = null;

  /**
   * True when the helper has no job: its latest was done, or taken back before it claimed it. A job is
   * posted only then (a GEMM's caller may return while the helper still finishes a chunk it took back).
   */
  get idle(): boolean {
    const c = this.ctl;
    return Atomics.load(c, STATE) === REVOKED || Atomics.load(c, DONE) === c[POSTED];
  }

  /** Floats of the helper's own cells that prepared kernels will ask for (threads.ts, `reserveHelperCells`). */
  static reserved = 0;

  /**
   * The byte offset of `floats` floats of the helper's own (a GEMM chunk's rows), at least the reserved
   * count of them; only while it is idle.
   */
  spare(floats: number): number {
    floats = Math.max(floats, HelperThread.reserved);
    if (!this.spareRegion || this.spareRegion.length < floats) {
      const h = heap()!;
      if (this.spareRegion) h.free(this.spareRegion);
      this.spareRegion = h.alloc(floats, undefined, false);
    }
    return this.spareRegion.byteOffset;
  }

  /**
   * Wakes the helper if it sleeps between jobs, to spin for its next one: a caller about to post a job
   * after some work of its own (a product packing B) calls it first, so that the helper's wake-up (tens of
   * microseconds on a virtual machine) overlaps that work instead of delaying the helper's share. Cheap
   * where the helper spins already (no one waits to be notified).
   */
  wake(): void {
    Atomics.notify(this.ctl, SEQ);
  }

  /** Posts a job with its declared arguments (jobs.ts); `finish` must be called before the next one. */
  post<J extends JobName>(job: J, ...args: JobArgs<J>): void {
    const c = this.ctl;
    for (let i = 0; i < args.length; i++) c[ARGS + i] = args[i];
    c[KIND] = JOBS[job].code;
    c[NEXT] = 0;
    const seq = (c[POSTED] = (c[POSTED] + 1) & 0x3fffffff || 1);
    Atomics.store(c, STATE, seq);
    Atomics.store(c, SEQ, seq);
    Atomics.notify(c, SEQ);
  }

  /** The index of the next chunk of the posted job for the calling thread to do (chunked jobs: GEMM). */
  claim(): number {
    return Atomics.add(this.ctl, NEXT, 1);
  }

  /**
   * Ends the posted job: takes it back if the helper has not claimed it yet (then returns true, and the
   * caller does the helper's share itself), else waits until the helper has done it (false). `graceMs`:
   * how long to wait for the helper to claim it first.
   */
  finish(graceMs = 0): boolean {
    const c = this.ctl;
    const seq = c[POSTED];
    if (graceMs > 0) {
      const until = performance.now() + graceMs;
      while (Atomics.load(c, STATE) === seq && performance.now() < until);
    }
    if (Atomics.compareExchange(c, STATE, seq, REVOKED) === seq) return true;
    // claimed: the helper is running it; spin a little, then sleep until it is done
    for (let i = 0; i < 20000; i++) if (Atomics.load(c, DONE) === seq) return false;
    for (let d; (d = Atomics.load(c, DONE)) !== seq; ) {
      if (!canSleep) continue;
      try {
        Atomics.wait(c, DONE, d, 5);
      } catch {
        canSleep = false; // a browser's main thread may not wait: spin
      }
    }
    return false;
  }

  /**
   * Ends a chunked job (GEMM) once the caller has taken every chunk index it could: true if the helper
   * has claimed it (then `takeBack` each chunk), false if it is taken back whole (all chunks were the
   * caller's). The helper may still be finishing the job after the caller is done (it is not `idle` then).
   */
  claimedChunks(): boolean {
    const c = this.ctl;
    return Atomics.compareExchange(c, STATE, c[POSTED], REVOKED) !== c[POSTED];
  }

  /** The chunk states' byte offset, `count` of them set FREE: for a chunked job about to be posted. */
  freeChunks(count: number): number {
    this.chunks.fill(CHUNK.FREE, 0, count);
    return this.chunks.byteOffset;
  }

  /**
   * The caller's side of a posted chunked job of `count` chunks: takes chunk indices until none is left,
   * computing each with `run`, then takes back (and computes with `run`) each chunk the helper has not
   * begun or does not finish in about one chunk's time. When it returns, every chunk is done, its state
   * saying by whom: DONE the helper, CALLER or TAKEN_BACK the caller. Returns how many the helper did
   * (the split timer's measure of whether it helped: split.ts, `helped`).
   */
  shareChunks(count: number, run: (n: number) => void): number {
    let chunkMs = 0;
    for (let n; (n = this.claim()) < count; ) {
      this.chunks[n] = CHUNK.CALLER;
      const t = performance.now();
      run(n);
      chunkMs = performance.now() - t;
    }
    return this.takeBackFrom(0, count, chunkMs, run);
  }

  /**
   * The caller's side of a posted job whose `count` chunks the two threads take from opposite ends (the
   * helper from the last: `gemmColumns`), each claiming a chunk by its state word: the caller computes
   * chunks from the first with `run` until it meets one the helper holds, then takes back (and computes)
   * each of the helper's that it has not begun or does not finish in about one chunk's time, as
   * `shareChunks` does. On a quiet machine each thread gets the same chunks call after call. Returns how
   * many the helper did.
   */
  shareFromEnds(count: number, run: (n: number) => void): number {
    const st = this.chunks;
    let chunkMs = 0, n = 0;
    for (; n < count && Atomics.compareExchange(st, n, CHUNK.FREE, CHUNK.CALLER) === CHUNK.FREE; n++) {
      const t = performance.now();
      run(n);
      chunkMs = performance.now() - t;
    }
    return this.takeBackFrom(n, count, chunkMs, run);
  }

  /**
   * The end of a chunked job once the caller has no chunk left to claim (`shareChunks`, `shareFromEnds`):
   * where the helper claimed the job, chunks [from, count) not its own are taken back (`takeBack`) and
   * computed with `run` unless done within about 1.5 of the caller's last chunk's time (`chunkMs`).
   * Returns how many the helper did (0 where the job was taken back whole).
   */
  private takeBackFrom(from: number, count: number, chunkMs: number, run: (n: number) => void): number {
    if (!this.claimedChunks()) return 0;
    const until = performance.now() + chunkMs * 1.5 + 0.02;
    let done = 0;
    for (let n = from; n < count; n++) {
      if (this.takeBack(n, until)) run(n);
      else if (Atomics.load(this.chunks, n) === CHUNK.DONE) done++;
    }
    return done;
  }

  /**
   * Whether the caller is to compute chunk `n` itself: a chunk whose index went to the helper and which it
   * has not begun, or has not finished by `until` (performance.now(); about one chunk's time from when the
   * caller ran out of chunks: a helper that runs finishes it by then), is taken back; the helper's own
   * copy of it is then dropped. A chunk being copied into C is waited for (a copy of its rows). Never
   * waits for a helper parked in the middle of a chunk.
   */
  takeBack(n: number, until: number): boolean {
    const st = this.chunks;
    for (let spins = 0; ; spins++) {
      const s = Atomics.load(st, n);
      if (s === CHUNK.CALLER || s === CHUNK.DONE) return false;
      if (s === CHUNK.COPYING) {
        // a helper parked in it is waited for asleep
        if (spins > 4096 && canSleep)
          try {
            Atomics.wait(st, n, s, 1);
          } catch {
            canSleep = false;
          }
        continue;
      }
      // FREE: its index went to the helper, which has not begun it; HELPER: begun
      if (s === CHUNK.HELPER && ((spins & 63) !== 0 || performance.now() < until)) continue;
      if (Atomics.compareExchange(st, n, s, CHUNK.TAKEN_BACK) === s) return true;
    }
  }

  /** The shape kernels loaded into this helper (helper-loads.ts). */
  private readonly loads = new KernelLoads();

  /**
   * True once, when a load the helper did not take may be tried again: calls written without the
   * helper's copy of a kernel (wasm/sequence.ts) are written again then (`helperEpoch`).
   */
  retryDue(): boolean {
    return this.loads.retryDue();
  }

  /**
   * The helper's slot for a shape kernel (wasm/module.ts), compiled there the first time (the caller
   * waits: a few hundred microseconds, once per kernel and helper); -1 if it did not compile there.
   */
  load(k: { readonly key: string; readonly bytes: Uint8Array }): number {
    return this.loads.load(this, k);
  }

  /** Ends the helper's loop (and marks it not ready, for the WebAssembly calls that post to it). */
  stop(): void {
    Atomics.store(this.ctl, READY, 0);
    this.post('exit');
  }
}
