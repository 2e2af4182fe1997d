/**
 * The helper thread's program: plain JavaScript with no imports, generated from the job declarations
 * (jobs.ts). It instantiates the kernels over the shared memory, then runs jobs as the caller posts them,
 * spinning at most SPIN_US microseconds between jobs before it sleeps on a futex.
 */
import { CONTROL, MAX_ARGS, TAKEN, jobHandlers } from './jobs.ts';

const { SEQ, DONE, KIND, READY, ARGS, STATE } = CONTROL;

/** How long the helper spins for the next job before it sleeps (microseconds). */
export const SPIN_US = 200;

/**
 * The helper's program (plain JavaScript, no imports): instantiate the kernels over the shared memory,
 * then run jobs, by the handlers of their declarations (jobs.ts).
 */
export const HELPER_SOURCE = `
const start = (msg) => {
  const { module, memory, control } = msg;
  const ctl = new Int32Array(memory.buffer, control, 64);
  const k = new WebAssembly.Instance(module, { env: { memory } }).exports;
  Atomics.store(ctl, ${READY}, 1);
  const a = ctl.subarray(${ARGS}, ${ARGS + MAX_ARGS});
  const loaded = []; // shape kernels (wasm/module.ts), compiled here from bytes the caller put in the memory
  let seen = Atomics.load(ctl, ${SEQ});
  for (;;) {
    let s, spins = 0, until = 0;
    while ((s = Atomics.load(ctl, ${SEQ})) === seen) {
      if ((++spins & 255) !== 0) continue;
      const now = performance.now();
      if (until === 0) until = now + ${SPIN_US / 1000};
      else if (now > until) { Atomics.wait(ctl, ${SEQ}, seen); until = 0; }
    }
    seen = s;
    // claim the job: the caller may have taken it back already (then it is done, or being done, there)
    if (Atomics.compareExchange(ctl, ${STATE}, s, ${TAKEN}) !== s) continue;
    switch (ctl[${KIND}]) {
${jobHandlers()}
    }
    Atomics.store(ctl, ${DONE}, seen);
    Atomics.notify(ctl, ${DONE});
  }
};
if (typeof self !== 'undefined' && typeof self.addEventListener === 'function') self.addEventListener('message', (e) => start(e.data), { once: true });
else require('node:worker_threads').parentPort.once('message', start);
`;
