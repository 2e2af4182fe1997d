/**
 * Row regions (runtime/rows.ts, wasm/rows.ts): a narrow linear layer, the elementwise chain after it and
 * the gradients that reduce it over the rows, run as one kernel. Checked: which nodes a logistic
 * regression's train step puts in the region (and what it must store for the loss), and the region's
 * results against the float64 reference plan and against the separate float32 kernels, for logistic
 * and linear regression, row counts with every remainder mod 4 and mod 8 (from one row), and 1 to 16
 * features (what lies past a row that is not whole vectors changing nothing); and
 * with the helper thread, which takes the second half of the rows of large regions.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineModel, input, param, values, binaryCrossEntropy, mse, Linear } from '../../compiler/index.ts';
import { compileModel } from '../../compiler/passes/index.ts';
import { Graph } from '../../compiler/ir/graph.ts';
import { Plan } from '../../runtime/plan.ts';
import { neededIn, regionGroups, regionOf } from '../../runtime/rows.ts';
import { ROW_SPLIT_MIN_ROWS } from '../../runtime/row-kernel.ts';
import { resolveShape } from '../../compiler/ir/shape.ts';
import { ARG, rowKernel, type RowProgram } from '../../runtime/kernels/wasm/rows.ts';
import { module } from '../../runtime/kernels/wasm/asm.ts';
import { MAX_PAGES } from '../../runtime/kernels/heap.ts';
import { heap } from '../../runtime/kernels/heap.ts';
import { readyHelper, stopHelperThread } from '../../runtime/kernels/threads.ts';
import { SplitTimer } from '../../runtime/kernels/split.ts';
import { useNodeHelperThread, useRelaxedSimd } from '../../runtime/node.ts';
import type { Node } from '../../compiler/ir/node.ts';
import { randoms } from '../support/run.ts';

const h = heap()!;

/** w a column [F, 1] (x·w), or, `linear`, a Linear(F, 1) layer's row [1, F] (x·Wᵀ, its gradient gᵀ·x). */
function linearModel(F: number, loss: 'bce' | 'mse', linear = false) {
  return defineModel({
    name: `linear-${loss}-${F}`,
    seed: F,
    build() {
      const x = input('x', ['N', F]);
      const y = input('y', ['N', 1]);
      const W = param('W', [F, 1], values(randoms(F, F, -1, 1)));
      const b = param('b', [1], values([0.25]));
      const z = linear ? new Linear(F, 1).forward(x) : x.matmul(W).add(b);
      return loss === 'bce' ? { loss: binaryCrossEntropy(z.sigmoid(), y), predict: z.sigmoid() } : { loss: mse(z, y), predict: z };
    },
  });
}

/** The train step, and the same without its loss (the step a loop runs when the cost is not logged). */
function steps(F: number, loss: 'bce' | 'mse', linear = false) {
  const step = compileModel(linearModel(F, loss, linear).build(), { lr: 0.5 }).trainStep;
  return { step, quiet: new Graph(step.outputs.filter((o) => o.name !== 'loss')) };
}

function regionsOf(g: Graph, N: number, F: number) {
  const plan = new Plan(g, new Map([['x', [N, F]], ['y', [N, 1]]]), { regions: false });
  const shapes = new Map(g.nodes.map((n) => [n, resolveShape(n.shape, plan.env)] as const));
  return [...regionGroups(g).values()].map((nodes) => regionOf(nodes, shapes, neededIn(g)));
}

function runAll(g: Graph, N: number, F: number, seed: number, opts: { precision?: 'f32' | 'f64'; regions?: boolean }) {
  const plan = new Plan(g, new Map([['x', [N, F]], ['y', [N, 1]]]), opts);
  const f64 = opts.precision === 'f64';
  const arr = (v: ArrayLike<number>) => (f64 ? (Float64Array.from(v) as unknown as Float32Array) : h.copyOf(v));
  const leaves = new Map<string, Float32Array>([
    ['x', arr(randoms(N * F, seed, -2, 2))],
    ['y', arr(randoms(N, seed + 1, 0, 1).map((v) => (v > 0.4 ? 1 : 0)))],
    ...g.params.map((p: Node) => [String(p.attrs.name), arr(p.attrs.init as Float32Array)] as [string, Float32Array]),
  ]);
  plan.run(leaves);
  return Object.fromEntries(g.outputs.map((o) => [o.name, Float64Array.from(plan.value(o.node).data)]));
}

