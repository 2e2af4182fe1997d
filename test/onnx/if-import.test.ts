/**
 * If, read by the importer: a condition known at import (a Constant, or computed from shapes) replaced by
 * its taken branch, whose nodes read the graph around it by name (at any depth, in any order of the file),
 * against onnxruntime-node running the same file; the branch not taken never read (it may hold ops graphc
 * does not import); a condition from a graph input specialises the model on its value (OnnxSession, as
 * onnxruntime computes either branch); one computed at run time from a tensor's values refused in one line.
 */
import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { importOnnx, OnnxSession, OnnxSpecializeError } from '../../export/index.ts';
import { onnx, DataType } from '../../export/proto.ts';
import { runGraph } from '../support/run.ts';
import { refused } from '../support/refused.ts';

type N = { name?: string; opType: string; input: string[]; output: string[]; attribute?: object[] };
const AT = onnx.AttributeProto.AttributeType;
const vi = (name: string, dims: number[] | null, elemType = DataType.FLOAT) => ({ name, type: { tensorType: { elemType, ...(dims ? { shape: { dim: dims.map((d) => ({ dimValue: d })) } } : {}) } } });
const int64s = (name: string, v: number[], dims = [v.length]) => ({ name, dims, dataType: DataType.INT64, rawData: new Uint8Array(BigInt64Array.from(v.map(BigInt)).buffer) });
const branch = (name: string, node: N[], outputs: string[], initializer: object[] = []) => ({ name, node, initializer, output: outputs.map((o) => vi(o, null)) });
const ifNode = (cond: string, then: object, otherwise: object, outputs: string[], name = 'if0'): N => ({
  name, opType: 'If', input: [cond], output: outputs,
  attribute: [{ name: 'then_branch', type: AT.GRAPH, g: then }, { name: 'else_branch', type: AT.GRAPH, g: otherwise }],
});
const constBool = (out: string, v: boolean): N => ({ opType: 'Constant', input: [], output: [out], attribute: [{ name: 'value', type: AT.TENSOR, t: { dims: [], dataType: DataType.BOOL, int32Data: [v ? 1 : 0] } }] });

function model(node: N[], inputs: object[], outputs: string[], initializer: object[] = [], opset = 13): Uint8Array {
  return onnx.ModelProto.encode({ irVersion: 8, opsetImport: [{ domain: '', version: opset }], graph: { name: 'if', node, initializer, input: inputs, output: outputs.map((o) => vi(o, null)) } }).finish();
}

const X = [2, 3], x = Float32Array.from([-1.5, 0.25, 2, 3, -0.5, 1]);

async function ortRun(bytes: Uint8Array, feeds: Record<string, ort.Tensor> = { x: new ort.Tensor('float32', x, X) }) {
  const s = await ort.InferenceSession.create(bytes);
  const out = await s.run(feeds);
  return Object.fromEntries(Object.entries(out).map(([k, t]) => [k, { data: Array.from(t.data as Float32Array), shape: [...t.dims] }]));
}
const ours = (bytes: Uint8Array) => {
  const m = importOnnx(bytes);
  const r = runGraph(m.graph, { x: { data: x, shape: X } });
  return Object.fromEntries(m.graph.outputs.map((o) => [o.name, { data: Array.from(Float32Array.from(r[o.name])), shape: [...o.node.shape] }]));
};

// then: Softmax(x) + w, w the branch's own initializer; else: LpNormalization, which graphc does not import
const softmaxPlusW = branch('then', [{ opType: 'Softmax', input: ['x'], output: ['s'], attribute: [{ name: 'axis', type: AT.INT, i: 1 }] }, { opType: 'Add', input: ['s', 'w'], output: ['t'] }], ['t'], [{ name: 'w', dims: [1], dataType: DataType.FLOAT, floatData: [0.5] }]);
const lpNorm = branch('else', [{ opType: 'LpNormalization', input: ['x'], output: ['e'] }], ['e']);

