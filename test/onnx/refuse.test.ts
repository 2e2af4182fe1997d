/**
 * No silent ignore: an attribute or input that an import rule does not read is refused, in one line naming
 * the node, the op, the opset and the operand. Models are written with onnx-proto here, field by field.
 */
import { describe, expect, it } from 'vitest';
import { importOnnx } from '../../export/index.ts';
import { onnx, DataType } from '../../export/proto.ts';
import { refused } from '../support/refused.ts';

const AT = onnx.AttributeProto.AttributeType;
type Attr = { name: string; type: number; i?: number; f?: number; ints?: number[] };

function model(opset: number, opType: string, attrs: Attr[], inputs = ['x'], extraInit: { name: string; ints: number[] }[] = []): Uint8Array {
  const vi = (name: string) => ({ name, type: { tensorType: { elemType: DataType.FLOAT, shape: { dim: [{ dimValue: 2 }, { dimValue: 3 }] } } } });
  return onnx.ModelProto.encode({
    irVersion: 8,
    opsetImport: [{ domain: '', version: opset }],
    graph: {
      name: 'g',
      node: [{ name: 'n0', opType, input: inputs, output: ['y'], attribute: attrs }],
      input: [vi('x')],
      output: [{ name: 'y' }],
      initializer: extraInit.map((t) => ({ name: t.name, dataType: DataType.INT64, dims: [t.ints.length], int64Data: t.ints })),
    },
  }).finish();
}

describe('forms a rule does not read are refused', () => {
  it('an attribute unknown to the rule', () => refused(model(13, 'Relu', [{ name: 'frobnicate', type: AT.INT, i: 1 }]), /^node 'n0' \(Relu, opset 13\): attribute 'frobnicate' not supported$/));
  it('opset-6 legacy broadcasting of a comparison (Greater with broadcast=1)', () => refused(model(6, 'Greater', [{ name: 'broadcast', type: AT.INT, i: 1 }], ['x', 'x']), /\(Greater, opset 6\): attribute 'broadcast' not supported/));
  it('an extra input', () => refused(model(13, 'Relu', [], ['x', 'x']), /\(Relu, opset 13\): input 1 \('x'\) not supported/));
  it('ReduceSum axes as an attribute at opset 13 (the input form applies)', () => refused(model(13, 'ReduceSum', [{ name: 'axes', type: AT.INTS, ints: [1] }]), /attribute 'axes' not supported/));
  it('ReduceSum axes as an input at opset 11 (the attribute form applies)', () =>
    refused(model(11, 'ReduceSum', [], ['x', 'ax'], [{ name: 'ax', ints: [1] }]), /\(ReduceSum, opset 11\): input 1 \('ax'\) not supported/));
  it('an attribute of the wrong type', () => refused(model(11, 'ReduceSum', [{ name: 'keepdims', type: AT.FLOAT, f: 1 }]), /attribute 'keepdims' has type/));

  it('the forms a rule reads import', () => {
    expect(importOnnx(model(11, 'ReduceSum', [{ name: 'axes', type: AT.INTS, ints: [1] }, { name: 'keepdims', type: AT.INT, i: 0 }])).graph.outputs[0].node.shape).toEqual([2]);
    expect(importOnnx(model(13, 'ReduceSum', [{ name: 'keepdims', type: AT.INT, i: 1 }], ['x', 'ax'], [{ name: 'ax', ints: [-1] }])).graph.outputs[0].node.shape).toEqual([2, 1]);
  });
});

