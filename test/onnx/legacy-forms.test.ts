/**
 * Opset-6 forms (the broadcast and axis attributes of Add/Sub/Mul/Div and Gemm, is_test of
 * BatchNormalization and Dropout, PRelu's per-channel slope) and the computed operands of Pad, Range,
 * OneHot and Dropout: read where graphc computes them, refused in one line where it cannot. Expected
 * values are worked from the ONNX operator documents; the PyTorch-converted backend tests check the same
 * forms on PyTorch's numbers (test/conformance).
 */
import { describe, expect, it } from 'vitest';
import { importOnnx, OnnxSpecializeError } from '../../export/index.ts';
import { onnx, DataType } from '../../export/proto.ts';
import { refused } from '../support/refused.ts';
import { runGraph } from '../support/run.ts';

const AT = onnx.AttributeProto.AttributeType;
type Attr = { name: string; type: number; i?: number; f?: number; ints?: number[]; s?: Uint8Array };
const int = (name: string, i: number): Attr => ({ name, type: AT.INT, i });
type In = { name: string; shape: number[]; type?: number };
type Init = { name: string; dims: number[]; floats?: number[]; ints?: number[] };

function model(opset: number, op: string, ins: string[], attrs: Attr[], inputs: In[], inits: Init[] = [], outputs = ['y']): Uint8Array {
  return onnx.ModelProto.encode({
    irVersion: 8,
    opsetImport: [{ domain: '', version: opset }],
    graph: {
      name: 'g',
      node: [{ name: 'n0', opType: op, input: ins, output: outputs, attribute: attrs }],
      input: inputs.map((x) => ({ name: x.name, type: { tensorType: { elemType: x.type ?? DataType.FLOAT, shape: { dim: x.shape.map((d) => ({ dimValue: d })) } } } })),
      output: outputs.map((name) => ({ name })),
      initializer: inits.map((t) => (t.ints ? { name: t.name, dataType: DataType.INT64, dims: t.dims, int64Data: t.ints } : { name: t.name, dataType: DataType.FLOAT, dims: t.dims, floatData: t.floats })),
    },
  }).finish();
}
const run = (bytes: Uint8Array, feeds: Record<string, { data: number[]; shape: number[] }>) => runGraph(importOnnx(bytes).graph, feeds);
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('opset 6: broadcast and axis', () => {
  const a = { name: 'a', shape: [2, 3, 2] }, b = (shape: number[]) => ({ name: 'b', shape });
  it('Add with broadcast 1 and axis 1: B [3] matched to A\'s axis 1', () => {
    const y = run(model(6, 'Add', ['a', 'b'], [int('broadcast', 1), int('axis', 1)], [a, b([3])]), { a: { data: range(12), shape: [2, 3, 2] }, b: { data: [100, 200, 300], shape: [3] } }).y;
    // A[i, j, k] + B[j]
    expect([...y]).toEqual(range(12).map((v, i) => v + [100, 200, 300][Math.floor(i / 2) % 3]));
  });
  it('Sub with broadcast 1 and no axis: B matched to A\'s last dims (suffix)', () => {
    const y = run(model(6, 'Sub', ['a', 'b'], [int('broadcast', 1)], [a, b([3, 2])]), { a: { data: range(12), shape: [2, 3, 2] }, b: { data: range(6), shape: [3, 2] } }).y;
    expect([...y]).toEqual(range(12).map((v, i) => v - (i % 6)));
  });
  it('Mul with broadcast 1 and a one-element B', () => {
    const y = run(model(6, 'Mul', ['a', 'b'], [int('broadcast', 1)], [a, b([1])]), { a: { data: range(12), shape: [2, 3, 2] }, b: { data: [3], shape: [1] } }).y;
    expect([...y]).toEqual(range(12).map((v) => 3 * v));
  });
  it('without broadcast the shapes must be equal; a B that does not match A from axis is refused', () => {
    refused(model(6, 'Add', ['a', 'b'], [], [a, b([2])]), /^node 'n0' \(Add, opset 6\): shapes \[2, 3, 2\] and \[2\] without broadcast/);
    refused(model(6, 'Div', ['a', 'b'], [int('broadcast', 1), int('axis', 0)], [a, b([3])]), /\(Div, opset 6\): B \[3\] does not match A \[2, 3, 2\] from axis 0/);
    refused(model(6, 'Add', ['a', 'b'], [int('broadcast', 1), int('axis', 3)], [a, b([3])]), /\(Add, opset 6\): broadcast axis 3 of \[3\]/);
  });
  it('Gemm: C [N] needs broadcast 1 at opset 6; a C that would broadcast the product is refused at any opset', () => {
    const ins = [{ name: 'x', shape: [2, 3] }, { name: 'w', shape: [3, 4] }];
    const feeds = { x: { data: range(6), shape: [2, 3] }, w: { data: range(12), shape: [3, 4] }, c: { data: [1, 2, 3, 4], shape: [4] } };
    const y = run(model(6, 'Gemm', ['x', 'w', 'c'], [int('broadcast', 1)], [...ins, { name: 'c', shape: [4] }]), feeds).y;
    // [[0,1,2],[3,4,5]]·[[0..3],[4..7],[8..11]] + c
    expect([...y]).toEqual([20 + 1, 23 + 2, 26 + 3, 29 + 4, 56 + 1, 68 + 2, 80 + 3, 92 + 4]);
    refused(model(6, 'Gemm', ['x', 'w', 'c'], [], [...ins, { name: 'c', shape: [4] }]), /\(Gemm, opset 6\): C of shape \[4\] without broadcast \(expected \[2, 4\]\)/);
    refused(model(13, 'Gemm', ['x', 'w', 'c'], [], [...ins, { name: 'c', shape: [3, 2, 4] }]), /\(Gemm, opset 13\): C of shape \[3, 2, 4\] does not broadcast to \[2, 4\]/);
  });
  it('a comparison keeps refusing opset 1\'s broadcast (its rule reads opset 7 on)', () =>
    refused(model(6, 'Greater', ['a', 'a'], [int('broadcast', 1)], [a]), /\(Greater, opset 6\): attribute 'broadcast' not supported/));
});

