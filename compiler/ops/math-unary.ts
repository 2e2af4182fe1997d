/**
 * Elementwise math read from ONNX files and offered as PyTorch's tensor methods of the same names:
 * rounding, sign, and the trigonometric and hyperbolic functions with their inverses.
 *   floor, ceil, round, sign: steps, with a zero gradient (as PyTorch's); the rule passes none, and
 *   autodiff gives zeros. round is half to even (ONNX's Round, torch.round, WebAssembly's f32x4.nearest),
 *   not JavaScript's Math.round (half up). sign(NaN) is NaN (ONNX's reference, numpy's; PyTorch gives 0).
 *   sin' = cos, cos' = −sin, tan' = 1 + tan², asin' = 1/√(1 − x²), acos' = −1/√(1 − x²), atan' = 1/(1 + x²),
 *   sinh' = cosh, cosh' = sinh, asinh' = 1/√(x² + 1), acosh' = 1/√(x² − 1), atanh' = 1/(1 − x²).
 */
import { onnxOperand as arg, onnxRule as rule } from './op.ts';
import { unaryOp } from './elementwise.ts';
import * as B from '../ir/build.ts';
import type { Node } from '../ir/node.ts';
import { lanewise, type SimdRule } from '../../runtime/kernels/wasm/elementwise.ts';

type Grad = (n: Node, g: Node) => readonly (Node | null)[];

/** One op: its ONNX name is its own, read in the schema versions `since`, its DSL method and function `method`. */
function math(name: string, method: string, since: readonly number[], fn: (x: number) => number, js: (x: string) => string, grad: Grad, simd?: SimdRule) {
  unaryOp(name, fn, js, grad, name, {
    dsl: { method, fn: method },
    ...(simd && { simd }),
    onnxImport: { [name]: rule(since, (c) => B.mk(name, [B.cast(arg(c, 0), 'f32')])) },
  });
}

const step: Grad = () => [null];
const sq = (x: Node) => B.mul(x, x);

/** x rounded to the nearest integer, ties to the even one; −0 and NaN kept, ±Infinity kept. */
export const roundHalfEven = (x: number): number => (x - Math.floor(x) === 0.5 ? 2 * Math.round(x / 2) : Math.round(x));

math('Floor', 'floor', [6, 13], Math.floor, (x) => `Math.floor(${x})`, step, lanewise(1, 'f32x4.floor'));
math('Ceil', 'ceil', [6, 13], Math.ceil, (x) => `Math.ceil(${x})`, step, lanewise(1, 'f32x4.ceil'));
math('Round', 'round', [11, 22], roundHalfEven, (x) => `(${x} - Math.floor(${x}) === 0.5 ? 2 * Math.round(${x} / 2) : Math.round(${x}))`, step, lanewise(1, 'f32x4.nearest'));
math('Sign', 'sign', [9, 13], Math.sign, (x) => `Math.sign(${x})`, step);

const x0 = (n: Node) => n.inputs[0];
math('Sin', 'sin', [7, 22], Math.sin, (x) => `Math.sin(${x})`, (n, g) => [B.mul(g, B.mk('Cos', [x0(n)]))]);
math('Cos', 'cos', [7, 22], Math.cos, (x) => `Math.cos(${x})`, (n, g) => [B.neg(B.mul(g, B.mk('Sin', [x0(n)])))]);
math('Tan', 'tan', [7, 22], Math.tan, (x) => `Math.tan(${x})`, (n, g) => [B.mul(g, B.add(sq(n), 1))]);
math('Asin', 'asin', [7, 22], Math.asin, (x) => `Math.asin(${x})`, (n, g) => [B.div(g, B.sqrt(B.sub(1, sq(x0(n)))))]);
math('Acos', 'acos', [7, 22], Math.acos, (x) => `Math.acos(${x})`, (n, g) => [B.neg(B.div(g, B.sqrt(B.sub(1, sq(x0(n))))))]);
math('Atan', 'atan', [7, 22], Math.atan, (x) => `Math.atan(${x})`, (n, g) => [B.div(g, B.add(sq(x0(n)), 1))]);
math('Sinh', 'sinh', [9, 22], Math.sinh, (x) => `Math.sinh(${x})`, (n, g) => [B.mul(g, B.mk('Cosh', [x0(n)]))]);
math('Cosh', 'cosh', [9, 22], Math.cosh, (x) => `Math.cosh(${x})`, (n, g) => [B.mul(g, B.mk('Sinh', [x0(n)]))]);
math('Asinh', 'asinh', [9, 22], Math.asinh, (x) => `Math.asinh(${x})`, (n, g) => [B.div(g, B.sqrt(B.add(sq(x0(n)), 1)))]);
math('Acosh', 'acosh', [9, 22], Math.acosh, (x) => `Math.acosh(${x})`, (n, g) => [B.div(g, B.sqrt(B.sub(sq(x0(n)), 1)))]);
math('Atanh', 'atanh', [9, 22], Math.atanh, (x) => `Math.atanh(${x})`, (n, g) => [B.div(g, B.sub(1, sq(x0(n))))]);
