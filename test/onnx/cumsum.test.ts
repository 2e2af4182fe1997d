/**
 * CumSum, read as a product with a triangular 0/1 matrix (export/import-math.ts), beyond the node tests'
 * 1-D and 2-D cases: a middle axis of a 3-D tensor with a symbolic batch, every exclusive/reverse form,
 * against the running sum written out as ONNX defines it (a loop here); its gradient through the product;
 * and the forms refused in one line. Models are written with onnx-proto here, field by field.
 */
import { describe, expect, it } from 'vitest';
import { importOnnx } from '../../export/index.ts';
import { onnx, DataType } from '../../export/proto.ts';
import { grad } from '../../compiler/autodiff/grad.ts';
import * as B from '../../compiler/ir/build.ts';
import { Graph } from '../../compiler/ir/graph.ts';
import { randoms, runGraph } from '../support/run.ts';
import { refused } from '../support/refused.ts';

const AT = onnx.AttributeProto.AttributeType;

function model(xDims: (number | string)[], axis: number | null, attrs: { exclusive?: number; reverse?: number } = {}): Uint8Array {
  return onnx.ModelProto.encode({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 14 }],
    graph: {
      name: 'g',
      node: [{ name: 'c', opType: 'CumSum', input: ['x', 'axis'], output: ['y'], attribute: Object.entries(attrs).map(([name, i]) => ({ name, type: AT.INT, i })) }],
      input: [
        { name: 'x', type: { tensorType: { elemType: DataType.FLOAT, shape: { dim: xDims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } } },
        ...(axis === null ? [{ name: 'axis', type: { tensorType: { elemType: DataType.INT64, shape: { dim: [] } } } }] : []),
      ],
      output: [{ name: 'y', type: { tensorType: { elemType: DataType.FLOAT } } }],
      initializer: axis === null ? [] : [{ name: 'axis', dataType: DataType.INT64, dims: [], int64Data: [axis] }],
    },
  }).finish();
}

/** ONNX's CumSum along axis 1 of x [n0, n1, n2], written out. */
function cumsum(x: number[], [n0, n1, n2]: number[], exclusive: boolean, reverse: boolean): number[] {
  const y = new Array<number>(x.length).fill(0);
  for (let a = 0; a < n0; a++)
    for (let c = 0; c < n2; c++) {
      let acc = 0;
      for (let s = 0; s < n1; s++) {
        const b = reverse ? n1 - 1 - s : s;
        const at = (a * n1 + b) * n2 + c;
        if (exclusive) (y[at] = acc), (acc += x[at]);
        else (acc += x[at]), (y[at] = acc);
      }
    }
  return y;
}

describe('CumSum', () => {
  for (const exclusive of [0, 1])
    for (const reverse of [0, 1])
      it(`axis 1 of [N, 5, 3] (given as -2), exclusive ${exclusive}, reverse ${reverse}: the running sum`, () => {
        const m = importOnnx(model(['N', 5, 3], -2, { exclusive, reverse }));
        const x = randoms(4 * 5 * 3, 3 + 2 * exclusive + reverse);
        const y = runGraph(m.graph, { x: { data: x, shape: [4, 5, 3] } }).y;
        const want = cumsum(x, [4, 5, 3], exclusive === 1, reverse === 1);
        want.forEach((w, i) => expect(Math.abs(y[i] - w), `[${i}]`).toBeLessThanOrEqual(1e-6));
      });

  it('its gradient: the reverse running sum of the output gradient', () => {
    const m = importOnnx(model([2, 4, 1], 1));
    const x = m.inputs[0];
    const y = m.graph.outputs[0].node;
    const w = B.constant([1, 2, 3, 4, 5, 6, 7, 8], [2, 4, 1]);
    const g = grad(B.sum(B.mul(y, w)), [x])[0];
    const got = runGraph(new Graph([{ name: 'g', node: g }]), { x: { data: randoms(8, 1), shape: [2, 4, 1] } }).g;
    // d/dx_i of Σ_j w_j·y_j, y_j = Σ_{i≤j} x_i: Σ_{j≥i} w_j
    expect(Array.from(got)).toEqual([10, 9, 7, 4, 26, 21, 15, 8]);
  });

  it('an axis computed at run time and one too long are refused in one line; a symbolic axis asks for x\'s shape', () => {
    refused(model([2, 3], null), /^node 'c' \(CumSum, opset 14\): axis: expected an integer known at import/);
    refused(model([2, 'K'], 1), /^node 'c' \(CumSum, opset 14\): axis 1 has the symbolic length K \(graphc needs it known\); it comes from the shape of graph input 'x'/);
    refused(model([2, 1025], 1), /^node 'c' \(CumSum, opset 14\): axis 1 has length 1025, more than graphc sums this way \(1024\)$/);
  });
});
