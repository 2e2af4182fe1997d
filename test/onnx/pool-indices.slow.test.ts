/**
 * MaxPool's indices output (row-major and column-major, 1-D to 3-D, several planes, dilation, ceil mode),
 * pooling padded past half the kernel, and Dropout's mask, against onnxruntime-node: one-node models
 * written by python3-onnx's helper, run in both on the same inputs.
 */
import { describe, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { matchesOrt, writeOneNode, type OneNode } from '../support/one-node.ts';
import { hasOnnx, sayIfMissing } from '../support/peers.ts';

sayIfMissing('python3-onnx (helper)', hasOnnx, 'pool-indices.slow.test');
const dir = mkdtempSync(join(tmpdir(), 'graphc-pool-indices-'));

const cases: OneNode[] = [
  ...[0, 1].flatMap((storage_order) => [
    { opset: 12, op: 'MaxPool', x: [[2, 3, 7, 6]], attrs: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], storage_order }, outputs: 2 },
    { opset: 12, op: 'MaxPool', x: [[2, 2, 9, 8]], attrs: { kernel_shape: [2, 3], dilations: [2, 1], storage_order }, outputs: 2 },
    { opset: 12, op: 'MaxPool', x: [[1, 2, 5, 6, 4]], attrs: { kernel_shape: [2, 2, 2], strides: [2, 1, 2], pads: [1, 0, 0, 1, 1, 0], storage_order }, outputs: 2 },
    { opset: 22, op: 'MaxPool', x: [[2, 3, 8, 7]], attrs: { kernel_shape: [2, 2], strides: [2, 2], ceil_mode: 1, storage_order }, outputs: 2 },
  ]),
  { opset: 12, op: 'MaxPool', x: [[3, 2, 11]], attrs: { kernel_shape: [4], strides: [3], pads: [2, 1] }, outputs: 2 },
  // padding more than half the kernel (less than the kernel)
  { opset: 12, op: 'MaxPool', x: [[1, 2, 5, 5]], attrs: { kernel_shape: [3, 3], pads: [2, 2, 2, 2] } },
  { opset: 11, op: 'AveragePool', x: [[1, 2, 5, 6]], attrs: { kernel_shape: [3, 3], pads: [2, 1, 2, 2] } },
  { opset: 11, op: 'AveragePool', x: [[1, 2, 5, 6]], attrs: { kernel_shape: [3, 3], strides: [2, 2], pads: [2, 2, 1, 2], count_include_pad: 1 } },
  { opset: 13, op: 'Dropout', x: [[2, 3]], outputs: 2 },
];

const named = hasOnnx ? writeOneNode(dir, '', cases) : [];

describe.skipIf(!hasOnnx)('MaxPool indices, wide pads and Dropout\'s mask, against onnxruntime', () => {
  for (const c of named) it(`${c.op} at opset ${c.opset} ${JSON.stringify(c.attrs ?? {})} x ${JSON.stringify(c.x)}`, () => matchesOrt(c));
});
