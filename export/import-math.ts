/**
 * ONNX math ops read as compositions of graphc's ops: activations with attributes (written as chains of
 * elementwise ops whose constants carry the attributes, so they fuse like any chain), variadic
 * Min/Sum/Mean and inference-mode Dropout. Each rule reads every attribute and input of the forms
 * it lists.
 *   leaky_relu(x, α) = relu(x) − α·relu(−x);  elu(x, α) = relu(x) + α·(exp(−relu(−x)) − 1)
 *   selu = γ·elu(x, α);  hard_sigmoid(x, α, β) = clip(αx + β, 0, 1);  hard_swish(x) = x·hard_sigmoid(x, 1/6, 1/2)
 *   softsign(x) = x / (1 + |x|);  min(a, b) = −max(−a, −b)
 *   gelu(x) = x/2·(1 + erf(x/√2)); with approximate = 'tanh', x/2·(1 + tanh(√(2/π)·(x + 0.044715·x³)))
 *   (the ONNX Gelu operator's definition, opset 20)
 *   isnan(x) = not(x == x);  isinf(x) = (x == +∞ where detect_positive) or (x == −∞ where detect_negative)
 *   cumsum(x) along an axis of static length n = x · T over that axis, T [n, n] the 0/1 matrix with
 *   T[i][j] = 1 where element i adds into element j: i ≤ j (i < j exclusive; i ≥ j, i > j reversed)
 */
import type { Node } from '../compiler/ir/node.ts';
import * as B from '../compiler/ir/build.ts';
import { isStatic, normAxes, shapeStr } from '../compiler/ir/shape.ts';
import { needStatic, onnxOperand as need, onnxRule as rule, type OnnxImporter as Importer } from '../compiler/ops/op.ts';
import { raise, unary, variadic } from '../compiler/ops/onnx-read.ts';

const min = (a: Node | number, b: Node | number): Node => B.neg(B.max(B.mul(a, -1), B.mul(b, -1)));
const negRelu = (x: Node) => B.relu(B.neg(x));
const elu = (x: Node, alpha: number) => B.mk('Elu', [x], { alpha });
const hardSigmoid = (x: Node, alpha: number, beta: number) => B.mk('HardSigmoid', [x], { alpha, beta });

/**
 * PRelu's slope at opset 6, which does not broadcast as numpy does: one element shared by every channel,
 * one per channel (axis 1; PyTorch's PReLU(C)), or x's own shape.
 */
function channelSlope(x: Node, slope: Node): Node {
  const s = slope.shape, r = x.shape.length;
  if (isStatic(s) && (s as number[]).reduce((p, d) => p * d, 1) === 1) return B.reshape(slope, []);
  if (s.length === 1 && r >= 2 && s[0] === x.shape[1]) return B.reshape(slope, [s[0], ...Array<number>(r - 2).fill(1)] as number[]);
  if (s.length === r && s.every((d, i) => d === x.shape[i])) return slope;
  return raise(`slope of shape ${shapeStr(s)} for x of shape ${shapeStr(x.shape)} (opset 6: one element, one per channel or x's shape)`);
}

/**
 * Dropout: inference's identity, and from opset 12 the mask output, all true (ONNX's reference; before
 * 12 the mask's value in inference is not defined, and it is refused). From opset 12 training_mode and
 * ratio are inputs, read at import (graph inputs: the model is specialised on their values, OnnxSession):
 * training mode with ratio 0 keeps every element (y = x, the mask all true); with a ratio above 0 it is
 * refused: its mask is random, drawn by a generator graphc does not share (numpy's, in ONNX's reference).
 */
const dropout = rule([6, 7, 10, 12, 13, 22], (c) => {
  const x = need(c, 0);
  // the ratio: an attribute before opset 12, an input from 12 (unused in inference)
  if (c.opset < 12) c.attrFloat('ratio', 0.5);
  if (c.opset < 7 && c.attrInt('is_test', 0) !== 1) raise('is_test 0 (training mode; graphc imports Dropout for inference)');
  if (c.opset >= 12) {
    c.attrInt('seed', 0);
    const training = c.has(2) && c.known(2, 'training_mode decides what Dropout computes').some((v) => v !== 0);
    if (training) {
      const ratio = c.has(1) ? c.known(1, "the ratio decides training mode's mask") : [0.5];
      if (ratio.length !== 1) raise(`a ratio of ${ratio.length} elements (a scalar expected)`);
      if (ratio[0] !== 0) raise(`training_mode = true with ratio ${ratio[0]} (the mask is random, from a generator graphc does not share: graphc imports Dropout for inference, or training with ratio 0)`);
    } else if (c.has(1)) c.ints(1) ?? need(c, 1);
  }
  if (c.outputs < 2) return x;
  if (c.opset < 12) raise(`the mask output at opset ${c.opset} (its value in inference is defined from opset 12)`);
  const yes = B.mk('Const', [], { value: Float32Array.of(1), shape: [], dtype: 'bool' });
  return [x, B.mk('Expand', [yes], { shape: [...x.shape] as number[] })];
});