describe('the limits', () => {
  it('a graph of more than MAX_NODES nodes is refused before any is built', async () => {
    const { MAX_NODES } = await import('../../export/index.ts');
    const bytes = onnx.ModelProto.encode({ irVersion: 8, opsetImport: [{ domain: '', version: 17 }], graph: { name: 'g', node: Array.from({ length: MAX_NODES + 1 }, () => ({})) } }).finish();
    refused(bytes, new RegExp(`^the graph has ${MAX_NODES + 1} nodes, more than graphc accepts \\(${MAX_NODES}\\)$`));
  });
  it('If branches\' nodes count, at any depth, both branches: MAX_NODES + 2 in all refused, though each graph holds fewer', async () => {
    const { MAX_NODES } = await import('../../export/index.ts');
    const half = (name: string) => ({ name, node: Array.from({ length: MAX_NODES / 2 }, () => ({})) });
    const ifNode = (then: object, otherwise: object) => ({ opType: 'If', input: ['c'], output: ['y'], attribute: [{ name: 'then_branch', type: AT.GRAPH, g: then }, { name: 'else_branch', type: AT.GRAPH, g: otherwise }] });
    // the top graph: one If; its then branch: half; its else branch: an If whose then branch holds the other half
    const nested = ifNode(half('t'), { name: 'e', node: [ifNode(half('tt'), { name: 'ee' })] });
    const bytes = onnx.ModelProto.encode({ irVersion: 8, opsetImport: [{ domain: '', version: 17 }], graph: { name: 'g', node: [nested], output: [{ name: 'y' }] } }).finish();
    refused(bytes, new RegExp(`^the graph has ${MAX_NODES + 2} nodes, ${MAX_NODES + 1} of them in subgraphs \\(If branches\\), more than graphc accepts \\(${MAX_NODES}\\)$`));
  });
  it('tensors claiming more than MAX_TOTAL_ELEMENTS together are refused before any is read', async () => {
    const { MAX_TOTAL_ELEMENTS, MAX_ELEMENTS } = await import('../../export/index.ts');
    // each under MAX_ELEMENTS, none holding its data: the total is refused before a missing byte is noticed
    const half = MAX_TOTAL_ELEMENTS / 2 + 1;
    expect(half).toBeLessThanOrEqual(MAX_ELEMENTS);
    const big = (name: string) => ({ name, dataType: DataType.FLOAT, dims: [half] });
    const graph = (initializer: object[], node: object[] = []) =>
      onnx.ModelProto.encode({ irVersion: 8, opsetImport: [{ domain: '', version: 17 }], graph: { name: 'g', initializer, node, output: [{ name: 'a' }] } }).finish();
    refused(graph([big('a'), big('b')]), new RegExp(`^initializer 'b': the file's tensors claim ${2 * half} elements in all, more than graphc accepts \\(${MAX_TOTAL_ELEMENTS}\\)$`));
    // a Constant's value counts too, wherever its node stands
    const constant = { name: 'c', opType: 'Constant', output: ['c'], attribute: [{ name: 'value', type: AT.TENSOR, t: big('v') }] };
    refused(graph([big('a')], [constant]), /^node 'c' \(Constant\) attribute 'value': the file's tensors claim \d+ elements in all/);
    // and those of If's branches (an initializer of the branch, a Constant in it), read or not
    const branch = (name: string, initializer: object[], node: object[] = []) => ({ name, initializer, node });
    const ifNode = (then: object) => ({ name: 'if', opType: 'If', input: ['c'], output: ['y'], attribute: [{ name: 'then_branch', type: AT.GRAPH, g: then }, { name: 'else_branch', type: AT.GRAPH, g: branch('e', []) }] });
    refused(graph([big('a')], [ifNode(branch('t', [big('b')]))]), new RegExp(`^subgraph 't' initializer 'b': the file's tensors claim ${2 * half} elements in all`));
    refused(graph([big('a')], [ifNode(branch('t', [], [ifNode(branch('tt', [], [constant]))]))]), /^subgraph 'tt' node 'c' \(Constant\) attribute 'value': the file's tensors claim \d+ elements in all/);
    // one of them alone is read far enough to find its data missing
    refused(graph([big('a')]), /^initializer 'a': dims \[\d+\] need \d+ (bytes|values)/);
  });
  it('integer data held outside the file is refused as external', () => {
    const bytes = onnx.ModelProto.encode({
      irVersion: 8,
      opsetImport: [{ domain: '', version: 17 }],
      graph: { name: 'g', initializer: [{ name: 's', dataType: DataType.INT64, dims: [1], dataLocation: onnx.TensorProto.DataLocation.EXTERNAL, externalData: [{ key: 'location', value: '../../etc/passwd' }] }], output: [{ name: 's' }] },
    }).finish();
    refused(bytes, /^initializer 's': external data is not supported$/);
  });
});
