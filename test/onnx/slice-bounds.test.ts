/**
 * Slice's starts and ends past the dims, int64's extremes among them (PyTorch writes ±9223372036854775807
 * for an open end), clamped as ONNX's Slice spec says, against onnxruntime-node running the same file: every
 * pair of starts and ends from a list of values in and beyond a dim of 7, with steps forward and backward up
 * to int64's; the attribute form of opset 9; an int64 beyond 2^53 read anywhere else refused; and the one
 * case where the spec and onnxruntime disagree (an end of INT_MAX stepping backward) refused by name.
 */
import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { importOnnx } from '../../export/index.ts';
import { onnx, DataType } from '../../export/proto.ts';
import { runGraph } from '../support/run.ts';
import { refused } from '../support/refused.ts';

const MAX = 2n ** 63n - 1n, MIN = -(2n ** 63n);
const values = [MIN, MIN + 1n, -(2n ** 53n) - 2n, -(2n ** 31n), -8n, -7n, -6n, -1n, 0n, 1n, 6n, 7n, 8n, 2n ** 31n - 1n, 2n ** 53n + 2n, MAX];
const steps = [1n, 2n, 7n, 8n, MAX, -1n, -2n, -7n, -8n, MIN];
/** onnxruntime reads an end of INT_MAX (int32's or int64's) stepping backward as "to the start", the spec as dim − 1. */
const disputed = (end: bigint, step: bigint) => step < 0n && (end === MAX || end === 2n ** 31n - 1n);

const AT = onnx.AttributeProto.AttributeType;
const vi = (name: string, dims: number[], elemType = DataType.FLOAT) => ({ name, type: { tensorType: { elemType, shape: { dim: dims.map((d) => ({ dimValue: d })) } } } });
const int64s = (name: string, v: bigint[]) => ({ name, dims: [v.length], dataType: DataType.INT64, rawData: new Uint8Array(BigInt64Array.from(v).buffer) });

interface SliceCase { starts: bigint; ends: bigint; step?: bigint; axis?: bigint }
/** One model of a Slice node per case over x [3, 7] (axis 1 unless given), starts, ends, axes and steps as initializers. */
function slices(cases: SliceCase[], x = [3, 7]): Uint8Array {
  const inits: ReturnType<typeof int64s>[] = [];
  const nodes = cases.map((c, i) => {
    inits.push(int64s(`s${i}`, [c.starts]), int64s(`e${i}`, [c.ends]), int64s(`a${i}`, [c.axis ?? 1n]));
    if (c.step !== undefined) inits.push(int64s(`t${i}`, [c.step]));
    return { name: `slice${i}`, opType: 'Slice', input: ['x', `s${i}`, `e${i}`, `a${i}`, ...(c.step !== undefined ? [`t${i}`] : [])], output: [`y${i}`] };
  });
  return onnx.ModelProto.encode({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 13 }],
    graph: { name: 'slices', node: nodes, initializer: inits, input: [vi('x', x)], output: cases.map((_, i) => ({ name: `y${i}`, type: { tensorType: { elemType: DataType.FLOAT } } })) },
  }).finish();
}

const X = Array.from({ length: 21 }, (_, i) => i + 1);

/** graphc's and onnxruntime's outputs of `bytes`, each with its shape. */
async function both(bytes: Uint8Array, count: number, x = X, dims = [3, 7]) {
  const m = importOnnx(bytes);
  const ours = runGraph(m.graph, { x: { data: x, shape: dims } });
  const shapes = new Map(m.graph.outputs.map((o) => [o.name, o.node.shape]));
  const s = await ort.InferenceSession.create(bytes);
  const theirs = await s.run({ x: new ort.Tensor('float32', Float32Array.from(x), dims) });
  for (let i = 0; i < count; i++) {
    const t = theirs[`y${i}`];
    expect([...(shapes.get(`y${i}`) ?? [])], `y${i}'s shape`).toEqual([...t.dims]);
    expect(Array.from(ours[`y${i}`]), `y${i}`).toEqual(Array.from(t.data as Float32Array));
  }
}

