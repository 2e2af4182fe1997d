/**
 * NumPy's `.npy` format (versions 1.0, 2.0 and 3.0): the magic `\x93NUMPY`, a version, the length of a
 * header that is a Python dict literal `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }`
 * padded with spaces to a multiple of 64 bytes and ending in a newline, then the raw data in C order.
 * Read: float32 and float64 (rounded to float32, as graphc computes), int32 and int64, the small integer
 * types (uint8, int8, uint16, int16, uint32, uint64), bool; either byte order. Refused, in one line: every
 * other dtype, Fortran order, a header or data length that does not match. Written: float32, float64,
 * int64, int32, a small integer type or bool, little-endian, version 1.0.
 */

export type NpyKind = 'float' | 'int' | 'bool';

export interface NpyArray {
  readonly shape: number[];
  /** The values (integers as exact doubles; callers check their range). */
  readonly data: Float64Array;
  readonly kind: NpyKind;
  /** The dtype as the file names it (`<f4`), for messages. */
  readonly descr: string;
}

/** A file that is not a readable .npy: the message says what was expected. */
export class NpyError extends Error {
  override name = 'NpyError';
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];
const fail = (msg: string): never => {
  throw new NpyError(msg);
};

interface Dtype { kind: NpyKind; size: number; get: (v: DataView, off: number, le: boolean) => number }

const dtypes: Record<string, Dtype> = {
  f4: { kind: 'float', size: 4, get: (v, o, le) => v.getFloat32(o, le) },
  f8: { kind: 'float', size: 8, get: (v, o, le) => v.getFloat64(o, le) },
  i4: { kind: 'int', size: 4, get: (v, o, le) => v.getInt32(o, le) },
  i8: { kind: 'int', size: 8, get: (v, o, le) => Number(v.getBigInt64(o, le)) },
  u1: { kind: 'int', size: 1, get: (v, o) => v.getUint8(o) },
  i1: { kind: 'int', size: 1, get: (v, o) => v.getInt8(o) },
  u2: { kind: 'int', size: 2, get: (v, o, le) => v.getUint16(o, le) },
  i2: { kind: 'int', size: 2, get: (v, o, le) => v.getInt16(o, le) },
  u4: { kind: 'int', size: 4, get: (v, o, le) => v.getUint32(o, le) },
  u8: { kind: 'int', size: 8, get: (v, o, le) => Number(v.getBigUint64(o, le)) },
  b1: { kind: 'bool', size: 1, get: (v, o) => v.getUint8(o) },
};

/** The header dict's three entries, as NumPy writes them (keys in any order, a trailing comma allowed). */
function parseHeader(text: string): { descr: string; fortran: boolean; shape: number[] } {
  const t = text.trim();
  if (!t.startsWith('{') || !t.endsWith('}')) fail(`the header is not a dict: ${JSON.stringify(t.slice(0, 60))}`);
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(t)?.[1] ?? fail("the header has no 'descr'");
  const fo = /'fortran_order'\s*:\s*(True|False)/.exec(t)?.[1] ?? fail("the header has no 'fortran_order'");
  const sh = /'shape'\s*:\s*\(([^)]*)\)/.exec(t)?.[1] ?? fail("the header has no 'shape' tuple");
  const parts = sh.split(',').map((s) => s.trim());
  if (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
  const shape = parts.map((p) => (/^\d+L?$/.test(p) ? Number.parseInt(p, 10) : fail(`the header's shape (${sh}) holds '${p}', not a size`)));
  return { descr, fortran: fo === 'True', shape };
}

