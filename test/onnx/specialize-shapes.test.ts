/**
 * Integer graph inputs that decide a shape (Reshape's shape, a reduction's axes, Slice's starts and ends,
 * Pad's pads, Tile's repeats, Expand's shape, Unsqueeze's axes): graphc fixes shapes at import, so
 * `OnnxSession` specialises the model on the value fed, as it does for Range's operands. Expected values
 * are worked from the ONNX operator documents on x = 0, 1, …, 11 as [2, 6].
 */
import { describe, expect, it } from 'vitest';
import { importOnnx, OnnxSession } from '../../export/index.ts';
import { DataType } from '../../export/proto.ts';
import { model, type NodeSpec } from '../fuzz/build.ts';

const INT64 = DataType.INT64;
const x = { data: Float32Array.from({ length: 12 }, (_, i) => i), shape: [2, 6] };
const ints = (values: number[]) => ({ data: Float32Array.from(values), shape: [values.length] });

/** A model of one node over x [2, 6] and an int64 vector input `v` of `n` elements (opset 13 unless given). */
function oneNode(node: NodeSpec, n: number, opset = 13): Uint8Array {
  return model({ opset, inputs: [{ name: 'x', dims: [2, 6] }, { name: 'v', dims: [n], elemType: INT64 }], nodes: [{ ...node, outputs: ['y'] }], outputs: ['y'] });
}

function runWith(bytes: Uint8Array, v: number[]): { shape: number[]; data: number[] } {
  const s = new OnnxSession(bytes);
  expect([...s.specializedOn.keys()]).toEqual(['v']);
  const y = s.run(new Map([['x', x], ['v', ints(v)]])).get('y')!;
  return { shape: [...y.shape], data: [...y.data] };
}

describe('a model specialised on the int64 graph inputs that decide its shapes', () => {
  it('Reshape to a shape fed at run time, with 0 and -1', () => {
    const r = oneNode({ op: 'Reshape', inputs: ['x', 'v'] }, 2);
    expect(runWith(r, [3, 4])).toEqual({ shape: [3, 4], data: [...x.data] });
    expect(runWith(r, [0, -1])).toEqual({ shape: [2, 6], data: [...x.data] });
  });

  it('ReduceSum over axes fed at run time (opset 13), kept', () => {
    const r = oneNode({ op: 'ReduceSum', inputs: ['x', 'v'], attrs: [{ name: 'keepdims', i: 1 }] }, 1);
    // rows 0..5 and 6..11: 15 and 51; columns: 6, 8, …, 16
    expect(runWith(r, [1])).toEqual({ shape: [2, 1], data: [15, 51] });
    expect(runWith(r, [0])).toEqual({ shape: [1, 6], data: [6, 8, 10, 12, 14, 16] });
  });

  it('Slice with starts and ends fed (one input each)', () => {
    const bytes = model({
      opset: 13,
      inputs: [{ name: 'x', dims: [2, 6] }, { name: 's', dims: [1], elemType: INT64 }, { name: 'e', dims: [1], elemType: INT64 }],
      nodes: [{ op: 'Slice', inputs: ['x', 's', 'e', 'a'], outputs: ['y'] }, { op: 'Constant', inputs: [], outputs: ['a'], attrs: [{ name: 'value', t: { dims: [1], ints: [1], dataType: INT64 } }] }].reverse(),
      outputs: ['y'],
    });
    const s = new OnnxSession(bytes);
    const y = s.run(new Map([['x', x], ['s', ints([1])], ['e', ints([-2])]])).get('y')!;
    // columns 1..3 of each row
    expect({ shape: [...y.shape], data: [...y.data] }).toEqual({ shape: [2, 3], data: [1, 2, 3, 7, 8, 9] });
    expect([...s.specializedOn.keys()].sort()).toEqual(['e', 's']);
  });

  it('Pad, Tile, Expand and Unsqueeze', () => {
    // pads [0, 1, 0, 0]: one zero column before each row
    expect(runWith(oneNode({ op: 'Pad', inputs: ['x', 'v'] }, 4), [0, 1, 0, 0]).shape).toEqual([2, 7]);
    expect(runWith(oneNode({ op: 'Pad', inputs: ['x', 'v'] }, 4), [0, 1, 0, 0]).data.slice(0, 8)).toEqual([0, 0, 1, 2, 3, 4, 5, 0]);
    expect(runWith(oneNode({ op: 'Tile', inputs: ['x', 'v'] }, 2), [2, 1]).data.slice(10, 14)).toEqual([10, 11, 0, 1]);
    expect(runWith(oneNode({ op: 'Expand', inputs: ['x', 'v'] }, 3), [3, 2, 6]).shape).toEqual([3, 2, 6]);
    expect(runWith(oneNode({ op: 'Unsqueeze', inputs: ['x', 'v'] }, 1), [1]).shape).toEqual([2, 1, 6]);
  });

  it('without a session the import says which input to bind, in one line', () => {
    const r = oneNode({ op: 'Reshape', inputs: ['x', 'v'] }, 2);
    expect(() => importOnnx(r)).toThrow(/^node 'n0' \(Reshape, opset 13\): the shape decides what Reshape computes; input 1 comes from graph input 'v', known at run time/);
    expect(() => importOnnx(r)).not.toThrow(/\n/);
  });
});

