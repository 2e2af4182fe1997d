/**
 * The opset-18-and-later forms of the imported ops against onnxruntime-node: one-node models written by
 * python3-onnx's helper at opsets 18 to NEWEST_OPSET (the reductions' axes as an input, Split's
 * num_outputs, Pad's axes, Cast's saturate, AveragePool's dilations, Gelu's two forms, and the versions
 * that only widen the types), run in onnxruntime and in graphc on the same inputs. The forms graphc does not implement are
 * refused in one line naming the node, op, opset and what is unsupported.
 */
import { describe, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NEWEST_OPSET } from '../../export/import-ops.ts';
import { refused } from '../support/refused.ts';
import { matchesOrt, writeOneNode, type OneNode } from '../support/one-node.ts';
import { hasOnnx, sayIfMissing } from '../support/peers.ts';

sayIfMissing('python3-onnx (helper)', hasOnnx, 'opset-newest.slow.test');
const dir = mkdtempSync(join(tmpdir(), 'graphc-opset-newest-'));

const N = NEWEST_OPSET;
const REDUCE = ['ReduceMax', 'ReduceMin', 'ReduceMean', 'ReduceSum', 'ReduceProd', 'ReduceL1', 'ReduceL2', 'ReduceSumSquare', 'ReduceLogSum', 'ReduceLogSumExp'];
const cases: OneNode[] = [
  ...REDUCE.flatMap((op) => [18, N].flatMap((opset) => [
    { opset, op, x: [[2, 3, 4]], ints: [['axes', [-1]]] as [string, number[]][], attrs: { keepdims: 0 } },
    { opset, op, x: [[2, 3, 4]], ints: [['axes', [0, 2]]] as [string, number[]][] },
    { opset, op, x: [[2, 3, 4]], attrs: { keepdims: 0 } },
    { opset, op, x: [[2, 3, 4]], attrs: { noop_with_empty_axes: 1 } },
  ])),
  ...[18, N].flatMap((opset) => [
    { opset, op: 'Split', x: [[2, 7]], attrs: { axis: 1, num_outputs: 3 }, outputs: 3 },
    { opset, op: 'Split', x: [[6, 2]], attrs: { num_outputs: 2 }, outputs: 2 },
    { opset, op: 'Split', x: [[2, 5]], ints: [['split', [1, 4]]] as [string, number[]][], attrs: { axis: -1 }, outputs: 2 },
    { opset, op: 'Pad', x: [[2, 3]], ints: [['pads', [1, 2]], ['', []], ['axes', [-1]]] as [string, number[]][] },
    { opset, op: 'Pad', x: [[2, 3, 2]], ints: [['pads', [1, 0, 2, 1]], ['', []], ['axes', [0, 2]]] as [string, number[]][], attrs: { mode: 'edge' } },
    { opset, op: 'Pad', x: [[3, 3]], ints: [['pads', [0, 1, 0, 2]]] as [string, number[]][], attrs: { mode: 'reflect' } },
  ]),
  { opset: 19, op: 'Cast', x: [[2, 3]], attrs: { to: 1, saturate: 1 } },
  { opset: 19, op: 'AveragePool', x: [[1, 2, 5, 5]], attrs: { kernel_shape: [2, 2], dilations: [1, 1], strides: [2, 2] } },
  { opset: 22, op: 'AveragePool', x: [[1, 2, 5, 5]], attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1], count_include_pad: 1 } },
  { opset: 22, op: 'MaxPool', x: [[1, 2, 5, 5]], attrs: { kernel_shape: [2, 2], strides: [2, 2] } },
  { opset: N, op: 'DepthToSpace', x: [[1, 8, 2, 3]], attrs: { blocksize: 2, mode: 'CRD' } },
  { opset: N, op: 'SpaceToDepth', x: [[1, 2, 4, 6]], attrs: { blocksize: 2 } },
  { opset: N, op: 'Trilu', x: [[2, 3, 4]], attrs: { upper: 0 } },
  { opset: 22, op: 'Conv', x: [[1, 2, 5, 5], [3, 2, 3, 3]], attrs: { pads: [1, 1, 1, 1] } },
  { opset: 22, op: 'ConvTranspose', x: [[1, 2, 4, 4], [2, 3, 3, 3]], attrs: { strides: [2, 2], pads: [1, 1, 1, 1], output_padding: [1, 1] } },
  { opset: 22, op: 'GlobalAveragePool', x: [[1, 2, 3, 3]] },
  ...['Elu', 'Selu', 'HardSigmoid', 'HardSwish', 'Softplus', 'Softsign', 'Dropout'].map((op) => ({ opset: 22, op, x: [[2, 3]] })),
  ...['Sin', 'Cos', 'Tan', 'Asin', 'Acos', 'Atan', 'Sinh', 'Cosh', 'Asinh', 'Acosh', 'Atanh', 'Round'].map((op) => ({ opset: 22, op, x: [[2, 3]] })),
  { opset: 22, op: 'ThresholdedRelu', x: [[2, 3]], attrs: { alpha: 0.5 } },
  { opset: 20, op: 'IsNaN', x: [[2, 3]] },
  { opset: 20, op: 'IsInf', x: [[2, 3]], attrs: { detect_negative: 0 } },
  ...[20, N].flatMap((opset) => [
    { opset, op: 'Gelu', x: [[3, 7]] },
    { opset, op: 'Gelu', x: [[3, 7]], attrs: { approximate: 'none' } },
    { opset, op: 'Gelu', x: [[3, 7]], attrs: { approximate: 'tanh' } },
  ]),
  ...[N].flatMap((opset) => [
    { opset, op: 'Identity', x: [[2, 3]] },
    { opset, op: 'Transpose', x: [[2, 3, 4]], attrs: { perm: [2, 0, 1] } },
    { opset, op: 'Flatten', x: [[2, 3, 4]], attrs: { axis: 2 } },
    { opset, op: 'Reshape', x: [[2, 3, 4]], ints: [['shape', [0, -1]]] as [string, number[]][] },
    { opset, op: 'Unsqueeze', x: [[2, 3]], ints: [['axes', [-1, 0]]] as [string, number[]][] },
    { opset, op: 'Squeeze', x: [[2, 1, 3]], ints: [['axes', [1]]] as [string, number[]][] },
    { opset, op: 'Shape', x: [[2, 3, 4]], attrs: { start: 1 } },
    { opset, op: 'Size', x: [[2, 3, 4]] },
    { opset, op: 'Equal', x: [[2, 3], [2, 3]] },
    { opset, op: 'ConstantOfShape', x: [], ints: [['shape', [2, 3]]] as [string, number[]][] },
  ]),
];

