/**
 * In-place updates (runtime/in-place.ts): a trainer's plans write each `next:<leaf>` straight into the
 * leaf's buffer where that is safe. The parameters must be those of steps whose updates are copied after
 * the run, bit for bit, for every optimizer; an update whose leaf is read after it, or read other than
 * element by element, must be copied instead; and the verifier must refuse a schedule that reads an
 * overwritten leaf.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import mlp, { syntheticData } from '../../graphs/mlp-w4.ts';
import toy from '../../graphs/toy.ts';
import { compileModel } from '../../compiler/passes/compile.ts';
import { Graph } from '../../compiler/ir/graph.ts';
import * as B from '../../compiler/ir/build.ts';
import { inLeafScope, type Node } from '../../compiler/ir/node.ts';
import { Executable, ParamStore } from '../../runtime/executable.ts';
import { Plan } from '../../runtime/plan.ts';
import { Trainer, stepUpdates } from '../../runtime/trainer.ts';
import { verifyInPlace, type ScheduledStep } from '../../runtime/in-place.ts';
import { heap } from '../../runtime/kernels/heap.ts';
import { parseCsv } from '../../runtime/data.ts';
import { feedsFor } from '../../runtime/fit.ts';
import type { OptimizerSpec } from '../../compiler/dsl/model.ts';
import type { TensorValue } from '../../runtime/plan.ts';

/** `steps` steps of the step graph with every update copied after the run (no updates in place): the parameters. */
function copiedSteps(step: Graph, batches: readonly Record<string, TensorValue>[]): Map<string, Float32Array> {
  const store = new ParamStore(step.params);
  const exe = new Executable(step, store);
  for (const batch of batches) {
    const plan = exe.run(batch);
    for (const [name, to] of store.values) if (step.has(`next:${name}`)) to.set(plan.buffer(step.output(`next:${name}`)));
  }
  return store.values;
}

function expectSameBits(a: ReadonlyMap<string, Float32Array>, b: ReadonlyMap<string, Float32Array>) {
  expect([...a.keys()]).toEqual([...b.keys()]);
  for (const [name, v] of a) {
    const w = b.get(name)!;
    for (let i = 0; i < v.length; i++) if (!Object.is(v[i], w[i])) expect.fail(`${name}[${i}]: ${v[i]} vs ${w[i]}`);
  }
}

const leaf = (op: 'Param' | 'Input', name: string, shape: number[], init?: number[]) =>
  inLeafScope(() => B.mk(op, [], op === 'Param' ? { name, shape, init: Float32Array.from(init!) } : { name, shape, dtype: 'f32' }));

