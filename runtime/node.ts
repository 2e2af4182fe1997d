/**
 * Node's side of the runtime: the helper thread, spawned with worker_threads (the CLI starts it unless
 * told `--threads 1`; the runtime splits large kernels with it from then on), and V8's relaxed SIMD,
 * which Node 20 has behind a flag (the kernels' multiply-adds become fused multiply-adds), with V8's
 * feedback allocated eagerly (`useV8Settings`). Both are called at start-up, before the first kernel
 * is compiled.
 */
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { openSync, readSync, closeSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hasRelaxedSimd } from './kernels/wasm/module.ts';
import { CsvReader, type CsvTable, type Place } from './csv.ts';
import { tableDataset, type Dataset } from './data.ts';
import { useFileReader } from './files.ts';

/**
 * Lets `train()` read a model's data where it is a file (`data: new URL('./set.csv', import.meta.url)`,
 * or a path from the working directory), as `graphc train` does: streamed from disk (`readCsvFile`), so
 * the memory used is near the data's own size.
 */
export function useNodeFileReader(): void {
  useFileReader((f, name) => readCsvFile(f instanceof URL ? fileURLToPath(f) : resolve(f), name));
}

/** Turns on relaxed SIMD where V8 has it behind a flag; returns whether the kernels can use it. */
export function useRelaxedSimd(): boolean {
  if (!WebAssembly.validate(relaxedProbe)) setFlagsFromString('--experimental-wasm-relaxed-simd');
  return hasRelaxedSimd();
}

/**
 * The CLI's V8 settings: relaxed SIMD (above), and a function's inline caches (its feedback vector)
 * made at its first call. By default V8 makes them once a function has run a while, and the runtime's
 * functions that run once per training run or per inference call (placing the data, starting the call
 * that runs the steps, writing the log) would look up every property the slow way for tens of runs.
 * W2's training (bench/graphc.ts) is about a fifth faster with this than with V8's default. Returns
 * whether the kernels can use relaxed SIMD.
 */
export function useV8Settings(): boolean {
  setFlagsFromString('--no-lazy-feedback-allocation');
  return useRelaxedSimd();
}

// (module (func (param v128 v128 v128) (result v128) local.get 0 local.get 1 local.get 2 f32x4.relaxed_madd))
const relaxedProbe = Uint8Array.from([0, 97, 115, 109, 1, 0, 0, 0, 1, 8, 1, 96, 3, 123, 123, 123, 1, 123, 3, 2, 1, 0, 10, 13, 1, 11, 0, 32, 0, 32, 1, 32, 2, 253, 133, 2, 11]);
import { declineHelperThread, useHelperThread } from './kernels/threads.ts';

/** Why a helper thread is not started here (a process allowed one core), or null. */
export function noHelperHere(): string | null {
  const cores = availableParallelism();
  return cores < 2 ? `this machine has one core for this process (os.availableParallelism() is ${cores}), where a helper thread only takes turns with the calling thread` : null;
}

/**
 * On a machine with a second core, lets the runtime start its helper thread (with worker_threads) when a
 * kernel first has work to split; returns whether it will. On one core it declines, saying why to those
 * who ask for two threads (`train({ threads: 2 })`, `graphc --threads 2`). Also turns on relaxed SIMD.
 */
export function useNodeHelperThread(): boolean {
  useRelaxedSimd();
  const why = noHelperHere();
  if (why) {
    declineHelperThread(why);
    return false;
  }
  useHelperThread((source) => new Worker(source, { eval: true }));
  return true;
}

/**
 * Reads a CSV file as numpy.loadtxt(path, delimiter=',') does (runtime/csv.ts), streaming it from disk in
 * chunks: the memory used is the table's float32 values and one chunk. `name` is the file's name in errors.
 */
export function readCsvTable(path: string, name = path): CsvTable {
  const reader = new CsvReader(name);
  const fd = openSync(path, 'r');
  try {
    const buf = new Uint8Array(1 << 20);
    for (let n; (n = readSync(fd, buf, 0, buf.length, null)) > 0; ) reader.push(buf.subarray(0, n));
  } finally {
    closeSync(fd);
  }
  return reader.end();
}

/**
 * A CSV file as a data set: all columns but the last are x, the last is y (see `readCsvTable`); `place`
 * allocates x and y.
 */
export function readCsvFile(path: string, name = path, place?: Place): Dataset {
  return tableDataset(readCsvTable(path, name), place);
}
