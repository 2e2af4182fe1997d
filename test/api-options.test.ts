/**
 * train()'s options beyond the seed's: a flat Float32Array shaped by the model's input, minibatches
 * (against SGD written out in float64 here; shuffled orders are held to PyTorch's DataLoader in
 * test/train/torch.test.ts), and `threads`: one thread or a helper thread give the same bits, and the
 * helper installed before is there after.
 */
import { afterAll, describe, expect, it, vi } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { train, predict } from '../index.ts';
import { useNodeFileReader, useNodeHelperThread } from '../runtime/node.ts';
import { useFileReader, trainedModel } from '../runtime/train.ts';
import { declineHelperThread, helperDeclined, helperSpawner, readyHelper, stopHelperThread } from '../runtime/kernels/threads.ts';
import toy from '../graphs/toy.ts';
import { TOL, table1 } from './support/seed.ts';
import { wide, wideData } from './support/wide.ts';

const toyCsv = readFileSync(fileURLToPath(toy.spec.data as URL), 'utf8');
const rows = toyCsv.split('\n').filter((l) => /^\d/.test(l)).map((l) => l.split(',').map(Number));

describe('train() data and minibatches', () => {
  it('a flat Float32Array takes its rows from the model\'s x [N, 2], for train and predict', async () => {
    const x = Float32Array.from(rows.flatMap((r) => r.slice(0, 2)));
    const y = Float32Array.from(rows.map((r) => r[2]));
    const t = await train(toy, { data: { x, y } });
    t.log.forEach((e, i) => expect(Math.abs(e.cost - table1[i])).toBeLessThanOrEqual(TOL));
    expect(t.data).toEqual({ source: '<memory>', rows: 6, features: 2 });
    // the caller's arrays are the data set, not copies of them (fit alone copies, into the heap)
    expect(trainedModel(t).dataset.x).toBe(x);
    expect(trainedModel(t).dataset.y).toBe(y);
    expect(Array.from(x)).toEqual(rows.flatMap((r) => r.slice(0, 2)));
    const p = predict(t, { x: x.subarray(0, 4) });
    expect(p.shape).toEqual([2, 1]);
    expect(Array.from(p.data)).toEqual(Array.from(predict(t, { x: [rows[0].slice(0, 2), rows[1].slice(0, 2)] }).data));
    await expect(train(toy, { data: { x: x.subarray(0, 5), y } })).rejects.toThrow(/x holds 5 values, not whole rows of 2/);
    // (from JavaScript, where the types do not stop it)
    await expect(train(toy, { data: { x: 'abc' as never, y } })).rejects.toThrow(/^data: x must be an array \(rows of numbers, or numbers\) or a typed array, got string$/);
    await expect(train(toy, { data: { x, y: null as never } })).rejects.toThrow(/^data: y must be an array .* got null$/);
  });

  it('batchSize: one step per batch, the epoch\'s cost the mean of its batches (float64 SGD by hand)', async () => {
    const data = { x: rows.map((r) => r.slice(0, 2)), y: rows.map((r) => r[2]) };
    const batched = await train(toy, { data, epochs: 3, logEvery: 1, batchSize: 4, lr: 0.1 });
    // logistic regression by minibatch SGD in float64: cost before each batch's update, mean per epoch
    let W = [0, 0], b = 0;
    const costs: number[] = [];
    for (let epoch = 0; epoch <= 3; epoch++) {
      let sum = 0, batches = 0;
      for (let s0 = 0; s0 < rows.length; s0 += 4) {
        const batch = rows.slice(s0, s0 + 4);
        const g = [0, 0, 0];
        let cost = 0;
        for (const [x0, x1, t] of batch) {
          const h = 1 / (1 + Math.exp(-(x0 * W[0] + x1 * W[1] + b)));
          cost -= t * Math.log(h) + (1 - t) * Math.log(1 - h);
          g[0] += (h - t) * x0;
          g[1] += (h - t) * x1;
          g[2] += h - t;
        }
        sum += cost / batch.length;
        batches++;
        W = [W[0] - (0.1 * g[0]) / batch.length, W[1] - (0.1 * g[1]) / batch.length];
        b -= (0.1 * g[2]) / batch.length;
      }
      costs.push(sum / batches);
    }
    batched.log.forEach((e, i) => expect(Math.abs(e.cost - costs[i]), `epoch ${i}`).toBeLessThanOrEqual(1e-5));
    expect(batched.params.W[0]).toBeCloseTo(W[0], 5);
    expect(batched.params.b[0]).toBeCloseTo(b, 5);
  });

  it('shuffle: another order than in turn, the same one again for the same seed', async () => {
    const data = { x: rows.map((r) => r.slice(0, 2)), y: rows.map((r) => r[2]) };
    const inTurn = await train(toy, { data, epochs: 3, logEvery: 1, batchSize: 2 });
    const shuffled = await train(toy, { data, epochs: 3, logEvery: 1, batchSize: 2, shuffle: true });
    expect(shuffled.log.map((e) => e.cost)).not.toEqual(inTurn.log.map((e) => e.cost));
    expect((await train(toy, { data, epochs: 3, logEvery: 1, batchSize: 2, shuffle: true })).log).toEqual(shuffled.log);
    expect((await train(toy, { data, epochs: 3, logEvery: 1, batchSize: 2, shuffle: true, seed: 7 })).log).not.toEqual(shuffled.log);
  });
});

