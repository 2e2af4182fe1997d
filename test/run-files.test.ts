/**
 * The files `graphc run` reads and writes, in process: .npy (v1/v2/v3 headers, dtypes, byte orders, the
 * refusals), JSON tensors, and numbers written as the shortest decimal that reads back as the same
 * float32. The slow test (test/onnx/run-inputs.slow.test.ts) holds them against numpy and onnxruntime.
 */
import { describe, expect, it } from 'vitest';
import { readNpy, writeNpy, NpyError } from '../cli/npy.ts';
import { readJsonTensor, JsonTensorError } from '../cli/json-tensor.ts';
import { assignOutputs, csvText, f32String } from '../cli/outputs.ts';
import { assignInputs } from '../cli/feed.ts';
import toy from '../graphs/toy.ts';

/** A .npy file as NumPy writes it: version, header dict, then the data bytes. */
function npy(header: string, data: Uint8Array, major = 1): Uint8Array {
  const pre = major === 1 ? 10 : 12;
  const total = Math.ceil((pre + header.length + 1) / 64) * 64;
  const h = header.padEnd(total - pre - 1, ' ') + '\n';
  const out = new Uint8Array(total + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, major, 0]);
  const v = new DataView(out.buffer);
  if (major === 1) v.setUint16(8, h.length, true);
  else v.setUint32(8, h.length, true);
  for (let i = 0; i < h.length; i++) out[pre + i] = h.charCodeAt(i);
  out.set(data, total);
  return out;
}
const bytes = (n: number, f: (v: DataView, i: number) => void, width: number) => {
  const b = new Uint8Array(n * width);
  const v = new DataView(b.buffer);
  for (let i = 0; i < n; i++) f(v, i);
  return b;
};

describe('.npy', () => {
  it('writes what it reads: float32, int64, bool, a scalar and a 1-D shape', () => {
    for (const [shape, data, kind] of [[[2, 3], [1.5, -2, 0, 3.25, 1e-8, -7], 'float'], [[4], [0, -1, 2 ** 40, 5], 'int'], [[], [2.5], 'float'], [[2, 1], [1, 0], 'bool']] as const) {
      const f = writeNpy(shape, data, kind);
      // the data starts on a multiple of 64 bytes
      expect((f.length - data.length * { float: 4, int: 8, bool: 1 }[kind]) % 64).toBe(0);
      const a = readNpy(f);
      expect(a.shape).toEqual(shape);
      expect(a.kind).toBe(kind);
      expect(Array.from(a.data)).toEqual(data.map((x) => (kind === 'float' ? Math.fround(x) : x)));
    }
    expect(new TextDecoder().decode(writeNpy([3], [1, 2, 3]).subarray(10, 64 + 64))).toMatch(/^\{'descr': '<f4', 'fortran_order': False, 'shape': \(3,\), \} *\n$/);
  });
  it('reads float64 (rounded to float32 by the caller), int32, big-endian and version 2 and 3 headers', () => {
    const f8 = readNpy(npy("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }", bytes(2, (v, i) => v.setFloat64(i * 8, [0.1, -3][i], true), 8)));
    expect(Array.from(f8.data)).toEqual([0.1, -3]);
    const i4 = readNpy(npy("{'shape': (1, 2), 'fortran_order': False, 'descr': '>i4'}", bytes(2, (v, i) => v.setInt32(i * 4, [7, -9][i], false), 4), 2));
    expect([i4.shape, Array.from(i4.data), i4.kind]).toEqual([[1, 2], [7, -9], 'int']);
    // the small integer types, in either byte order
    const u1 = readNpy(npy("{'descr': '|u1', 'fortran_order': False, 'shape': (3,), }", Uint8Array.of(0, 200, 255)));
    expect([Array.from(u1.data), u1.kind]).toEqual([[0, 200, 255], 'int']);
    const i2 = readNpy(npy("{'descr': '>i2', 'fortran_order': False, 'shape': (2,), }", bytes(2, (v, i) => v.setInt16(i * 2, [-300, 7][i], false), 2)));
    expect(Array.from(i2.data)).toEqual([-300, 7]);
    expect(() => readNpy(npy("{'descr': '<u8', 'fortran_order': False, 'shape': (1,), }", bytes(1, (v) => v.setBigUint64(0, 2n ** 63n + 2n, true), 8)))).toThrow(/^uint64 value at index 0 is beyond 2\^53$/);
    const v3 = readNpy(npy("{'descr': '<i8', 'fortran_order': False, 'shape': (1,), }", bytes(1, (v) => v.setBigInt64(0, 42n, true), 8), 3));
    expect(Array.from(v3.data)).toEqual([42]);
  });
  it('refuses other dtypes, Fortran order, lengths that do not match, and what is not .npy, in one line', () => {
    const cases: [Uint8Array, RegExp][] = [
      [npy("{'descr': '|S1', 'fortran_order': False, 'shape': (2,), }", new Uint8Array(2)), /dtype '\|S1' is not supported/],
      [npy("{'descr': '<f2', 'fortran_order': False, 'shape': (2,), }", new Uint8Array(4)), /dtype '<f2' is not supported/],
      [npy("{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }", new Uint8Array(8)), /dtype '<c8' is not supported/],
      [npy("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", new Uint8Array(16)), /Fortran-order/],
      [npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }", new Uint8Array(12)), /needs 16 bytes of data, the file holds 12/],
      [npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1000000000, 1000000000), }", new Uint8Array(4)), /needs 4000000000000000000 bytes/],
      [npy("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }", new Uint8Array(4)), /not a size/],
      [npy("{'descr': '<f4', 'shape': (1,), }", new Uint8Array(4)), /no 'fortran_order'/],
      [new TextEncoder().encode('1,2,3\n'), /not a \.npy file/],
      [npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", new Uint8Array(4), 4), /version 4\.0 is not supported/],
    ];
    for (const [f, msg] of cases) {
      expect(() => readNpy(f)).toThrow(NpyError);
      expect(() => readNpy(f)).toThrow(msg);
    }
    const huge = npy("{'descr': '<i8', 'fortran_order': False, 'shape': (1,), }", bytes(1, (v) => v.setBigInt64(0, 2n ** 60n, true), 8));
    expect(() => readNpy(huge)).toThrow(/beyond ±2\^53/);
  });
});

