/**
 * Graph inputs that decide a shape or a mode (Range's operands, OneHot's depth, Dropout's training_mode
 * and ratio): `OnnxSession` imports the model once per distinct value it is fed, keeps the imports, and
 * says what it specialised on; Constant's attribute forms; Split into empty parts. Expected values are
 * worked from the ONNX operator documents (the node tests in test/conformance check the same on ONNX's
 * reference outputs).
 */
import { describe, expect, it } from 'vitest';
import { importOnnx, OnnxSession, OnnxImportError, MAX_VARIANTS } from '../../export/index.ts';
import { onnx, DataType } from '../../export/proto.ts';
import { refused } from '../support/refused.ts';
import { runGraph } from '../support/run.ts';

const AT = onnx.AttributeProto.AttributeType;
type In = { name: string; shape: number[]; type?: number };

function model(opset: number, node: object[], inputs: In[], outputs: string[]): Uint8Array {
  return onnx.ModelProto.encode({
    irVersion: 8,
    opsetImport: [{ domain: '', version: opset }],
    graph: {
      name: 'g',
      node,
      input: inputs.map((x) => ({ name: x.name, type: { tensorType: { elemType: x.type ?? DataType.FLOAT, shape: { dim: x.shape.map((d) => ({ dimValue: d })) } } } })),
      output: outputs.map((name) => ({ name })),
    },
  }).finish();
}
const feed = (data: number[], shape: number[] = []) => ({ data: Float32Array.from(data), shape });
const run = (s: OnnxSession, feeds: Record<string, { data: Float32Array; shape: number[] }>) =>
  Object.fromEntries([...s.run(new Map(Object.entries(feeds)))].map(([k, v]) => [k, { shape: [...v.shape], data: [...v.data] }]));

