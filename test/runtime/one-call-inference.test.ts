/**
 * Batch-1 inference of an MLP (784 → 256 ReLU → 10 softmax, W5's) as one WebAssembly call: the wide
 * vector-matrix product (its rows split with the helper thread by a WebAssembly driver that posts the
 * helper's job itself), the bias and ReLU, the narrow product, the bias and a small softmax each have an
 * entry. Checked: the plan is one call and gives the kernel-by-kernel results bit for bit on one thread,
 * with the helper, while the helper is starting (the call waits for it, the plan runs kernel by kernel
 * meanwhile), posting forced off (the helper's rows run here, the same bits) and measured (the call timed
 * both ways, split.ts), and after the helper is stopped (no job is posted to it: the call runs all rows
 * itself); and the small softmax against the float64 definition, special values included.
 */
import { afterAll, describe, expect, it } from 'vitest';
import '../../compiler/ops/index.ts';
import { compileModel } from '../../compiler/passes/index.ts';
import { Plan } from '../../runtime/plan.ts';
import { ParamStore } from '../../runtime/executable.ts';
import { heap } from '../../runtime/kernels/heap.ts';
import { Graph } from '../../compiler/ir/graph.ts';
import * as B from '../../compiler/ir/build.ts';
import { inLeafScope } from '../../compiler/ir/node.ts';
import { readyHelper, stopHelperThread, CONTROL } from '../../runtime/kernels/threads.ts';
import { useNodeHelperThread } from '../../runtime/node.ts';
import { SplitTimer, splitChoices } from '../../runtime/kernels/split.ts';
import mlp from '../../graphs/mlp-w4.ts';
import { randoms } from '../support/run.ts';

const h = heap()!;
const inference = compileModel(mlp.build(), { lr: 0.05 }).inference;
const params = new ParamStore(inference.params);
const out = inference.outputs[0].node;

/** The plan run on `x` one way; returns whether it ran as one call, and the output. */
function run(x: Float32Array, oneCall: boolean, times = 3) {
  const plan = new Plan(inference, new Map([['x', [1, 784]]]), { oneCall });
  const leaves = new Map<string, Float32Array>([['x', x], ...inference.params.map((p) => [String(p.attrs.name), params.get(String(p.attrs.name))] as [string, Float32Array])]);
  for (let i = 0; i < times; i++) plan.run(leaves);
  return { oneCall: plan.oneCall, y: [...plan.value(out).data] };
}

const x = h.copyOf(randoms(784, 5, -2, 2));