describe('If with a condition known at import', () => {
  it('a Constant condition: the taken branch, reading x from the graph around it, its own initializer; the other never read', async () => {
    for (const [cond, then, otherwise] of [[true, softmaxPlusW, lpNorm], [false, lpNorm, softmaxPlusW]] as const) {
      const bytes = model([constBool('c', cond), ifNode('c', then, otherwise, ['y'])], [vi('x', X)], ['y']);
      const got = ours(bytes), want = await ortRun(bytes);
      expect(got.y.shape).toEqual(want.y.shape);
      got.y.data.forEach((v, i) => expect(Math.abs(v - want.y.data[i])).toBeLessThanOrEqual(1e-6));
      expect(importOnnx(bytes).graph.nodes.map((n) => n.op)).not.toContain('If');
    }
  });

  it('a condition computed from a shape (PyTorch\'s form), either way; a nested If reading the outermost graph; two outputs', async () => {
    for (const size of [2, 3]) {
      // inner: Neg(x) or Mul(x, h); outer then: the inner If and Relu(h); outer else: Abs(x) and x
      const inner = ifNode('c2', branch('t2', [{ opType: 'Neg', input: ['x'], output: ['n'] }], ['n']), branch('e2', [{ opType: 'Mul', input: ['x', 'h'], output: ['m'] }], ['m']), ['i'], 'if1');
      const then = branch('then', [constBool('c2', size === 3), inner, { opType: 'Relu', input: ['h'], output: ['r'] }], ['i', 'r']);
      // (onnxruntime refuses a branch returning an outer tensor itself: an Identity between)
      const otherwise = branch('else', [{ opType: 'Abs', input: ['x'], output: ['a'] }, { opType: 'Identity', input: ['x'], output: ['ix'] }], ['a', 'ix']);
      const bytes = model([
        { opType: 'Shape', input: ['x'], output: ['shape'] },
        { opType: 'Gather', input: ['shape', 'zero'], output: ['dim'], attribute: [{ name: 'axis', type: AT.INT, i: 0 }] },
        { opType: 'Equal', input: ['dim', 'two'], output: ['c'] },
        { opType: 'Sub', input: ['x', 'one'], output: ['h'] },
        ifNode('c', size === 2 ? then : otherwise, size === 2 ? otherwise : then, ['y', 'z']),
      ], [vi('x', X)], ['y', 'z'], [int64s('zero', [0], []), int64s('two', [size], []), { name: 'one', dims: [], dataType: DataType.FLOAT, floatData: [1] }]);
      expect(ours(bytes)).toEqual(await ortRun(bytes));
    }
  });

  it('an If before the node making the tensor its branch reads, in the file: ordered after it', () => {
    const then = branch('then', [{ opType: 'Neg', input: ['h'], output: ['n'] }], ['n']);
    const bytes = model([ifNode('c', then, then, ['y']), constBool('c', true), { opType: 'Relu', input: ['x'], output: ['h'] }], [vi('x', X)], ['y']);
    expect(ours(bytes).y.data).toEqual(Array.from(x, (v) => -Math.max(v, 0)));
  });
});

describe('If with a condition known at run time', () => {
  const then = branch('then', [{ opType: 'Neg', input: ['x'], output: ['n'] }], ['n']);
  const otherwise = branch('else', [{ opType: 'Sigmoid', input: ['x'], output: ['g'] }], ['g']);

  it('from a graph input: importOnnx names the node and the input; OnnxSession takes either branch as onnxruntime does', async () => {
    const bytes = model([ifNode('c', then, otherwise, ['y'])], [vi('x', X), vi('c', [], DataType.BOOL)], ['y']);
    refused(bytes, /^node 'if0' \(If, opset 13\): the condition decides which branch the If takes; input 0 comes from graph input 'c'/, OnnxSpecializeError);
    const s = new OnnxSession(bytes);
    for (const c of [true, false]) {
      const got = s.run(new Map([['x', { data: x, shape: X }], ['c', { data: Float32Array.of(c ? 1 : 0), shape: [] }]])).get('y')!;
      const want = await ortRun(bytes, { x: new ort.Tensor('float32', x, X), c: new ort.Tensor('bool', Uint8Array.of(c ? 1 : 0), []) });
      Array.from(got.data).forEach((v, i) => expect(Math.abs(v - want.y.data[i])).toBeLessThanOrEqual(1e-6));
    }
  });

  it('from a tensor\'s values: refused in one line naming the node', () => {
    const bytes = model([
      { opType: 'ReduceSum', input: ['x'], output: ['sum'], attribute: [{ name: 'keepdims', type: AT.INT, i: 0 }] },
      { opType: 'Greater', input: ['sum', 'zero'], output: ['c'] },
      ifNode('c', then, otherwise, ['y']),
    ], [vi('x', X)], ['y'], [{ name: 'zero', dims: [], dataType: DataType.FLOAT, floatData: [0] }]);
    refused(bytes, /^node 'if0' \(If, opset 13\): the condition decides which branch the If takes; input 0 is computed at run time/);
  });

  it('a branch\'s refusal names the If and the branch', () => {
    const bytes = model([constBool('c', false), ifNode('c', then, lpNorm, ['y'])], [vi('x', X)], ['y']);
    refused(bytes, /^node 1 'if0' else_branch, node '0' \(LpNormalization\): unsupported op/);
  });
});
