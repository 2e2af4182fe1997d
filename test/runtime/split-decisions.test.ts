/**
 * Which kernels use the helper thread (runtime/kernels/split.ts, threads.ts): a kernel starts on one
 * thread and adopts the split only where a look measured it faster by ADOPT's margin; each kernel shape
 * has a timer of its own; the seed's small models (W1, W2) never start the helper nor post it a job,
 * while a large product does post its share (in a look, at the latest). No timing is asserted: the
 * timers are fed the times of their calls here.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import '../../compiler/ops/index.ts';
import { compileModel } from '../../compiler/passes/compile.ts';
import { ParamStore } from '../../runtime/executable.ts';
import { Trainer } from '../../runtime/trainer.ts';
import { feedsFor, fit } from '../../runtime/fit.ts';
import { parseCsv, type Dataset } from '../../runtime/data.ts';
import { heap } from '../../runtime/kernels/heap.ts';
import { matmulKernel } from '../../runtime/kernels/matmul.ts';
import { readyHelper, stopHelperThread, useHelperThread, CONTROL } from '../../runtime/kernels/threads.ts';
import { SplitTimer, SAMPLES, WARM, MAX_PERIOD, MIN_PERIOD, RELOOK, LOOK_MS, DROP, UNHELPED_DROP, UNHELPED_SLACK, HELPED, helped, splitTimer, splitChoices } from '../../runtime/kernels/split.ts';
import { useRelaxedSimd } from '../../runtime/node.ts';
import type { Model } from '../../compiler/dsl/model.ts';
import toy from '../../graphs/toy.ts';
import diabetes from '../../graphs/diabetes.ts';
import { randoms } from '../support/run.ts';

useRelaxedSimd();
const h = heap()!;

/**
 * Calls `t` until its next look ends, each split call taking `splitMs` and each other `oneMs`; returns the
 * answers (split or not) of those calls.
 */
function look(t: SplitTimer, splitMs: number | ((call: number) => number), oneMs: number): boolean[] {
  const looks = () => t.outcome?.looks ?? 0;
  const before = looks(), answers: boolean[] = [];
  // splitMs as a function: the time of the look's nth split call
  let splits = 0;
  for (let i = 0; i < 4 * MAX_PERIOD && looks() === before; i++) {
    const s = t.split();
    answers.push(s);
    t.record(s, !s ? oneMs : typeof splitMs === 'number' ? splitMs : splitMs(splits++));
  }
  expect(looks()).toBe(before + 1);
  return answers;
}