describe('JSON tensors', () => {
  it('nested arrays, { shape, data } flat or nested, a scalar, the non-finite strings', () => {
    expect(readJsonTensor('[[1, 2, 3], [4, 5, 6]]')).toEqual({ shape: [2, 3], data: [1, 2, 3, 4, 5, 6] });
    expect(readJsonTensor('{"shape": [2, 1, 2], "data": [1, 2, 3, 4]}')).toEqual({ shape: [2, 1, 2], data: [1, 2, 3, 4] });
    expect(readJsonTensor('{"shape": [2, 2], "data": [[1, 2], [3, 4]]}')).toEqual({ shape: [2, 2], data: [1, 2, 3, 4] });
    expect(readJsonTensor('3.5')).toEqual({ shape: [], data: [3.5] });
    expect(readJsonTensor('[0, 0]').shape).toEqual([2]);
    expect(readJsonTensor('[[], []]')).toEqual({ shape: [2, 0], data: [] });
    expect(readJsonTensor('["NaN", "Infinity", "-Infinity"]').data).toEqual([NaN, Infinity, -Infinity]);
  });
  it('refuses ragged arrays, non-numbers, a shape that does not hold the data', () => {
    const cases: [string, RegExp][] = [
      ['[[1, 2], [3]]', /expected 2 elements at \[1\] \(shape \[2, 2\]\), got 1/],
      ['[[1, 2], 3]', /expected an array of 2 at \[1\]/],
      ['[1, "a"]', /expected a number at \[1\], got "a"/],
      ['[1, null]', /expected a number at \[1\], got null/],
      ['{"shape": [2, 2], "data": [1, 2, 3]}', /"data" to hold 4 values for shape \[2, 2\], got 3/],
      ['{"shape": [2, -1], "data": []}', /"shape" to be an array of sizes/],
      ['{"values": [1]}', /nested arrays or an object/],
      ['[1, 2', /not JSON/],
    ];
    for (const [text, msg] of cases) {
      expect(() => readJsonTensor(text)).toThrow(JsonTensorError);
      expect(() => readJsonTensor(text)).toThrow(msg);
    }
  });
});

describe('numbers written', () => {
  it('the shortest decimal that reads back as the same float32', () => {
    for (const v of [0.1, 1 / 3, -2.5e-12, 3.4e38, 1.17549435e-38, 16777217, 0.30000001192092896, 1e-45]) {
      const f = Math.fround(v);
      const s = f32String(f);
      expect(Math.fround(Number(s))).toBe(f);
      expect(s.replace(/^-|e.*$|\./g, '').replace(/^0+/, '').length).toBeLessThanOrEqual(9);
    }
    expect(f32String(Math.fround(0.1))).toBe('0.1');
    expect(f32String(3)).toBe('3');
  });
  it('CSV: one row per first-dim entry, the rest row-major, nan and inf as numpy reads them', () => {
    expect(csvText({ shape: [2, 1, 2], data: Float32Array.from([1, 0.5, NaN, -Infinity]) })).toBe('1,0.5\nnan,-inf\n');
    expect(csvText({ shape: [], data: [7] })).toBe('7\n');
    expect(csvText({ shape: [0, 3], data: [] })).toBe('');
  });
});

describe('--input and --output as name=file', () => {
  const x = toy.build().forward.inputs.filter((n) => n.attrs.name === 'x');
  const refusal = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      return (e as Error).message;
    }
    return 'accepted';
  };
  it('a name the model lacks is refused, naming what it has, not read or written as a file of that name', () => {
    expect(refusal(() => assignInputs(['q=in.csv'], x, 'm.onnx'))).toBe("m.onnx: 'q' is not an input of the model (its input: 'x' [N, 2] float32)");
    expect(refusal(() => assignOutputs(['bogus=o.csv'], ['predict'], 'm.onnx'))).toBe("m.onnx: 'bogus' is not an output of the model (its outputs: predict; for a file named bogus=o.csv, write ./bogus=o.csv)");
  });
  it('an empty name or file around = is refused', () => {
    expect(refusal(() => assignInputs(['=in.csv'], x, 'm.onnx'))).toBe("--input =in.csv: no input name before '='");
    expect(refusal(() => assignInputs(['x='], x, 'm.onnx'))).toBe("--input x=: no file name after '='");
    expect(refusal(() => assignOutputs(['predict='], ['predict'], 'm.onnx'))).toBe("--output predict=: no file name after '='");
  });
  it('a name the model has, and a path with = in a folder name, are taken', () => {
    expect([...assignInputs(['x=in.csv'], x, 'm.onnx').values()]).toEqual(['in.csv']);
    expect([...assignInputs(['./q=in.csv'], x, 'm.onnx').values()]).toEqual(['./q=in.csv']);
    expect([...assignOutputs(['predict=o.csv'], ['predict'], 'm.onnx').keys()]).toEqual(['o.csv']);
  });
});