describe('row regions', () => {
  it("a logistic regression's step: the product, the chain and both gradients in one region", () => {
    const { step, quiet } = steps(8, 'bce');
    const [r] = regionsOf(quiet, 759, 8);
    expect(regionsOf(quiet, 759, 8)).toHaveLength(1);
    expect([r.x.op, r.w.op]).toEqual(['Input', 'Param']);
    expect([r.program.grads.length, r.program.sums.length]).toEqual([1, 1]);
    expect(r.exits.map((e) => e.op)).toEqual(['RowRegion', 'RowRegion']);
    expect(r.members).toBeGreaterThanOrEqual(2); // z, z + b, e^(−|z|), sigmoid(z) − y over N
    expect(r.stores).toHaveLength(0); // nothing outside reads the chain
    // with the loss, the loss reads z + b and e^(−|z|): the region stores them
    const [withLoss] = regionsOf(step, 759, 8);
    expect(withLoss.stores.length).toBe(2);
    expect(step.nodes.filter((n) => withLoss.stores.includes(n)).every((n) => n.shape.length === 2)).toBe(true);
  });

  it('no region for more than 16 features', () => {
    expect(regionsOf(steps(17, 'bce').quiet, 759, 17)).toHaveLength(0);
    expect(regionsOf(steps(20, 'bce').quiet, 759, 20)).toHaveLength(0);
  });

  for (const loss of ['bce', 'mse'] as const)
    for (const F of [4, 8, 12, 16])
      it(`${loss}, ${F} features: the step's outputs match the float64 plan and the separate kernels`, () => matches(loss, F, [64, 65, 66, 67, 68, 71, 72, 76, 79, 759]));

  // a Linear(F, 1) layer holds its weight as a row [1, F] and computes x·Wᵀ: the same K floats as a column
  for (const loss of ['bce', 'mse'] as const)
    for (const F of [1, 3, 8, 16])
      it(`${loss}, Linear(${F}, 1): one region, the step's outputs match the float64 plan and the separate kernels`, () => matches(loss, F, [1, 5, 64, 67, 759], true));

  // rows of K floats that are not whole vectors (the seed's toy set has 2 features), and few rows (the
  // toy set has 6; fewer than 4 are a tail group alone)
  for (const loss of ['bce', 'mse'] as const)
    for (const F of [1, 2, 3, 5, 6, 7, 9, 10, 11, 13, 14, 15])
      it(`${loss}, ${F} feature(s): the step's outputs match the float64 plan and the separate kernels, from 1 row`, () => matches(loss, F, [1, 2, 3, 4, 5, 6, 7, 8, 9, 13, 64, 67, 759]));

  // a row's last vector reads past it (the next row, or past the last row the heap's next bytes): those
  // lanes must add nothing, whatever they hold, and a gradient must be written as K floats, no more
  for (const F of [1, 2, 3, 5, 6, 7, 13])
    it(`${F} feature(s): what lies past a row changes no result, and the gradient writes ${F} float(s)`, () => {
      const N = 11;
      const { step } = steps(F, 'bce');
      const p = regionsOf(step, N, F)[0].program;
      const run = kernelOf(p);
      const xs = randoms(N * F, 7, -2, 2), ws = randoms(F, 8, -1, 1);
      /** Runs the kernel with x and w followed by `after`, row `infRow`'s first feature set to Infinity; the gradients with the 8 floats after each. */
      const once = (after: number, infRow: number) => {
        const xb = h.alloc(N * F + 8), wb = h.alloc(F + 8);
        xb.set(xs);
        xb.fill(after, N * F);
        if (infRow >= 0) xb[infRow * F] = Infinity;
        wb.set(ws);
        wb.fill(after, F);
        return runKernel(run, p, N, xb, wb, () => h.alloc(F + 8).fill(7));
      };
      const clean = once(0, -1);
      expect(p.grads.length).toBeGreaterThan(0);
      for (const g of clean.grads) {
        expect(g.slice(0, F).every(Number.isFinite)).toBe(true);
        expect(g.slice(F)).toEqual(Array(8).fill(7));
      }
      // NaN (and Infinity) after the last row and after w: the same results, bit for bit
      expect(once(NaN, -1)).toEqual(clean);
      expect(once(Infinity, -1)).toEqual(clean);
      // Infinity in row 5: the row before it, whose last vector reads it, is unchanged
      const inf = once(0, 5);
      for (const [j, st] of inf.stores.entries()) {
        expect(st[4]).toBe(clean.stores[j][4]);
        expect(st.filter((_, i) => i !== 5)).toEqual(clean.stores[j].filter((_, i) => i !== 5));
      }
    });

  // the kernel runs several groups of four rows per iteration and the leftover groups one at a time:
  // any count gives the same results, bit for bit, for every count of leftover groups and tail rows
  for (const [loss, F] of [['bce', 8], ['mse', 16], ['bce', 4]] as const)
    it(`${loss}, ${F} features: one to five groups per iteration give the same bits`, () => {
      const { step } = steps(F, loss);
      for (let N = 64; N <= 84; N++) {
        const p = regionsOf(step, N, F)[0].program;
        const outs = [1, 2, 3, 4, 5].map((copies) => {
          const r = runKernel(kernelOf(p, copies), p, N, h.copyOf(randoms(N * F, N, -2, 2)), h.copyOf(randoms(F, F, -1, 1)));
          return [...r.stores, ...r.grads, ...r.sums].flat();
        });
        for (const o of outs.slice(1)) expect(o, `N = ${N}`).toEqual(outs[0]);
      }
    });

  describe('split with the helper thread', () => {
    beforeAll(async () => {
      useNodeHelperThread();
      // a region large enough to split asks for the helper, which then starts
      matches('bce', 8, [ROW_SPLIT_MIN_ROWS]);
      for (let i = 0; i < 500 && !readyHelper(); i++) await new Promise((r) => setTimeout(r, 10));
    });
    afterAll(() => stopHelperThread());

    it('the helper starts', () => expect(readyHelper()).not.toBeNull());
    it('chunks posted to the helper or all on this thread: the same bits (stored rows, gradients, sums)', () => {
      try {
        for (const [loss, F] of [['bce', 8], ['mse', 5]] as const)
          for (const g of Object.values(steps(F, loss))) {
            const N = ROW_SPLIT_MIN_ROWS + 13; // four chunks, the last with a tail of one row
            SplitTimer.force = false;
            const one = runAll(g, N, F, 3, {});
            SplitTimer.force = true;
            for (let t = 0; t < 3; t++) expect(runAll(g, N, F, 3, {})).toEqual(one);
          }
      } finally {
        SplitTimer.force = null;
      }
    });
    for (const loss of ['bce', 'mse'] as const)
      for (const F of [2, 4, 5, 8, 16])
        it(`${loss}, ${F} features, ${ROW_SPLIT_MIN_ROWS} rows and more: the same outputs as on one thread`, () => matches(loss, F, [ROW_SPLIT_MIN_ROWS, ROW_SPLIT_MIN_ROWS + 3, ROW_SPLIT_MIN_ROWS + 13]));
  });
});

