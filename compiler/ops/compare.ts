/** Comparisons (bool results, no gradient) and the dtype cast, all elementwise (they join fused loops). */
import { defineOp, intConst, onnxOperand as need, onnxRule as rule, UnsupportedError, type IntConst, type OnnxImportCtx, type OnnxImporter } from './op.ts';
import { INT_TYPES, intTypeProblem, wrapInt, type IntType } from './int-types.ts';
import { binary, onnxTypeName } from './onnx-read.ts';
import * as B from '../ir/build.ts';
import type { Attrs, DType } from '../ir/node.ts';
import type { ElementwiseRule } from '../ir/op.ts';
import { broadcastShapes, shapeStr } from '../ir/shape.ts';
import { GraphError } from '../ir/errors.ts';
import { elementwiseKernel } from '../../runtime/kernels/elementwise.ts';
import { simdElementwise, type SimdRule } from '../../runtime/kernels/wasm/elementwise.ts';
import type { FunctionBuilder } from '../../runtime/kernels/wasm/builder.ts';

// a lane mask (all ones where true) as 1.0 or 0.0
const maskToOne = (f: FunctionBuilder) => f.f32x4(1).op('v128.and');

function comparison(name: string, method: string, js: (a: string, b: string) => string, fn: (a: number, b: number) => number, onnxName: string, simd: SimdRule, onnxImport?: Record<string, OnnxImporter>) {
  defineOp({
    name,
    dsl: { method },
    ...(onnxImport && { onnxImport }),
    arity: 2,
    traits: { elementwise: { fn: fn as (...x: number[]) => number, js: js as (...x: string[]) => string, simd } },
    infer(inputs, _a, src) {
      const shape = broadcastShapes(inputs[0].shape, inputs[1].shape);
      if (!shape) throw new GraphError(`${name}: shapes ${shapeStr(inputs[0].shape)} and ${shapeStr(inputs[1].shape)} do not broadcast`, src);
      return { shape, dtype: 'bool' };
    },
    kernel: (ctx) => simdElementwise([{ name, rule: simd, args: [-1, -2] }], ctx.inShapes, ctx.outShape, ctx.precision, elementwiseKernel(js('x0', 'x1'), ctx.inShapes, ctx.outShape, (xs) => fn(xs[0], xs[1]))),
    grad: () => [null, null],
    onnx: (e, _n, ins) => e.op(onnxName, ins),
  });
}

comparison('GreaterEqual', 'ge', (a, b) => `(${a} >= ${b} ? 1 : 0)`, (a, b) => (a >= b ? 1 : 0), 'GreaterOrEqual', (f, a, b) => maskToOne(f.get(a, b).op('f32x4.ge')), {
  GreaterOrEqual: binary([12, 16], (a, b) => B.mk('GreaterEqual', [a, b])),
});
comparison('Equal', 'eq', (a, b) => `(${a} === ${b} ? 1 : 0)`, (a, b) => (a === b ? 1 : 0), 'Equal', (f, a, b) => maskToOne(f.get(a, b).op('f32x4.eq')), {
  Equal: binary([7, 11, 13, 19], (a, b) => B.mk('Equal', [a, b])),
});

const onnxType: Record<DType, number> = { f32: 1, bool: 9, i64: 7 };
const castJs: Record<DType, (x: string) => string> = {
  f32: (x) => x,
  bool: (x) => `(${x} !== 0 ? 1 : 0)`,
  i64: (x) => `Math.trunc(${x})`,
};
const castSimd: Partial<Record<DType, SimdRule>> = {
  f32: (f, x) => f.get(x),
  bool: (f, x) => maskToOne(f.get(x).f32x4(0).op('f32x4.ne')),
};

/**
 * Cast's elementwise rule for its target dtype, so that a cast joins fused loops (a comparison's 0/1
 * made float, as ReLU's gradient does, is then one loop with the ops around it); exact either way.
 */
function castRule(attrs: Attrs): ElementwiseRule & { readonly simd?: SimdRule } {
  const to = (attrs.to as DType | undefined) ?? 'f32';
  const fn = to === 'bool' ? (x: number) => (x !== 0 ? 1 : 0) : to === 'i64' ? Math.trunc : (x: number) => x;
  return { fn, js: castJs[to], simd: castSimd[to] };
}
const castToF32 = castRule({});

