/**
 * The browser test's page, bundled by page.slow.test.ts with esbuild from the package's public entry
 * (`graphc`, the built dist/, as a user's page gets it) and the seed's models as graphs/ defines them.
 * It installs `window.graphcPage`, which the test drives through puppeteer:
 *   run(threads)  trains the seed's toy and diabetes models (both losses) on the CSV files the server
 *                 serves from data/, exports two of them to ONNX, and builds page-model.ts, whose matmul is
 *                 mismatched on purpose, for the error it throws (named through the bundle's source map);
 *   helper()      trains a model large enough to split its kernels, with a helper thread, until the helper
 *                 has started in its Web Worker and taken jobs, and with one thread: both logs and params;
 *   bench(runs)   the seconds per training step of the toy and diabetes models (bench/browser.ts).
 */
import { train, exportOnnx, useSourceMap, type Trained } from 'graphc';
import toy from '../../graphs/toy.ts';
import diabetes from '../../graphs/diabetes.ts';
import mismatched, { data as mismatchedData } from './page-model.ts';
import { wide, wideData } from '../support/wide.ts';

async function text(path: string): Promise<string> {
  const r = await fetch(path);
  if (!r.ok) throw new Error(`${path}: ${r.status}`);
  return r.text();
}

/** The helper thread's worker, seen from outside: how many were made, and the shared control block the runtime gave the first. */
const workers = { made: 0, errors: [] as string[], control: null as Int32Array | null };
const PageWorker = globalThis.Worker;
globalThis.Worker = class extends PageWorker {
  constructor(url: string | URL, options?: WorkerOptions) {
    super(url, options);
    workers.made++;
    this.addEventListener('error', (e) => workers.errors.push(String(e.message)));
  }
  override postMessage(message: unknown, transfer?: unknown): void {
    const m = message as { memory?: WebAssembly.Memory; control?: number };
    if (m?.memory && typeof m.control === 'number') workers.control = new Int32Array(m.memory.buffer, m.control, 64);
    super.postMessage(message, transfer as Transferable[]);
  }
};

let mapped = false;
const costs = (t: Trained) => t.log.map((e) => e.cost);

async function run(threads: 1 | 2) {
  if (!mapped) useSourceMap(await text('/page.js.map'));
  mapped = true;
  const toyCsv = await text('/data/toy.csv');
  const diabetesCsv = await text('/data/data-03-diabetes.csv');
  const started = performance.now();
  const toyManual = await train(toy, { data: toyCsv, threads });
  const toyBce = await train(toy, { data: toyCsv, options: { loss: 'bce' }, threads });
  const diabetesManual = await train(diabetes, { data: diabetesCsv, threads });
  const diabetesBce = await train(diabetes, { data: diabetesCsv, options: { loss: 'bce' }, threads });
  const ms = performance.now() - started;
  let error = '';
  try {
    await train(mismatched, { data: mismatchedData });
  } catch (e) {
    error = (e as Error).message;
  }
  return {
    isolated: globalThis.crossOriginIsolated === true,
    tables: { toyManual: costs(toyManual), toyBce: costs(toyBce), diabetesManual: costs(diabetesManual), diabetesBce: costs(diabetesBce) },
    accuracy: diabetesManual.accuracy,
    onnx: { toy: Array.from(await exportOnnx(toyManual)), diabetes: Array.from(await exportOnnx(diabetesBce)) },
    error,
    ms,
    workers: workers.made,
  };
}

async function helper() {
  // large enough that its row kernels split between two threads (as test/api-options.test.ts's)
  const { x, y } = wideData();
  // the helper starts when a kernel first has work to split, and takes jobs once its Worker has started
  // the control block's words 1 and 3 are CONTROL.DONE and CONTROL.READY (runtime/kernels/threads.ts; the test holds them)
  for (let i = 0; i < 200 && !(workers.control && Atomics.load(workers.control, 1) > 0); i++) {
    await train(wide, { data: { x, y }, epochs: 2, threads: 2 });
    await new Promise((r) => setTimeout(r, 20));
  }
  const two = await train(wide, { data: { x, y }, threads: 2 });
  const ctl = workers.control ? { ready: Atomics.load(workers.control, 3), done: Atomics.load(workers.control, 1) } : null;
  const one = await train(wide, { data: { x, y }, threads: 1 });
  return { ctl, workers: workers.made, errors: workers.errors, two: { log: two.log, params: two.params }, one: { log: one.log, params: one.params } };
}

/** Seconds per training step of `train` (its own timing), best of `runs` after one warm-up: toy (W1) and diabetes (W2). */
async function bench(runs: number, threads: 1 | 2) {
  const toyCsv = await text('/data/toy.csv');
  const diabetesCsv = await text('/data/data-03-diabetes.csv');
  const best = async (model: typeof toy, data: string, steps: number) => {
    let s = Infinity;
    for (let i = 0; i <= runs; i++) {
      const t = await train(model, { data, threads });
      if (i > 0) s = Math.min(s, t.seconds / steps);
    }
    return s;
  };
  return { isolated: globalThis.crossOriginIsolated === true, W1: await best(toy, toyCsv, 1001), W2: await best(diabetes, diabetesCsv, 101) };
}

(globalThis as { graphcPage?: unknown }).graphcPage = { run, helper, bench };
