/**
 * Node's side of the runtime's helper thread: spawns it with worker_threads. Call once at start-up
 * (the CLI does, unless told `--threads 1`); the runtime splits large kernels with it from then on.
 */
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { useHelperThread, type HelperThread } from '../../runtime/threads.ts';

/** Starts the helper thread when the machine has a second core; returns it (or null). */
export function useNodeHelperThread(): HelperThread | null {
  if (availableParallelism() < 2) return null;
  return useHelperThread((source) => new Worker(source, { eval: true }));
}