describe('a model whose data is a file', () => {
  it('is read in Node after useNodeFileReader(); without a reader, one sentence says what to do', async () => {
    useFileReader(null);
    await expect(train(toy)).rejects.toThrow(/data is a file \(.*toy\.csv\): give train\(\) the data .* useNodeFileReader\(\) from 'graphc\/node'/);
    useNodeFileReader();
    const t = await train(toy);
    t.log.forEach((e, i) => expect(Math.abs(e.cost - table1[i])).toBeLessThanOrEqual(TOL));
    expect(t.data.source).toBe(fileURLToPath(toy.spec.data as URL));
    useFileReader(null); // as it was: the files after this one share the process
  });
});

describe('train({ threads })', () => {
  afterAll(() => stopHelperThread());
  // large enough that its row kernels split between two threads (test/support/wide.ts)
  const { x, y } = wideData();
  const model = wide;

  it('1 and 2 threads give the same bits; the helper installed before is there after', async () => {
    stopHelperThread();
    await expect(train(model, { data: { x, y }, threads: 2 })).rejects.toThrow(/useNodeHelperThread\(\) from 'graphc\/node'/);
    useNodeHelperThread();
    const installed = helperSpawner();
    // train until the helper has started and taken part
    let two = await train(model, { data: { x, y }, threads: 2 });
    for (let i = 0; i < 50 && !readyHelper(); i++) {
      await new Promise((r) => setTimeout(r, 20));
      two = await train(model, { data: { x, y }, threads: 2 });
    }
    expect(readyHelper()).not.toBeNull();
    const one = await train(model, { data: { x, y }, threads: 1 });
    expect(helperSpawner()).toBe(installed);
    expect(one.log).toEqual(two.log);
    expect(one.params).toEqual(two.params);
    await expect(train(model, { data: { x, y }, threads: 3 as 2 })).rejects.toThrow(/threads must be 1 or 2, got 3/);
  });

  it('where the Node edge declined a helper (one core), 2 runs on one thread and says why once, not "call useNodeHelperThread()"', async () => {
    // what useNodeHelperThread() does where os.availableParallelism() is 1 (test/cli/threads.test.ts runs it so)
    declineHelperThread('this machine has one core');
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      const two = await train(model, { data: { x, y }, threads: 2 });
      await train(model, { data: { x, y }, threads: 2 });
      expect(warn.mock.calls).toEqual([['graphc: threads: 2 runs on one thread: this machine has one core']]);
      expect(helperSpawner()).toBeNull();
      const one = await train(model, { data: { x, y }, threads: 1 });
      expect(two.params).toEqual(one.params);
      expect(helperDeclined()).toBe('this machine has one core');
    } finally {
      warn.mockRestore();
      stopHelperThread();
    }
  });
});
