/**
 * Bool initializers and bool Constant values (masks, conditions): imported as constants of 0s and 1s,
 * as graphc holds every bool, and run against onnxruntime-node through Where, And, Or, Xor, Not, Equal
 * and Cast; the imported graph exported again runs in onnxruntime with the same values. A bool
 * initializer that is also a graph input (a default a run may replace) holds unfed, and a value fed
 * imports the model again bound to it (OnnxSession), as onnxruntime computes either; one whose data does
 * not match its dims is refused in one line.
 */
import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { importOnnx, exportGraph, OnnxSession } from '../../export/index.ts';
import { onnx, DataType } from '../../export/proto.ts';
import { randoms, runGraph } from '../support/run.ts';
import { refused } from '../support/refused.ts';
import { optimize } from '../../compiler/passes/pipeline.ts';

const AT = onnx.AttributeProto.AttributeType;
type Tensor = ReturnType<typeof onnx.TensorProto.create>;

/** A bool tensor as ONNX stores one: one byte per value in raw_data, or int32_data. */
const bools = (name: string, dims: number[], values: number[], raw: boolean): Tensor =>
  onnx.TensorProto.create({ name, dataType: DataType.BOOL, dims, ...(raw ? { rawData: Uint8Array.from(values) } : { int32Data: values }) });

function model(nodes: object[], inits: Tensor[], outputs: string[], inputs = [{ name: 'x', type: DataType.FLOAT }]): Uint8Array {
  return onnx.ModelProto.encode({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 13 }],
    graph: {
      name: 'g',
      node: nodes,
      initializer: inits,
      input: inputs.map((x) => ({ name: x.name, type: { tensorType: { elemType: x.type, shape: { dim: [{ dimValue: 2 }, { dimValue: 3 }] } } } })),
      output: outputs.map((name) => ({ name })),
    },
  }).finish();
}

// m [2, 3] in raw bytes, k [3] in int32_data; c a bool Constant [3]
const m = [1, 0, 1, 0, 0, 1], k = [0, 1, 1], c = [1, 1, 0];
const nodes = [
  { name: 'neg', opType: 'Neg', input: ['x'], output: ['nx'] },
  { name: 'gt', opType: 'Greater', input: ['x', 'zero'], output: ['pos'] },
  { name: 'c', opType: 'Constant', input: [], output: ['c'], attribute: [{ name: 'value', type: AT.TENSOR, t: bools('', [3], c, true) }] },
  { name: 'where', opType: 'Where', input: ['m', 'x', 'nx'], output: ['where'] },
  { name: 'whereK', opType: 'Where', input: ['k', 'nx', 'x'], output: ['whereK'] },
  { name: 'and', opType: 'And', input: ['pos', 'k'], output: ['and'] },
  { name: 'or', opType: 'Or', input: ['m', 'k'], output: ['or'] },
  { name: 'xor', opType: 'Xor', input: ['m', 'pos'], output: ['xor'] },
  { name: 'not', opType: 'Not', input: ['k'], output: ['not'] },
  { name: 'eq', opType: 'Equal', input: ['c', 'k'], output: ['eq'] },
  { name: 'cast', opType: 'Cast', input: ['m'], output: ['cast'], attribute: [{ name: 'to', type: AT.INT, i: DataType.FLOAT }] },
];
const outputs = ['where', 'whereK', 'and', 'or', 'xor', 'not', 'eq', 'cast'];
const zero = onnx.TensorProto.create({ name: 'zero', dataType: DataType.FLOAT, dims: [], floatData: [0] });
const bytes = model(nodes, [bools('m', [2, 3], m, true), bools('k', [3], k, false), zero], outputs);

