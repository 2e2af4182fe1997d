/**
 * Elementwise ops with numpy broadcasting. Each declares its scalar function (the interpreter's
 * reference), its JS expression (for generated loops and fused chains), its gradient and its ONNX name.
 */
import { defineOp } from './op.ts';
import type { Attrs, Node } from '../ir/node.ts';
import type { ElementwiseRule } from '../ir/op.ts';
import { stepName } from './fused.ts';
import { arith, unary, variadic } from './onnx-read.ts';
import type { OpDef, OpSurface } from './op.ts';
import { broadcastShapes, shapeStr } from '../ir/shape.ts';
import { GraphError } from '../ir/errors.ts';
import * as B from '../ir/build.ts';
import { elementwiseKernel } from '../../runtime/kernels/elementwise.ts';
import { withPath } from '../../runtime/kernels/kernel.ts';
import { simdElementwise, simdRuleOf, lanewise, type SimdRule } from '../../runtime/kernels/wasm/elementwise.ts';
import { expF32x4 } from '../../runtime/kernels/wasm/math.ts';

type Grad = (node: Node, g: Node) => readonly (Node | null)[];
type Extra = Partial<OpDef> & {
  readonly simd?: SimdRule;
  readonly dsl: OpSurface;
  /** An op with attributes: its rule for a node's attributes (the one given for none is its defaults'). */
  readonly withAttrs?: (attrs: Attrs) => ElementwiseRule;
};

export function elementwise(name: string, arity: number, fn: (...x: number[]) => number, js: (...x: string[]) => string, grad: Grad | undefined, onnxName: string, extra: Extra): OpDef {
  const { simd, withAttrs, ...rest } = extra;
  const args = Array.from({ length: arity }, (_, i) => -(i + 1));
  return defineOp({
    ...rest,
    name,
    arity,
    traits: { elementwise: { fn, js, ...(simd && { simd }), ...(withAttrs && { withAttrs }) }, ...(extra.traits ?? {}) },
    infer(inputs, _a, src) {
      let shape = inputs[0].shape;
      for (let i = 1; i < inputs.length; i++) {
        const s = broadcastShapes(shape, inputs[i].shape);
        if (!s) throw new GraphError(`${name}: shapes ${inputs.map((i) => shapeStr(i.shape)).join(' and ')} do not broadcast`, src);
        shape = s;
      }
      return { shape, dtype: inputs.every((x) => x.dtype === 'i64') ? 'i64' : 'f32' };
    },
    kernel: (ctx) => {
      const r = withAttrs ? withAttrs(ctx.attrs) : { fn, js, simd };
      const jsKernel = elementwiseKernel(r.js(...ctx.inShapes.map((_, i) => `x${i}`)), ctx.inShapes, ctx.outShape, (xs) => r.fn(...xs));
      const rule = simdRuleOf(r);
      return rule ? simdElementwise([{ name: stepName(name, ctx.attrs), rule, args }], ctx.inShapes, ctx.outShape, ctx.precision, jsKernel) : withPath(jsKernel, `JavaScript (${name} has no SIMD rule)`);
    },
    grad,
    onnx: extra.onnx ?? ((e, _n, ins) => e.op(onnxName, ins)),
  });
}

export const unaryOp = (name: string, fn: (x: number) => number, js: (x: string) => string, grad: Grad | undefined, onnxName: string, extra: Extra) =>
  elementwise(name, 1, fn as (...x: number[]) => number, js as (...x: string[]) => string, grad, onnxName, extra);
export const binaryOp = (name: string, fn: (a: number, b: number) => number, js: (a: string, b: string) => string, grad: Grad | undefined, onnxName: string, extra: Extra) =>
  elementwise(name, 2, fn as (...x: number[]) => number, js as (...x: string[]) => string, grad, onnxName, extra);

const [A, Bi] = [0, 1];
const sumTo = (g: Node, n: Node, i: number) => B.sumTo(g, n.inputs[i].shape);


binaryOp('Add', (a, b) => a + b, (a, b) => `(${a} + ${b})`, (n, g) => [sumTo(g, n, A), sumTo(g, n, Bi)], 'Add', { dsl: { method: 'add', fn: 'add' }, onnxImport: { Add: arith([6, 7, 13, 14], B.add) }, traits: { commutative: true } as OpDef['traits'], simd: lanewise(2, 'f32x4.add') });
binaryOp('Sub', (a, b) => a - b, (a, b) => `(${a} - ${b})`, (n, g) => [sumTo(g, n, A), sumTo(B.neg(g), n, Bi)], 'Sub', { dsl: { method: 'sub', fn: 'sub' }, onnxImport: { Sub: arith([6, 7, 13, 14], B.sub) }, simd: lanewise(2, 'f32x4.sub') });
binaryOp('Mul', (a, b) => a * b, (a, b) => `(${a} * ${b})`, (n, g) => [sumTo(B.mul(g, n.inputs[1]), n, A), sumTo(B.mul(g, n.inputs[0]), n, Bi)], 'Mul', { dsl: { method: 'mul', fn: 'mul' }, onnxImport: { Mul: arith([6, 7, 13, 14], B.mul) }, traits: { commutative: true } as OpDef['traits'], simd: lanewise(2, 'f32x4.mul') });
binaryOp('Div', (a, b) => a / b, (a, b) => `(${a} / ${b})`, (n, g) => [
  sumTo(B.div(g, n.inputs[1]), n, A),
  // d(a/b)/db = -a/b² = -(a/b)/b
  sumTo(B.neg(B.div(B.mul(g, n), n.inputs[1])), n, Bi),
], 'Div', { dsl: { method: 'div', fn: 'div' }, onnxImport: { Div: arith([6, 7, 13, 14], B.div) }, simd: lanewise(2, 'f32x4.div') });
// Max: the gradient goes to the larger input (to `a` on ties), as a mask.
binaryOp('Max', (a, b) => (a >= b || a !== a ? a : b), (a, b) => `(${a} >= ${b} || ${a} !== ${a} ? ${a} : ${b})`, (n, g) => {
  const takeA = B.cast(B.mk('GreaterEqual', [n.inputs[0], n.inputs[1]]), 'f32');
  return [sumTo(B.mul(g, takeA), n, A), sumTo(B.mul(g, B.sub(1, takeA)), n, Bi)];
}, 'Max', {
  dsl: { method: 'maximum', fn: 'maximum' },
  // ONNX's Max of any number of operands, pairwise
  onnxImport: { Max: variadic([6, 8, 12, 13], B.max) },
  traits: { commutative: true } as OpDef['traits'],
  // a where a >= b or a is NaN, else b (bit for bit the JS rule, signed zeros included)
  simd: (f, a, b) => f.get(a, b, a, b).op('f32x4.ge').get(a, a).op('f32x4.ne').op('v128.or').op('v128.bitselect'),
});

