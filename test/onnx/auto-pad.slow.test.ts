/**
 * Conv, MaxPool and AveragePool with auto_pad SAME_UPPER and SAME_LOWER against onnxruntime-node: odd
 * total paddings (which end takes the extra one), strides that do not divide the input, 1-D to 3-D, the
 * average's padding counted or not. SAME with dilation (onnxruntime refuses it) is refused in one line; over
 * a symbolic spatial dim, the import asks for the input's shape (OnnxSpecializeError), in one line.
 */
import { describe, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onnx, DataType } from '../../export/proto.ts';
import { refused } from '../support/refused.ts';
import { matchesOrt, writeOneNode, type OneNode } from '../support/one-node.ts';
import { hasOnnx, sayIfMissing } from '../support/peers.ts';

sayIfMissing('python3-onnx (helper)', hasOnnx, 'auto-pad.slow.test');
const dir = mkdtempSync(join(tmpdir(), 'graphc-auto-pad-'));

const cases: OneNode[] = ['SAME_UPPER', 'SAME_LOWER'].flatMap((auto_pad) => [
  { opset: 17, op: 'Conv', x: [[1, 2, 7, 6], [3, 2, 3, 2]], attrs: { auto_pad, strides: [2, 2] } },
  { opset: 17, op: 'Conv', x: [[2, 2, 9], [2, 1, 4]], attrs: { auto_pad, strides: [2], group: 2 } },
  { opset: 17, op: 'Conv', x: [[1, 1, 4, 5, 3], [1, 1, 2, 3, 2]], attrs: { auto_pad, strides: [1, 2, 2] } },
  { opset: 17, op: 'MaxPool', x: [[1, 2, 7, 6]], attrs: { auto_pad, kernel_shape: [3, 2], strides: [2, 2] } },
  { opset: 17, op: 'MaxPool', x: [[1, 2, 8]], attrs: { auto_pad, kernel_shape: [3], strides: [3] } },
  { opset: 17, op: 'AveragePool', x: [[1, 2, 7, 6]], attrs: { auto_pad, kernel_shape: [3, 3], strides: [2, 2] } },
  { opset: 17, op: 'AveragePool', x: [[1, 2, 7, 6]], attrs: { auto_pad, kernel_shape: [2, 3], strides: [2, 1], count_include_pad: 1 } },
]);

const named = hasOnnx ? writeOneNode(dir, 'same-', cases) : [];

describe.skipIf(!hasOnnx)('auto_pad SAME in Conv and pooling, against onnxruntime', () => {
  for (const c of named) it(`${c.op} x ${JSON.stringify(c.x)} ${JSON.stringify(c.attrs)}`, () => matchesOrt(c));

  it('SAME with dilation (which onnxruntime refuses too) is refused in one line', () => {
    const [f] = writeOneNode(dir, 'dilated-', [{ opset: 17, op: 'Conv', x: [[1, 1, 6, 5], [2, 1, 3, 3]], attrs: { auto_pad: 'SAME_UPPER', dilations: [2, 1] } }]);
    refused(new Uint8Array(readFileSync(f.file)), /^node 'n0' \(Conv, opset 17\): Conv: auto_pad SAME_UPPER with dilations \[2,1\]$/);
  });

  it('SAME over a symbolic spatial dim asks, in one line, for the shape of x (the model is specialised on it)', () => {
    const vi = (name: string, dims: (number | string)[]) => ({ name, type: { tensorType: { elemType: DataType.FLOAT, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } } });
    const bytes = onnx.ModelProto.encode({
      irVersion: 8,
      opsetImport: [{ domain: '', version: 17 }],
      graph: {
        name: 'g',
        node: [{ name: 'p', opType: 'MaxPool', input: ['x'], output: ['y'], attribute: [
          { name: 'auto_pad', type: onnx.AttributeProto.AttributeType.STRING, s: new TextEncoder().encode('SAME_UPPER') },
          { name: 'kernel_shape', type: onnx.AttributeProto.AttributeType.INTS, ints: [3] },
        ] }],
        input: [vi('x', [1, 2, 'L'])],
        output: [{ name: 'y' }],
      },
    }).finish();
    refused(bytes, /^node 'p' \(MaxPool, opset 17\): MaxPool: auto_pad SAME_UPPER over the symbolic spatial dim L of \[1, 2, L\]; it comes from the shape of graph input 'x', known at run time: graphc specialises the model on it /);
  });
});