describe('bool initializers and Constant values, against onnxruntime', () => {
  const x = randoms(6, 3, -2, 2);
  const theirs = async (b: Uint8Array) => (await ort.InferenceSession.create(b)).run({ x: new ort.Tensor('float32', Float32Array.from(x), [2, 3]) });

  it('as masks and conditions: every output equal', async () => {
    const g = importOnnx(bytes).graph;
    const ours = runGraph(g, { x: { data: x, shape: [2, 3] } });
    const want = await theirs(bytes);
    for (const o of outputs) {
      expect(Array.from(ours[o]), o).toEqual(Array.from(want[o].data as ArrayLike<number | boolean>, Number));
      expect(g.outputs.find((out) => out.name === o)!.node.shape, o).toEqual([...want[o].dims]);
    }
  });

  it('exported again, as imported and optimized: onnxruntime loads it (bool constants as bool) and gives the same values', async () => {
    const g = importOnnx(bytes).graph;
    const want = await theirs(bytes);
    for (const graph of [g, optimize(g)]) {
      const got = await theirs(exportGraph(graph, { mode: 'inference', name: 'bools' }));
      for (const o of outputs) expect(Array.from(got[o].data as ArrayLike<number | boolean>, Number), o).toEqual(Array.from(want[o].data as ArrayLike<number | boolean>, Number));
    }
  });

  it('a bool initializer whose data does not match its dims: refused in one line', () => {
    refused(model([{ name: 'not', opType: 'Not', input: ['k'], output: ['y'] }], [bools('k', [3], [1, 0], false)], ['y']), /^initializer 'k': dims \[3\] need 3 values, the file holds 2$/);
    refused(model([{ name: 'not', opType: 'Not', input: ['k'], output: ['y'] }], [bools('k', [3], [1, 0, 1, 1], true)], ['y']), /^initializer 'k': dims \[3\] need 3 bytes of data, the file holds 4$/);
  });
});

describe('a bool initializer that is also a graph input: a default a run may replace', () => {
  // y = Where(m, x, -x), n = Not(m): m a bool graph input [2, 3] whose initializer is its default
  const nodes = [
    { name: 'neg', opType: 'Neg', input: ['x'], output: ['nx'] },
    { name: 'where', opType: 'Where', input: ['m', 'x', 'nx'], output: ['y'] },
    { name: 'not', opType: 'Not', input: ['m'], output: ['n'] },
  ];
  const inputs = [{ name: 'x', type: DataType.FLOAT }, { name: 'm', type: DataType.BOOL }];
  const withDefault = model(nodes, [bools('m', [2, 3], m, true)], ['y', 'n'], inputs);
  // the same graph with m an input and no default: onnxruntime-node feeds only a session's inputNames, which
  // leave out an input with an initializer, so this is where it computes a value fed for m
  const plain = model(nodes, [], ['y', 'n'], inputs);
  const x = randoms(6, 5, -2, 2);
  const feeds = (mask?: number[]) => new Map([['x', { data: Float32Array.from(x), shape: [2, 3] }], ...(mask ? [['m', { data: Float32Array.from(mask), shape: [2, 3] }] as const] : [])]);
  const ort2 = async (b: Uint8Array, mask?: number[]) => {
    const out = await (await ort.InferenceSession.create(b)).run({ x: new ort.Tensor('float32', Float32Array.from(x), [2, 3]), ...(mask ? { m: new ort.Tensor('bool', Uint8Array.from(mask), [2, 3]) } : {}) });
    return Object.fromEntries(['y', 'n'].map((o) => [o, Array.from(out[o].data as ArrayLike<number | boolean>, Number)]));
  };
  const ours = (out: Map<string, { data: ArrayLike<number> }>) => Object.fromEntries(['y', 'n'].map((o) => [o, Array.from(out.get(o)!.data)]));

  it('unfed, its default holds; fed, the model is imported again bound to the value: as onnxruntime computes each', async () => {
    const imported = importOnnx(withDefault);
    expect(imported.defaults.map((n) => [n.attrs.name, n.dtype, n.shape])).toEqual([['m', 'bool', [2, 3]]]);
    expect([...imported.readDefaults.keys()]).toEqual(['m']);
    const s = new OnnxSession(withDefault);
    expect(ours(s.run(feeds()))).toEqual(await ort2(withDefault));
    for (const mask of [[0, 1, 1, 0, 1, 0], [1, 1, 1, 1, 1, 1]]) expect(ours(s.run(feeds(mask)))).toEqual(await ort2(plain, mask));
    // the default again, after values fed
    expect(ours(s.run(feeds()))).toEqual(await ort2(withDefault));
    expect(s.explain()).toMatch(/'m': a bool graph input with a default \(an initializer\), a constant at import/);
  });

  it('a value fed of other dims, or not 0 or 1: refused in one line', () => {
    const s = new OnnxSession(withDefault);
    expect(() => s.run(new Map([...feeds(), ['m', { data: Float32Array.of(1, 0, 1), shape: [3] }]]))).toThrow(/^input 'm': the value bound has dims \[3\], the initializer \[2, 3\]$/);
    expect(() => s.run(feeds([0, 1, 0, 0, 2, 0]))).toThrow(/^input 'm' \(bool\): value 4 is 2, not 0 or 1$/);
  });
});
