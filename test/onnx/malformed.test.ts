/**
 * Malformed protobuf: integers a double cannot hold (dims, attributes, the opset; integer data where a node
 * reads it, but as Slice's bounds) are refused with the importer's own one-line error, and `loadOnnx` names
 * the file; never a RangeError.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadOnnx } from '../../cli/load.ts';
import { UserError } from '../../cli/user-error.ts';
import { model } from '../fuzz/build.ts';
import { refused } from '../support/refused.ts';

const reshapeTo = (target: number[], raw = false) =>
  model({
    inputs: [{ name: 'x', dims: [2, 2] }],
    inits: [raw ? { name: 's', dims: [target.length], dataType: 7, raw: new Uint8Array(BigInt64Array.from(target.map(BigInt)).buffer) } : { name: 's', dims: [target.length], ints: target }],
    nodes: [{ op: 'Reshape', inputs: ['x', 's'] }],
    outputs: ['t0'],
  });

describe('integers too large for a double', () => {
  it('an input dimension of 2^62 or -2^63', () => {
    refused(model({ inputs: [{ name: 'x', dims: [2n ** 62n] }], nodes: [{ op: 'Relu', inputs: ['x'] }], outputs: ['t0'] }), /^input 'x': dimension 0: integer 4611686018427387904 is too large/);
    refused(model({ inputs: [{ name: 'x', dims: [-(2n ** 63n)] }], nodes: [{ op: 'Relu', inputs: ['x'] }], outputs: ['t0'] }), /integer -9223372036854775808 is too large/);
  });
  // int64 data beyond 2^53 is read (PyTorch's open Slice ends are int64's extremes) and refused where a
  // node reads it as anything but Slice's bounds (test/onnx/slice-bounds.test.ts)
  it('int64 data of 2^53, as int64_data and as raw bytes, read as a shape', () => {
    refused(reshapeTo([2 ** 53]), /^node 'n0' \(Reshape, opset 17\): input 1 \('s'\) holds the integer 9\.007e\+15, beyond 2\^53/);
    refused(reshapeTo([2 ** 62], true), /^node 'n0' \(Reshape, opset 17\): input 1 \('s'\) holds the integer 4\.612e\+18, beyond 2\^53/);
  });
  it('an INT attribute of 2^62', () => {
    const bytes = model({ inputs: [{ name: 'a', dims: [2, 2] }, { name: 'b', dims: [2, 2] }], nodes: [{ op: 'Gemm', inputs: ['a', 'b'], attrs: [{ name: 'transA', i: 2n ** 62n }] }], outputs: ['t0'] });
    refused(bytes, /\(Gemm, opset 17\): attribute 'transA': integer 4611686018427387904 is too large/);
  });
  it('loadOnnx names the file in one line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'graphc-malformed-'));
    const file = join(dir, 'big.onnx');
    writeFileSync(file, reshapeTo([2 ** 53]));
    const err = await loadOnnx(file).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toBe(`${file}: node 'n0' (Reshape, opset 17): input 1 ('s') holds the integer 9.007e+15, beyond 2^53 (more than a double holds exactly); graphc reads such int64 values only as Slice's starts, ends and steps`);
  });
});
