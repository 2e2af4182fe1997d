/**
 * A training step allocates nothing after the first: the plan places every buffer once. Checked two ways
 * over 1,000 steps: no typed array is constructed, and the heap does not grow.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import toy from '../../graphs/toy.ts';
import { trainStepGraph } from '../../compiler/train/step.ts';
import { ParamStore } from '../../runtime/executable.ts';
import { Trainer } from '../../runtime/trainer.ts';
import { feedsFor } from '../../runtime/fit.ts';
import { parseCsv } from '../../runtime/data.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const kinds = ['Float32Array', 'Float64Array', 'Int32Array', 'Uint8Array', 'ArrayBuffer'] as const;

describe('zero allocations per training step', () => {
  const m = toy.build();
  const data = parseCsv(readFileSync(fileURLToPath(toy.spec.data as URL), 'utf8'));
  const feeds = feedsFor(m, data);
  const trainer = new Trainer(trainStepGraph(m, { lr: 1 }), new ParamStore(m.forward.params));

  it('constructs no typed array in 1,000 steps after the first', () => {
    trainer.run(feeds); // plans
    const g = globalThis as unknown as Record<string, unknown>;
    const saved = kinds.map((k) => g[k]);
    let count = 0;
    kinds.forEach((k, i) => {
      g[k] = new Proxy(saved[i] as object, { construct: (t, args, nt) => (count++, Reflect.construct(t as new (...a: unknown[]) => object, args, nt)) });
    });
    try {
      for (let i = 0; i < 1000; i++) trainer.run(feeds);
    } finally {
      kinds.forEach((k, i) => (g[k] = saved[i]));
    }
    expect(count).toBe(0);
  });

  it('the heap does not grow over 1,000 steps', () => {
    for (let i = 0; i < 1000; i++) trainer.run(feeds); // warm up (JIT, inline caches)
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < 1000; i++) trainer.run(feeds);
    gc();
    const grown = process.memoryUsage().heapUsed - before;
    // 1,000 steps that allocated even one small object each would grow the heap by tens of KB before GC;
    // after a full GC, retained growth must be near zero.
    expect(grown).toBeLessThan(16 * 1024);
  });
});
