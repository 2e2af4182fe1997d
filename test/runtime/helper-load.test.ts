/**
 * A shape kernel the helper thread cannot compile (runtime/kernels/threads.ts `load`, jobs.ts): the
 * helper writes the compile error's message back into the memory, and the caller reports the fallback
 * with that cause (in `fallbacks()`, the plan report and `graphc compile --explain`), never a bare
 * "failed". The module here fails validation: its one function declares a result and leaves none.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { Worker } from 'node:worker_threads';
import { heap } from '../../runtime/kernels/heap.ts';
import { matmulKernel } from '../../runtime/kernels/matmul.ts';
import { readyHelper, stopHelperThread, useHelperThread } from '../../runtime/kernels/threads.ts';
import { fallbacks } from '../../runtime/kernels/fallbacks.ts';
import { formatPlanReport } from '../../runtime/report.ts';
import { Plan } from '../../runtime/plan.ts';
import { Graph } from '../../compiler/ir/graph.ts';
import * as B from '../../compiler/ir/build.ts';
import { inLeafScope } from '../../compiler/ir/node.ts';
import '../../compiler/ops/index.ts';
import { randoms } from '../support/run.ts';

// magic, version; type section: () -> i32; function section: one of type 0; code section: a body `end`
const invalid = Uint8Array.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 1, 5, 1, 0x60, 0, 1, 0x7f, 3, 2, 1, 0, 10, 4, 1, 2, 0, 0x0b]);

describe('a kernel the helper thread cannot compile', () => {
  afterAll(() => stopHelperThread());

  it('is reported with the compile error the helper saw', async () => {
    let error = '';
    try {
      new WebAssembly.Module(invalid);
    } catch (e) {
      error = (e as Error).message;
    }
    expect(error).not.toBe(''); // the module is invalid here too: what the helper will say
    const h = heap()!;
    useHelperThread((source) => new Worker(source, { eval: true }));
    const [M, K, N] = [256, 512, 64]; // a product large enough to split asks for the helper
    const product = matmulKernel(M, K, N, false, false);
    const a = h.copyOf(randoms(M * K, 1)), b = h.copyOf(randoms(K * N, 2)), c = h.alloc(M * N);
    for (let i = 0; i < 500 && !readyHelper(); i++) {
      product([a, b], c);
      await new Promise((r) => setTimeout(r, 10));
    }
    const hp = readyHelper()!;
    expect(hp).not.toBeNull();
    const strict = process.env.GRAPHC_STRICT_WASM;
    delete process.env.GRAPHC_STRICT_WASM;
    try {
      const what = (f: { what: string }) => f.what.includes('kernel invalid-for-test');
      // a helper that does not take the job within its grace is asked again later (every 100 ms)
      for (let i = 0; i < 100 && !fallbacks().some(what); i++) {
        expect(hp.load({ key: 'invalid-for-test', bytes: invalid })).toBe(-1);
        await new Promise((r) => setTimeout(r, 110));
      }
      const f = fallbacks().find(what);
      expect(f?.cause).toBe(error.split('\n')[0]);
      const g = inLeafScope(() => new Graph([{ name: 'y', node: B.tanh(B.mk('Input', [], { name: 'x', shape: [8], dtype: 'f32' })) }]));
      expect(formatPlanReport('t', new Plan(g, new Map([['x', [8]]])).report())).toContain(`fallback: ${f!.what}: ${f!.cause}`);
    } finally {
      if (strict !== undefined) process.env.GRAPHC_STRICT_WASM = strict;
      h.free(a);
      h.free(b);
      h.free(c);
    }
  });
});
