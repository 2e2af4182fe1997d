/**
 * graphc reads back what it writes: every model in graphs/, exported for inference and as its training
 * step, imports into graphc and runs in its runtime with outputs within 1e-5 of onnxruntime-node running
 * the same file; an imported training step, iterated in graphc, follows onnxruntime's iterates.
 */
import { describe, expect, it } from 'vitest';
import { readdirSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as ort from 'onnxruntime-node';
import { compileModel } from '../../compiler/passes/index.ts';
import { exportModel, importOnnx } from '../../export/index.ts';
import type { Model } from '../../compiler/dsl/model.ts';
import { runGraph, randoms, type Feeds } from '../support/run.ts';
import { trainStepRefused } from '../support/train-export.ts';

const graphsDir = fileURLToPath(new URL('../../graphs/', import.meta.url));
const files = readdirSync(graphsDir).filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'));
const dir = mkdtempSync(join(tmpdir(), 'graphc-roundtrip-'));

async function load(file: string): Promise<Model> {
  return (await import(pathToFileURL(join(graphsDir, file)).href)).default as Model;
}

/** Feeds for a model's inputs, batch 5: features in [-1, 1), y as 0/1 labels ([N, 1]) or class ids ([N]). */
function feedsFor(m: ReturnType<Model['build']>, seed: number): Feeds {
  const feeds: Feeds = {};
  for (const n of m.forward.inputs) {
    const shape = n.shape.map((d) => (typeof d === 'number' ? d : 5));
    const size = shape.reduce((a, b) => a * b, 1);
    const name = String(n.attrs.name);
    feeds[name] = { data: name === 'y' ? Array.from({ length: size }, (_, i) => (i * 3 + seed) % 2) : randoms(size, seed), shape };
  }
  return feeds;
}

async function ortRun(path: string, feeds: Feeds): Promise<Record<string, Float32Array>> {
  const session = await ort.InferenceSession.create(path);
  const out = await session.run(Object.fromEntries(session.inputNames.map((name) => [name, new ort.Tensor('float32', Float32Array.from(feeds[name].data), feeds[name].shape)])));
  return Object.fromEntries(Object.entries(out).map(([k, t]) => [k, t.data as Float32Array]));
}

function close(ours: ArrayLike<number>, theirs: ArrayLike<number>, what: string) {
  expect(ours.length, what).toBe(theirs.length);
  for (let i = 0; i < ours.length; i++) expect(Math.abs(ours[i] - theirs[i]), `${what}[${i}]: ${ours[i]} vs ${theirs[i]}`).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(theirs[i])));
}

describe('graphc imports its own exports and matches onnxruntime', () => {
  for (const file of files) {
    it(`${file}: inference`, async () => {
      const model = await load(file);
      const built = model.build();
      const bytes = exportModel(compileModel(built, { lr: model.train.lr }), 'inference');
      const path = join(dir, file.replace(/\.ts$/, '.onnx'));
      writeFileSync(path, bytes);
      const imported = importOnnx(bytes);
      for (const seed of [1, 2]) {
        const feeds = feedsFor(built, seed);
        const theirs = await ortRun(path, feeds);
        const ours = runGraph(imported.graph, feeds, 'f32');
        for (const name of Object.keys(theirs)) close(ours[name], theirs[name], `${file} ${name}`);
      }
    });

    it(`${file}: training step, three steps iterated in graphc and in onnxruntime`, async () => {
      const model = await load(file);
      const built = model.build();
      const compiled = compileModel(built, { lr: model.train.lr, optimizer: model.train.optimizer });
      if (trainStepRefused[file]) return void expect(() => exportModel(compiled, 'train')).toThrow(trainStepRefused[file]);
      const bytes = exportModel(compiled, 'train');
      const path = join(dir, file.replace(/\.ts$/, '.train.onnx'));
      writeFileSync(path, bytes);
      const imported = importOnnx(bytes);
      const feeds = feedsFor(built, 3);
      // the parameters and the optimizer's state, which the step updates (not its learning rate)
      const params = compiled.trainStep.params.map((p) => String(p.attrs.name)).filter((p) => compiled.trainStep.has(`next:${p}`));
      // the learning rate: a required input in onnxruntime, its default (the file's metadata) in graphc
      const lr = compiled.trainStep.params.find((p) => p.attrs.name === 'optimizer.lr');
      if (lr) feeds['optimizer.lr'] = { data: Array.from(lr.attrs.init as Float32Array), shape: [] };
      // (each in its own domain: Adam's second moment is never negative, its step count a whole number)
      for (const p of compiled.trainStep.params.filter((q) => params.includes(String(q.attrs.name)))) {
        const name = String(p.attrs.name), size = p.shape.reduce<number>((a, d) => a * (d as number), 1);
        const data = name === 'optimizer.step' ? [3] : name.endsWith('.exp_avg_sq') ? randoms(size, 7, 0, 0.5) : randoms(size, 7, -0.5, 0.5);
        feeds[name] = { data, shape: p.shape as number[] };
      }
      let ortFeeds = feeds, ourFeeds = feeds;
      for (let step = 0; step < 3; step++) {
        const theirs = await ortRun(path, ortFeeds);
        const ours = runGraph(imported.graph, ourFeeds, 'f32');
        for (const name of Object.keys(theirs)) close(ours[name], theirs[name], `${file} step ${step} ${name}`);
        ortFeeds = { ...ortFeeds, ...Object.fromEntries(params.map((p) => [p, { data: theirs[`${p}.next`], shape: ortFeeds[p].shape }])) };
        ourFeeds = { ...ourFeeds, ...Object.fromEntries(params.map((p) => [p, { data: ours[`${p}.next`], shape: ourFeeds[p].shape }])) };
      }
    });
  }
});