/** A row program's kernel (`copies` groups of four rows per iteration), compiled for the heap. */
function kernelOf(p: RowProgram, copies?: number): (args: number) => void {
  const bytes = module([rowKernel(p, useRelaxedSimd(), copies)], { shared: true, maxPages: MAX_PAGES }) as Uint8Array<ArrayBuffer>;
  return new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory: h.memory } }).exports.kernel as (args: number) => void;
}

/**
 * Runs a row kernel on N rows of x with weights w: its operands made (per-row 0/1 targets; the scalars
 * 0.25, then the row count), fresh stores and sums, gradients in buffers from `grad` (K floats by
 * default); returns the stores, the gradients and the sums.
 */
function runKernel(run: (args: number) => void, p: RowProgram, N: number, x: Float32Array, w: Float32Array, grad = () => h.alloc(p.K)) {
  const operands = p.operands.map((kind, j) => h.copyOf(kind === 'row' ? randoms(N, N + j, 0, 1).map((v) => (v > 0.4 ? 1 : 0)) : [j === 0 ? 0.25 : N]));
  const stores = p.stores.map(() => h.alloc(N)), grads = p.grads.map(grad), sums = p.sums.map(() => h.alloc(16));
  const maskAt = h.alloc(4);
  new Int32Array(maskAt.buffer, maskAt.byteOffset, 4).set([0, 1, 2, 3].map((l) => (l < N % 4 ? -1 : 0)));
  const bufs = [...operands, ...stores, ...grads, ...sums];
  // then, zero, the sums' totals (none: the kernel writes only their partials)
  const argsAt = h.alloc(ARG.first + bufs.length + p.sums.length);
  const a = new Int32Array(argsAt.buffer, argsAt.byteOffset, ARG.first + bufs.length + p.sums.length);
  a[ARG.x] = x.byteOffset; a[ARG.w] = w.byteOffset; a[ARG.groups] = N >> 2; a[ARG.tail] = N % 4; a[ARG.mask] = maskAt.byteOffset;
  bufs.forEach((b, j) => (a[ARG.first + j] = b.byteOffset));
  run(argsAt.byteOffset);
  return { stores: stores.map((b) => [...b]), grads: grads.map((b) => [...b]), sums: sums.map((b) => [...b]) };
}

function matches(loss: 'bce' | 'mse', F: number, rows: number[], linear = false) {
  const { step, quiet } = steps(F, loss, linear);
  for (const N of rows)
    for (const g of [step, quiet]) {
      expect(regionsOf(g, N, F), `N = ${N}`).toHaveLength(1);
      const fused = runAll(g, N, F, N, {});
      const separate = runAll(g, N, F, N, { regions: false });
      const ref = runAll(g, N, F, N, { precision: 'f64' });
      for (const name of Object.keys(ref))
        for (let i = 0; i < ref[name].length; i++) {
          // float32 sums over N rows, in different orders: rounding grows like √N
          const tol = Math.max(2e-6, 1.2e-7 * Math.sqrt(N)) * (1 + Math.abs(ref[name][i]));
          if (!(Math.abs(fused[name][i] - ref[name][i]) <= tol)) expect.fail(`N = ${N}, ${name}[${i}]: region ${fused[name][i]}, float64 ${ref[name][i]}`);
          if (!(Math.abs(fused[name][i] - separate[name][i]) <= tol)) expect.fail(`N = ${N}, ${name}[${i}]: region ${fused[name][i]}, separate ${separate[name][i]}`);
        }
    }
}