describe('a model specialised on the graph inputs that decide its shapes', () => {
  const range = model(11, [{ name: 'r', opType: 'Range', input: ['a', 'b', 'c'], output: ['y'] }], [{ name: 'a', shape: [] }, { name: 'b', shape: [] }, { name: 'c', shape: [] }], ['y']);

  it('Range of float graph inputs: one import per distinct value, reused when a value comes again', () => {
    const s = new OnnxSession(range);
    expect([...s.specializedOn.keys()]).toEqual(['a']);
    // ⌈(5 − 1)/2⌉ = 2 values; ⌈(2 − 3)/−0.5⌉ = 2; ⌈(1.5 − 0)/0.5⌉ = 3
    expect(run(s, { a: feed([1]), b: feed([5]), c: feed([2]) }).y).toEqual({ shape: [2], data: [1, 3] });
    expect([...s.specializedOn.keys()].sort()).toEqual(['a', 'b', 'c']);
    expect(run(s, { a: feed([3]), b: feed([2]), c: feed([-0.5]) }).y).toEqual({ shape: [2], data: [3, 2.5] });
    expect(run(s, { a: feed([0]), b: feed([1.5]), c: feed([0.5]) }).y).toEqual({ shape: [3], data: [0, 0.5, 1] });
    expect(run(s, { a: feed([1]), b: feed([5]), c: feed([2]) }).y).toEqual({ shape: [2], data: [1, 3] });
    const explained = s.explain();
    expect(explained).toMatch(/^specialisation: the model is imported once per distinct value of 'a', 'b', 'c' \(3 imports so far, the last 16 kept\)/);
    expect(explained).toContain("'b': node 'r' (Range, opset 11): Range's length depends on its operands' values; input 1 comes from graph input 'b'");
    expect(MAX_VARIANTS).toBe(16);
  });

  it('an input it specialises on must be fed; bound at import, the model imports without a session', () => {
    const s = new OnnxSession(range);
    expect(() => s.run(new Map([['b', feed([5])], ['c', feed([1])]]))).toThrow(/^input 'a' is not fed, and the model is specialised on its value/);
    expect(() => s.run(new Map([['a', feed([1], [1])], ['b', feed([5])], ['c', feed([1])]]))).toThrow(/^input 'a': the value bound has dims \[1\], the input's are \[\]$/);
    const bind = new Map(['a', 'b', 'c'].map((n, k) => [n, { values: [[2, 4, 1][k]], dims: [] }]));
    expect([...runGraph(importOnnx(range, { bind }).graph, {}).y]).toEqual([2, 3]);
  });

  it('OneHot whose depth is a graph input: the depth decides the output\'s shape', () => {
    const bytes = model(11, [{ name: 'o', opType: 'OneHot', input: ['i', 'd', 'v'], output: ['y'], attribute: [{ name: 'axis', type: AT.INT, i: 0 }] }],
      [{ name: 'i', shape: [2], type: DataType.INT64 }, { name: 'd', shape: [] }, { name: 'v', shape: [2] }], ['y']);
    const s = new OnnxSession(bytes);
    // classes on axis 0: y[c, k] = on where i[k] = c (−1 is depth − 1 from opset 11)
    expect(run(s, { i: feed([1, -1], [2]), d: feed([3]), v: feed([0, 1], [2]) }).y).toEqual({ shape: [3, 2], data: [0, 0, 1, 0, 0, 1] });
    expect(run(s, { i: feed([1, -1], [2]), d: feed([4]), v: feed([-1, 2], [2]) }).y).toEqual({ shape: [4, 2], data: [-1, -1, 2, -1, -1, -1, -1, 2] });
    // the indices are data: a new value of theirs is no new import
    expect(run(s, { i: feed([0, 2], [2]), d: feed([3]), v: feed([0, 1], [2]) }).y).toEqual({ shape: [3, 2], data: [1, 0, 0, 0, 0, 1] });
    expect(s.explain()).toContain('(2 imports so far');
  });

  it('Dropout whose training_mode and ratio are graph inputs: inference, training with ratio 0; a random mask is refused', () => {
    const bytes = model(13, [{ name: 'n', opType: 'Dropout', input: ['x', 'r', 't'], output: ['y', 'm'] }],
      [{ name: 'x', shape: [3] }, { name: 'r', shape: [] }, { name: 't', shape: [], type: DataType.BOOL }], ['y', 'm']);
    const s = new OnnxSession(bytes);
    const x = feed([1, -2, 3], [3]);
    // training_mode false: the identity whatever the ratio; true with ratio 0: every element kept
    for (const [t, r] of [[0, 0.5], [1, 0]])
      expect(run(s, { x, r: feed([r]), t: feed([t]) })).toEqual({ y: { shape: [3], data: [1, -2, 3] }, m: { shape: [3], data: [1, 1, 1] } });
    expect(() => s.run(new Map([['x', x], ['r', feed([0.5])], ['t', feed([1])]]))).toThrow(OnnxImportError);
    expect(() => s.run(new Map([['x', x], ['r', feed([0.5])], ['t', feed([1])]]))).toThrow(/\(Dropout, opset 13\): training_mode = true with ratio 0\.5 \(the mask is random/);
  });

  it('a default (an initializer that is a graph input) read as a depth: a value fed for it specialises the model', () => {
    const bytes = onnx.ModelProto.encode({
      irVersion: 8,
      opsetImport: [{ domain: '', version: 11 }],
      graph: {
        name: 'g',
        node: [{ name: 'o', opType: 'OneHot', input: ['i', 'd', 'v'], output: ['y'] }],
        input: [['i', [2], DataType.INT64], ['d', [], DataType.FLOAT]].map(([name, dims, elemType]) => ({ name: name as string, type: { tensorType: { elemType: elemType as number, shape: { dim: (dims as number[]).map((dimValue) => ({ dimValue })) } } } })),
        output: [{ name: 'y' }],
        initializer: [{ name: 'd', dataType: DataType.FLOAT, dims: [], floatData: [2] }, { name: 'v', dataType: DataType.FLOAT, dims: [2], floatData: [0, 1] }],
      },
    }).finish();
    expect([...importOnnx(bytes).readDefaults.keys()]).toEqual(['d']);
    const s = new OnnxSession(bytes);
    const i = feed([1, 0], [2]);
    expect(run(s, { i }).y).toEqual({ shape: [2, 2], data: [0, 1, 1, 0] });
    // depth 3 fed for the default: three classes, not the initializer's two
    expect(run(s, { i, d: feed([3]) }).y).toEqual({ shape: [2, 3], data: [0, 1, 0, 1, 0, 0] });
    expect(s.explain()).toContain("'d': node 'o' (OneHot, opset 11): the depth decides the output's shape; input 1 is graph input 'd', its default (an initializer) read at import");
    // a value of other dims than the input's is refused
    expect(() => s.run(new Map([['i', i], ['d', feed([3], [1])]]))).toThrow(/^input 'd': the value bound has dims \[1\], the initializer \[\]$/);
  });

  it('a model that needs no value imports once, and says so', () => {
    const s = new OnnxSession(model(13, [{ opType: 'Relu', input: ['x'], output: ['y'] }], [{ name: 'x', shape: [2] }], ['y']));
    expect(run(s, { x: feed([-1, 2], [2]) }).y.data).toEqual([0, 2]);
    expect(s.explain()).toMatch(/^specialisation: none/);
  });
});

describe("Constant's attribute forms", () => {
  const constant = (opset: number, attribute: object) => model(opset, [{ name: 'k', opType: 'Constant', output: ['c'], attribute: [attribute] }], [], ['c']);
  const value = (bytes: Uint8Array) => {
    const g = importOnnx(bytes).graph;
    return { shape: [...g.outputs[0].node.shape], dtype: g.outputs[0].node.dtype, data: [...runGraph(g, {}).c] };
  };
  it('value_float, value_floats, value_int and value_ints (opset 12 on)', () => {
    expect(value(constant(12, { name: 'value_float', type: AT.FLOAT, f: 0.1 }))).toEqual({ shape: [], dtype: 'f32', data: [Math.fround(0.1)] });
    expect(value(constant(13, { name: 'value_floats', type: AT.FLOATS, floats: [1.5, -2] }))).toEqual({ shape: [2], dtype: 'f32', data: [1.5, -2] });
    expect(value(constant(19, { name: 'value_int', type: AT.INT, i: 7 }))).toEqual({ shape: [], dtype: 'i64', data: [7] });
    expect(value(constant(25, { name: 'value_ints', type: AT.INTS, ints: [3, -1, 4] }))).toEqual({ shape: [3], dtype: 'i64', data: [3, -1, 4] });
  });
  it('an int form feeds shape arithmetic (folded at import): Reshape to value_ints', () => {
    const bytes = model(13, [{ opType: 'Constant', output: ['s'], attribute: [{ name: 'value_ints', type: AT.INTS, ints: [3, -1] }] }, { opType: 'Reshape', input: ['x', 's'], output: ['y'] }], [{ name: 'x', shape: [6] }], ['y']);
    expect(importOnnx(bytes).graph.outputs[0].node.shape).toEqual([3, 2]);
  });
  it('strings, sparse tensors, forms older than their opset, several values or none are refused in one line', () => {
    refused(constant(13, { name: 'value_string', type: AT.STRING, s: new TextEncoder().encode('a') }), /^node 'k' \(Constant, opset 13\): attribute 'value_string' not supported \(string tensors/);
    refused(constant(13, { name: 'value_strings', type: AT.STRINGS, strings: [] }), /attribute 'value_strings' not supported \(string tensors/);
    refused(constant(13, { name: 'sparse_value', type: AT.SPARSE_TENSOR, sparseTensor: {} }), /attribute 'sparse_value' not supported \(sparse tensors/);
    refused(constant(11, { name: 'value_float', type: AT.FLOAT, f: 1 }), /^node 'k' \(Constant, opset 11\): attribute 'value_float' is Constant's from opset 12$/);
    refused(constant(13, { name: 'value_int', type: AT.FLOAT, f: 1 }), /attribute 'value_int' has type FLOAT, expected INT/);
    refused(model(13, [{ name: 'k', opType: 'Constant', output: ['c'], attribute: [{ name: 'value_int', type: AT.INT, i: 1 }, { name: 'value_float', type: AT.FLOAT, f: 1 }] }], [], ['c']), /2 attributes \(ONNX's Constant takes exactly one value\)/);
    refused(model(13, [{ name: 'k', opType: 'Constant', output: ['c'] }], [], ['c']), /^node 'k' \(Constant, opset 13\): no value attribute$/);
  });
});

describe('Split into empty parts', () => {
  it('sizes of 0 give empty outputs, the others their slices', () => {
    const bytes = model(13, [{ opType: 'Constant', output: ['s'], attribute: [{ name: 'value_ints', type: AT.INTS, ints: [0, 3, 0, 1] }] }, { opType: 'Split', input: ['x', 's'], output: ['p', 'q', 'r', 'u'] }], [{ name: 'x', shape: [4] }], ['p', 'q', 'r', 'u']);
    const g = importOnnx(bytes).graph;
    expect(g.outputs.map((o) => o.node.shape)).toEqual([[0], [3], [0], [1]]);
    const out = runGraph(g, { x: { data: [5, 6, 7, 8], shape: [4] } });
    expect([[...out.p], [...out.q], [...out.r], [...out.u]]).toEqual([[], [5, 6, 7], [], [8]]);
  });
});
