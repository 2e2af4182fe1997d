/**
 * The importer reads a node only as its file declares it: an attribute of another declared type (or of
 * none) is refused rather than read as its default 0, an op named after an object's own keys is an unknown
 * op, and a name no input, initializer or node defines is refused naming the node or output.
 */
import { describe, expect, it } from 'vitest';
import { importOnnx } from '../../export/index.ts';
import { model, modelProto, encodeModel, type Attr } from '../fuzz/build.ts';
import { refused } from '../support/refused.ts';

const gemm = (attrs: Attr[]) =>
  modelProto({ inputs: [{ name: 'a', dims: ['N', 2] }], inits: [{ name: 'b', dims: [2, 2], floats: [1, 2, 3, 4] }], nodes: [{ op: 'Gemm', inputs: ['a', 'b'], attrs }], outputs: ['t0'] });

describe('attributes against their declared type', () => {
  it('Gemm alpha given as INTS is refused', () => refused(encodeModel(gemm([{ name: 'alpha', ints: [2] }])), /node 'n0' \(Gemm, opset 17\): attribute 'alpha' has type INTS, expected FLOAT/));
  it('an attribute with no declared type is refused, not read as 0', () => {
    const m = gemm([{ name: 'alpha', f: 2 }]);
    m.graph!.node![0].attribute![0].type = 0;
    refused(encodeModel(m), /attribute 'alpha' has type UNDEFINED, expected FLOAT/);
  });
  it('an attribute given twice is refused', () => refused(encodeModel(gemm([{ name: 'alpha', f: 2 }, { name: 'alpha', f: 3 }])), /node 'n0' \(Gemm\): an attribute is given twice/));
  it('a Constant whose value is not declared a tensor', () => {
    const m = modelProto({ nodes: [{ op: 'Constant', inputs: [], attrs: [{ name: 'value', t: { dims: [1], floats: [1] } }] }], outputs: ['t0'] });
    m.graph!.node![0].attribute![0].type = 7;
    refused(encodeModel(m), /\(Constant, opset \d+\): attribute 'value' has type INTS, expected TENSOR/);
  });
  it('the right types import', () => expect(importOnnx(encodeModel(gemm([{ name: 'alpha', f: 2 }, { name: 'transB', i: 1 }]))).graph.outputs).toHaveLength(1));
});

describe('names', () => {
  for (const op of ['toString', 'constructor', '__proto__', 'hasOwnProperty'])
    it(`an op named ${op} is an unknown op`, () => refused(model({ inputs: [{ name: 'x', dims: ['N', 2] }], nodes: [{ op, inputs: ['x'] }], outputs: ['t0'] }), new RegExp(`node 'n0' \\(${op}\\): unsupported op`)));
  it('an undefined input names the node', () =>
    refused(model({ inputs: [{ name: 'x', dims: [2] }], nodes: [{ op: 'Add', inputs: ['x', 'toString'], name: 'adder' }], outputs: ['t0'] }), /node 'adder' \(Add\) reads 'toString', which no input, initializer or node defines/));
  it('an undefined graph output', () => refused(model({ inputs: [{ name: 'x', dims: [2] }], nodes: [{ op: 'Relu', inputs: ['x'] }], outputs: ['constructor'] }), /output 'constructor' is not computed by the graph/));
  it('a variadic op with no inputs', () => refused(model({ nodes: [{ op: 'Max', inputs: [], name: 'm' }], outputs: ['t0'] }), /node 'm' \(Max, opset 17\)/));
});