const named = hasOnnx ? writeOneNode(dir, '', cases) : [];

describe.skipIf(!hasOnnx)(`opset 18 to ${N} forms, against onnxruntime`, () => {
  for (const c of named)
    it(`${c.op} at opset ${c.opset} ${JSON.stringify({ ...c.attrs, ...Object.fromEntries((c.ints ?? []).filter(([n]) => n)) })}`, () =>
      // positive inputs for the logarithmic reductions and acosh (above 1), inside (−1, 1) for asin, acos and atanh, of
      // both signs elsewhere; the equality's operands equal in part
      matchesOrt(c, c.op === 'ReduceLogSum' ? 0.5 : c.op === 'Acosh' ? 1.1 : -2, (k, _i, v) => (c.op === 'Equal' && k % 2 ? 1 : ['Asin', 'Acos', 'Atanh'].includes(c.op) ? v * 0.45 : v)));
});

const REFUSED: [OneNode, RegExp][] = [
  [{ opset: 19, op: 'Pad', x: [[2, 3]], ints: [['pads', [1, 1, 1, 1]]], attrs: { mode: 'wrap' } }, /^node 'n0' \(Pad, opset 19\): Pad mode 'wrap'$/],
  [{ opset: 19, op: 'AveragePool', x: [[1, 1, 5, 5]], attrs: { kernel_shape: [2, 2], dilations: [2, 2] } }, /^node 'n0' \(AveragePool, opset 19\): AveragePool: dilations other than 1 are not imported$/],
  [{ opset: 13, op: 'Split', x: [[2, 6]], attrs: { axis: 1, num_outputs: 2 }, outputs: 2 }, /^node 'n0' \(Split, opset 13\): attribute 'num_outputs' not supported$/],
  [{ opset: 17, op: 'ReduceMax', x: [[2, 3]], ints: [['axes', [1]]] }, /^node 'n0' \(ReduceMax, opset 17\): input 1 \('axes'\) not supported$/],
  [{ opset: 18, op: 'ReduceMax', x: [[2, 3]], attrs: { axes: [1] } }, /^node 'n0' \(ReduceMax, opset 18\): attribute 'axes' not supported$/],
  [{ opset: 17, op: 'Pad', x: [[2, 3]], ints: [['pads', [0, 1, 0, 1]], ['', []], ['axes', [1]]] }, /^node 'n0' \(Pad, opset 17\): input 3 \('axes'\) not supported$/],
  [{ opset: 19, op: 'Cast', x: [[2, 3]], attrs: { to: 17, saturate: 0 } }, /^node 'n0' \(Cast, opset 19\): Cast to float8e4m3fn \(17\): /],
  [{ opset: 13, op: 'Mod', x: [[2, 3], [2, 3]] }, /^node 'n0' \(Mod, opset 13\): Mod of floats with fmod 0 \(ONNX defines fmod 0 for integers only\)$/],
  [{ opset: 20, op: 'Gelu', x: [[2]], attrs: { approximate: 'erf' } }, /^node 'n0' \(Gelu, opset 20\): Gelu approximate 'erf' \(ONNX defines 'none' and 'tanh'\)$/],
  [{ opset: 17, op: 'Gelu', x: [[2]] }, /^node 'n0' \(Gelu, opset 17\): Gelu is an op of opset 20 and later$/],
  [{ opset: N + 1, op: 'Relu', x: [[2]] }, new RegExp(`^opset ${N + 1}: graphc imports opsets up to ${N}$`)],
];

describe.skipIf(!hasOnnx)('forms graphc does not implement are refused in one line', () => {
  const files = hasOnnx ? writeOneNode(dir, 'refused-', REFUSED.map(([c]) => c)) : [];
  REFUSED.forEach(([c, message], i) => it(`${c.op} at opset ${c.opset}: ${message.source}`, () => refused(new Uint8Array(readFileSync(files[i].file)), message)));
});