const gelu = rule([20], (c) => {
  if (c.opset < 20) raise('Gelu is an op of opset 20 and later');
  const x = need(c, 0), approximate = c.attrString('approximate', 'none');
  const half = B.mul(x, 0.5);
  if (approximate === 'none') return B.mul(half, B.add(B.mk('Erf', [B.mul(x, Math.SQRT1_2)]), 1));
  if (approximate === 'tanh') return B.mul(half, B.add(B.tanh(B.mul(B.add(x, B.mul(B.mul(B.mul(x, x), x), 0.044715)), Math.sqrt(2 / Math.PI))), 1));
  return raise(`Gelu approximate '${approximate}' (ONNX defines 'none' and 'tanh')`);
});

/** The longest axis CumSum is read for: its triangular matrix holds n² float32 values (4 MiB). */
export const MAX_CUMSUM = 1024;

const cumSum = rule([11, 14], (c) => {
  const x = need(c, 0);
  const axes = c.ints(1) ?? raise('axis: expected an integer known at import (a constant, an initializer, or a bound input)');
  if (axes.length !== 1) raise(`axis: expected one integer, got [${axes.join(', ')}]`);
  const exclusive = c.attrInt('exclusive', 0) !== 0, reverse = c.attrInt('reverse', 0) !== 0;
  if (x.dtype !== 'f32') raise(`CumSum of ${x.dtype} (graphc sums floats)`);
  const r = x.shape.length;
  if (r === 0) raise('CumSum of a scalar');
  const axis = normAxes([axes[0]], r)[0];
  const n = x.shape[axis];
  if (typeof n !== 'number') return needStatic(`axis ${axis} has the symbolic length ${n} (graphc needs it known)`, [n]);
  if (n > MAX_CUMSUM) raise(`axis ${axis} has length ${n}, more than graphc sums this way (${MAX_CUMSUM})`);
  const t = new Float32Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) t[i * n + j] = (reverse ? (exclusive ? i > j : i >= j) : exclusive ? i < j : i <= j) ? 1 : 0;
  // the axis moved last, the rest flattened into rows when static (one 2-D product), else a batched product
  const perm = [...[...x.shape.keys()].filter((k) => k !== axis), axis];
  const xt = axis === r - 1 ? x : B.transpose(x, perm);
  const lead = xt.shape.slice(0, -1);
  const T = B.constant(t, [n, n]);
  const y = lead.every((d) => typeof d === 'number')
    ? B.reshape(B.matmul(B.reshape(xt, [(lead as number[]).reduce((p, d) => p * d, 1), n]), T), xt.shape)
    : B.mk('BatchMatMul', [xt, T]);
  return axis === r - 1 ? y : B.transpose(y, perm.map((_, k) => perm.indexOf(k)));
});

const isNan = unary([9, 13, 20], (x) => B.mk('Not', [B.mk('Equal', [x, x])]));

const isInf = rule([10, 20], (c) => {
  const x = need(c, 0);
  const pos = c.attrInt('detect_positive', 1) !== 0, neg = c.attrInt('detect_negative', 1) !== 0;
  const is = (v: number) => B.mk('Equal', [x, B.scalar(v)]);
  if (pos && neg) return B.mk('Equal', [B.abs(x), B.scalar(Infinity)]);
  if (pos || neg) return is(pos ? Infinity : -Infinity);
  // neither: false everywhere (x is never both)
  return B.mk('And', [is(Infinity), is(-Infinity)]);
});

export const mathImporters: Readonly<Record<string, Importer>> = {
  Min: variadic([6, 8, 12, 13], min),
  Sum: variadic([6, 8, 13], B.add),
  Mean: variadic([6, 8, 13], B.add, (y, n) => (n === 1 ? y : B.div(y, n))),
  Reciprocal: unary([6, 13], (x) => B.div(1, x)),
  Softsign: unary([1, 22], (x) => B.div(x, B.add(B.abs(x), 1))),
  HardSwish: unary([14, 22], (x) => B.mul(x, hardSigmoid(x, 1 / 6, 0.5))),
  PRelu: rule([6, 7, 9, 16], (c) => {
    const x = need(c, 0);
    let slope = need(c, 1);
    if (c.opset < 7) slope = channelSlope(x, slope);
    return B.sub(B.relu(x), B.mul(negRelu(x), slope));
  }),
  Selu: rule([6, 22], (c) => B.mul(elu(need(c, 0), c.attrFloat('alpha', 1.67326319217681884765625)), c.attrFloat('gamma', 1.05070102214813232421875))),
  Dropout: dropout,
  Gelu: gelu,
  CumSum: cumSum,
  IsNaN: isNan,
  IsInf: isInf,
};
