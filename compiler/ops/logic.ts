/**
 * ONNX's logical ops on bool tensors (masks, held as 0 and 1 like every bool in graphc): Not, And, Or,
 * Xor, with numpy broadcasting and bool results. Any value but 0 reads as true. They have no gradient and
 * join fused loops like the comparisons. Read from ONNX files from opset 7 (the forms before it broadcast
 * through `broadcast` and `axis`, which the importer refuses as unread attributes).
 */
import { defineOp, onnxOperand as arg, onnxRule as rule } from './op.ts';
import * as B from '../ir/build.ts';
import { broadcastShapes, shapeStr } from '../ir/shape.ts';
import { GraphError } from '../ir/errors.ts';
import { elementwiseKernel } from '../../runtime/kernels/elementwise.ts';
import { simdElementwise, type SimdRule } from '../../runtime/kernels/wasm/elementwise.ts';
import type { FunctionBuilder, Local } from '../../runtime/kernels/wasm/builder.ts';

// x as a lane mask (all ones where x is not 0), and a mask as 1.0 or 0.0
const truth = (f: FunctionBuilder, x: Local) => f.get(x).f32x4(0).op('f32x4.ne');
const one = (f: FunctionBuilder) => f.f32x4(1).op('v128.and');

function logical(name: string, since: readonly number[], fn: (...x: number[]) => number, js: (...x: string[]) => string, simd: SimdRule) {
  const arity = fn.length;
  const args = Array.from({ length: arity }, (_, i) => -(i + 1));
  defineOp({
    name,
    dsl: { internal: 'read from ONNX files by the importer' },
    arity,
    traits: { elementwise: { fn, js, simd } },
    infer(inputs, _a, src) {
      let shape = inputs[0].shape;
      for (let i = 1; i < inputs.length; i++) {
        const s = broadcastShapes(shape, inputs[i].shape);
        if (!s) throw new GraphError(`${name}: shapes ${inputs.map((x) => shapeStr(x.shape)).join(' and ')} do not broadcast`, src);
        shape = s;
      }
      return { shape, dtype: 'bool' };
    },
    kernel: (ctx) => simdElementwise([{ name, rule: simd, args }], ctx.inShapes, ctx.outShape, ctx.precision, elementwiseKernel(js(...ctx.inShapes.map((_, i) => `x${i}`)), ctx.inShapes, ctx.outShape, (xs) => fn(...xs))),
    grad: () => args.map(() => null),
    onnx: (e, _n, ins) => e.op(name, ins),
    onnxImport: { [name]: rule(since, (c) => B.mk(name, Array.from({ length: arity }, (_, k) => arg(c, k)))) },
  });
}

logical('Not', [1], (x) => (x !== 0 ? 0 : 1), (x) => `(${x} !== 0 ? 0 : 1)`, (f, x) => one(f.get(x).f32x4(0).op('f32x4.eq')));
logical('And', [7], (a, b) => (a !== 0 && b !== 0 ? 1 : 0), (a, b) => `(${a} !== 0 && ${b} !== 0 ? 1 : 0)`, (f, a, b) => one(truth(truth(f, a), b).op('v128.and')));
logical('Or', [7], (a, b) => (a !== 0 || b !== 0 ? 1 : 0), (a, b) => `(${a} !== 0 || ${b} !== 0 ? 1 : 0)`, (f, a, b) => one(truth(truth(f, a), b).op('v128.or')));
logical('Xor', [7], (a, b) => ((a !== 0) !== (b !== 0) ? 1 : 0), (a, b) => `((${a} !== 0) !== (${b} !== 0) ? 1 : 0)`, (f, a, b) => one(truth(truth(f, a), b).op('v128.xor')));
