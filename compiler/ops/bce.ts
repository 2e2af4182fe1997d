/**
 * Binary cross-entropy on probabilities, averaged over all elements, with PyTorch's semantics
 * (`F.binary_cross_entropy`, reduction 'mean'): each log term is clamped at -100, so a saturated
 * prediction gives a finite loss; the gradient with respect to the prediction h is
 * (h - y) / max(h·(1 - h), 1e-12) / N (PyTorch's binary_cross_entropy_backward uses the same epsilon).
 */
import { defineOp } from './op.ts';
import { shapeStr, sameShape } from '../ir/shape.ts';
import { GraphError } from '../ir/errors.ts';
import * as B from '../ir/build.ts';

export const LOG_CLAMP = -100;
export const BCE_EPS = 1e-12;

defineOp({
  name: 'BCE',
  dsl: { fn: 'binaryCrossEntropy' },
  arity: 2,
  infer([h, y], _a, src) {
    if (!sameShape(h.shape, y.shape))
      throw new GraphError(`BCE: prediction ${shapeStr(h.shape)} and target ${shapeStr(y.shape)} must have the same shape`, src);
    return { shape: [], dtype: 'f32' };
  },
  kernel: () => (ins, out) => {
    const h = ins[0], y = ins[1];
    let s = 0;
    const n = h.length;
    for (let i = 0; i < n; i++) {
      const lh = Math.max(Math.log(h[i]), LOG_CLAMP);
      const l1h = Math.max(Math.log(1 - h[i]), LOG_CLAMP);
      s += -(y[i] * lh + (1 - y[i]) * l1h);
    }
    out[0] = s / n;
  },
  grad(n, g) {
    const [h, y] = n.inputs;
    const N = B.sizeOf(h);
    const gh = B.div(B.mul(g, B.div(B.sub(h, y), B.max(B.mul(h, B.sub(1, h)), BCE_EPS))), N);
    const gy = B.div(B.mul(g, B.sub(B.max(B.log(B.sub(1, h)), LOG_CLAMP), B.max(B.log(h), LOG_CLAMP))), N);
    return [gh, gy];
  },
  onnx(e, _n, [h, y]) {
    const one = e.constF32([1], []);
    const clamp = e.constF32([LOG_CLAMP], []);
    const lh = e.op('Max', [e.op('Log', [h]), clamp]);
    const l1h = e.op('Max', [e.op('Log', [e.op('Sub', [one, h])]), clamp]);
    const terms = e.op('Add', [e.op('Mul', [y, lh]), e.op('Mul', [e.op('Sub', [one, y]), l1h])]);
    return e.op('Neg', [e.op('ReduceMean', [terms], { keepdims: 0 })]);
  },
});