describe('in-place updates', () => {
  const d = syntheticData(192);
  const batches = [0, 1, 2].map((b) => ({ x: { data: d.x.subarray(b * 64 * 784, (b + 1) * 64 * 784), shape: [64, 784] }, y: { data: d.y.subarray(b * 64, (b + 1) * 64), shape: [64] } }));
  const optimizers: [string, OptimizerSpec | undefined][] = [
    ['SGD', undefined],
    ['SGD with Nesterov momentum and weight decay', { kind: 'sgd', momentum: 0.9, nesterov: true, weightDecay: 1e-3 }],
    ['SGD with momentum and dampening', { kind: 'sgd', momentum: 0.9, dampening: 0.1 }],
    ['Adam', { kind: 'adam' }],
    ['AdamW', { kind: 'adamw', weightDecay: 0.01 }],
  ];
  for (const [what, optimizer] of optimizers) {
    it(`${what} (W4's MLP): every update in place, the parameters of copied updates bit for bit`, () => {
      const step = compileModel(mlp.build(), { lr: 0.01, optimizer }).trainStep;
      const trainer = new Trainer(step, new ParamStore(step.params));
      for (const [i, batch] of batches.entries()) {
        if (i === 1) trainer.update(batch);
        else trainer.run(batch);
      }
      const report = trainer.exe.placed(batches[0]).report();
      // (with dampening, the step count is read after its update, by the first step's test: it is copied)
      const copied = optimizer?.kind === 'sgd' && optimizer.dampening ? ['optimizer.step'] : [];
      expect(report.inPlaceMisses.map((m) => m.leaf)).toEqual(copied);
      expect(report.inPlace.map((u) => u.leaf).sort()).toEqual([...stepUpdates(step).values()].filter((n) => !copied.includes(n)).sort());
      expectSameBits(trainer.params.values, copiedSteps(step, batches));
    });
  }

  it("halves W4's arena: no buffer for the new weights", () => {
    const step = compileModel(mlp.build(), { lr: 0.05 }).trainStep;
    const shapes = new Map([['x', [128, 784]], ['y', [128]]]);
    const copied = new Plan(step, shapes), inPlace = new Plan(step, shapes, { updates: stepUpdates(step) });
    expect(copied.memory.arenaBytes - inPlace.memory.arenaBytes).toBeGreaterThanOrEqual(784 * 256 * 4);
  });

  it('a full-batch step run as one call, many times a call (Trainer.updateTimes, cycles): the same bits', () => {
    const data = parseCsv(readFileSync(fileURLToPath(toy.spec.data as URL), 'utf8'));
    const m = toy.build();
    const step = compileModel(m, { lr: 1 }).trainStep;
    const batch = feedsFor(m.forward, data);
    const trainer = new Trainer(step, new ParamStore(step.params));
    const placed = trainer.exe.placed(batch);
    expect(placed.oneCall).toBe(true);
    expect(placed.report().inPlace.length).toBe(2);
    trainer.updateTimes(batch, 5);
    const losses = trainer.cycles(batch, 3, 2);
    expect(losses).not.toBeNull();
    expectSameBits(trainer.params.values, copiedSteps(step, Array(14).fill(batch)));
  });

  it('an update whose leaf is read after it is copied instead, and the read sees the old value', () => {
    const w = leaf('Param', 'w', [4], [1, 2, 3, 4]);
    // graph order: next:w's Sub, then `late`, which reads w after it
    const g = new Graph([{ name: 'next:w', node: B.sub(w, 1) }, { name: 'late', node: B.mul(w, 2) }]);
    const plan = new Plan(g, new Map(), { updates: new Map([['next:w', 'w']]) });
    expect(plan.report().inPlace).toEqual([]);
    expect(plan.report().inPlaceMisses).toEqual([{ leaf: 'w', why: 'Mul reads it after its update' }]);
    const wv = heap()!.alloc(4, {});
    wv.set([1, 2, 3, 4]);
    plan.run(new Map([['w', wv]]));
    expect(Array.from(plan.buffer(g.output('late')))).toEqual([2, 4, 6, 8]);
    expect(Array.from(plan.buffer(g.output('next:w')))).toEqual([0, 1, 2, 3]);
    expect(Array.from(wv)).toEqual([1, 2, 3, 4]);
  });

  it('an update that reads its leaf other than element by element (a product) is copied instead', () => {
    const w = leaf('Param', 'w', [2, 2], [1, 2, 3, 4]);
    const a = leaf('Input', 'a', [2, 2]);
    const g = new Graph([{ name: 'next:w', node: B.matmul(w, a) }]);
    const plan = new Plan(g, new Map([['a', [2, 2]]]), { updates: new Map([['next:w', 'w']]) });
    expect(plan.report().inPlaceMisses).toEqual([{ leaf: 'w', why: 'its update (MatMul) reads it other than element by element' }]);
  });

  it("writes into the leaf's buffer where it is used in place, into its staged copy where it is not", () => {
    const w = leaf('Param', 'w', [8], [0, 0, 0, 0, 0, 0, 0, 0]);
    const x = leaf('Input', 'x', [8]);
    const g = new Graph([{ name: 'y', node: B.mul(w, x) }, { name: 'next:w', node: B.add(w, x) }]);
    const plan = new Plan(g, new Map([['x', [8]]]), { updates: new Map([['next:w', 'w']]) });
    expect(plan.report().inPlace.map((u) => u.leaf)).toEqual(['w']);
    const xv = Float32Array.from({ length: 8 }, (_, i) => i);
    const inHeap = heap()!.alloc(8, {});
    inHeap.fill(1);
    plan.run(new Map([['w', inHeap], ['x', xv]]));
    expect(Array.from(inHeap)).toEqual(Array.from(xv, (v) => v + 1));
    expect(plan.buffer(g.output('next:w'))).toBe(inHeap);
    expect(Array.from(plan.buffer(g.output('y')))).toEqual(Array.from(xv));
    // outside the heap: staged, the staging buffer written, the caller's array untouched
    const outside = new Float32Array(8).fill(2);
    plan.run(new Map([['w', outside], ['x', xv]]));
    expect(Array.from(outside)).toEqual(Array(8).fill(2));
    expect(Array.from(plan.buffer(g.output('next:w')))).toEqual(Array.from(xv, (v) => v + 2));
  });

  it('the verifier refuses a schedule that reads a leaf after the step that overwrote it', () => {
    const w = leaf('Param', 'w', [4], [1, 2, 3, 4]);
    const next = B.sub(w, 1), late = B.mul(w, 2);
    const shapes = new Map<Node, number[]>([[w, [4]], [next, [4]], [late, [4]], [next.inputs[1], []], [late.inputs[1], []]]);
    const schedule: ScheduledStep[] = [{ node: next, reads: next.inputs, region: false }, { node: late, reads: late.inputs, region: false }];
    expect(() => verifyInPlace(schedule, new Map([[next, w]]), shapes)).toThrow(/Mul reads leaf 'w' after Sub overwrote it/);
    expect(() => verifyInPlace([...schedule].reverse(), new Map([[next, w]]), shapes)).not.toThrow();
    const v = leaf('Param', 'v', [2, 2], [1, 0, 0, 1]);
    const direct = B.matmul(v, v);
    expect(() => verifyInPlace([{ node: direct, reads: direct.inputs, region: false }], new Map([[direct, v]]), new Map([[direct, [2, 2]], [v, [2, 2]]]))).toThrow(/other than element by element/);
  });
});
