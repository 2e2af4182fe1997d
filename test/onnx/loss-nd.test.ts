/**
 * The ONNX losses above 2-D are read as rows (their values are checked by the ONNX node tests in
 * test/conformance); labels whose shape is not the scores' without the class axis are refused in one line,
 * and a symbolic dim among the rows asks for the inputs' shapes (the model is specialised on them).
 */
import { describe, expect, it } from 'vitest';
import { importOnnx } from '../../export/index.ts';
import { onnx, DataType } from '../../export/proto.ts';
import { refused } from '../support/refused.ts';

function model(op: string, scores: (number | string)[], labels: (number | string)[], outputs = ['loss']): Uint8Array {
  const vi = (name: string, elemType: number, dims: (number | string)[]) => ({ name, type: { tensorType: { elemType, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } } });
  return onnx.ModelProto.encode({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 13 }],
    graph: {
      name: 'g',
      node: [{ name: 'l', opType: op, input: ['z', 'y'], output: outputs, attribute: [{ name: 'reduction', type: onnx.AttributeProto.AttributeType.STRING, s: new TextEncoder().encode('none') }] }],
      input: [vi('z', DataType.FLOAT, scores), vi('y', DataType.INT64, labels)],
      output: outputs.map((name) => ({ name })),
    },
  }).finish();
}

describe('ONNX losses above 2-D', () => {
  it("reduction 'none' keeps the labels' shape, log_prob the scores'", () => {
    const m = importOnnx(model('SoftmaxCrossEntropyLoss', [2, 5, 3, 4], [2, 3, 4], ['loss', 'logp']));
    expect(m.graph.outputs.map((o) => o.node.shape)).toEqual([[2, 3, 4], [2, 5, 3, 4]]);
  });
  it('a symbolic dim among the rows asks for the inputs\' shapes (the model is specialised on them)', () =>
    refused(model('NegativeLogLikelihoodLoss', ['N', 5, 3], ['N', 3]), /^node 'l' \(NegativeLogLikelihoodLoss, opset 13\): scores \[N, 5, 3\] of more than 2 dims with symbolic dims; it comes from the shapes of graph inputs 'y', 'z', known at run time: graphc specialises the model on them /));
  it("labels that are not the scores' shape without the class axis are refused", () =>
    refused(model('SoftmaxCrossEntropyLoss', [2, 5, 3], [2, 5]), /^node 'l' \(SoftmaxCrossEntropyLoss, opset 13\): scores \[2, 5, 3\] and labels \[2, 5\] \(graphc takes \[N, C, d1, …\] and \[N, d1, …\]\)$/));
});
