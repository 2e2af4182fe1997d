/**
 * ONNX export, proven by other runtimes: every model in graphs/ exports to a file that onnx.checker
 * accepts (full_check, where Debian's python3-onnx is installed), that onnxruntime-node runs with outputs
 * within 1e-5 of graphc's runtime; and the training step, run for 101 steps in onnxruntime, reproduces
 * the seed's table 3.
 */
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as ort from 'onnxruntime-node';
import { compileModel } from '../../compiler/passes/index.ts';
import { exportModel, OPSET, IR_VERSION } from '../../export/index.ts';
import { onnx, toNumber } from '../../export/proto.ts';
import type { Model } from '../../compiler/dsl/model.ts';
import diabetes from '../../graphs/diabetes.ts';
import { parseCsv } from '../../runtime/data.ts';
import { runGraph, randoms } from '../support/run.ts';
import { hasOnnx, python, sayIfMissing } from '../support/peers.ts';
import { trainStepRefused } from '../support/train-export.ts';
import { TOL, table3, diabetesCsv } from '../support/seed.ts';

sayIfMissing('python3-onnx (onnx.checker)', hasOnnx, 'export.test');
const graphsDir = fileURLToPath(new URL('../../graphs/', import.meta.url));
const files = readdirSync(graphsDir).filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'));
const dir = mkdtempSync(join(tmpdir(), 'graphc-onnx-'));

async function load(file: string): Promise<Model> {
  return (await import(pathToFileURL(join(graphsDir, file)).href)).default as Model;
}

/** Random feeds for a model's inputs, batch of 5 for symbolic dims (y in {0, 1} / class ids). */
function feedsFor(m: ReturnType<Model['build']>, seed: number) {
  const feeds: Record<string, { data: number[]; shape: number[] }> = {};
  for (const n of m.forward.inputs) {
    const shape = n.shape.map((d) => (typeof d === 'number' ? d : 5));
    const size = shape.reduce((a, b) => a * b, 1);
    const name = String(n.attrs.name);
    feeds[name] = { data: name === 'y' || n.dtype !== 'f32' ? randoms(size, seed).map((v) => (v > 0 ? 1 : 0)) : randoms(size, seed), shape };
  }
  return feeds;
}

describe('every model in graphs/ exports to ONNX', () => {
  for (const file of files) {
    it(`${file}: checker, onnxruntime, outputs within 1e-5 of graphc`, async () => {
      const model = await load(file);
      const built = model.build();
      const compiled = compileModel(built, { lr: model.train.lr });
      const bytes = exportModel(compiled, 'inference');
      const path = join(dir, file.replace(/\.ts$/, '.onnx'));
      writeFileSync(path, bytes);
      const proto = onnx.ModelProto.decode(bytes);
      expect(toNumber(proto.irVersion as number)).toBe(IR_VERSION);
      expect(toNumber(proto.opsetImport![0].version as number)).toBe(OPSET);
      expect(proto.producerName).toBe('graphc');
      expect(proto.docString).toBe(built.description);
      const graph = proto.graph!;
      expect(graph.input!.some((i) => i.type!.tensorType!.shape!.dim!.some((d) => d.dimParam === 'N'))).toBe(true);
      expect(graph.node!.filter((n) => n.opType !== 'Identity').every((n) => /graphs\/[\w-]+\.ts:\d+/.test(n.docString ?? ''))).toBe(true);
      expect(graph.node!.every((n) => !n.domain)).toBe(true);
      // a linear layer folded into one node (fold-linear) exports as Gemm with its bias, then Relu
      if (compiled.inference.nodes.some((n) => n.op === 'Linear')) expect(graph.node!.some((n) => n.opType === 'Gemm' && n.input!.length === 3)).toBe(true);
      if (file === 'mlp-w4.ts') expect(compiled.inference.nodes.filter((n) => n.op === 'Linear')).toHaveLength(2);
      if (hasOnnx) python(`import onnx,sys\nm=onnx.load(sys.argv[1])\nonnx.checker.check_model(m, full_check=True)`, [path]);

      const session = await ort.InferenceSession.create(path);
      for (const seed of [1, 2]) {
        const feeds = feedsFor(built, seed);
        const ours = runGraph(compiled.inference, feeds, 'f32').predict;
        const ortFeeds = Object.fromEntries(
          session.inputNames.map((name) => [name, new ort.Tensor('float32', Float32Array.from(feeds[name].data), feeds[name].shape)]),
        );
        const theirs = (await session.run(ortFeeds)).predict.data as Float32Array;
        expect(theirs.length).toBe(ours.length);
        theirs.forEach((v, i) => expect(Math.abs(v - ours[i])).toBeLessThanOrEqual(1e-5));
      }
    });
  }
});

