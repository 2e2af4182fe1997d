/**
 * A Reshape to symbolic dims the input does not have at the same axes exports with their sizes read at run
 * time from a tensor carrying them: ONNX's Reshape infers one -1, and more than one is an error, so the
 * file could not run. The model below (x [N, T, 4] reshaped to [T, N, 4] from Shape(x), and a product after
 * it) is read by graphc's importer, written by its exporter, and run in onnxruntime-node against
 * onnxruntime-node running the file it came from, at two batch sizes.
 */
import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { importOnnx, exportGraph } from '../../export/index.ts';
import { model } from '../fuzz/build.ts';

const file = model({
  opset: 13,
  inputs: [{ name: 'x', dims: ['N', 'T', 4] }],
  inits: [
    { name: 'i0', dims: [1], ints: [0] },
    { name: 'i1', dims: [1], ints: [1] },
    { name: 'four', dims: [1], ints: [4] },
    { name: 'w', dims: [4, 2], floats: [1, -2, 0.5, 3, -1, 2, 4, 0.25] },
  ],
  nodes: [
    { op: 'Shape', inputs: ['x'], outputs: ['s'] },
    { op: 'Gather', inputs: ['s', 'i1'], outputs: ['t'], attrs: [{ name: 'axis', i: 0 }] },
    { op: 'Gather', inputs: ['s', 'i0'], outputs: ['n'], attrs: [{ name: 'axis', i: 0 }] },
    { op: 'Concat', inputs: ['t', 'n', 'four'], outputs: ['to'], attrs: [{ name: 'axis', i: 0 }] },
    { op: 'Reshape', inputs: ['x', 'to'], outputs: ['y'] },
    { op: 'MatMul', inputs: ['y', 'w'], outputs: ['out'] },
  ],
  outputs: ['out'],
});

describe('Reshape to symbolic dims at other axes', () => {
  it('exports their sizes read at run time, as the file it came from computes them', async () => {
    const m = importOnnx(file);
    expect(m.graph.nodes.find((n) => n.op === 'Reshape')!.shape).toEqual(['T', 'N', 4]);
    const ours = await ort.InferenceSession.create(exportGraph(m.graph, { mode: 'inference', name: 'reshape' }));
    const theirs = await ort.InferenceSession.create(file);
    for (const N of [3, 2]) {
      const x = new ort.Tensor('float32', Float32Array.from({ length: N * 5 * 4 }, (_, i) => Math.sin(i)), [N, 5, 4]);
      const want = (await theirs.run({ x })).out;
      expect(want.dims).toEqual([5, N, 2]);
      const got = (await ours.run({ x }))[m.graph.outputs[0].name];
      expect(got.dims, `N = ${N}`).toEqual(want.dims);
      expect(Array.from(got.data as Float32Array), `N = ${N}`).toEqual(Array.from(want.data as Float32Array));
    }
  });
});
