/**
 * Shape kernels (wasm/module.ts: kernels generated for one shape) loaded into a helper thread: the
 * helper compiles each the first time a kernel posts it work, while the caller waits a little; a helper
 * that does not take the load in time (parked by the scheduler) is asked again later, and a kernel that
 * does not compile there runs on the calling thread alone.
 */
import { heap } from './heap.ts';
import { noteFallback } from './fallbacks.ts';
import { argIndex } from './jobs.ts';
import type { HelperThread } from './helper-thread.ts';

/**
 * How long the caller waits for the helper to take a kernel to compile (ms), and, when it did not, how
 * long until it asks again (kernels run on the calling thread meanwhile): at most a few percent of a
 * busy machine's time spent waiting for a helper that does not run.
 */
const LOAD_GRACE_MS = 2, LOAD_RETRY_MS = 100;
/** Bytes the helper may write a failed load's error message into. */
const CAUSE_BYTES = 512;

/** One helper's loaded shape kernels, and when a load it did not take may be tried again. */
export class KernelLoads {
  /** Each kernel's slot in the helper, by key (-1: it did not compile there). */
  private readonly slots = new Map<string, number>();
  /** When a load the helper did not take in time may be tried again (performance.now()). */
  private retryAt = 0;
  private retryPending = false;

  /** True once, when a load the helper did not take may be tried again (`HelperThread.retryDue`). */
  retryDue(): boolean {
    if (!this.retryPending || performance.now() < this.retryAt) return false;
    this.retryPending = false;
    return true;
  }

  /** `helper`'s slot for a shape kernel, compiled there the first time (`HelperThread.load`). */
  load(helper: HelperThread, k: { readonly key: string; readonly bytes: Uint8Array }): number {
    let slot = this.slots.get(k.key);
    if (slot === undefined) {
      if (performance.now() < this.retryAt) return -1;
      if (!helper.idle) {
        // still finishing a GEMM's chunk: ask again later
        this.retryAt = performance.now() + LOAD_RETRY_MS;
        this.retryPending = true;
        return -1;
      }
      const h = heap()!;
      const room = Math.max(k.bytes.length, CAUSE_BYTES);
      const region = h.alloc(Math.ceil(room / 4));
      new Uint8Array(region.buffer, region.byteOffset, k.bytes.length).set(k.bytes);
      slot = this.slots.size;
      helper.post('load', region.byteOffset, k.bytes.length, room, slot, 0);
      // a helper that does not take the job soon (parked by the scheduler) compiles it on a later call
      const revoked = helper.finish(LOAD_GRACE_MS);
      const ok = helper.args[argIndex('load', 'ok')];
      // the helper's error message, where it left one (copied out: a decoder does not read shared memory)
      const cause = ok < 0 ? new TextDecoder().decode(new Uint8Array(region.buffer, region.byteOffset, -ok).slice()) : '';
      h.free(region);
      if (revoked) {
        this.retryAt = performance.now() + LOAD_RETRY_MS;
        this.retryPending = true;
        return -1;
      }
      if (ok !== 1) {
        noteFallback(`the helper thread's copy of the WebAssembly kernel ${k.key} (the kernel runs on one thread)`, cause || 'the helper gave no cause');
        slot = -1;
      }
      this.slots.set(k.key, slot);
    }
    return slot;
  }
}
