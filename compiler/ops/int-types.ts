/**
 * ONNX's small integer element types (uint8, int8, uint16, int16, uint32, uint64), which graphc holds as
 * it holds int32 and int64: integers in float32 (dtype 'i64'), exact up to 2^24 in magnitude. `IntType`
 * is the op that keeps a tensor within its type: Cast into one of these types, and the result of an op
 * computing on them (uint8's Sub wraps around, as onnxruntime's does).
 *
 * - From integers (`from: 'int'`), the value is reduced modulo 2^bits into the type's range, as C++'s
 *   conversions between integer types do (onnxruntime's Cast and its integer arithmetic); exact where the
 *   value graphc computed is, so a value beyond ±2^24 (an inexact float32) stops the run.
 * - From floats (`from: 'float'`), the value is truncated toward zero. ONNX leaves a float outside the
 *   type's range (and NaN) undefined, and onnxruntime's result is C++'s undefined conversion (on x86-64:
 *   NaN to uint8 gives 0, 300.7 gives 44, 1e10 gives 0, to uint32 NaN gives 2147483648): such a value stops
 *   the run, naming it, rather than give an answer another machine would not.
 * - uint32 and uint64 values beyond 2^24 stop the run either way: graphc cannot hold them exactly.
 */
import { defineOp } from './op.ts';
import type { DType } from '../ir/node.ts';
import { ShapeError } from '../ir/shape.ts';

/** A small integer type: its ONNX code, name, and range; `exact` is the part of it graphc holds exactly. */
export interface IntType {
  readonly code: number;
  readonly name: string;
  /** As graphc's outputs name it (`OnnxSession.run`'s dtype): u8, i8, u16, i16, u32, u64. */
  readonly short: string;
  readonly bits: number;
  readonly signed: boolean;
  readonly min: number;
  readonly max: number;
}

const LIMIT = 2 ** 24;
const type = (code: number, name: string, bits: number, signed: boolean): IntType => ({ code, name, short: `${signed ? 'i' : 'u'}${bits}`, bits, signed, min: signed ? -(2 ** (bits - 1)) : 0, max: signed ? 2 ** (bits - 1) - 1 : 2 ** bits - 1 });

/** The small integer types by ONNX code (TensorProto.DataType). */
export const INT_TYPES: ReadonlyMap<number, IntType> = new Map(
  [type(2, 'uint8', 8, false), type(3, 'int8', 8, true), type(4, 'uint16', 16, false), type(5, 'int16', 16, true), type(12, 'uint32', 32, false), type(13, 'uint64', 64, false)].map((t) => [t.code, t]),
);

/** The small integer types by their short name (u8...). */
export const INT_TYPES_BY_SHORT: ReadonlyMap<string, IntType> = new Map([...INT_TYPES.values()].map((t) => [t.short, t]));

/** The ONNX codes of every integer type graphc reads (int32 and int64 too), all held as dtype 'i64'. */
export const isIntegerType = (code: number | null | undefined): boolean => code === 6 || code === 7 || (code !== null && code !== undefined && INT_TYPES.has(code));

/**
 * Why value `v` of a tensor of type `t` cannot be held, or undefined where it can: an integer in the type's
 * range, within ±2^24 (what float32 holds exactly).
 */
export function intTypeProblem(t: IntType, v: number): string | undefined {
  if (!Number.isInteger(v)) return `not an integer`;
  if (v < t.min || v > t.max) return `outside ${t.name}'s range (${t.min} to ${t.max})`;
  if (Math.abs(v) > LIMIT) return `beyond 2^24, which graphc holds exactly (integers in float32)`;
  return undefined;
}

/** Integer `v` (exact) reduced modulo 2^bits into type `t`'s range, as C++ converts between integer types. */
export function wrapInt(t: IntType, v: number): number {
  if (t.bits > 24) return v;
  const m = 2 ** t.bits;
  let r = ((v % m) + m) % m;
  if (t.signed && r > t.max) r -= m;
  return r;
}

const typeOf = (code: unknown): IntType => INT_TYPES.get(code as number) ?? (() => {
  throw new TypeError(`IntType: type code ${String(code)} is not a small integer type`);
})();

defineOp({
  name: 'IntType',
  dsl: { internal: 'read from ONNX files by the importer (Cast into uint8, int8, uint16, int16, uint32, uint64, and arithmetic on them)' },
  arity: 1,
  infer: ([x]) => ({ shape: x.shape, dtype: 'i64' as DType }),
  kernel(ctx) {
    const t = typeOf(ctx.attrs.type), float = ctx.attrs.from === 'float', op = String(ctx.attrs.op ?? 'Cast');
    const refuse = (i: number, v: number, why: string) => {
      throw new ShapeError(`${op === 'Cast' ? `Cast to ${t.name}` : `${op} of ${t.name}`}: value ${i} is ${v}, ${why}`);
    };
    const outside = `outside ${t.name}'s range (${t.min} to ${t.max})${op === 'Cast' ? ": ONNX leaves the cast undefined, and onnxruntime's result depends on the machine" : ''}`;
    const count = (ctx.outShape as number[]).reduce((a, b) => a * b, 1);
    return (ins, out) => {
      const x = ins[0];
      for (let i = 0; i < count; i++) {
        const v = x[i];
        if (float) {
          const r = Math.trunc(v);
          if (!(r >= t.min && r <= t.max)) refuse(i, v, outside);
          if (Math.abs(r) > LIMIT) refuse(i, v, 'beyond 2^24, which graphc holds exactly (integers in float32)');
          out[i] = r + 0;
        } else {
          if (!Number.isInteger(v) || Math.abs(v) > LIMIT) refuse(i, v, 'not an integer within ±2^24 (graphc holds integers in float32, exactly to 2^24)');
          const r = wrapInt(t, v);
          if (r < t.min || r > t.max) refuse(i, v, `wrapped into ${t.name} it is beyond 2^24, which graphc holds exactly`);
          out[i] = r + 0;
        }
      }
    };
  },
  grad: () => [null],
  // graphc holds the result as int64: the cast into the type, then back
  onnx: (e, n, ins) => e.op('Cast', [e.op('Cast', ins, { to: typeOf(n.attrs.type).code })], { to: 7 }),
  showAttrs: (a) => `${typeOf(a.type).name} from ${String(a.from)} (${String(a.op ?? 'Cast')})`,
});
