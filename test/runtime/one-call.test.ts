/**
 * A plan run as one WebAssembly call (runtime/kernels/wasm/sequence.ts): where every kernel of a plan has a
 * WebAssembly entry, the plan calls them from one generated function. Checked: a logistic regression's
 * train step, with and without its loss, runs that way, and its results equal the kernel-by-kernel run
 * bit for bit over several steps, including when the data's buffers move between runs; steps repeated
 * in one call train as the same steps one by one; small ones (the seed's toy set: 6 rows of 2 features)
 * run as one call too; a plan with a kernel that has no entry runs kernel by kernel.
 */
import { describe, expect, it } from 'vitest';
import { defineModel, input, param, values, binaryCrossEntropy } from '../../compiler/index.ts';
import { compileModel } from '../../compiler/passes/index.ts';
import { Graph } from '../../compiler/ir/graph.ts';
import { Plan, type Copy } from '../../runtime/plan.ts';
import { Executable, ParamStore } from '../../runtime/executable.ts';
import { Trainer } from '../../runtime/trainer.ts';
import { heap } from '../../runtime/kernels/heap.ts';
import * as B from '../../compiler/ir/build.ts';
import { inLeafScope } from '../../compiler/ir/node.ts';
import { printGraph } from '../../compiler/ir/print.ts';
import { randoms } from '../support/run.ts';

const h = heap()!;
const N = 759, F = 8;

const logisticOf = (F: number) =>
  defineModel({
    name: 'logistic',
    build() {
      const x = input('x', ['N', F]);
      const y = input('y', ['N', 1]);
      const W = param('W', [F, 1], values(randoms(F, 3, -1, 1)));
      const b = param('b', [1], values([0.25]));
      const h = x.matmul(W).add(b).sigmoid();
      return { loss: binaryCrossEntropy(h, y), predict: h };
    },
  });
const logistic = logisticOf(F);

function data(seed: number, n = N, f = F) {
  return {
    x: h.copyOf(randoms(n * f, seed, -1, 1)),
    y: h.copyOf(randoms(n, seed + 1, 0, 1).map((v) => (v > 0.5 ? 1 : 0))),
  };
}

/** Trains `steps` steps with plans run one way; returns every step's outputs. */
function train(g: Graph, oneCall: boolean, feeds: { x: Float32Array; y: Float32Array }[], n = N, f = F) {
  const plan = new Plan(g, new Map([['x', [n, f]], ['y', [n, 1]]]), { oneCall });
  const params = new Map(g.params.map((p) => [String(p.attrs.name), h.copyOf(p.attrs.init as Float32Array)]));
  const seen: Record<string, number[]>[] = [];
  for (const d of feeds) {
    plan.run(new Map([['x', d.x], ['y', d.y], ...params]));
    seen.push(Object.fromEntries(g.outputs.map((o) => [o.name, [...plan.value(o.node).data]])));
    // (the learning rate is a leaf with no next value)
    for (const [name, p] of params) if (g.has(`next:${name}`)) p.set(plan.buffer(g.output(`next:${name}`)));
  }
  return { plan, seen };
}

