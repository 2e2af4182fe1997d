/**
 * Malformed protobuf: integers a double cannot hold (dims, integer data, attributes, the opset) are
 * refused with the importer's own one-line error, and `loadOnnx` names the file; never a RangeError.
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
  it('int64 data of 2^53, as int64_data and as raw bytes', () => {
    refused(reshapeTo([2 ** 53]), /^initializer 's': integer 9007199254740992 is too large/);
    refused(reshapeTo([2 ** 62], true), /^initializer 's': integer 4611686018427387904 is too large/);
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
    expect((err as Error).message).toBe(`${file}: initializer 's': integer 9007199254740992 is too large (more than 2^53)`);
  });
});
