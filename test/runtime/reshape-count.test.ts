/**
 * Reshape never cuts or pads: its element count is checked at build when shapes are static and when a
 * plan binds the symbols otherwise; two -1s and negative dims other than -1 are refused.
 */
import { describe, expect, it } from 'vitest';
import { importOnnx, OnnxImportError } from '../../export/index.ts';
import { Plan } from '../../runtime/plan.ts';
import { ShapeError } from '../../compiler/ir/shape.ts';
import { GraphError } from '../../compiler/ir/errors.ts';
import * as B from '../../compiler/ir/build.ts';
import { Graph } from '../../compiler/ir/graph.ts';
import { model } from '../fuzz/build.ts';

const reshapeTo = (dims: (number | string)[], target: number[]) =>
  model({ inputs: [{ name: 'x', dims }], inits: [{ name: 's', dims: [target.length], ints: target }], nodes: [{ op: 'Reshape', inputs: ['x', 's'] }], outputs: ['t0'] });

const importError = (bytes: Uint8Array) => {
  try {
    importOnnx(bytes);
  } catch (e) {
    return e as Error;
  }
  return null;
};

describe('Reshape element counts', () => {
  it('[N, 2] to [40] with N = 3 is refused when planned, not run on stale values', () => {
    const m = importOnnx(reshapeTo(['N', 2], [40]));
    expect(() => new Plan(m.graph, new Map([['x', [3, 2]]]))).toThrow(ShapeError);
    expect(() => new Plan(m.graph, new Map([['x', [3, 2]]]))).toThrow(/cannot reshape \[3, 2\] \(6 elements\) to \[40\]/);
  });
  it('[N, 2] to [6] runs when N = 3 and copies every value', () => {
    const m = importOnnx(reshapeTo(['N', 2], [6]));
    const plan = new Plan(m.graph, new Map([['x', [3, 2]]]));
    plan.run(new Map([['x', Float32Array.of(1, 2, 3, 4, 5, 6)]]));
    expect([...plan.value(m.graph.outputs[0].node).data]).toEqual([1, 2, 3, 4, 5, 6]);
  });
  it('two -1s, negative dims and a 0 past the rank are refused at import', () => {
    expect(importError(reshapeTo([3, 2], [-1, -1]))).toBeInstanceOf(OnnxImportError);
    expect(importError(reshapeTo([3, 2], [-2, -3]))?.message).toMatch(/dimension -2 in \[-2, -3\]/);
    expect(importError(reshapeTo([3, 2], [-1, -6]))?.message).toMatch(/dimension -6/);
    expect(importError(reshapeTo([6], [0, 0, 0]))).toBeInstanceOf(OnnxImportError);
    expect(importError(reshapeTo([0, 4], [0, -1]))?.message).toMatch(/Reshape.*\[0, 4\]/);
  });
  it('in the IR too', () => {
    const x = B.mk('Input', [], { name: 'x', shape: [3, 4], dtype: 'f32' });
    expect(() => B.reshape(x, [-1, -1])).toThrow(GraphError);
    expect(() => B.reshape(x, [-2, -6])).toThrow(GraphError);
    expect(() => B.reshape(x, [5, -1])).toThrow(/cannot reshape \[3, 4\] \(12 elements\) to \[5, -1\]/);
    const y = B.mk('Input', [], { name: 'y', shape: ['N', 4] as unknown as number[], dtype: 'f32' });
    const g = new Graph([{ name: 'out', node: B.reshape(y, [8]) }]);
    expect(() => new Plan(g, new Map([['y', [3, 4]]]))).toThrow(ShapeError);
    expect(new Plan(g, new Map([['y', [2, 4]]])).bytes).toBeGreaterThan(0);
  });
});
