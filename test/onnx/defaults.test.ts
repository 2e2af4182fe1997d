/**
 * Inputs with defaults. A training step's learning rate is a required input whose default graphc records
 * in the metadata, not an initializer: onnxruntime loads the step without its "Initializer appears in graph
 * inputs" warning and any rate can be fed. A graph input that has an initializer is fed when a value is
 * given: ONNX's IR makes such an initializer the input's default. (onnxruntime-node's run binds only the
 * session's inputNames, which leave such inputs out, so it is no reference here: the sums are.)
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import * as ort from 'onnxruntime-node';
import { exportModel, importOnnx } from '../../export/index.ts';
import { onnx, DataType } from '../../export/proto.ts';
import { floatTensor } from '../../export/emit.ts';
import { compileModel } from '../../compiler/passes/index.ts';
import diabetes from '../../graphs/diabetes.ts';
import { runGraph } from '../support/run.ts';
import { assignInputs, readInputs } from '../../cli/feed.ts';

const dir = mkdtempSync(join(tmpdir(), 'graphc-defaults-'));
const f32 = (data: number[], dims: number[]) => new ort.Tensor('float32', Float32Array.from(data), dims);

describe('the training step\'s learning rate', () => {
  const bytes = exportModel(compileModel(diabetes.build(), { lr: 0.5 }), 'train');
  const path = join(dir, 'diabetes-train.onnx');
  writeFileSync(path, bytes);
  const m = onnx.ModelProto.decode(bytes);

  it('is an input with no initializer, its default in the metadata', () => {
    expect(m.graph!.input!.map((i) => i.name)).toContain('optimizer.lr');
    expect(m.graph!.initializer!.map((t) => t.name)).not.toContain('optimizer.lr');
    expect(m.metadataProps!.find((p) => p.key === 'graphc.default:optimizer.lr')?.value).toBe('[0.5]');
  });

  it('onnxruntime loads the step without a warning', () => {
    const script = `require('onnxruntime-node').InferenceSession.create(process.argv[1]).then(() => console.log('loaded'))`;
    const r = spawnSync(process.execPath, ['-e', script, path], { encoding: 'utf8', cwd: join(import.meta.dirname, '../..') });
    expect(r.stdout.trim()).toBe('loaded');
    expect(r.stderr).toBe('');
  });

  it('any rate can be fed in onnxruntime; graphc imports the default and takes a fed rate', async () => {
    const session = await ort.InferenceSession.create(path);
    const feeds = { x: f32([1, 2, 3, 4, 5, 6, 7, 8], [1, 8]), y: f32([1], [1, 1]), W: f32(Array(8).fill(0.1), [8, 1]), b: f32([0.2], [1]) };
    const at = async (lr: number) => (await session.run({ ...feeds, 'optimizer.lr': f32([lr], []) }))['W.next'].data as Float32Array;
    expect([...(await at(0))]).toEqual([...feeds.W.data]);
    const imported = importOnnx(bytes);
    const lr = imported.params.find((p) => p.attrs.name === 'optimizer.lr')!;
    expect(imported.defaults).toContain(lr);
    expect([...(lr.attrs.init as Float32Array)]).toEqual([0.5]);
    const ours = (rate?: number) => {
      const fed = Object.fromEntries(Object.entries(feeds).map(([k, t]) => [k, { data: [...(t.data as Float32Array)], shape: [...t.dims] }]));
      return runGraph(imported.graph, rate === undefined ? fed : { ...fed, 'optimizer.lr': { data: [rate], shape: [] } })['W.next'];
    };
    for (const [rate, theirs] of [[0.5, await at(0.5)], [2, await at(2)]] as const)
      (rate === 0.5 ? ours() : ours(rate)).forEach((v, i) => expect(Math.abs(v - theirs[i])).toBeLessThanOrEqual(1e-6));
  });
});

describe('a graph input with an initializer', () => {
  // y = x + b, b a graph input whose initializer [10, 20] is its default
  const info = (name: string) => onnx.ValueInfoProto.create({ name, type: { tensorType: { elemType: DataType.FLOAT, shape: { dim: [{ dimValue: 2 }] } } } });
  const bytes = new Uint8Array(onnx.ModelProto.encode(onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }],
    graph: {
      name: 'add',
      node: [{ opType: 'Add', input: ['x', 'b'], output: ['y'] }],
      initializer: [floatTensor('b', Float32Array.of(10, 20), [2])],
      input: [info('x'), info('b')],
      output: [info('y')],
    },
  })).finish());

  it('takes a fed value over its initializer', () => {
    const m = importOnnx(bytes);
    expect(m.inputs.map((n) => n.attrs.name)).toEqual(['x']);
    expect(m.defaults.map((n) => n.attrs.name)).toEqual(['b']);
    expect([...runGraph(m.graph, { x: { data: [1, 2], shape: [2] }, b: { data: [-1, -3], shape: [2] } }).y]).toEqual([0, -1]);
    expect([...runGraph(m.graph, { x: { data: [1, 2], shape: [2] } }).y]).toEqual([11, 22]);
  });

  it('graphc run takes it by name, and needs only the inputs without one', () => {
    const m = importOnnx(bytes);
    const [xf, bf] = ['x', 'b'].map((n, i) => {
      const f = join(dir, `${n}.json`);
      writeFileSync(f, JSON.stringify([[1, 2], [-1, -3]][i]));
      return f;
    });
    const fed = readInputs(assignInputs([`x=${xf}`, `b=${bf}`], m.inputs, 'add.onnx', m.defaults), new Map());
    expect(fed.map((f) => [f.name, [...f.data]])).toEqual([['x', [1, 2]], ['b', [-1, -3]]]);
    expect([...assignInputs([xf], m.inputs, 'add.onnx', m.defaults).keys()].map((n) => n.attrs.name)).toEqual(['x']);
  });
});
