/**
 * Elementwise ops with attributes, each as its PyTorch function computes it in float32:
 *   LeakyRelu(x; alpha = 0.01)   x where x > 0, else alpha·x   (F.leaky_relu, negative_slope = alpha)
 *   Clip(x; min, max)            max(x, min) then min(·, max), either bound optional; NaN stays NaN
 *                                (torch.clamp; ONNX Clip)
 *   Elu(x; alpha = 1)            x where x > 0, else alpha·(eˣ − 1)   (F.elu; ONNX Elu)
 *   HardSigmoid(x; alpha = 0.2, beta = 0.5)  max(0, min(1, alpha·x + beta))   (ONNX HardSigmoid;
 *                                PyTorch's F.hardsigmoid is alpha = 1/6, beta = 0.5)
 * The attributes go with the op into fused chains and their SIMD kernels (`withAttrs`: the rule for a
 * node's attributes), so a chain with a LeakyRelu is one loop like any other (Elu and HardSigmoid have
 * JavaScript rules only: their chains are one JavaScript loop).
 */
import { elementwise } from './elementwise.ts';
import { onnxFloat, onnxOperand as arg, onnxRule as rule } from './op.ts';
import type { Attrs, Node } from '../ir/node.ts';
import type { ElementwiseRule } from '../ir/op.ts';
import * as B from '../ir/build.ts';
import { simdRuleOf, type SimdRule } from '../../runtime/kernels/wasm/elementwise.ts';

/** An attribute's value as float32 kernels compute with it (float64 ones too: one definition), and as JS source. */
const f32 = (x: number) => Math.fround(x);
export const lit = (x: number) => (Object.is(x, -0) ? '-0' : String(x));
const mask = (b: Node) => B.cast(b, 'f32');
const ge = (a: Node | number, b: Node | number) => B.mk('GreaterEqual', [typeof a === 'number' ? B.scalar(a) : a, typeof b === 'number' ? B.scalar(b) : b]);

function leakyRule(attrs: Attrs): ElementwiseRule & { readonly simd: SimdRule } {
  const alpha = f32((attrs.alpha as number | undefined) ?? 0.01);
  return {
    fn: (x) => (x > 0 ? x : x * alpha),
    js: (x) => `(${x} > 0 ? ${x} : ${x} * ${lit(alpha)})`,
    // x where x > 0, else x·alpha (NaN: x·alpha, NaN)
    simd: (f, x) => f.get(x, x).f32x4(alpha).op('f32x4.mul').get(x).f32x4(0).op('f32x4.gt').op('v128.bitselect'),
  };
}
const leaky = leakyRule({});
elementwise('LeakyRelu', 1, leaky.fn, leaky.js, (n, g) => {
  // g where x > 0, else g·alpha (at 0: g·alpha, as PyTorch)
  const alpha = f32((n.attrs.alpha as number | undefined) ?? 0.01);
  const neg = mask(ge(0, n.inputs[0]));
  return [B.add(B.mul(g, B.sub(1, neg)), B.mul(B.mul(g, alpha), neg))];
}, 'LeakyRelu', {
  dsl: { method: 'leakyRelu', fn: 'leakyRelu' },
  simd: leaky.simd,
  withAttrs: leakyRule,
  onnx: (e, n, ins) => e.op('LeakyRelu', ins, { alpha: onnxFloat(f32((n.attrs.alpha as number | undefined) ?? 0.01)) }),
  onnxImport: { LeakyRelu: rule([6, 16], (c) => B.mk('LeakyRelu', [arg(c, 0)], { alpha: c.attrFloat('alpha', 0.01) })) },
  showAttrs: (a) => `alpha=${a.alpha ?? 0.01}`,
});

function clipRule(attrs: Attrs): ElementwiseRule & { readonly simd: SimdRule } {
  const lo = attrs.min === undefined ? null : f32(attrs.min as number);
  const hi = attrs.max === undefined ? null : f32(attrs.max as number);
  // as f32x4.pmax(x, lo) and pmin(·, hi): the bound where it is strictly beyond, else x
  const up = (x: number) => (lo !== null && x < lo ? lo : x);
  return {
    fn: (x) => (hi !== null && hi < up(x) ? hi : up(x)),
    js: (x) => {
      const y = lo === null ? x : `(${x} < ${lit(lo)} ? ${lit(lo)} : ${x})`;
      return hi === null ? y : `(${lit(hi)} < ${y} ? ${lit(hi)} : ${y})`;
    },
    simd: (f, x) => {
      f.get(x);
      if (lo !== null) f.f32x4(lo).op('f32x4.pmax');
      if (hi !== null) f.f32x4(hi).op('f32x4.pmin');
    },
  };
}
const clip = clipRule({});

/** Float32's lowest and highest: ONNX Clip's bounds where a model gives none (the spec's defaults). */
const LOWEST = -3.4028234663852886e38, HIGHEST = 3.4028234663852886e38;
/** max(x, lo) then min(·, hi) = −max(−·, −hi), for bounds a run gives. */
const clipAtRunTime = (x: Node, lo: Node | number, hi: Node | number) => B.neg(B.max(B.mul(B.max(x, lo), -1), B.mul(hi, -1)));

/**
 * ONNX Clip: bounds as attributes before opset 11, as optional inputs from 11 (absent: float32's lowest
 * or highest, so ±Infinity becomes ±3.4e38 as in onnxruntime). Bounds known at import (the attributes; a
 * Constant, a tensor computed from constants or an initializer no run replaces, each one value) make
 * this op with them as attributes; bounds a run gives (a graph input, or its default) stay operands.
 */
