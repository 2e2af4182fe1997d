/**
 * Batch normalization over the channel axis 1 of x [N, C, ...] (PyTorch's BatchNorm1d/2d, ONNX's
 * BatchNormalization), in two ops:
 *   BatchNorm(x, scale, bias, mean, var)       evaluation: y = (x − mean)/√(var + eps)·scale + bias
 *   BatchNormTrain(x, scale, bias, rMean, rVar) training: the same with the batch's mean and biased
 *     variance over every axis but 1; the running statistics are inputs only so that the inference form
 *     can take them (`inferenceMode` in compiler/train/step.ts swaps one op for the other).
 * The running statistics move as PyTorch moves them: r ← (1 − momentum)·r + momentum·s, with the
 * unbiased variance (`runningUpdates`). Gradients are graph nodes, so they differentiate again (BatchNormTrain's
 * for x and its scale are BatchNormTrainGrad nodes, in norm-grad.ts, which differentiate through their expansion).
 */
import { defineOp, onnxFloat, onnxRule, UnsupportedError } from './op.ts';
import type { Node } from '../ir/node.ts';
import { shapeStr } from '../ir/shape.ts';
import { GraphError } from '../ir/errors.ts';
import * as B from '../ir/build.ts';
import type { Kernel } from '../../runtime/kernels/kernel.ts';
import { heap } from '../../runtime/kernels/heap.ts';
import { batchNormKernels } from '../../runtime/kernels/wasm/batch-norm.ts';

function check([x, ...vs]: readonly Node[], op: string, src: Node['src']) {
  if (x.shape.length < 2) throw new GraphError(`${op}: expects x [N, C, ...], got ${shapeStr(x.shape)}`, src);
  for (const v of vs) if (v.shape.length !== 1 || v.shape[0] !== x.shape[1]) throw new GraphError(`${op}: per-channel inputs must be [${x.shape[1]}], got ${shapeStr(v.shape)}`, src);
  return { shape: x.shape, dtype: 'f32' as const };
}

/** The axes statistics run over (all but the channels). */
export const statAxes = (x: Node): number[] => [0, ...x.shape.slice(2).map((_, i) => i + 2)];
/** A per-channel vector [C] shaped to broadcast against x: [C, 1, ...]. */
export const perChannel = (v: Node, x: Node): Node => B.reshape(v, [x.shape[1], ...x.shape.slice(2).map(() => 1)]);

/** Per-channel float64 statistics and the affine map y = a·x + b of each channel. */
function channelKernel(shape: readonly number[], affine: (c: number, ins: readonly Float32Array[], x: Float32Array, plane: number, N: number, C: number) => [number, number]) {
  const [N, C] = shape, plane = shape.slice(2).reduce((p, d) => p * d, 1);
  return (ins: readonly Float32Array[], out: Float32Array) => {
    const x = ins[0];
    for (let c = 0; c < C; c++) {
      const [a, b] = affine(c, ins, x, plane, N, C);
      for (let n = 0; n < N; n++) {
        const o = (n * C + c) * plane;
        for (let i = 0; i < plane; i++) out[o + i] = x[o + i] * a + b;
      }
    }
  };
}

/**
 * BatchNormTrain's forward in WebAssembly, for buffers in the heap (`js` for others): in SIMD for planes of
 * whole vectors (its float64 sums in another order), else the same bits as `channelKernel`'s.
 */
function wasmTrain(shape: readonly number[], eps: number, js: Kernel): Kernel {
  const h = heap(), k = h && batchNormKernels(h.memory);
  if (!h || !k) return js;
  const [N, C] = shape, plane = shape.slice(2).reduce((p, d) => p * d, 1);
  const run = plane % 4 === 0 ? k.batchNormTrainVec : k.batchNormTrain;
  const kernel: Kernel = (ins, out) => {
    const [x, s, b] = ins;
    if (!h.owns(x) || !h.owns(out) || !h.owns(s) || !h.owns(b)) return js(ins, out);
    run(x.byteOffset, out.byteOffset, s.byteOffset, b.byteOffset, N, C, plane, eps);
  };
  return Object.assign(kernel, { path: 'WebAssembly' });
}

