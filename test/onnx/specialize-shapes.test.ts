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