/**
 * A Cast into a small integer type (uint8...: compiler/ops/int-types.ts): integers folded at import are
 * wrapped now, anything else by an IntType node at run time.
 */
function castInto(c: OnnxImportCtx, t: IntType, ic: IntConst | undefined) {
  if (ic && ic.values.every((d) => typeof d === 'number')) {
    const values = (ic.values as number[]).map((v) => wrapInt(t, v));
    const bad = values.findIndex((v) => intTypeProblem(t, v));
    if (bad >= 0) throw new UnsupportedError(`Cast to ${t.name}: value ${bad} (${(ic.values as number[])[bad]}) is ${intTypeProblem(t, values[bad])}`);
    return intConst(values, ic.dims);
  }
  const x = need(c, 0);
  return B.mk('IntType', [x], { type: t.code, from: x.dtype === 'f32' ? 'float' : 'int', op: 'Cast' });
}

/** ONNX's Cast: an int64 tensor folded at import stays folded (or becomes a float constant); float64 is read as float32. */
const castImport = rule([6, 9, 13, 19, 21, 23, 24, 25], (c) => {
  const to = c.attrInt('to', 1);
  // saturate (19) and round_mode (24) apply to casts into the 8-bit float types only, which are refused below
  c.attrInt('saturate', 1);
  c.attrString('round_mode', 'up');
  const ic = c.intConst(0);
  const small = INT_TYPES.get(to);
  if (small) return castInto(c, small, ic);
  if (ic) {
    // an integer tensor known at import: stays folded as integers, or becomes a float constant
    if (to === 7 || to === 6) return ic;
    if ((to === 1 || to === 11) && ic.values.every((d) => typeof d === 'number')) return B.constant(ic.values as number[], ic.dims);
  }
  // float64 (11) is computed in float32 (export/import-f64.ts)
  if (to === 1 || to === 11) return B.cast(need(c, 0), 'f32');
  if (to === 9) return B.cast(need(c, 0), 'bool');
  if (to === 7 || to === 6) return B.cast(need(c, 0), 'i64');
  throw new UnsupportedError(`Cast to ${onnxTypeName(to)}: graphc computes in float32, float64 as float32, bool and integers (int64, int32, uint8, int8, uint16, int16, uint32, uint64)`);
});

/** CastLike: a Cast to the type of its second input (`like`, read for its type only). */
const castLikeImport = rule([15, 19, 21, 23, 24, 25], (c) => {
  c.attrInt('saturate', 1);
  c.attrString('round_mode', 'up');
  const small = INT_TYPES.get(c.elemType?.(1) ?? 0);
  if (small) return castInto(c, small, c.intConst(0));
  const to = c.intConst(1) ? 'i64' : need(c, 1).dtype;
  const ic = c.intConst(0);
  if (ic) {
    if (to === 'i64') return ic;
    if (to === 'f32' && ic.values.every((d) => typeof d === 'number')) return B.constant(ic.values as number[], ic.dims);
  }
  return B.cast(need(c, 0), to);
});

defineOp({
  name: 'Cast',
  dsl: { method: 'float' },
  arity: 1,
  traits: { elementwise: { ...castToF32, withAttrs: castRule } },
  infer: (inputs, a) => ({ shape: inputs[0].shape, dtype: a.to as DType }),
  kernel: (ctx) => {
    const to = (ctx.attrs.to as DType | undefined) ?? 'f32';
    const { js: expr, fn, simd } = castRule(ctx.attrs);
    const js = elementwiseKernel(expr('x0'), ctx.inShapes, ctx.outShape, (xs) => fn(xs[0]));
    return simd ? simdElementwise([{ name: `Cast:${to}`, rule: simd, args: [-1] }], ctx.inShapes, ctx.outShape, ctx.precision, js) : js;
  },
  grad: (n, g) => [n.inputs[0].dtype === 'f32' && n.dtype === 'f32' ? g : null],
  onnx: (e, n, ins) => e.op('Cast', ins, { to: onnxType[n.attrs.to as DType] }),
  onnxImport: { Cast: castImport, CastLike: castLikeImport },
  showAttrs: (a) => `to=${a.to}`,
});

