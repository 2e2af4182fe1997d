/**
 * ONNX element types in the importer's refusals are named as the ONNX spec names them
 * (TensorProto.DataType in onnx.proto), never a bare code: `float16 (10)`, `bfloat16 (16)`.
 */
import { describe, it } from 'vitest';
import { onnx, DataType } from '../../export/proto.ts';
import { refused } from '../support/refused.ts';

const vi = (name: string, elemType: number) => ({ name, type: { tensorType: { elemType, shape: { dim: [{ dimValue: 2 }] } } } });

function model(opts: { input?: number; init?: number; cast?: number; opset?: number }): Uint8Array {
  const node = opts.cast !== undefined
    ? { name: 'n0', opType: 'Cast', input: ['x'], output: ['y'], attribute: [{ name: 'to', type: onnx.AttributeProto.AttributeType.INT, i: opts.cast }] }
    : { name: 'n0', opType: 'Add', input: ['x', 'w'], output: ['y'], attribute: [] };
  return onnx.ModelProto.encode({
    irVersion: 8,
    opsetImport: [{ domain: '', version: opts.opset ?? 13 }],
    graph: {
      name: 'g',
      node: [node],
      input: [vi('x', opts.input ?? DataType.FLOAT)],
      output: [{ name: 'y' }],
      initializer: opts.cast !== undefined ? [] : [{ name: 'w', dataType: opts.init ?? DataType.FLOAT, dims: [2], rawData: new Uint8Array(opts.init === DataType.FLOAT16 || opts.init === DataType.BFLOAT16 ? 4 : 8) }],
    },
  }).finish();
}

// codes and names from onnx.proto's TensorProto.DataType (through FLOAT8E8M0, ONNX 1.18), in the spec's short spelling
const SPEC: [number, string][] = [
  [2, 'uint8'], [3, 'int8'], [4, 'uint16'], [5, 'int16'], [8, 'string'], [10, 'float16'], [12, 'uint32'], [13, 'uint64'],
  [14, 'complex64'], [15, 'complex128'], [16, 'bfloat16'], [17, 'float8e4m3fn'], [18, 'float8e4m3fnuz'], [19, 'float8e5m2'],
  [20, 'float8e5m2fnuz'], [21, 'uint4'], [22, 'int4'], [23, 'float4e2m1'], [24, 'float8e8m0'],
];

describe('ONNX element types are named in import refusals', () => {
  it('an input of an element type graphc does not take', () => {
    // the small integer types (uint8, int8, uint16, int16, uint32, uint64) are read: compiler/ops/int-types.ts
    for (const [code, name] of SPEC.filter(([c]) => ![2, 3, 4, 5, 12, 13].includes(c)))
      refused(model({ input: code }), new RegExp(`^input 'x': element type ${name} \\(${code}\\) is not supported \\(float32, float64, bool, int64, int32, uint8, int8, uint16, int16, uint32, uint64\\)$`));
  });
  it('an initializer of a float type graphc does not hold', () => {
    refused(model({ init: DataType.FLOAT16 }), /data type float16 \(10\) is not float32 or float64$/);
    refused(model({ init: DataType.BFLOAT16 }), /data type bfloat16 \(16\) is not float32 or float64$/);
  });
  it('a Cast to a type graphc does not compute in', () => {
    refused(model({ cast: 10 }), /^node 'n0' \(Cast, opset 13\): Cast to float16 \(10\): graphc computes in float32/);
    refused(model({ cast: 17, opset: 19 }), /\(Cast, opset 19\): Cast to float8e4m3fn \(17\): /);
    refused(model({ cast: 99, opset: 19 }), /\(Cast, opset 19\): Cast to 99 \(a type code graphc does not know\): /);
  });
});
