/**
 * A helper thread for large kernels. The helper shares the runtime's heap (a shared WebAssembly
 * memory) and instantiates the same kernel module over it, so a kernel's work can be split by rows
 * with nothing copied: the caller posts a job into a small control block, does its own share, and
 * waits for the helper's. Jobs are announced with Atomics, so a job costs microseconds, not a message
 * round trip. After a job the helper spins for at most SPIN_US microseconds, then sleeps on a futex: on a
 * machine shared with other processes a spinning thread takes a core from them, and is then the one the
 * scheduler parks.
 *
 * A thread that cannot run must never hold the caller up: the helper claims a job (a compare-and-swap on the
 * job's state word) before it starts it, and the caller, once its own share is done, revokes a job the
 * helper has not claimed and does that share itself (`finish`), with the same kernel over the same rows, so
 * that results are the same bit for bit whichever thread computes a share. Chunked jobs (GEMM) are claimed
 * chunk by chunk, so a slow helper does fewer chunks, and a chunk the helper holds and does not finish
 * soon is taken back too (`takeBack`: the helper computes it into rows of its own, then drops them). Whether to post a kernel's share at all is decided by
 * measurement (split.ts, `SplitTimer`): where two threads are not faster, the caller does both shares.
 *
 * The runtime does not create threads itself (it has no platform API for that): the platform's edge
 * installs a spawner with `useHelperThread` (the CLI and the benchmarks do, with Node's worker_threads;
 * a browser page would pass `(src) => new Worker(URL.createObjectURL(new Blob([src])))`). Until the
 * helper has started, and where none is installed, kernels run on the calling thread alone.
 */
import { heap } from './heap.ts';
import { HelperThread, type WorkerLike } from './helper-thread.ts';

export { CONTROL, TAKEN, REVOKED } from './jobs.ts';
export { SPIN_US } from './helper-program.ts';
export { HelperThread, type WorkerLike } from './helper-thread.ts';

let helper: HelperThread | null = null;
let spawner: ((source: string) => WorkerLike) | null = null;
let epoch = 0;
/** Why the platform's edge installed no helper where it could have (a machine of one core), or null. */
let declined: string | null = null;

/**
 * Counts the changes of which helper takes jobs (one ready, stopped, replaced), and the moments a kernel
 * it did not take to compile may be asked again: a plan's WebAssembly call written for one helper, or for
 * none, is written again when it changes (wasm/sequence.ts).
 */
export function helperEpoch(): number {
  if (helper?.retryDue()) epoch++;
  return epoch;
}

/** True while a helper has been asked for and has not started yet (it will take jobs soon). */
export function helperStarting(): boolean {
  return spawner !== null && (helper === null || !helper.ready);
}

/**
 * Installs `spawn` as the way to make the helper thread (replacing any previous helper). The thread is
 * started lazily, when a kernel first has work large enough to split: a process that never has any (the
 * seed's small models) never starts it (a second thread in the process measurably slows small workloads
 * here, even idle).
 */
export function useHelperThread(spawn: (source: string) => WorkerLike): void {
  helper?.stop();
  helper = null;
  spawner = heap() ? spawn : null;
  declined = null;
  epoch++;
}

/**
 * The platform's edge decided against a helper thread, for the reason `why` (`this machine has one core`:
 * a second thread there only takes turns with the first): kernels run on the calling thread alone, and
 * `train({ threads: 2 })` says why instead of starting a helper of its own.
 */
export function declineHelperThread(why: string): void {
  stopHelperThread();
  declined = why;
}

/** Why no helper thread is installed, where the platform's edge declined one (`declineHelperThread`); else null. */
export function helperDeclined(): string | null {
  return spawner === null ? declined : null;
}

/** The installed way to make the helper thread, or null (kernels on the calling thread alone). */
export function helperSpawner(): ((source: string) => WorkerLike) | null {
  return spawner;
}

/** Stops the helper thread: kernels run on the calling thread alone. */
export function stopHelperThread(): void {
  helper?.stop();
  helper = null;
  spawner = null;
  epoch++;
}

/**
 * Reserves `floats` of the helper's own cells (`HelperThread.spare`) for a kernel being prepared: taken at
 * once where a helper is running and idle, else at its first job, so that a plan's steps never grow them
 * (which would allocate). Starts no helper.
 */
export function reserveHelperCells(floats: number): void {
  if (floats <= HelperThread.reserved) return;
  HelperThread.reserved = floats;
  if (helper?.ready && helper.idle) helper.spare(0);
}

/** The helper thread when it has started and has no job (`HelperThread.idle`): one to post a job to. */
export function idleHelper(): HelperThread | null {
  const hp = readyHelper();
  return hp && hp.idle ? hp : null;
}

/**
 * The helper thread when it has started and takes jobs; the first call starts it (kernels on the calling
 * thread alone until it is ready, a few tens of milliseconds).
 */
export function readyHelper(): HelperThread | null {
  if (helper === null) {
    if (spawner === null) return null;
    helper = new HelperThread(spawner);
  }
  if (!helper.ready) return null;
  if (!helper.announced) {
    helper.announced = true;
    epoch++;
  }
  return helper;
}

