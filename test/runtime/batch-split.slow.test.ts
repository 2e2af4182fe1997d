/**
 * Batched products whose slices the helper thread shares (runtime/kernels/wasm/gemm-batch.ts) against
 * numpy.matmul in float64, on one thread and on two (the split forced, each case run until the helper
 * has computed some of its slices): attention's three products (P·V, Q·Kᵀ, the gradient's Aᵀ·G), batch
 * dims broadcast on either side and both, B broadcast over a trailing batch dim (stacked rows), both sides
 * transposed, and more slices than a job has chunks. Within float32 rounding of numpy's values, and the
 * two threads' bits the one thread's.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import '../../compiler/ops/index.ts';
import * as B from '../../compiler/ir/build.ts';
import { Graph } from '../../compiler/ir/graph.ts';
import { Plan } from '../../runtime/plan.ts';
import { heap } from '../../runtime/kernels/heap.ts';
import { readyHelper, stopHelperThread } from '../../runtime/kernels/threads.ts';
import { CHUNK } from '../../runtime/kernels/jobs.ts';
import { SplitTimer } from '../../runtime/kernels/split.ts';
import { useNodeHelperThread } from '../../runtime/node.ts';
import { randoms } from '../support/run.ts';
import { hasTorch, python, sayIfMissing } from '../support/peers.ts';

sayIfMissing('PyTorch (python3-torch, with numpy)', hasTorch, 'batch-split.slow.test');
const size = (s: readonly number[]) => s.reduce((p, d) => p * d, 1);

// [a, b, transA, transB], as stored
const cases: [number[], number[], boolean, boolean][] = [
  [[2, 3, 128, 64], [2, 3, 64, 128], false, false],
  [[2, 3, 128, 64], [2, 3, 128, 64], false, true],
  [[2, 3, 128, 64], [2, 3, 128, 128], true, false],
  [[2, 1, 64, 64], [1, 4, 64, 128], false, false],
  [[4, 1, 128, 64], [3, 64, 96], false, false],
  [[64, 96], [6, 2, 96, 128], false, false],
  [[3, 4, 16, 128], [3, 1, 128, 128], false, false],
  [[8, 64, 64], [8, 96, 64], true, true],
  [[300, 16, 64], [300, 64, 32], false, false],
];

const REF = `
import json, sys
import numpy as np
out = []
for c in json.load(open(sys.argv[1])):
    a = np.array(c['x'], dtype=np.float64).reshape(c['a'])
    b = np.array(c['w'], dtype=np.float64).reshape(c['b'])
    if c['tA']: a = np.swapaxes(a, -1, -2)
    if c['tB']: b = np.swapaxes(b, -1, -2)
    out.append({'y': np.matmul(a, b).flatten().tolist(), 'abs': np.matmul(np.abs(a), np.abs(b)).flatten().tolist()})
print(json.dumps(out))
`;

describe.skipIf(!hasTorch)('batched products shared by slices against numpy', () => {
  afterAll(() => {
    SplitTimer.force = null;
    stopHelperThread();
  });

  it(`${cases.length} products on one thread and two: within float32 rounding of numpy.matmul, the same bits`, async () => {
    const h = heap()!;
    const data = cases.map(([a, b, tA, tB], k) => ({ a, b, tA, tB, x: randoms(size(a), 30 + k), w: randoms(size(b), 40 + k) }));
    const file = join(mkdtempSync(join(tmpdir(), 'graphc-bsplit-')), 'cases.json');
    writeFileSync(file, JSON.stringify(data));
    const refs = JSON.parse(python(REF, [file])) as { y: number[]; abs: number[] }[];
    const plans = data.map((c) => {
      const y = B.batchMatmul(B.mk('Input', [], { name: 'a', shape: c.a, dtype: 'f32' }), B.mk('Input', [], { name: 'b', shape: c.b, dtype: 'f32' }), c.tA, c.tB);
      const plan = new Plan(new Graph([{ name: 'y', node: y }]), new Map([['a', c.a], ['b', c.b]]));
      expect(plan.report().kernels.find((r) => r.node.op === 'BatchMatMul')!.path).toContain('the slices shared with the helper thread');
      return { plan, y, leaves: [h.copyOf(c.x), h.copyOf(c.w)] };
    });
    const bits = (k: number) => {
      const out = plans[k].plan.value(plans[k].y).data;
      return new Uint32Array(out.buffer, out.byteOffset, out.length).slice();
    };
    const near = (k: number, how: string) => {
      const got = plans[k].plan.value(plans[k].y).data, { y, abs } = refs[k], c = data[k];
      const K = c.tA ? c.a[c.a.length - 2] : c.a[c.a.length - 1];
      expect(got.length).toBe(y.length);
      // float32 sums of K terms: within K + 1 roundings of the sum of the terms' magnitudes
      const far = y.findIndex((v, i) => !(Math.abs(got[i] - v) <= 2 * (K + 1) * 2 ** -24 * abs[i]));
      expect(far === -1 ? null : { at: far, got: got[far], want: y[far] }, `[${c.a}]${c.tA ? 'ᵀ' : ''}·[${c.b}]${c.tB ? 'ᵀ' : ''} ${how}`).toBeNull();
    };
    // one thread
    const alone = plans.map(({ plan, leaves }, k) => {
      plan.runWith(leaves);
      near(k, 'one thread');
      return bits(k);
    });
    // two threads, the split forced: each case until the helper has computed some of its slices
    expect(useNodeHelperThread()).toBe(true);
    for (let i = 0; i < 500 && !readyHelper(); i++) {
      plans[0].plan.runWith(plans[0].leaves);
      await new Promise((r) => setTimeout(r, 10));
    }
    const hp = readyHelper()!;
    expect(hp).not.toBeNull();
    SplitTimer.force = true;
    plans.forEach(({ plan, leaves }, k) => {
      let helped = 0;
      for (let t = 0; t < 50 && helped === 0; t++) {
        while (!hp.idle); // a job is posted only to an idle helper
        plan.runWith(leaves);
        helped = hp.chunks.filter((s) => s === CHUNK.DONE).length;
        near(k, 'two threads');
        const two = bits(k);
        expect(two.findIndex((v, i) => v !== alone[k][i]), `case ${k}: the first output whose bits differ from one thread's`).toBe(-1);
      }
      expect(helped, `case ${k}: slices the helper computed`).toBeGreaterThan(0);
    });
  });
});
