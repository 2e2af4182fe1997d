/**
 * ONNX's threshold activations, elementwise ops with attributes (as activations.ts's):
 *   ThresholdedRelu(x; alpha = 1)        x where x > alpha, else 0
 *   Shrink(x; lambd = 0.5, bias = 0)     x + bias where x < −lambd, x − bias where x > lambd, else 0
 *                                        (bias 0: PyTorch's hardshrink; bias = lambd: its softshrink)
 * Gradients: g where x > alpha (ThresholdedRelu), g where |x| > lambd (Shrink); 0 at the thresholds, where
 * the functions jump or bend. NaN gives 0 (ThresholdedRelu) and NaN (Shrink), as ONNX's reference.
 */
import { elementwise } from './elementwise.ts';
import { onnxFloat, onnxOperand as arg, onnxRule as rule } from './op.ts';
import type { Attrs, Node } from '../ir/node.ts';
import type { ElementwiseRule } from '../ir/op.ts';
import * as B from '../ir/build.ts';
import { attr, lit } from './activations.ts';

/** 1 where a > b (and where either is NaN), else 0, as a float mask: 1 − (b >= a). */
const gt = (a: Node | number, b: Node | number) => B.sub(1, B.cast(B.mk('GreaterEqual', [typeof b === 'number' ? B.scalar(b) : b, typeof a === 'number' ? B.scalar(a) : a]), 'f32'));

function thresholdedRule(attrs: Attrs): ElementwiseRule {
  const alpha = attr(attrs, 'alpha', 1);
  return { fn: (x) => (x > alpha ? x : 0), js: (x) => `(${x} > ${lit(alpha)} ? ${x} : 0)` };
}
const thresholded = thresholdedRule({});
elementwise('ThresholdedRelu', 1, thresholded.fn, thresholded.js, (n, g) => [B.mul(g, gt(n.inputs[0], attr(n.attrs, 'alpha', 1)))], 'ThresholdedRelu', {
  dsl: { internal: 'read from ONNX files by the importer' },
  withAttrs: thresholdedRule,
  onnx: (e, n, ins) => e.op('ThresholdedRelu', ins, { alpha: onnxFloat(attr(n.attrs, 'alpha', 1)) }),
  onnxImport: { ThresholdedRelu: rule([10, 22], (c) => B.mk('ThresholdedRelu', [arg(c, 0)], { alpha: c.attrFloat('alpha', 1) })) },
  showAttrs: (a) => `alpha=${a.alpha ?? 1}`,
});

function shrinkRule(attrs: Attrs): ElementwiseRule {
  const lambd = attr(attrs, 'lambd', 0.5), bias = attr(attrs, 'bias', 0);
  return {
    fn: (x) => (x < -lambd ? x + bias : x > lambd ? x - bias : x !== x ? x : 0),
    js: (x) => `(${x} < ${lit(-lambd)} ? ${x} + ${lit(bias)} : ${x} > ${lit(lambd)} ? ${x} - ${lit(bias)} : ${x} !== ${x} ? ${x} : 0)`,
  };
}
const shrink = shrinkRule({});
elementwise('Shrink', 1, shrink.fn, shrink.js, (n, g) => {
  const lambd = attr(n.attrs, 'lambd', 0.5);
  return [B.mul(g, gt(B.abs(n.inputs[0]), lambd))];
}, 'Shrink', {
  dsl: { internal: 'read from ONNX files by the importer' },
  withAttrs: shrinkRule,
  onnx: (e, n, ins) => e.op('Shrink', ins, { lambd: onnxFloat(attr(n.attrs, 'lambd', 0.5)), bias: onnxFloat(attr(n.attrs, 'bias', 0)) }),
  onnxImport: { Shrink: rule([9], (c) => B.mk('Shrink', [arg(c, 0)], { lambd: c.attrFloat('lambd', 0.5), bias: c.attrFloat('bias', 0) })) },
  showAttrs: (a) => `lambd=${a.lambd ?? 0.5}, bias=${a.bias ?? 0}`,
});