const clipImport = rule([6, 11, 12, 13], (c) => {
  const x = arg(c, 0);
  const bound = (k: number, absent: number) => {
    if (c.opset < 11) return c.attrFloat(k === 1 ? 'min' : 'max', absent);
    if (!c.has(k)) return absent;
    const v = c.fixed(k);
    return v?.length === 1 ? v[0] : undefined;
  };
  const [lo, hi] = [bound(1, LOWEST), bound(2, HIGHEST)];
  if (x.dtype === 'f32' && lo !== undefined && hi !== undefined) return B.mk('Clip', [x], { min: lo, max: hi });
  const operand = (k: number, known: number | undefined) => known ?? B.cast(arg(c, k), 'f32');
  return clipAtRunTime(x, operand(1, lo), operand(2, hi));
});

elementwise('Clip', 1, clip.fn, clip.js, (n, g) => {
  // g where min <= x <= max (at a bound too, as PyTorch's clamp)
  const x = n.inputs[0];
  let m = g;
  if (n.attrs.min !== undefined) m = B.mul(m, mask(ge(x, f32(n.attrs.min as number))));
  if (n.attrs.max !== undefined) m = B.mul(m, mask(ge(f32(n.attrs.max as number), x)));
  return [m];
}, 'Clip', {
  dsl: { method: 'clamp', fn: 'clamp' },
  simd: clip.simd,
  withAttrs: clipRule,
  onnx: (e, n, ins) => {
    // both bounds as inputs (opset 11 on), an absent one as ∓Infinity: ONNX's absent bound is float32's
    // extreme, which would clip ±Infinity where torch.clamp (this op) leaves it
    const bound = (k: string, absent: number) => e.constF32([n.attrs[k] === undefined ? absent : f32(n.attrs[k] as number)], []);
    return e.op('Clip', [...ins, bound('min', -Infinity), bound('max', Infinity)]);
  },
  onnxImport: { Clip: clipImport },
  showAttrs: (a) => [a.min !== undefined && `min=${a.min}`, a.max !== undefined && `max=${a.max}`].filter(Boolean).join(', '),
});

/** A numeric attribute as float32 kernels compute with it, `d` where absent (thresholds.ts too). */
export const attr = (a: Attrs, k: string, d: number) => f32((a[k] as number | undefined) ?? d);

function eluRule(attrs: Attrs): ElementwiseRule {
  const alpha = attr(attrs, 'alpha', 1);
  return { fn: (x) => (x > 0 ? x : alpha * Math.expm1(x)), js: (x) => `(${x} > 0 ? ${x} : ${lit(alpha)} * Math.expm1(${x}))` };
}
const elu = eluRule({});
elementwise('Elu', 1, elu.fn, elu.js, (n, g) => {
  // g where x > 0, else g·alpha·eˣ = g·(y + alpha), which never overflows (at 0: g·alpha, as PyTorch)
  const alpha = attr(n.attrs, 'alpha', 1);
  const neg = mask(ge(0, n.inputs[0]));
  return [B.add(B.mul(g, B.sub(1, neg)), B.mul(B.mul(g, B.add(n, alpha)), neg))];
}, 'Elu', {
  dsl: { method: 'elu', fn: 'elu' },
  withAttrs: eluRule,
  onnx: (e, n, ins) => e.op('Elu', ins, { alpha: onnxFloat(attr(n.attrs, 'alpha', 1)) }),
  onnxImport: { Elu: rule([6, 22], (c) => B.mk('Elu', [arg(c, 0)], { alpha: c.attrFloat('alpha', 1) })) },
  showAttrs: (a) => `alpha=${a.alpha ?? 1}`,
});

function hardSigmoidRule(attrs: Attrs): ElementwiseRule {
  const alpha = attr(attrs, 'alpha', 0.2), beta = attr(attrs, 'beta', 0.5);
  // in the kernel's precision, rounded once when stored; NaN stays NaN
  return {
    fn: (x) => Math.min(1, Math.max(0, alpha * x + beta)),
    js: (x) => `Math.min(1, Math.max(0, ${lit(alpha)} * ${x} + ${lit(beta)}))`,
  };
}
const hardSigmoid = hardSigmoidRule({});
elementwise('HardSigmoid', 1, hardSigmoid.fn, hardSigmoid.js, (n, g) => {
  // g·alpha where 0 < alpha·x + beta < 1, else 0 (PyTorch's hardsigmoid_backward: strict at both ends)
  const alpha = attr(n.attrs, 'alpha', 0.2), beta = attr(n.attrs, 'beta', 0.5);
  const v = B.add(B.mul(n.inputs[0], alpha), beta);
  const inside = B.mul(B.sub(1, mask(ge(0, v))), B.sub(1, mask(ge(v, 1))));
  return [B.mul(B.mul(g, alpha), inside)];
}, 'HardSigmoid', {
  dsl: { method: 'hardSigmoid', fn: 'hardSigmoid' },
  withAttrs: hardSigmoidRule,
  onnx: (e, n, ins) => e.op('HardSigmoid', ins, { alpha: onnxFloat(attr(n.attrs, 'alpha', 0.2)), beta: onnxFloat(attr(n.attrs, 'beta', 0.5)) }),
  onnxImport: { HardSigmoid: rule([6, 22], (c) => B.mk('HardSigmoid', [arg(c, 0)], { alpha: c.attrFloat('alpha', 0.2), beta: c.attrFloat('beta', 0.5) })) },
  showAttrs: (a) => `alpha=${a.alpha ?? 0.2}, beta=${a.beta ?? 0.5}`,
});
