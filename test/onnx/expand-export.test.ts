/**
 * An Expand to a symbolic dim exports with that dim's size read at run time from a tensor of the exported
 * graph carrying it (a graph input, or a node's output for a derived dim such as the 'N+2' of a Pad), not as
 * 1: a 1 is left to broadcasting, which a reduction after the Expand does not do, so the file answered for a
 * size of 1. Where no tensor before the Expand carries the dim, the export is refused in one line naming the
 * Expand and the dim. Each model below (Shape, an Expand of a scalar to it, ReduceSum, added to a tensor) is
 * read by graphc's importer, written by its exporter, and run in onnxruntime-node against onnxruntime-node
 * running the file it came from, at two batch sizes.
 */
import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { importOnnx, exportGraph } from '../../export/index.ts';
import { GraphError } from '../../compiler/ir/errors.ts';
import { model } from '../fuzz/build.ts';

/**
 * out = what + ReduceSum(Expand(1, Shape(of))): of x, or of p = Pad(x) (one row before and after: ['N+2', 3]);
 * written r + what, graphc's order puts the Expand before the input x it reads the size from.
 */
const file = (of: 'x' | 'p', what: 'x' | 'p', rFirst = false) =>
  model({
    opset: 13,
    inputs: [{ name: 'x', dims: ['N', 3] }],
    inits: [
      { name: 'one', dims: [], floats: [1] },
      { name: 'pads', dims: [4], ints: [1, 0, 1, 0] },
    ],
    nodes: [
      { op: 'Pad', inputs: ['x', 'pads'], outputs: ['p'] },
      { op: 'Shape', inputs: [of], outputs: ['s'] },
      { op: 'Expand', inputs: ['one', 's'], outputs: ['z'] },
      { op: 'ReduceSum', inputs: ['z'], outputs: ['r'], attrs: [{ name: 'keepdims', i: 0 }] },
      { op: 'Add', inputs: rFirst ? ['r', what] : [what, 'r'], outputs: ['out'] },
    ],
    outputs: ['out'],
  });

async function against(bytes: Uint8Array, dim: string, size: (N: number) => number) {
  const m = importOnnx(bytes);
  expect(m.graph.nodes.find((n) => n.op === 'Expand')!.shape).toEqual([dim, 3]);
  const ours = await ort.InferenceSession.create(exportGraph(m.graph, { mode: 'inference', name: 'expand' }));
  const theirs = await ort.InferenceSession.create(bytes);
  for (const N of [4, 2]) {
    const x = new ort.Tensor('float32', Float32Array.from({ length: N * 3 }, (_, i) => i / 4), [N, 3]);
    const want = Array.from((await theirs.run({ x })).out.data as Float32Array);
    expect(want[0]).toBe(3 * size(N));
    expect(Array.from((await ours.run({ x }))[m.graph.outputs[0].name].data as Float32Array), `N = ${N}`).toEqual(want);
  }
}

describe('Expand to a symbolic dim', () => {
  it('exports the size fed, read from the graph input carrying it', () => against(file('x', 'x'), 'N', (N) => N));

  it('reads it from the graph input where the Expand comes before the input in the order', async () => {
    const bytes = file('x', 'x', true);
    const ops = importOnnx(bytes).graph.nodes.map((n) => n.op);
    expect(ops.indexOf('Expand')).toBeLessThan(ops.indexOf('Input'));
    await against(bytes, 'N', (N) => N);
  });

  it("exports a derived dim's size, read from the node output carrying it (a Pad's 'N+2')", () => against(file('p', 'p'), 'N+2', (N) => N + 2));

  it('is refused in one line naming the Expand and the dim where no tensor carries it', () => {
    const m = importOnnx(file('p', 'x'));
    expect(m.graph.nodes.some((n) => n.op === 'Pad')).toBe(false);
    let err: unknown;
    try {
      exportGraph(m.graph, { mode: 'inference', name: 'expand' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(GraphError);
    const message = (err as Error).message;
    expect(message).toMatch(/ONNX export: Expand to \[N\+2, 3\] needs the size of the symbolic dim 'N\+2' at run time, and no tensor computed before it has that dim to read it from/);
    expect(message).not.toContain('\n');
  });
});