describe('batch-1 inference as one WebAssembly call', () => {
  afterAll(() => {
    SplitTimer.force = null;
    stopHelperThread();
  });

  it('one thread: one call, the kernel-by-kernel results bit for bit', () => {
    expect(readyHelper()).toBeNull();
    const one = run(x, true), each = run(x, false);
    expect(one.oneCall).toBe(true);
    expect(one.y).toEqual(each.y);
    expect(one.y.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
  });

  it('two plans of the same graph and shape, run in turn: each its own buffers (the kernels are shared)', () => {
    const mk = (input: Float32Array) => {
      const plan = new Plan(inference, new Map([['x', [1, 784]]]), { oneCall: true });
      const leaves = new Map<string, Float32Array>([['x', input], ...inference.params.map((p) => [String(p.attrs.name), params.get(String(p.attrs.name))] as [string, Float32Array])]);
      return () => (plan.run(leaves), [...plan.value(out).data]);
    };
    const y = h.copyOf(randoms(784, 9, -2, 2));
    const a = mk(x), b = mk(y);
    const first = a();
    expect(first).toEqual(run(x, false).y);
    expect(b()).toEqual(run(y, false).y);
    expect(a()).toEqual(first);
  });

  it('with the helper, while it starts and once it takes jobs; and after it is stopped', async () => {
    const alone = run(x, false).y;
    useNodeHelperThread();
    // starting: the call waits for the helper (kernel by kernel meanwhile), the results those of one thread
    const plan = new Plan(inference, new Map([['x', [1, 784]]]), { oneCall: true });
    const leaves = new Map<string, Float32Array>([['x', x], ...inference.params.map((p) => [String(p.attrs.name), params.get(String(p.attrs.name))] as [string, Float32Array])]);
    plan.run(leaves);
    expect([...plan.value(out).data]).toEqual(alone);
    for (let i = 0; i < 500 && !readyHelper(); i++) await new Promise((r) => setTimeout(r, 10));
    expect(readyHelper()).not.toBeNull();
    // the helper takes jobs: the same plan's call is written again and splits the product (a job a run,
    // posted from WebAssembly)
    const hp = readyHelper()!;
    const posted = () => new Int32Array(h.memory.buffer, hp.control, 64)[CONTROL.POSTED];
    // (the helper compiles the product's kernel when first asked; on a busy machine it may not take that
    // job in time, and the call asks it again a little later: until then, calls run on this thread)
    // (posting forced: where it is not, the call is timed both ways and posts only where that pays)
    SplitTimer.force = true;
    let before = posted();
    for (let i = 0; i < 200; i++) {
      before = posted();
      for (let j = 0; j < 3; j++) plan.run(leaves);
      if (posted() - before === 3) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(posted() - before).toBe(3);
    const split = [...plan.value(out).data];
    expect(split).toEqual(run(x, false).y); // kernel by kernel, split the same way
    const again = run(x, true);
    expect(again.oneCall).toBe(true);
    expect(again.y).toEqual(split);
    // (the split sums the rows in two halves: close to one thread's sums, not always the same bits)
    split.forEach((v, i) => expect(Math.abs(v - alone[i])).toBeLessThan(1e-6));
    // not posting (forced off): nothing posted, the second half's rows run here, the same bits
    SplitTimer.force = false;
    before = posted();
    for (let j = 0; j < 3; j++) plan.run(leaves);
    expect(posted() - before).toBe(0);
    expect([...plan.value(out).data]).toEqual(split);
    // measured: the plan's call timed both ways (split.ts), its choice reported by the product's name
    SplitTimer.force = null;
    for (let j = 0; j < 40; j++) plan.run(leaves);
    expect(splitChoices().map((c) => c.what)).toContain("a plan's one call with its vector-matrix product [1,784]·[784,256]");
    expect([...plan.value(out).data]).toEqual(split);
    // stopped: nothing is posted to it (no wait for a helper that is gone), all rows on this thread
    stopHelperThread();
    plan.run(leaves);
    expect([...plan.value(out).data]).toEqual(alone);
  });
});

describe('softmax of small float32 blocks (one WebAssembly function)', () => {
  const softmaxOf = (rows: number, n: number) =>
    inLeafScope(() => {
      const a = B.mk('Input', [], { name: 'a', shape: [rows, n], dtype: 'f32' });
      return new Graph([{ name: 's', node: B.mk('Softmax', [a], { axis: 1 }) }]);
    });
  const reference = (v: number[], rows: number, n: number) => {
    const r: number[] = [];
    for (let o = 0; o < rows; o++) {
      const row = v.slice(o * n, o * n + n);
      const m = Math.max(...row);
      const e = row.map((t) => Math.exp(t - m));
      const s = e.reduce((p, q) => p + q, 0);
      r.push(...e.map((t) => t / s));
    }
    return r;
  };
  for (const [rows, n] of [[1, 10], [1, 1], [3, 3], [5, 7], [2, 33]])
    it(`${rows} × ${n}: the float64 definition within float32's exp, one call, bit for bit with kernel by kernel`, () => {
      const g = softmaxOf(rows, n);
      const v = randoms(rows * n, rows + n, -30, 30);
      const leaves = new Map([['a', h.copyOf(v)]]);
      const got = (oneCall: boolean) => {
        const plan = new Plan(g, new Map([['a', [rows, n]]]), { oneCall });
        plan.run(leaves);
        return { oneCall: plan.oneCall, s: [...plan.value(g.output('s')).data] };
      };
      const one = got(true), each = got(false);
      expect(one.oneCall).toBe(true);
      expect(one.s).toEqual(each.s);
      const ref = reference(v, rows, n);
      one.s.forEach((t, i) => expect(Math.abs(t - ref[i])).toBeLessThan(4e-7 * Math.max(1, ref[i]) + 1e-12));
    });

  it('special values: −Infinity gives 0, a row of −Infinity or with NaN gives NaN, +Infinity gives NaN as in the float64 definition', () => {
    const rows = 4, n = 3;
    const v = [0, -Infinity, 1, -Infinity, -Infinity, -Infinity, 1, NaN, 2, Infinity, 0, 1];
    const g = softmaxOf(rows, n);
    const plan = new Plan(g, new Map([['a', [rows, n]]]));
    plan.run(new Map([['a', h.copyOf(v)]]));
    const s = [...plan.value(g.output('s')).data];
    const ref = reference(v, rows, n);
    s.forEach((t, i) => (Number.isNaN(ref[i]) ? expect(t).toBeNaN() : expect(Math.abs(t - ref[i])).toBeLessThan(1e-6)));
    expect(s[1]).toBe(0);
  });
});
