/**
 * Freeing a trainer's memory now (`Trainer.dispose`, `ParamStore.dispose`): the heap's use returns to
 * where it was, the next trainer takes that memory again and trains to the same values bit for bit, and a
 * disposed plan refuses to run rather than read memory handed out again.
 */
import { describe, expect, it } from 'vitest';
import { heap } from '../../runtime/kernels/heap.ts';
import { Executable, ParamStore } from '../../runtime/executable.ts';
import { Trainer } from '../../runtime/trainer.ts';
import { feedsFor, fit } from '../../runtime/fit.ts';
import { compileModel } from '../../compiler/passes/compile.ts';
import mlp, { syntheticData } from '../../graphs/mlp-w4.ts';

const data = syntheticData(512);
const train = { ...mlp.train, epochs: 1 };

function trainOnce() {
  const m = mlp.build();
  const step = compileModel(m, { lr: train.lr }).trainStep;
  const trainer = new Trainer(step, new ParamStore(step.params));
  trainer.prepare(feedsFor(m.forward, data, 128));
  const r = fit(trainer, data, train, { metrics: null, costEveryEpoch: true });
  const W1 = trainer.params.get('W1');
  return { trainer, W1, copy: W1.slice(), costs: r.log.map((e) => e.cost), batch: feedsFor(step, data, 128) };
}

describe('dispose', () => {
  it('frees a trainer and its store now; the next one reuses the memory and trains the same', () => {
    const h = heap()!;
    const first = trainOnce();
    const before = h.usedBytes;
    const top = h.sizeBytes;
    first.trainer.dispose();
    first.trainer.params.dispose();
    // the W4 model's parameters (~0.8 MB) and its plan's arena (~1.9 MB) are freed
    expect(before - h.usedBytes).toBeGreaterThan(2e6);
    const second = trainOnce();
    expect(second.W1.byteOffset).toBeLessThan(first.W1.byteOffset + 4 * first.W1.length + 64);
    expect(h.usedBytes).toBe(before);
    expect(h.sizeBytes).toBe(top);
    expect(second.costs).toEqual(first.costs);
    expect(Buffer.from(second.W1.buffer, second.W1.byteOffset, 4 * second.W1.length).equals(Buffer.from(first.copy.buffer))).toBe(true);
    second.trainer.dispose();
    expect(() => second.trainer.run(second.batch)).toThrow(/after its dispose/);
    second.trainer.params.dispose();
  });

  it('a disposed executable or trainer refuses to run, with new input shapes as with the old', () => {
    const m = mlp.build();
    const c = compileModel(m, { lr: train.lr });
    const store = new ParamStore(c.trainStep.params);
    const exe = new Executable(c.forward, store);
    exe.run(feedsFor(c.forward, data, 128));
    exe.dispose();
    expect(() => exe.run(feedsFor(c.forward, data, 128))).toThrow(/after its dispose/);
    // (new shapes would otherwise make a new plan in freed memory's place)
    expect(() => exe.run(feedsFor(c.forward, data, 64))).toThrow(/after its dispose/);
    const trainer = new Trainer(c.trainStep, store);
    trainer.run(feedsFor(c.trainStep, data, 128));
    trainer.dispose();
    expect(() => trainer.run(feedsFor(c.trainStep, data, 128))).toThrow(/after its dispose/);
    expect(() => trainer.run(feedsFor(c.trainStep, data, 64))).toThrow(/after its dispose/);
    expect(() => trainer.update(feedsFor(c.trainStep, data, 32))).toThrow(/after its dispose/);
    expect(() => trainer.updateTimes(feedsFor(c.trainStep, data, 16), 3)).toThrow(/after its dispose/);
    expect(() => trainer.cycles(feedsFor(c.trainStep, data, 8), 2, 1)).toThrow(/after its dispose/);
    store.dispose();
  });

  it('fit frees what it makes (the metrics executable, the shuffled batches) and not the trainer', () => {
    const h = heap()!;
    const m = mlp.build();
    const c = compileModel(m, { lr: train.lr });
    const trainer = new Trainer(c.trainStep, new ParamStore(c.trainStep.params));
    trainer.prepare(feedsFor(c.trainStep, data, 128));
    trainer.prepare(feedsFor(c.trainStep, data, 512));
    expect(c.metrics).not.toBeNull();
    const fitted = (batchSize: number) => fit(trainer, data, { ...train, batchSize, shuffle: true, logAccuracy: true }, { metrics: c.metrics, shuffler: m.generator });
    fitted(512);
    const before = h.usedBytes;
    const r = fitted(128);
    expect(r.finalAccuracy).toBeGreaterThan(0);
    expect(h.usedBytes).toBe(before);
    // the trainer is the caller's: it still runs
    expect(Number.isFinite(trainer.run(feedsFor(c.trainStep, data, 128)))).toBe(true);
    trainer.dispose();
    trainer.params.dispose();
  });

  it('shuffled batches train the same in memory left dirty (their buffers are not cleared)', () => {
    const h = heap()!;
    const run = () => {
      const m = mlp.build();
      const c = compileModel(m, { lr: train.lr });
      const trainer = new Trainer(c.trainStep, new ParamStore(c.trainStep.params));
      trainer.prepare(feedsFor(c.trainStep, data, 96));
      // freed memory full of NaN where fit's copies and batches go next (first fit)
      const dirt = h.alloc(2 ** 20, undefined, false);
      dirt.fill(NaN);
      h.free(dirt);
      // 512 rows in batches of 96: five full and a last of 32
      const r = fit(trainer, data, { ...train, batchSize: 96, shuffle: true }, { metrics: null, shuffler: m.generator, costEveryEpoch: true });
      const W1 = trainer.params.get('W1').slice();
      trainer.dispose();
      trainer.params.dispose();
      return { costs: r.log.map((e) => e.cost), W1 };
    };
    const a = run(), b = run();
    expect(a.costs.every(Number.isFinite)).toBe(true);
    expect(a.W1.every(Number.isFinite)).toBe(true);
    expect(b.costs).toEqual(a.costs);
    expect(Buffer.from(b.W1.buffer).equals(Buffer.from(a.W1.buffer))).toBe(true);
  });
});