describe('a kernel decides by measurement whether to split', () => {
  it('warms the split with WARM untimed calls, starts on one thread, then looks: calls alternating both ways', () => {
    const t = new SplitTimer();
    expect(look(t, 1, 1)).toEqual([...Array(WARM).fill(true), false, ...Array.from({ length: 2 * SAMPLES }, (_, i) => i % 2 === 0)]);
  });

  it("the first split calls' one-time costs (the helper's first job) do not decide the first look", () => {
    const t = new SplitTimer();
    // the first WARM split calls take 10 ms (the helper compiling its kernel, first pages), later ones 0.5
    look(t, (n) => (n < WARM ? 10 : 0.5), 1);
    expect(t.splitting).toBe(true);
    expect(t.outcome).toMatchObject({ splitMs: 0.5, oneMs: 1 });
  });

  it('does not adopt the split for a gain of 5% (within the noise), does for one of half', () => {
    const small = new SplitTimer();
    look(small, 0.95, 1);
    expect(small.splitting).toBe(false);
    // between looks every call is on one thread
    const next = look(small, 0.95, 1);
    expect(next.slice(0, -2 * SAMPLES).every((s) => s === false)).toBe(true);
    expect(small.splitting).toBe(false);
    const large = new SplitTimer();
    look(large, 0.5, 1);
    expect(large.splitting).toBe(true);
    expect(large.outcome).toMatchObject({ splitting: true, looks: 1, splitMs: 0.5, oneMs: 1 });
    expect(look(large, 0.5, 1).slice(0, -2 * SAMPLES).every((s) => s === true)).toBe(true);
  });

  it('keeps a split that stays faster, drops one that is slower, and stays on one thread on a tie', () => {
    const t = new SplitTimer();
    look(t, 0.5, 1);
    look(t, 0.95, 1);
    expect(t.splitting).toBe(true);
    look(t, 1.5, 1);
    expect(t.splitting).toBe(false);
    const tie = new SplitTimer();
    look(tie, 1, 1);
    expect(tie.splitting).toBe(false);
  });

  it('one slow call in a look (a thread the scheduler parked) does not decide it: the median does', () => {
    const t = new SplitTimer();
    // split calls take 0.5 ms, one of them 50 ms; one-thread calls 1 ms
    look(t, (n) => (n === 1 ? 50 : 0.5), 1);
    expect(t.splitting).toBe(true);
    expect(t.outcome).toMatchObject({ splitMs: 0.5, oneMs: 1 });
  });

  it('drops a split whose calls turn slower than a one-thread call between looks, after DROP of them', () => {
    const t = new SplitTimer();
    look(t, 0.5, 1);
    expect(t.splitting).toBe(true);
    // one slow split call (a thread parked once) keeps the split
    for (const ms of [1.5, 0.5, 1.5, 0.5]) t.record(t.split(), ms);
    expect(t.splitting).toBe(true);
    // DROP in a row slower than the look's one-thread median: back on one thread at once
    const answers: boolean[] = [];
    for (let i = 0; i < DROP; i++) {
      const s = t.split();
      answers.push(s);
      t.record(s, s ? 1.2 : 1);
    }
    expect(answers).toEqual(Array(DROP).fill(true));
    expect(t.splitting).toBe(false);
    // the report keeps the look's times and says the split was dropped since
    expect(t.outcome).toMatchObject({ splitting: false, splitMs: 0.5, oneMs: 1, dropped: true });
    // the next look RELOOK calls on (sooner than a period's MIN_PERIOD); it adopts the split again only by ADOPT's margin
    expect(RELOOK).toBeLessThan(MIN_PERIOD);
    const next = look(t, 0.95, 1);
    expect(next.length).toBe(RELOOK + 1 + 2 * SAMPLES);
    expect(next.slice(0, RELOOK + 1).every((s) => s === false)).toBe(true);
    expect(t.splitting).toBe(false);
    expect(t.outcome).toMatchObject({ splitMs: 0.95, dropped: false });
  });

  it('a split call counts as helped where the helper computed at least HELPED of its chunks', () => {
    expect(helped(0, 64)).toBe(false);
    expect(helped(Math.ceil(HELPED * 64) - 1, 64)).toBe(false);
    expect(helped(Math.ceil(HELPED * 64), 64)).toBe(true);
    expect(helped(1, 2)).toBe(true);
    expect(helped(0, 1)).toBe(false);
  });

  it('drops a split after UNHELPED_DROP fast calls in a row that the helper did not help (a look slowed by the load)', () => {
    const t = new SplitTimer();
    // the look's one-thread calls slowed (median 30 ms): no split call is slower than that
    look(t, 0.5, 30);
    expect(t.splitting).toBe(true);
    // calls the helper did not help, fewer than UNHELPED_DROP in a row between helped ones, keep the split
    for (const h of [false, true, ...Array(UNHELPED_DROP - 1).fill(false), true]) t.record(t.split(), 1, h);
    expect(t.splitting).toBe(true);
    // UNHELPED_DROP in a row it did not help (its core taken; the caller did the work alone): back on one thread
    const answers: boolean[] = [];
    for (let i = 0; i < UNHELPED_DROP; i++) {
      const s = t.split();
      answers.push(s);
      t.record(s, 1, false);
    }
    expect(answers).toEqual(Array(UNHELPED_DROP).fill(true));
    expect(t.splitting).toBe(false);
  });

  it('calls the helper missed at about a one-thread call\'s time keep the split; slower ones count as slow', () => {
    const t = new SplitTimer();
    look(t, 0.6, 1);
    expect(t.splitting).toBe(true);
    // DROP calls in a row not helped, each a little over the one-thread median (the caller computed every
    // chunk, plus the posting): the split stays, its next helped call as fast as before
    for (let i = 0; i < DROP; i++) t.record(t.split(), 1.05, false);
    t.record(t.split(), 0.6, true);
    expect(t.splitting).toBe(true);
    // DROP in a row not helped and slower than UNHELPED_SLACK of a one-thread call: dropped
    const answers: boolean[] = [];
    for (let i = 0; i < DROP; i++) {
      const s = t.split();
      answers.push(s);
      t.record(s, 1.2 * UNHELPED_SLACK, false);
    }
    expect(answers).toEqual(Array(DROP).fill(true));
    expect(t.splitting).toBe(false);
    expect(t.outcome).toMatchObject({ dropped: true });
  });

  it('calls made while a test forces the choice are not measurements', () => {
    const t = new SplitTimer();
    SplitTimer.force = true;
    try {
      for (let i = 0; i < 4 * MAX_PERIOD; i++) t.record(t.split(), 0.1);
    } finally {
      SplitTimer.force = null;
    }
    expect(t.outcome).toBeNull();
    // its warm-up and first look as a new timer's: forced calls warm nothing either
    expect(look(t, 1, 1).slice(0, WARM + 1)).toEqual([...Array(WARM).fill(true), false]);
  });

  it('a kernel of long calls looks again after LOOK_MS of them, before MAX_PERIOD calls', () => {
    const t = new SplitTimer();
    look(t, 0.5, 1);
    // each call LOOK_MS / 10: the next look comes within a dozen calls, not MIN_PERIOD's 2 × 32
    const answers = look(t, LOOK_MS / 20, LOOK_MS / 10);
    expect(answers.length).toBeLessThanOrEqual(2 * SAMPLES + 21);
  });

  it('one timer per kernel shape: kernels of one shape share it, of another never', () => {
    expect(splitTimer('matrix product [8,8]·[8,8]')).toBe(splitTimer('matrix product [8,8]·[8,8]'));
    expect(splitTimer('matrix product [8,8]·[8,8]')).not.toBe(splitTimer('matrix product [8,8]·[8,16]'));
    expect(splitTimer('row region (8 rows, 2 features)', 'a')).not.toBe(splitTimer('row region (8 rows, 2 features)', 'b'));
  });
});

