/**
 * An Expand to a symbolic dim (the batch 'N') exports with that dim's size read at run time from a graph
 * input carrying it, not as 1: a 1 is left to broadcasting, which a reduction after the Expand does not do,
 * so the file answered for a batch of 1. The model below (Shape of x, Expand of a scalar to it, ReduceSum,
 * added to x) is read by graphc's importer, written by its exporter, and run in onnxruntime-node against
 * onnxruntime-node running the file it came from, at two batch sizes.
 */
import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { importOnnx, exportGraph } from '../../export/index.ts';
import { model } from '../fuzz/build.ts';

const file = model({
  opset: 13,
  inputs: [{ name: 'x', dims: ['N', 3] }],
  inits: [{ name: 'one', dims: [], floats: [1] }],
  nodes: [
    { op: 'Shape', inputs: ['x'], outputs: ['s'] },
    { op: 'Expand', inputs: ['one', 's'], outputs: ['z'] },
    { op: 'ReduceSum', inputs: ['z'], outputs: ['r'], attrs: [{ name: 'keepdims', i: 0 }] },
    { op: 'Add', inputs: ['x', 'r'], outputs: ['out'] },
  ],
  outputs: ['out'],
});

describe('Expand to a symbolic dim', () => {
  it('exports the size fed, as the file it came from computes it', async () => {
    const m = importOnnx(file);
    expect(m.graph.nodes.find((n) => n.op === 'Expand')!.shape).toEqual(['N', 3]);
    const ours = await ort.InferenceSession.create(exportGraph(m.graph, { mode: 'inference', name: 'expand' }));
    const theirs = await ort.InferenceSession.create(file);
    for (const N of [4, 2]) {
      const x = new ort.Tensor('float32', Float32Array.from({ length: N * 3 }, (_, i) => i / 4), [N, 3]);
      const want = Array.from((await theirs.run({ x })).out.data as Float32Array);
      expect(want[0]).toBe(3 * N);
      expect(Array.from((await ours.run({ x }))[m.graph.outputs[0].name].data as Float32Array), `N = ${N}`).toEqual(want);
    }
  });
});