describe('every model\'s training step exports to ONNX', () => {
  for (const file of files) {
    it(`${file}: checker, one step in onnxruntime equals graphc's step (1e-5)`, async () => {
      const model = await load(file);
      const built = model.build();
      const compiled = compileModel(built, { lr: model.train.lr, optimizer: model.train.optimizer });
      if (trainStepRefused[file]) return void expect(() => exportModel(compiled, 'train')).toThrow(trainStepRefused[file]);
      const path = join(dir, file.replace(/\.ts$/, '.train.onnx'));
      writeFileSync(path, exportModel(compiled, 'train'));
      if (hasOnnx) python(`import onnx,sys\nonnx.checker.check_model(onnx.load(sys.argv[1]), full_check=True)`, [path]);
      const feeds: Record<string, { data: number[]; shape: number[] }> = feedsFor(built, 3);
      const y = built.forward.inputs.find((n) => n.attrs.name === 'y')!;
      if (y.shape.length === 1) feeds.y.data = feeds.y.data.map((_, i) => i % 2); // class indices
      // Adam's second moment away from zero: a bias before batch normalization has a gradient of rounding
      // noise only, which a zero second moment would blow up into a full step of either sign
      for (const p of compiled.trainStep.params) {
        const name = String(p.attrs.name), init = p.attrs.init as Float32Array;
        feeds[name] = { data: name.endsWith('.exp_avg_sq') ? randoms(init.length, 11, 0.1, 0.5) : Array.from(init), shape: p.shape as number[] };
      }
      const ours = runGraph(compiled.trainStep, feeds, 'f32');
      const session = await ort.InferenceSession.create(path);
      const ortFeeds = Object.fromEntries(session.inputNames.map((name) => [name, new ort.Tensor('float32', Float32Array.from(feeds[name].data), feeds[name].shape)]));
      const theirs = await session.run(ortFeeds);
      for (const o of compiled.trainStep.outputs) {
        const name = o.name.startsWith('next:') ? `${o.name.slice(5)}.next` : o.name;
        const t = theirs[name].data as Float32Array;
        t.forEach((v, i) => expect(Math.abs(v - ours[o.name][i]), `${name}[${i}]`).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(ours[o.name][i]))));
      }
    });
  }
});

describe('the training step as plain ONNX', () => {
  it('101 steps of the diabetes model in onnxruntime reproduce the seed\'s table 3', async () => {
    const compiled = compileModel(diabetes.build(), { lr: 1 });
    const path = join(dir, 'diabetes-train.onnx');
    const bytes = exportModel(compiled, 'train');
    writeFileSync(path, bytes);
    if (hasOnnx) python(`import onnx,sys\nonnx.checker.check_model(onnx.load(sys.argv[1]), full_check=True)`, [path]);
    const data = parseCsv(readFileSync(diabetesCsv, 'utf8'));
    const session = await ort.InferenceSession.create(path);
    let params: Record<string, ort.Tensor> = {
      W: new ort.Tensor('float32', new Float32Array(8), [8, 1]),
      b: new ort.Tensor('float32', new Float32Array(1), [1]),
    };
    const x = new ort.Tensor('float32', data.x, [data.rows, 8]);
    const y = new ort.Tensor('float32', data.y, [data.rows, 1]);
    const costs: number[] = [];
    for (let epoch = 0; epoch <= 100; epoch++) {
      const out = await session.run({ ...params, x, y, 'optimizer.lr': new ort.Tensor('float32', Float32Array.of(1), []) });
      if (epoch % 10 === 0) costs.push((out.loss.data as Float32Array)[0]);
      params = { W: out['W.next'], b: out['b.next'] };
    }
    costs.forEach((c, i) => expect(Math.abs(c - table3[i]), `epoch ${i * 10}: ${c}`).toBeLessThanOrEqual(TOL));
  });
});
