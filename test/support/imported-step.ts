/**
 * An imported ONNX model's training step, run two ways: its file (`exportModel(c, 'train')`) in
 * onnxruntime-node, and graphc's own run of the step (`runGraph`), on the same feeds and parameters. For
 * the tests that check an op's gradient exports (the slices', Gather's, GridSample's).
 */
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { importOnnx, attachLoss, exportModel } from '../../export/index.ts';
import { compileModel } from '../../compiler/passes/index.ts';
import { runGraph } from './run.ts';

/** A feed: float32, or int64 where `int`. */
export type Feed = { data: number[]; shape: number[]; int?: boolean };

export const ortTensor = (f: Feed) => (f.int ? new ort.Tensor('int64', BigInt64Array.from(f.data.map(BigInt)), f.shape) : new ort.Tensor('float32', Float32Array.from(f.data), f.shape));

/** The largest difference between two arrays, element by element. */
export const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

/**
 * The step of the model in `file` with an MSE loss at learning rate `lr`: the ops of graphc's step, its
 * outputs (`ours`, by name), onnxruntime's (`theirs`), and the parameters both were fed (their initial
 * values, by name; the learning rate apart).
 */
export async function bothSteps(file: string, feeds: Record<string, Feed>, lr: number) {
  const c = compileModel(attachLoss(importOnnx(new Uint8Array(readFileSync(file))), 'mse'), { lr });
  const ops = new Set(c.trainStep.nodes.map((n) => n.op));
  const params = new Map(c.trainStep.nodes.filter((n) => n.op === 'Param' && n.attrs.name !== 'optimizer.lr').map((p) => [String(p.attrs.name), { data: Array.from(p.attrs.init as Float32Array), shape: p.shape as number[] }]));
  const all: Record<string, Feed> = { ...feeds, ...Object.fromEntries(params), 'optimizer.lr': { data: [lr], shape: [] } };
  const ours = runGraph(c.trainStep, all);
  const s = await ort.InferenceSession.create(exportModel(c, 'train'));
  const theirs = await s.run(Object.fromEntries(s.inputNames.map((n) => [n, ortTensor(all[n])])));
  return { ops, ours, theirs, params };
}