/** A model's training as a caller of `fit` runs it (the bench's W1 and W2), `runs` times. */
function trainRuns(model: Model, data: Dataset, runs: number): void {
  for (let r = 0; r < runs; r++) {
    const m = model.build();
    const step = compileModel(m, { lr: model.train.lr, optimizer: model.train.optimizer }).trainStep;
    const trainer = new Trainer(step, new ParamStore(step.params));
    trainer.prepare(feedsFor(m.forward, data, data.rows));
    fit(trainer, data, { ...model.train, epochs: 50 }, { metrics: null, shuffler: m.generator, costEveryEpoch: true });
  }
}

describe('which work reaches the helper thread', () => {
  let spawned = 0;
  afterAll(() => stopHelperThread());
  const toyData = parseCsv(readFileSync(new URL('../../data/toy.csv', import.meta.url), 'utf8'));
  const diabetesData = parseCsv(readFileSync(new URL('../../data/data-03-diabetes.csv', import.meta.url), 'utf8'));
  const posted = () => new Int32Array(h.memory.buffer, readyHelper()!.control, 64)[CONTROL.POSTED];

  it('the seed models (W1, W2) never start the helper', () => {
    useHelperThread((source) => (spawned++, new Worker(source, { eval: true })));
    trainRuns(toy, toyData, 3);
    trainRuns(diabetes, diabetesData, 3);
    expect(spawned).toBe(0);
  });

  // a shape of its own (its timer is new here), large enough to split: 260·512·72 multiply-adds
  const [M, K, N] = [260, 512, 72];
  const kernel = matmulKernel(M, K, N);
  const a = h.copyOf(randoms(M * K, 3)), b = h.copyOf(randoms(K * N, 4)), c = h.alloc(M * N);

  it('a large product starts it, and posts it a share in its first look', async () => {
    for (let i = 0; i < 500 && !readyHelper(); i++) {
      kernel([a, b], c); // asks for the helper (calls record nothing until it is ready)
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(spawned).toBe(1);
    expect(readyHelper()).not.toBeNull();
    const before = posted();
    // a call finding the helper still busy with a chunk it was too late for is not a look's call (on a
    // loaded machine, often): call until the first look ends, with a bound
    const looked = () => splitChoices().some((ch) => ch.what === `matrix product [${M},${K}]·[${K},${N}]`);
    for (let i = 0; i < 100 * (2 * SAMPLES + 1) && !looked(); i++) kernel([a, b], c);
    expect(posted()).toBeGreaterThan(before);
    expect(splitChoices().find((ch) => ch.what === `matrix product [${M},${K}]·[${K},${N}]`)?.looks).toBeGreaterThan(0);
  });

  it('with the helper running, the seed models post it nothing', () => {
    const before = posted();
    trainRuns(toy, toyData, 2);
    trainRuns(diabetes, diabetesData, 2);
    expect(posted()).toBe(before);
    expect(spawned).toBe(1);
  });
});
