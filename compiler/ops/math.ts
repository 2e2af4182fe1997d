/**
 * Elementwise math that real models need beyond the training core: erf (GELU's), pow, and where.
 *   erf:  |x| < 0.5 by its Taylor series, 2/√π Σ (-1)ⁿ x^(2n+1) / (n! (2n+1)) to n = 7 (error < 1e-9);
 *         else 1 − erfc(|x|) with erfc by the Chebyshev fit of Numerical Recipes (2nd ed., §6.2, `erfcc`,
 *         fractional error < 1.2e-7), signed. d erf/dx = 2/√π e^(−x²).
 *   pow:  d(aᵇ)/da = b aᵇ⁻¹, d(aᵇ)/db = ln(a) aᵇ.
 *   where(c, a, b): a where c, else b; the gradient flows to the branch taken.
 */
import { onnxOperand as arg, onnxRule as rule } from './op.ts';
import { binaryOp, elementwise, unaryOp } from './elementwise.ts';
import * as B from '../ir/build.ts';
import type { Node } from '../ir/node.ts';

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