describe('opset 6: is_test and PRelu\'s slope', () => {
  const x = { name: 'x', shape: [1, 2, 2] };
  const stats = ['s', 'b', 'm', 'v'].map((name, k): Init => ({ name, dims: [2], floats: [[2, 3], [1, -1], [0.5, 1], [3, 8]][k] }));
  it('BatchNormalization with is_test 1 is inference; is_test 0 (the default) is refused', () => {
    const bytes = model(6, 'BatchNormalization', ['x', 's', 'b', 'm', 'v'], [int('is_test', 1), { name: 'epsilon', type: AT.FLOAT, f: 1 }], [x], stats);
    const y = run(bytes, { x: { data: [0.5, 2.5, 1, 4], shape: [1, 2, 2] } }).y;
    // (x − m)/√(v + ε)·s + b: channel 0 √4, channel 1 √9
    const want = [(0.5 - 0.5) / 2 * 2 + 1, (2.5 - 0.5) / 2 * 2 + 1, (1 - 1) / 3 * 3 - 1, (4 - 1) / 3 * 3 - 1];
    [...y].forEach((v, i) => expect(v).toBeCloseTo(want[i], 6));
    refused(model(6, 'BatchNormalization', ['x', 's', 'b', 'm', 'v'], [], [x], stats), /\(BatchNormalization, opset 6\): BatchNormalization: is_test 0/);
  });
  it('Dropout with is_test 1 is the identity; is_test 0 is refused', () => {
    expect([...run(model(6, 'Dropout', ['x'], [int('is_test', 1)], [x]), { x: { data: [1, 2, 3, 4], shape: [1, 2, 2] } }).y]).toEqual([1, 2, 3, 4]);
    refused(model(6, 'Dropout', ['x'], [], [x]), /^node 'n0' \(Dropout, opset 6\): is_test 0 \(training mode/);
  });
  it('PRelu\'s slope [C] is per channel (axis 1) at opset 6', () => {
    const y = run(model(6, 'PRelu', ['x', 'p'], [], [x, { name: 'p', shape: [2] }]), { x: { data: [-1, 2, -3, -4], shape: [1, 2, 2] }, p: { data: [0.5, 0.25], shape: [2] } }).y;
    expect([...y]).toEqual([-0.5, 2, -0.75, -1]);
    refused(model(6, 'PRelu', ['x', 'p'], [], [x, { name: 'p', shape: [3] }]), /\(PRelu, opset 6\): slope of shape \[3\] for x of shape \[1, 2, 2\]/);
  });
});

describe('an attribute outside the opsets that define it is refused', () => {
  const x = { name: 'x', shape: [1, 1, 4, 4] };
  const stats = ['s', 'b', 'm', 'v'].map((name): Init => ({ name, dims: [1], floats: [1] }));
  it('BatchNormalization: spatial after opset 8, training_mode before 14', () => {
    refused(model(9, 'BatchNormalization', ['x', 's', 'b', 'm', 'v'], [int('spatial', 1)], [x], stats), /\(BatchNormalization, opset 9\): attribute 'spatial' not supported/);
    refused(model(13, 'BatchNormalization', ['x', 's', 'b', 'm', 'v'], [int('training_mode', 1)], [x], stats), /\(BatchNormalization, opset 13\): attribute 'training_mode' not supported/);
  });
  it('Dropout: the ratio attribute from opset 12 (an input there)', () =>
    refused(model(13, 'Dropout', ['x'], [{ name: 'ratio', type: AT.FLOAT, f: 0.3 }], [x]), /\(Dropout, opset 13\): attribute 'ratio' not supported/));
  it('MaxPool and AveragePool: ceil_mode before opset 10', () => {
    const k = { name: 'kernel_shape', type: AT.INTS, ints: [2, 2] };
    refused(model(8, 'MaxPool', ['x'], [k, int('ceil_mode', 1)], [x]), /\(MaxPool, opset 8\): MaxPool: attribute 'ceil_mode' before opset 10/);
    refused(model(9, 'AveragePool', ['x'], [k, int('ceil_mode', 1)], [x]), /\(AveragePool, opset 9\): AveragePool: attribute 'ceil_mode' before opset 10/);
    expect(importOnnx(model(8, 'MaxPool', ['x'], [k, int('storage_order', 1)], [x])).graph.outputs[0].node.shape).toEqual([1, 1, 3, 3]);
  });
});

describe('computed operands', () => {
  it('Pad\'s constant_value computed at run time fills the padding; inside, x', () => {
    const bytes = model(13, 'Pad', ['x', 'p', 'v'], [], [{ name: 'x', shape: [2, 2] }, { name: 'v', shape: [] }], [{ name: 'p', dims: [4], ints: [0, 1, 1, 0] }]);
    const y = run(bytes, { x: { data: [1, 2, 3, 4], shape: [2, 2] }, v: { data: [-7], shape: [] } }).y;
    expect([...y]).toEqual([-7, 1, 2, -7, 3, 4, -7, -7, -7]);
  });
  it('OneHot truncates float indices toward zero (ONNX casts them to int64)', () => {
    const bytes = model(11, 'OneHot', ['i', 'd', 'v'], [], [{ name: 'i', shape: [4] }], [{ name: 'd', dims: [], ints: [3] }, { name: 'v', dims: [2], floats: [0, 1] }]);
    // 1.9 → 1, −0.5 → 0, −1.5 → −1 (the last class), 2.99 → 2
    expect([...run(bytes, { i: { data: [1.9, -0.5, -1.5, 2.99], shape: [4] } }).y]).toEqual([0, 1, 0, 1, 0, 0, 0, 0, 1, 0, 0, 1]);
  });
  it('Range and OneHot take operands a file computes from constants (folded at import, in float32)', () => {
    const k = (name: string, v: number) => ({ name, opType: 'Constant', output: [name], attribute: [{ name: 'value', type: AT.TENSOR, t: { dataType: DataType.FLOAT, dims: [], floatData: [v] } }] });
    const graph = (node: object[], input: object[], output: string[]) =>
      onnx.ModelProto.encode({ irVersion: 8, opsetImport: [{ domain: '', version: 13 }], graph: { name: 'g', node, input, output: output.map((name) => ({ name })) } }).finish();
    // start 7.5 − 2.5, limit 6.5, delta 1/4: ⌈(6.5 − 5)/0.25⌉ = 6 values
    const range = graph([k('a', 7.5), k('b', 2.5), k('l', 6.5), k('one', 1), k('four', 4), { opType: 'Sub', input: ['a', 'b'], output: ['s'] }, { opType: 'Div', input: ['one', 'four'], output: ['d'] }, { opType: 'Range', input: ['s', 'l', 'd'], output: ['y'] }], [], ['y']);
    expect([...run(range, {}).y]).toEqual([5, 5.25, 5.5, 5.75, 6, 6.25]);
    // depth 1 + 2, indices given at run time
    const i = { name: 'i', type: { tensorType: { elemType: DataType.INT64, shape: { dim: [{ dimValue: 2 }] } } } };
    const oneHot = graph([k('p', 1), k('q', 2), { opType: 'Add', input: ['p', 'q'], output: ['depth'] }, { opType: 'Constant', output: ['v'], attribute: [{ name: 'value', type: AT.TENSOR, t: { dataType: DataType.FLOAT, dims: [2], floatData: [0, 5] } }] }, { opType: 'OneHot', input: ['i', 'depth', 'v'], output: ['y'] }], [i], ['y']);
    expect([...run(oneHot, { i: { data: [2, 0], shape: [2] } }).y]).toEqual([0, 0, 5, 5, 0, 0]);
  });
  it('what decides a shape at run time: small graph inputs are named to specialise on; others are refused, saying why', () => {
    const s = (name: string) => ({ name, shape: [] });
    refused(model(11, 'Range', ['a', 'b', 'c'], [], [s('a'), s('b'), s('c')]), /^node 'n0' \(Range, opset 11\): Range's length depends on its operands' values; input 0 comes from graph input 'a', known at run time: graphc specialises the model on its value/);
    refused(model(11, 'OneHot', ['i', 'd', 'v'], [], [{ name: 'i', shape: [3], type: DataType.INT64 }, s('d')], [{ name: 'v', dims: [2], floats: [0, 1] }]), /\(OneHot, opset 11\): the depth decides the output's shape; input 1 comes from graph input 'd'/);
    let err: unknown;
    try {
      importOnnx(model(11, 'Range', ['a', 'b', 'c'], [], [s('a'), s('b'), s('c')]));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(OnnxSpecializeError);
    expect((err as OnnxSpecializeError).inputs).toEqual(['a']);
    // a depth computed with an initializer, or from an input larger than a shape vector, is not specialised on
    refused(model(11, 'OneHot', ['i', 'd', 'v'], [], [{ name: 'i', shape: [3], type: DataType.INT64 }, { name: 'd', shape: [65] }], [{ name: 'v', dims: [2], floats: [0, 1] }]), /\(OneHot, opset 11\): the depth decides the output's shape; input 1 is computed at run time \(graphc fixes shapes at import, and specialises a model only on small graph inputs/);
  });
  it('Dropout: the mask from opset 12 (all true in inference); training_mode given at run time names its input; the mask before 12 is refused', () => {
    const x = { name: 'x', shape: [2] };
    const out = run(model(13, 'Dropout', ['x'], [], [x], [], ['y', 'm']), { x: { data: [3, 4], shape: [2] } });
    expect([...out.y]).toEqual([3, 4]);
    expect([...out.m]).toEqual([1, 1]);
    expect(importOnnx(model(13, 'Dropout', ['x'], [], [x], [], ['y', 'm'])).graph.outputs[1].node.dtype).toBe('bool');
    refused(model(10, 'Dropout', ['x'], [], [x], [], ['y', 'm']), /\(Dropout, opset 10\): the mask output at opset 10/);
    refused(model(13, 'Dropout', ['x', 'r', 't'], [], [x, { name: 't', shape: [], type: DataType.BOOL }], [{ name: 'r', dims: [], floats: [0.5] }]), /\(Dropout, opset 13\): training_mode decides what Dropout computes; input 2 comes from graph input 't'/);
  });
});