unaryOp('Neg', (x) => -x, (x) => `(-${x})`, (_n, g) => [B.neg(g)], 'Neg', { dsl: { method: 'neg', fn: 'neg' }, onnxImport: { Neg: unary([6, 13], B.neg) }, simd: lanewise(1, 'f32x4.neg') });
unaryOp('Exp', Math.exp, (x) => `Math.exp(${x})`, (n, g) => [B.mul(g, n)], 'Exp', { dsl: { method: 'exp', fn: 'exp' }, onnxImport: { Exp: unary([6, 13], B.exp) }, simd: (f, x, ...t) => expF32x4(f, x, t) });
unaryOp('Log', Math.log, (x) => `Math.log(${x})`, (n, g) => [B.div(g, n.inputs[0])], 'Log', { dsl: { method: 'log', fn: 'log' }, onnxImport: { Log: unary([6, 13], B.log) } });
unaryOp('Sigmoid', (x) => 1 / (1 + Math.exp(-x)), (x) => `(1 / (1 + Math.exp(-${x})))`, (n, g) => [B.mul(g, B.mul(n, B.sub(1, n)))], 'Sigmoid', {
  dsl: { method: 'sigmoid', fn: 'sigmoid' },
  onnxImport: { Sigmoid: unary([6, 13], B.sigmoid) },
  // with e = e^(−|x|) on f32x4 lanes: 1/(1+e) for x >= 0, e/(1+e) below (no overflow for large −x)
  simd: (f, x, t0, t1, t2, t3, t4) => {
    f.get(x).op('f32x4.abs').op('f32x4.neg').set(t4);
    expF32x4(f, t4, [t0, t1, t2, t3]);
    f.set(t4).f32x4(1).get(t4, x).f32x4(0).op('f32x4.ge').op('v128.bitselect');
    f.get(t4).f32x4(1).op('f32x4.add').op('f32x4.div');
  },
});

const ge = (a: Node | number, b: Node | number) => B.cast(B.mk('GreaterEqual', [typeof a === 'number' ? B.scalar(a) : a, typeof b === 'number' ? B.scalar(b) : b]), 'f32');

// |x|: the gradient is sign(x), 0 at 0 (as PyTorch's abs), written ge(x, 0) - ge(0, x).
unaryOp('Abs', Math.abs, (x) => `Math.abs(${x})`, (n, g) => [B.mul(g, B.sub(ge(n.inputs[0], 0), ge(0, n.inputs[0])))], 'Abs', { dsl: { method: 'abs', fn: 'abs' }, onnxImport: { Abs: unary([6, 13], B.abs) }, simd: lanewise(1, 'f32x4.abs') });
// max(x, 0): the gradient is 1 where x > 0, i.e. 1 - ge(0, x) (0 at 0, as PyTorch's relu).
unaryOp('Relu', (x) => (x > 0 ? x : 0), (x) => `(${x} > 0 ? ${x} : 0)`, (n, g) => [B.mul(g, B.sub(1, ge(0, n.inputs[0])))], 'Relu', {
  dsl: { method: 'relu', fn: 'relu' },
  onnxImport: { Relu: unary([6, 13, 14], B.relu) },
  // x where x > 0, else +0 (NaN and -0 give 0, as the JS rule)
  simd: (f, x) => f.get(x, x).f32x4(0).op('f32x4.gt').op('v128.and'),
});
unaryOp('Tanh', Math.tanh, (x) => `Math.tanh(${x})`, (n, g) => [B.mul(g, B.sub(1, B.mul(n, n)))], 'Tanh', { dsl: { method: 'tanh', fn: 'tanh' }, onnxImport: { Tanh: unary([6, 13], B.tanh) } });
// log(1 + exp(x)), computed stably as max(x, 0) + log1p(exp(-|x|)); the gradient is sigmoid(x).
unaryOp('Softplus', (x) => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x))), (x) => `(Math.max(${x}, 0) + Math.log1p(Math.exp(-Math.abs(${x}))))`, (n, g) => [B.mul(g, B.sigmoid(n.inputs[0]))], 'Softplus', { dsl: { method: 'softplus', fn: 'softplus' }, onnxImport: { Softplus: unary([1, 22], (x) => B.mk('Softplus', [x])) } });
unaryOp('Sqrt', Math.sqrt, (x) => `Math.sqrt(${x})`, (n, g) => [B.div(g, B.mul(n, 2))], 'Sqrt', { dsl: { method: 'sqrt', fn: 'sqrt' }, onnxImport: { Sqrt: unary([6, 13], B.sqrt) }, simd: lanewise(1, 'f32x4.sqrt') });