describe('a plan as one WebAssembly call', () => {
  // lr 1 (the seed's); the updates are W − lr·g, lr a leaf of the step
  const step = compileModel(logistic.build(), { lr: 1 }).trainStep;
  const quiet = new Graph(step.outputs.filter((o) => o.name !== 'loss'));
  const a = data(11), b = data(21);
  // the data moves between runs (a, then b twice, then a again): the call's arguments follow it
  const feeds = [a, a, b, b, a, a];

  for (const [name, g] of [['with its loss', step], ['without its loss', quiet]] as const)
    it(`a logistic regression's train step ${name}: one call, and the kernel-by-kernel results bit for bit`, () => {
      const one = train(g, true, feeds), each = train(g, false, feeds);
      expect(one.plan.oneCall).toBe(true);
      expect(each.plan.oneCall).toBe(false);
      expect(one.seen).toEqual(each.seen);
      // and the steps did something: the parameters changed from step to step
      expect(one.seen[1]['next:W']).not.toEqual(one.seen[0]['next:W']);
    });

  // the seed's toy set is this shape: 6 rows of 2 features (rows of a row region that are not whole
  // vectors, a tail of 2 rows, a loss over 6 values)
  for (const [n, f] of [[6, 2], [3, 1], [7, 3], [9, 5]])
    it(`${n} rows of ${f} feature(s): the train step with and without its loss is one call, with the kernel-by-kernel results bit for bit`, () => {
      const st = compileModel(logisticOf(f).build(), { lr: 1 }).trainStep;
      const q = new Graph(st.outputs.filter((o) => o.name !== 'loss'));
      const small = [data(5, n, f), data(6, n, f)];
      for (const g of [st, q]) {
        const one = train(g, true, small, n, f), each = train(g, false, small, n, f);
        expect(one.plan.oneCall).toBe(true);
        expect(one.seen).toEqual(each.seen);
        expect(one.seen[1]['next:W']).not.toEqual(one.seen[0]['next:W']);
      }
    });

  it('steps repeated in one call (Trainer.updateTimes) leave the parameters of as many single steps, bit for bit', () => {
    const run = (repeat: boolean) => {
      const trainer = new Trainer(step, new ParamStore(step.params));
      const feeds = { x: { data: a.x, shape: [N, F] }, y: { data: a.y, shape: [N, 1] } };
      trainer.prepare(feeds);
      const losses = [trainer.run(feeds)];
      if (repeat) trainer.updateTimes(feeds, 9);
      else for (let i = 0; i < 9; i++) trainer.update(feeds);
      losses.push(trainer.run(feeds));
      return { W: [...trainer.params.get('W')], b: [...trainer.params.get('b')], losses };
    };
    // the repeated call is taken (the quiet step's plan is one call)
    const trainer = new Trainer(step, new ParamStore(step.params));
    const q = trainer as unknown as { quiet: { exe: Executable; copies: readonly Copy[] } };
    expect(q.quiet.exe.runTimes({ x: { data: a.x, shape: [N, F] }, y: { data: a.y, shape: [N, 1] } }, 2, q.quiet.copies)).toBe(true);
    const once = run(true), each = run(false);
    expect(once).toEqual(each);
    expect(once.losses[1]).toBeLessThan(once.losses[0]);
  });

  it('training cycles in one call (Trainer.cycles): the losses and parameters of the same steps one by one, bit for bit', () => {
    const feeds = { x: { data: a.x, shape: [N, F] }, y: { data: a.y, shape: [N, 1] } };
    const fresh = () => {
      const t = new Trainer(step, new ParamStore(step.params));
      t.prepare(feeds);
      return t;
    };
    const once = fresh(), each = fresh();
    const got = once.cycles(feeds, 3, 4);
    expect(got).not.toBeNull();
    const want: number[] = [];
    for (let c = 0; c < 3; c++) {
      for (let q = 0; q < 4; q++) each.update(feeds);
      want.push(each.run(feeds));
    }
    expect([...got!]).toEqual(want.map(Math.fround));
    expect([...once.params.get('W')]).toEqual([...each.params.get('W')]);
    expect([...once.params.get('b')]).toEqual([...each.params.get('b')]);
    // and after the data moves, the next call follows it
    const other = { x: { data: b.x, shape: [N, F] }, y: { data: b.y, shape: [N, 1] } };
    expect([...once.cycles(other, 1, 0)!]).toEqual([each.run(other)].map(Math.fround));
    expect([...once.params.get('W')]).toEqual([...each.params.get('W')]);
  });

  it('elementwise kernels over 1,000 values (WebAssembly SIMD ones): one call, with the kernel-by-kernel results bit for bit', () => {
    const g = inLeafScope(() => {
      const x = B.mk('Input', [], { name: 'x', shape: [1000], dtype: 'f32' });
      const v = B.mk('Input', [], { name: 'v', shape: [1000], dtype: 'f32' });
      return new Graph([{ name: 'y', node: B.sigmoid(B.add(B.mul(x, v), v)) }]);
    });
    const leaves = new Map([['x', h.copyOf(randoms(1000, 1, -4, 4))], ['v', h.copyOf(randoms(1000, 2, -1, 1))]]);
    const run = (oneCall: boolean) => {
      const plan = new Plan(g, new Map([['x', [1000]], ['v', [1000]]]), { oneCall });
      plan.run(leaves);
      return { oneCall: plan.oneCall, y: [...plan.value(g.output('y')).data] };
    };
    const one = run(true), each = run(false);
    expect(one.oneCall).toBe(true);
    expect(one.y).toEqual(each.y);
    expect(one.y.every((y) => y > 0 && y < 1)).toBe(true);
  });

  it('a logistic regression\'s step is one call whatever the learning rate, with the kernel-by-kernel results bit for bit', () => {
    // the rate is the step's leaf `optimizer.lr`: every rate compiles to the same graph, whose update
    // W − lr·g is a chain of two ops on a few values, in WebAssembly at every size
    const printed = new Set<string>();
    for (const lr of [1, 0.5, 0.1]) {
      const step = compileModel(logistic.build(), { lr }).trainStep;
      printed.add(printGraph(step));
      const one = train(step, true, feeds);
      const each = train(step, false, feeds);
      expect(one.plan.oneCall, `lr ${lr}`).toBe(true);
      expect(each.plan.oneCall).toBe(false);
      expect(one.seen).toEqual(each.seen);
    }
    expect(printed.size).toBe(1);
  });

  it('a plan with a kernel without a WebAssembly entry runs kernel by kernel', () => {
    // Tanh has no SIMD rule: its JS kernel has no entry
    const g = inLeafScope(() => {
      const x = B.mk('Input', [], { name: 'x', shape: [8], dtype: 'f32' });
      return new Graph([{ name: 'y', node: B.tanh(B.add(x, x)) }]);
    });
    expect(new Plan(g, new Map([['x', [8]]])).oneCall).toBe(false);
  });
});