export function readNpy(bytes: Uint8Array): NpyArray {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) fail('not a .npy file (no \\x93NUMPY magic)');
  const major = bytes[6];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (major !== 1 && major !== 2 && major !== 3) fail(`.npy format version ${major}.${bytes[7]} is not supported (1.0, 2.0, 3.0)`);
  const wide = major >= 2;
  if (bytes.length < (wide ? 12 : 10)) fail('the .npy header is truncated');
  const hlen = wide ? view.getUint32(8, true) : view.getUint16(8, true);
  const start = (wide ? 12 : 10) + hlen;
  if (start > bytes.length) fail(`the header claims ${hlen} bytes, the file holds ${bytes.length - (wide ? 12 : 10)}`);
  const text = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(wide ? 12 : 10, start));
  const { descr, fortran, shape } = parseHeader(text);
  if (fortran) fail(`Fortran-order arrays are not supported: save a C-order array (numpy.ascontiguousarray)`);
  const m = /^([<>|=])([fibu])(\d+)$/.exec(descr);
  const dt = m ? dtypes[m[2] + m[3]] : undefined;
  if (!m || !dt) return fail(`dtype '${descr}' is not supported (float32, float64, int32, int64, uint8, int8, uint16, int16, uint32, uint64, bool)`);
  const le = m[1] !== '>';
  const count = shape.reduce((a, b) => a * b, 1);
  const need = count * dt.size;
  if (bytes.length - start !== need) fail(`shape (${shape.join(', ')}) of ${descr} needs ${need} bytes of data, the file holds ${bytes.length - start}`);
  const data = new Float64Array(count);
  for (let i = 0; i < count; i++) data[i] = dt.get(view, start + i * dt.size, le);
  if (dt.kind === 'int' && dt.size === 8)
    for (let i = 0; i < count; i++) if (!Number.isSafeInteger(data[i])) fail(`${m[2] === 'u' ? 'uint64' : 'int64'} value at index ${i} is beyond ${m[2] === 'u' ? '' : '±'}2^53`);
  return { shape, data, kind: dt.kind, descr };
}

/**
 * The integer types other than int64 as .npy names them (graphc's short names: u8, i8, u16, i16, u32, u64
 * for the small integer types, i32 for int32).
 */
const SMALL: Record<string, string> = { u8: '|u1', i8: '|i1', u16: '<u2', i16: '<i2', u32: '<u4', u64: '<u8', i32: '<i4' };
type SmallKind = 'u8' | 'i8' | 'u16' | 'i16' | 'u32' | 'u64' | 'i32';
const setSmall: Record<SmallKind, (v: DataView, o: number, x: number) => void> = {
  u8: (v, o, x) => v.setUint8(o, x),
  i8: (v, o, x) => v.setInt8(o, x),
  u16: (v, o, x) => v.setUint16(o, x, true),
  i16: (v, o, x) => v.setInt16(o, x, true),
  u32: (v, o, x) => v.setUint32(o, x, true),
  u64: (v, o, x) => v.setBigUint64(o, BigInt(x), true),
  i32: (v, o, x) => v.setInt32(o, x, true),
};
export const isSmallKind = (k: string): k is SmallKind => Object.hasOwn(SMALL, k);

/**
 * A .npy file (version 1.0) of the values as float32 ('<f4'), float64 ('<f8'), int64 ('<i8'), int32 ('<i4')
 * or a small integer type ('|u1'...: the values must fit it, as an output of that type does), or bool ('|b1').
 */
export function writeNpy(shape: readonly number[], data: ArrayLike<number>, kind: NpyKind | 'double' | SmallKind = 'float'): Uint8Array {
  const small = isSmallKind(kind) ? kind : undefined;
  const descr = small ? SMALL[small] : kind === 'float' ? '<f4' : kind === 'double' ? '<f8' : kind === 'int' ? '<i8' : '|b1';
  const size = small ? Number(SMALL[small].slice(2)) : kind === 'float' ? 4 : kind === 'double' || kind === 'int' ? 8 : 1;
  const tuple = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${tuple}, }`;
  // pad with spaces so that the data starts on a multiple of 64 bytes; the header ends in a newline
  const total = Math.ceil((10 + header.length + 1) / 64) * 64;
  header = header.padEnd(total - 10 - 1, ' ') + '\n';
  const count = shape.reduce((a, b) => a * b, 1);
  const out = new Uint8Array(total + count * size);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  const view = new DataView(out.buffer);
  view.setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  for (let i = 0; i < count; i++) {
    const o = total + i * size;
    if (small) setSmall[small](view, o, data[i]);
    else if (kind === 'float') view.setFloat32(o, data[i], true);
    else if (kind === 'double') view.setFloat64(o, data[i], true);
    else if (kind === 'int') view.setBigInt64(o, BigInt(Math.trunc(data[i])), true);
    else out[o] = data[i] ? 1 : 0;
  }
  return out;
}
