/**
 * Training and evaluation modes: the train step moves batch normalization's running statistics (and the
 * optimizer never sees them); the inference and metrics graphs are in evaluation mode (BatchNorm over
 * the running statistics, dropout the identity); the training step exports to ONNX and runs in onnxruntime.
 */
import { describe, expect, it } from 'vitest';
import { BatchNorm1d, Dropout, Linear, defineModel, input, inferenceMode, accuracy, Graph, printGraph } from '../../compiler/index.ts';
import { train } from '../../index.ts';
import { compileModel } from '../../compiler/passes/compile.ts';
import { exportModel } from '../../export/model.ts';
import * as ort from 'onnxruntime-node';
import { runGraph } from '../support/run.ts';

const model = defineModel({
  name: 'bn-dropout',
  options: { dropout: ['yes', 'no'] },
  build({ dropout }) {
    const x = input('x', ['N', 3]), y = input('y', ['N', 1]);
    const l1 = new Linear(3, 4, 'l1'), bn = new BatchNorm1d(4), l2 = new Linear(4, 1, 'l2');
    const h = bn.forward(l1.forward(x)).relu();
    const p = l2.forward(dropout === 'yes' ? new Dropout(0.25).forward(h) : h);
    const d = p.sub(y);
    return { loss: d.mul(d).mean(), predict: p, accuracy: accuracy(p.ge(0.5), y) };
  },
});

const ops = (g: Graph) => g.nodes.map((n) => n.op);
const outputs = (g: Graph) => g.outputs.map((o) => o.name);

describe('training and evaluation modes', () => {
  it('the train step outputs the running statistics\' next values and gives them no optimizer state', () => {
    for (const optimizer of [undefined, { kind: 'adam' as const }, { kind: 'sgd' as const, momentum: 0.9, weightDecay: 0.1 }]) {
      const c = compileModel(model.build(), { lr: 0.1, optimizer, optimize: false });
      expect(outputs(c.trainStep)).toContain('next:bn.running_mean');
      expect(outputs(c.trainStep)).toContain('next:bn.running_var');
      expect(outputs(c.trainStep).filter((n) => n.includes('running_') && n !== 'next:bn.running_mean' && n !== 'next:bn.running_var')).toEqual([]);
      expect(c.trainStep.params.filter((p) => String(p.attrs.name).startsWith('bn.running_') && String(p.attrs.name).split('.').length > 2)).toEqual([]);
      expect(ops(c.trainStep)).toContain('BatchNormTrain');
      expect(ops(c.trainStep)).toContain('DropoutMask');
    }
  });

  it('inference and metrics graphs: BatchNorm over the running statistics, no dropout', () => {
    for (const optimize of [false, true]) {
      const c = compileModel(model.build(), { lr: 0.1, optimize });
      for (const g of [c.inference, c.metrics!]) {
        expect(ops(g)).not.toContain('BatchNormTrain');
        expect(ops(g)).not.toContain('Dropout');
        expect(ops(g)).not.toContain('DropoutMask');
        const bn = g.nodes.find((n) => n.op === 'BatchNorm')!;
        expect(bn.inputs.slice(3).map((n) => n.attrs.name)).toEqual(['bn.running_mean', 'bn.running_var']);
        expect(bn.attrs).toEqual({ eps: 1e-5 });
      }
    }
  });

  it('inferenceMode keeps a graph without training-only ops as it is, and keeps positions', () => {
    const built = model.build();
    const g = new Graph([{ name: 'predict', node: built.forward.output('predict') }]);
    const e = inferenceMode(g);
    expect(inferenceMode(e)).toBe(e);
    const bn = e.nodes.find((n) => n.op === 'BatchNorm')!;
    expect(bn.src).toBe(g.nodes.find((n) => n.op === 'BatchNormTrain')!.src);
  });

  it('the ONNX inference graph holds BatchNormalization; the training step exports and runs in onnxruntime', async () => {
    const c = compileModel(model.build(), { lr: 0.1 });
    const text = new TextDecoder('latin1').decode(exportModel(c, 'inference'));
    expect(text).toContain('BatchNormalization');
    expect(text).not.toContain('Dropout');
    const feeds: Record<string, { data: number[]; shape: number[] }> = {
      x: { data: [1, 2, 3, 0, 1, -1, 2, 0, 1, -1, -2, 0, 3, 1, 1, 0.5, -1, 2], shape: [6, 3] },
      y: { data: [1, 0, 1, 0, 1, 1], shape: [6, 1] },
    };
    for (const dropout of ['no', 'yes']) {
      const step = compileModel(model.build({ dropout }), { lr: 0.1, optimizer: { kind: 'sgd', momentum: 0.9 } }).trainStep;
      for (const p of step.params) feeds[String(p.attrs.name)] = { data: Array.from(p.attrs.init as Float32Array), shape: p.shape as number[] };
      const session = await ort.InferenceSession.create(exportModel({ ...c, trainStep: step }, 'train'));
      const theirs = await session.run(Object.fromEntries(session.inputNames.filter((n) => n in feeds).map((n) => [n, new ort.Tensor('float32', Float32Array.from(feeds[n].data), feeds[n].shape)])));
      const ours = runGraph(step, feeds, 'f32');
      for (const o of step.outputs) {
        const t = theirs[o.name.startsWith('next:') ? `${o.name.slice(5)}.next` : o.name].data as Float32Array;
        expect(t.every(Number.isFinite), o.name).toBe(true);
        // with dropout the masks differ (onnxruntime draws its own); the running statistics never depend on them
        if (dropout === 'no' || o.name.includes('running_')) t.forEach((v, i) => expect(Math.abs(v - ours[o.name][i]), `${dropout} ${o.name}[${i}] ${v} vs ${ours[o.name][i]}`).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(ours[o.name][i]))));
      }
    }
  });

  it('an unseeded dropout draws the same masks in every build: a second train gives the first one\'s costs', async () => {
    const masks = (g: Graph) => g.nodes.filter((n) => n.op === 'DropoutMask').map((n) => n.attrs.seed);
    const first = model.build({ dropout: 'yes' }).forward;
    // builds in between (their dropouts counted by a process-wide counter before) change nothing
    model.build({ dropout: 'yes' });
    const again = model.build({ dropout: 'yes' }).forward;
    expect(masks(first)).toHaveLength(1);
    expect(masks(again)).toEqual(masks(first));
    expect(printGraph(again)).toBe(printGraph(first));
    const data = { x: [[1, 2, 3], [0, 1, -1], [2, 0, 1], [-1, -2, 0], [3, 1, 1], [0.5, -1, 2]], y: [[1], [0], [1], [0], [1], [1]] };
    const run = () => train(model, { data, options: { dropout: 'yes' }, epochs: 4, logEvery: 1, lr: 0.1 });
    const a = await run(), b = await run();
    expect(b.log.map((e) => e.cost)).toEqual(a.log.map((e) => e.cost));
    expect(b.params).toEqual(a.params);
  });
});
