/**
 * Elementwise math that real models need beyond the training core: erf (GELU's), pow, and where.
 *   erf:  |x| < 0.5 by its Taylor series, 2/√π Σ (-1)ⁿ x^(2n+1) / (n! (2n+1)) to n = 7 (error < 1e-9);
 *         else 1 − erfc(|x|) with erfc by the Chebyshev fit of Numerical Recipes (2nd ed., §6.2, `erfcc`,
 *         fractional error < 1.2e-7), signed. d erf/dx = 2/√π e^(−x²).
 *   pow:  d(aᵇ)/da = b aᵇ⁻¹, d(aᵇ)/db = ln(a) aᵇ.
 *   where(c, a, b): a where c, else b; the gradient flows to the branch taken.
 */
import { UnsupportedError, onnxOperand as arg, onnxRule as rule } from './op.ts';
import { binaryOp, elementwise, unaryOp } from './elementwise.ts';
import * as B from '../ir/build.ts';
import type { Attrs, Node } from '../ir/node.ts';
import type { ElementwiseRule } from '../ir/op.ts';

const TAYLOR = [1.1283791670955126, -0.37612638903183754, 0.11283791670955126, -0.026866170645131252, 0.005223977625442188, -0.0008548327023450852, 0.00012055332981789664, -1.492565035840625e-5];
const ERFCC = [-1.26551223, 1.00002368, 0.37409196, 0.09678418, -0.18628806, 0.27886807, -1.13520398, 1.48851587, -0.82215223, 0.17087277];

const horner = (cs: readonly number[], v: string): string => cs.slice(0, -1).reduceRight((acc, c) => `(${c} + ${v} * ${acc})`, String(cs[cs.length - 1]));
const erfJs = (x: string): string => {
  const a = `Math.abs(${x})`, t = `(1 / (1 + 0.5 * ${a}))`;
  return `(${a} < 0.5 ? ${x} * ${horner(TAYLOR, `${x} * ${x}`)} : Math.sign(${x}) * (1 - ${t} * Math.exp(-${a} * ${a} + ${horner(ERFCC, t)})))`;
};
const hornerAt = (cs: readonly number[], v: number): number => cs.reduceRight((acc, c) => c + v * acc, 0);
/** erfJs's formula as a function (no generated code, so it loads under a strict content security policy). */
const erf = (x: number): number => {
  const a = Math.abs(x), t = 1 / (1 + 0.5 * a);
  return a < 0.5 ? x * hornerAt(TAYLOR, x * x) : Math.sign(x) * (1 - t * Math.exp(-a * a + hornerAt(ERFCC, t)));
};

const TWO_OVER_SQRT_PI = 1.1283791670955126;
unaryOp('Erf', erf, erfJs, (n, g) => {
  const x = n.inputs[0];
  return [B.mul(g, B.mul(B.exp(B.neg(B.mul(x, x))), TWO_OVER_SQRT_PI))];
}, 'Erf', { dsl: { internal: 'read from ONNX files by the importer' }, onnxImport: { Erf: rule([9, 13], (c) => B.mk('Erf', [arg(c, 0)])) } });

const sumTo = (g: Node, n: Node, i: number) => B.sumTo(g, n.inputs[i].shape);

binaryOp('Pow', Math.pow, (a, b) => `Math.pow(${a}, ${b})`, (n, g) => {
  const [a, b] = n.inputs;
  return [sumTo(B.mul(g, B.mul(b, B.mk('Pow', [a, B.sub(b, 1)]))), n, 0), sumTo(B.mul(g, B.mul(B.log(a), n)), n, 1)];
}, 'Pow', {
  dsl: { internal: 'read from ONNX files by the importer' },
  onnxImport: {
    // the exponent's type may differ from the base's from opset 12 on; graphc computes both in float
    Pow: rule([7, 12, 13, 15], (c) => {
      const [a, b] = [arg(c, 0), arg(c, 1)];
      return B.mk('Pow', [B.cast(a, 'f32'), B.cast(b, 'f32')]);
    }),
  },
});

elementwise('Where', 3, (c, a, b) => (c !== 0 ? a : b), (c, a, b) => `(${c} !== 0 ? ${a} : ${b})`, (n, g) => {
  const take = B.cast(n.inputs[0], 'f32');
  return [null, sumTo(B.mul(g, take), n, 1), sumTo(B.mul(g, B.sub(1, take)), n, 2)];
}, 'Where', { dsl: { internal: 'read from ONNX files by the importer' }, onnxImport: { Where: rule([9, 16], (c) => B.mk('Where', [arg(c, 0), B.cast(arg(c, 1), 'f32'), B.cast(arg(c, 2), 'f32')])) } });

/**
 * Mod(a, b; fmod): with fmod 1, C's fmod, the remainder of a/b truncated (the sign of a: torch.fmod); with
 * fmod 0, Python's %, the remainder of a/b floored (the sign of b: torch.remainder), which ONNX defines
 * for integers only. Either way y = a − k·b with k an integer constant between jumps, so
 * dy/da = 1 and dy/db = −k = −(a − y)/b.
 */
function modRule(attrs: Attrs): ElementwiseRule {
  if (attrs.fmod === 1) return { fn: (a, b) => a % b, js: (a, b) => `(${a} % ${b})` };
  const r = (a: string, b: string) => `(${a} % ${b})`;
  return {
    fn: (a, b) => {
      const m = a % b;
      return m !== 0 && m < 0 !== b < 0 ? m + b : m;
    },
    js: (a, b) => `(${r(a, b)} !== 0 && (${r(a, b)} < 0) !== (${b} < 0) ? ${r(a, b)} + ${b} : ${r(a, b)})`,
  };
}
const floorMod = modRule({});
elementwise('Mod', 2, floorMod.fn, floorMod.js, (n, g) => {
  const [a, b] = n.inputs;
  return [sumTo(g, n, 0), sumTo(B.neg(B.div(B.mul(g, B.sub(a, n)), b)), n, 1)];
}, 'Mod', {
  dsl: { internal: 'read from ONNX files by the importer' },
  withAttrs: modRule,
  onnx: (e, n, ins) => e.op('Mod', ins, { fmod: n.attrs.fmod === 1 ? 1 : 0 }),
  onnxImport: {
    Mod: rule([10, 13], (c) => {
      const fmod = c.attrInt('fmod', 0);
      const [a, b] = [arg(c, 0), arg(c, 1)];
      if (fmod !== 1 && (a.dtype !== 'i64' || b.dtype !== 'i64')) throw new UnsupportedError('Mod of floats with fmod 0 (ONNX defines fmod 0 for integers only)');
      return B.mk('Mod', [a, b], { fmod: fmod === 1 ? 1 : 0 });
    }),
  },
  showAttrs: (a) => `fmod=${a.fmod === 1 ? 1 : 0}`,
});