describe('a model specialised on the shapes of inputs with a symbolic dim', () => {
  // y = Reshape(x, [Shape(x)[0] * 2, 3]); z = x + b, b of the same symbolic batch 'N' as x
  const C = (name: string, dims: number[], ints: number[]) => ({ op: 'Constant', inputs: [], outputs: [name], attrs: [{ name: 'value', t: { dims, ints, dataType: INT64 } }] });
  const bytes = model({
    opset: 13,
    inputs: [{ name: 'x', dims: ['N', 6] }, { name: 'b', dims: ['N', 1] }],
    nodes: [
      C('zero', [], [0]), C('two', [], [2]), C('axes', [1], [0]), C('three', [1], [3]),
      { op: 'Shape', inputs: ['x'], outputs: ['s'] },
      { op: 'Gather', inputs: ['s', 'zero'], outputs: ['n'] },
      { op: 'Mul', inputs: ['n', 'two'], outputs: ['n2'] },
      { op: 'Unsqueeze', inputs: ['n2', 'axes'], outputs: ['u'] },
      { op: 'Concat', inputs: ['u', 'three'], outputs: ['t'], attrs: [{ name: 'axis', i: 0 }] },
      { op: 'Reshape', inputs: ['x', 't'], outputs: ['y'] },
      { op: 'Add', inputs: ['x', 'b'], outputs: ['z'] },
    ],
    outputs: ['y', 'z'],
  });
  const b = { data: Float32Array.of(10, 20), shape: [2, 1] };

  it("Shape(x)[0] * 2 into a Reshape: imported per shape of x, N bound in b's shape too", () => {
    const s = new OnnxSession(bytes);
    expect([...s.specializedOnShape.keys()]).toEqual(['x']);
    const out = s.run(new Map([['x', x], ['b', b]]));
    expect({ shape: out.get('y')!.shape, data: [...out.get('y')!.data] }).toEqual({ shape: [4, 3], data: [...x.data] });
    expect([...out.get('z')!.data]).toEqual([10, 11, 12, 13, 14, 15, 26, 27, 28, 29, 30, 31]);
    // a batch of 1: rows 0..5 reshaped to [2, 3]
    const one = s.run(new Map([['x', { data: x.data.slice(0, 6), shape: [1, 6] }], ['b', { data: Float32Array.of(1), shape: [1, 1] }]]));
    expect(one.get('y')!.shape).toEqual([2, 3]);
    expect(s.explain()).toMatch(/^specialisation: the model is imported once per distinct shape of 'x' \(2 imports so far/);
    expect(() => s.run(new Map([['x', x], ['b', { data: Float32Array.of(1, 2, 3), shape: [3, 1] }]]))).toThrow(/b/);
  });

  it("importOnnx's shapes option: N bound in every input carrying it; the same dim given two sizes refused in one line", () => {
    const m = importOnnx(bytes, { shapes: new Map([['x', [2, 6]]]) });
    expect(m.inputs.map((n) => n.shape)).toEqual([[2, 6], [2, 1]]);
    expect(() => importOnnx(bytes, { shapes: new Map([['x', [2, 6]], ['b', [3, 1]]]) })).toThrow(/^input 'b': the shape bound \[3, 1\] gives the dim 'N' the size 3, another input's shape 2$/);
    expect(() => importOnnx(bytes, { shapes: new Map([['x', [2.5, 6]]]) })).toThrow(/^input 'x': the shape bound \[2.5, 6\] holds 2.5, not a size$/);
    expect(() => importOnnx(bytes)).toThrow(/^node 'n9' \(Reshape, opset 13\): the shape decides what Reshape computes; input 1 is computed from the shape of graph input 'x' \(symbolic dims, read by Shape or Size\), known at run time: graphc specialises the model on it/);
  });
});
