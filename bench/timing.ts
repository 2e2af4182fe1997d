/**
 * The one-call workloads (W5 at batch 4096, MM): a call of milliseconds, so many calls, on every side
 * alike: CALL_WARM calls first (each side's one-time costs, and graphc's choice of threads per kernel,
 * split.ts, made), then the best of CALL_REPEATS. (bench/peers/torch_peer.py repeats these numbers.)
 */
export const CALL_WARM = 10, CALL_REPEATS = 20;

/** Timing as the workloads define it: one warm-up run, then the best of `repeats` (seconds). */
export interface Timing {
  readonly seconds: number;
  readonly all: number[];
}

export async function bestOf(repeats: number, fn: () => unknown): Promise<Timing> {
  await fn();
  const all: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t = performance.now();
    await fn();
    all.push((performance.now() - t) / 1000);
  }
  return { seconds: Math.min(...all), all };
}

/** A one-call workload's timing: CALL_WARM calls, then the best of CALL_REPEATS (seconds). */
export async function bestCall(fn: () => unknown): Promise<Timing> {
  for (let i = 1; i < CALL_WARM; i++) await fn();
  return bestOf(CALL_REPEATS, fn);
}
