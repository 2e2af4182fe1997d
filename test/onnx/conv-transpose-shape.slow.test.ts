/**
 * ConvTranspose whose extent is set by output_shape or by auto_pad SAME_UPPER / SAME_LOWER against
 * onnxruntime-node: odd and even total paddings (which end takes the larger half), an output_shape past
 * the natural extent (grown at the end; SAME's in·stride past it is not), with output_padding, 1-D and 2-D, strides and dilations. An
 * output_shape further past it than the stride is refused in one line.
 */
import { describe, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { refused } from '../support/refused.ts';
import { matchesOrt, writeOneNode, type OneNode } from '../support/one-node.ts';
import { hasOnnx, sayIfMissing } from '../support/peers.ts';

sayIfMissing('python3-onnx (helper)', hasOnnx, 'conv-transpose-shape.slow.test');
const dir = mkdtempSync(join(tmpdir(), 'graphc-convtranspose-'));

const ct = (x: number[], w: number[], attrs: OneNode['attrs'], opset = 17): OneNode => ({ opset, op: 'ConvTranspose', x: [x, w], attrs });
const cases: OneNode[] = [
  ...['SAME_UPPER', 'SAME_LOWER'].flatMap((auto_pad) => [
    ct([1, 2, 3, 3], [2, 3, 3, 3], { auto_pad, strides: [2, 2] }),
    ct([1, 2, 4, 3], [2, 1, 4, 2], { auto_pad, strides: [2, 3] }),
    ct([2, 1, 5], [1, 2, 3], { auto_pad, strides: [1] }),
    ct([1, 2, 3, 3], [2, 2, 3, 3], { auto_pad, strides: [2, 2], dilations: [2, 1] }),
  ]),
  ct([1, 1, 3, 3], [1, 2, 3, 3], { output_shape: [10, 8], strides: [3, 2] }),
  ct([1, 1, 3, 3], [1, 2, 3, 3], { output_shape: [6, 5], strides: [2, 2] }),
  ct([1, 1, 3, 3], [1, 2, 3, 3], { output_shape: [5, 4], strides: [2, 2] }),
  ct([1, 2, 4], [2, 3, 3], { output_shape: [8], strides: [2], output_padding: [1] }),
  ct([1, 1, 3, 3], [1, 2, 3, 3], { output_shape: [7, 7], strides: [2, 2] }),
  ct([1, 1, 3, 3], [1, 2, 3, 3], { output_shape: [6, 6], strides: [2, 2], auto_pad: 'SAME_UPPER' }),
  ct([1, 1, 3, 3], [1, 2, 3, 3], { output_shape: [6, 6], strides: [2, 2], auto_pad: 'SAME_LOWER' }),
  ct([1, 2, 3, 3], [2, 3, 3, 3], { auto_pad: 'SAME_UPPER', strides: [2, 2] }, 22),
];

const named = hasOnnx ? writeOneNode(dir, 'ct-', cases) : [];

describe.skipIf(!hasOnnx)('ConvTranspose with output_shape or auto_pad SAME, against onnxruntime', () => {
  for (const c of named) it(`x ${JSON.stringify(c.x[0])} w ${JSON.stringify(c.x[1])} ${JSON.stringify(c.attrs)} opset ${c.opset}`, () => matchesOrt(c));

  it('an output_shape past the input\'s extent by the stride or more is refused in one line', () => {
    const [f] = writeOneNode(dir, 'far-', [ct([1, 1, 3, 3], [1, 2, 3, 3], { output_shape: [9, 7], strides: [2, 2] })]);
    refused(new Uint8Array(readFileSync(f.file)), /^node 'n0' \(ConvTranspose, opset 17\): ConvTranspose: output_shape \[9,7\] is past the extent the input gives on axis 2$/);
  });
});