describe('Slice past the dims, as onnxruntime slices', () => {
  const grid: SliceCase[] = values.flatMap((starts) => values.flatMap((ends) => steps.filter((step) => !disputed(ends, step)).map((step) => ({ starts, ends, step }))));

  it(`every pair of ${values.length} starts and ends, ${steps.length} steps (${grid.length} slices of a dim of 7)`, async () => {
    await both(slices(grid), grid.length);
  });

  it('steps omitted, and a negative axis', async () => {
    const cases = values.flatMap((starts) => values.map((ends) => ({ starts, ends, axis: -1n })));
    await both(slices(cases), cases.length);
  });

  it('the dim of 3 (axis 0), the extremes PyTorch writes: the whole axis, reversed', async () => {
    const cases = [{ starts: 0n, ends: MAX, step: 1n, axis: 0n }, { starts: -1n, ends: MIN + 1n, step: -1n, axis: 0n }, { starts: MAX, ends: MIN, step: -1n, axis: 0n }, { starts: MIN, ends: MAX, step: 2n, axis: -2n }];
    await both(slices(cases), cases.length);
    const m = importOnnx(slices(cases));
    expect(Array.from(runGraph(m.graph, { x: { data: X, shape: [3, 7] } }).y1)).toEqual([...X.slice(14), ...X.slice(7, 14), ...X.slice(0, 7)]);
  });

  it('opset 9\'s attributes: starts and ends of int64\'s extremes', async () => {
    // (int64 attributes given as decimal strings: protobufjs writes a bigint as 0)
    const pairs: [bigint, bigint][] = [[0n, MAX], [MIN, -1n], [-100n, 100n], [3n, 2n ** 53n + 2n], [MIN, MIN], [MAX, MAX]];
    const nodes = pairs.map(([s, e], i) => ({ opType: 'Slice', input: ['x'], output: [`y${i}`], attribute: [{ name: 'starts', type: AT.INTS, ints: [String(s)] }, { name: 'ends', type: AT.INTS, ints: [String(e)] }, { name: 'axes', type: AT.INTS, ints: [1] }] }));
    const bytes = onnx.ModelProto.encode({
      irVersion: 4,
      opsetImport: [{ domain: '', version: 9 }],
      graph: { name: 'slices', node: nodes, input: [vi('x', [3, 7])], output: pairs.map((_, i) => ({ name: `y${i}`, type: { tensorType: { elemType: DataType.FLOAT } } })) },
    }).finish();
    expect(onnx.ModelProto.decode(bytes).graph!.node![0].attribute![1].ints![0].toString()).toBe(String(MAX));
    await both(bytes, pairs.length);
  });

  it('an end of INT_MAX stepping backward, where the spec and onnxruntime disagree, is refused by name', () => {
    refused(slices([{ starts: -1n, ends: MAX, step: -1n }]), /^node 'slice0' \(Slice, opset 13\): Slice end INT64_MAX with step -1 \(axis 1\): ONNX's spec clamps it/);
    refused(slices([{ starts: 5n, ends: 2n ** 31n - 1n, step: -2n }]), /^node 'slice0' \(Slice, opset 13\): Slice end 2147483647 with step -2/);
  });

  it('an int64 beyond 2^53 read as anything but Slice\'s bounds is refused, naming the node and the input', () => {
    const bytes = onnx.ModelProto.encode({
      irVersion: 8,
      opsetImport: [{ domain: '', version: 13 }],
      graph: { name: 'r', node: [{ name: 'r0', opType: 'Reshape', input: ['x', 'shape'], output: ['y'] }], initializer: [int64s('shape', [MAX])], input: [vi('x', [3, 7])], output: [vi('y', [21])] },
    }).finish();
    refused(bytes, /^node 'r0' \(Reshape, opset 13\): input 1 \('shape'\) holds the integer 9\.223e\+18, beyond 2\^53/);
  });
});