defineOp({
  name: 'BatchNorm',
  dsl: { fn: 'batchNorm' },
  arity: 5,
  infer: (ins, _a, src) => check(ins, 'BatchNorm', src),
  kernel: (ctx) => {
    const eps = ctx.attrs.eps as number;
    return channelKernel(ctx.inShapes[0], (c, [, s, b, m, v]) => {
      const a = s[c] / Math.sqrt(v[c] + eps);
      return [a, b[c] - m[c] * a];
    });
  },
  grad(n, g) {
    const [x, s, , m, v] = n.inputs, ax = statAxes(x), eps = n.attrs.eps as number;
    const rstd = B.div(1, B.sqrt(B.add(v, eps)));
    const xc = B.sub(x, perChannel(m, x));
    const gs = B.sum(g, ax);
    return [
      B.mul(g, perChannel(B.mul(s, rstd), x)),
      B.mul(B.sum(B.mul(g, xc), ax), rstd),
      gs,
      B.neg(B.mul(gs, B.mul(s, rstd))),
      B.mul(B.sum(B.mul(g, xc), ax), B.mul(s, B.mul(-0.5, B.mul(rstd, B.mul(rstd, rstd))))),
    ];
  },
  onnx: (e, n, ins) => e.op('BatchNormalization', ins, { epsilon: onnxFloat(n.attrs.eps as number) }),
  onnxImport: {
    BatchNormalization: onnxRule([6, 7, 9, 14, 15], (c) => {
      // opset 6 says inference with is_test 1; its training form (is_test 0, the default) has other outputs
      if (c.opset < 7 && c.attrInt('is_test', 0) !== 1) throw new UnsupportedError('BatchNormalization: is_test 0 (opset 6 training) is not imported');
      // each attribute read in the opsets that define it: training_mode from 14, spatial before 9
      const training = c.opset >= 14 && c.attrInt('training_mode', 0) !== 0;
      const momentum = c.attrFloat('momentum', 0.9); // running statistics are not updated in inference
      if (c.opset < 9 && c.attrInt('spatial', 1) !== 1) throw new UnsupportedError('BatchNormalization: spatial 0 is not imported');
      const ins = c.inputs.slice(0, 5);
      if (ins.some((x) => !x)) throw new UnsupportedError('BatchNormalization: needs x, scale, bias, mean and var');
      const eps = c.attrFloat('epsilon', 1e-5);
      if (!training) return B.mk('BatchNorm', ins as Node[], { eps });
      // training mode: the batch's statistics; ONNX's running outputs move by its momentum with the biased variance
      const [x, , , rm, rv] = ins as Node[], ax = statAxes(x);
      const y = B.mk('BatchNormTrain', ins as Node[], { eps, momentum: 1 - momentum });
      if (c.outputs < 2) return y;
      const mu = B.mean(x, ax, true), xc = B.sub(x, mu);
      const flat = (v: Node) => B.reshape(v, [x.shape[1]]);
      const next = (r: Node, s: Node) => B.add(B.mul(r, momentum), B.mul(flat(s), 1 - momentum));
      return [y, next(rm, mu), next(rv, B.mean(B.mul(xc, xc), ax, true))];
    }),
  },
  showAttrs: (a) => `eps=${a.eps}`,
});

defineOp({
  name: 'BatchNormTrain',
  dsl: { fn: 'batchNorm' },
  arity: 5,
  infer: (ins, _a, src) => check(ins, 'BatchNormTrain', src),
  kernel: (ctx) => {
    const eps = ctx.attrs.eps as number;
    const js = channelKernel(ctx.inShapes[0], (c, [, s, b], x, plane, N, C) => {
      let sum = 0;
      for (let n = 0; n < N; n++) for (let i = 0, o = (n * C + c) * plane; i < plane; i++) sum += x[o + i];
      const mean = sum / (N * plane);
      let ss = 0;
      for (let n = 0; n < N; n++) for (let i = 0, o = (n * C + c) * plane; i < plane; i++) ss += (x[o + i] - mean) ** 2;
      const a = (1 / Math.sqrt(ss / (N * plane) + eps)) * s[c];
      return [a, b[c] - mean * a];
    });
    return ctx.precision === 'f32' ? wasmTrain(ctx.inShapes[0], eps, js) : js;
  },
  grad(n, g) {
    // x's and the scale's each one kernel (norm-grad.ts); the bias's the plain sum
    const [x, s] = n.inputs, eps = n.attrs.eps as number;
    const part = (out: string) => B.mk('BatchNormTrainGrad', [x, s, g], { eps, out });
    return [part('x'), part('scale'), B.sum(g, statAxes(x)), null, null];
  },
  // in an exported training step (inference graphs hold BatchNorm): ONNX's training mode, Y only. The running
  // statistics' updates are nodes of the step (PyTorch's unbiased variance; ONNX's running_var is biased), so
  // the two running outputs, which ONNX requires in training mode, go unused, and the op is given constant
  // statistics rather than the step's (onnxruntime may write its running outputs over those inputs).
  onnx: (e, n, [x, s, b]) => {
    const c = n.inputs[1].shape[0] as number;
    const stat = (v: number) => e.constF32(new Array<number>(c).fill(v), [c]);
    return e.op('BatchNormalization', [x, s, b, stat(0), stat(1)], { epsilon: onnxFloat(n.attrs.eps as number), training_mode: 1 }, 3);
  },
  showAttrs: (a) => `eps=${a.eps} momentum=${a.momentum}`,
});

/** The next running mean and variance of a BatchNormTrain node (PyTorch's update; unbiased variance; norm-running.ts). */
export function runningUpdates(n: Node): { mean: Node; var: Node } {
  const [x, , , rm, rv] = n.inputs, momentum = n.attrs.momentum as number;
  return {
    mean: B.mk('BatchNormRunning', [x, rm], { momentum, out: 'mean' }),
    var: B.mk('BatchNormRunning', [x, rv], { momentum, out: 'var' }),
  };
}
