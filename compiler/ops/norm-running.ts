/**
 * BatchNormTrain's running statistics, each one kernel (PyTorch's update, the unbiased variance):
 *   BatchNormRunning(x, r; momentum, out: 'mean')  (1 − momentum)·r + momentum·mean(x)
 *   BatchNormRunning(x, r; momentum, out: 'var')   (1 − momentum)·r + momentum·Σ(x − mean)²/(M − 1)
 * over every axis of x but 1 (M values a channel), in float64. Written as graph nodes (the op's
 * expansion, which its ONNX export writes) these are a mean, a subtraction, a product, a sum and the
 * update. The statistics are the step's state, never differentiated.
 */
import { defineOp } from './op.ts';
import type { Node } from '../ir/node.ts';
import * as B from '../ir/build.ts';
import { GraphError } from '../ir/errors.ts';
import { expansionOnnx } from './expansion.ts';
import { withPath, type Kernel } from '../../runtime/kernels/kernel.ts';
import { heap } from '../../runtime/kernels/heap.ts';
import { batchNormKernels } from '../../runtime/kernels/wasm/batch-norm.ts';

const statAxes = (x: Node): number[] => [0, ...x.shape.slice(2).map((_, i) => i + 2)];

/** The update as the ops it stands for, over the node's own inputs. */
function expand(n: Node): Node {
  const [x, r] = n.inputs, ax = statAxes(x), m = n.attrs.momentum as number;
  const mu = B.mean(x, ax, true);
  if (n.attrs.out === 'mean') return B.add(B.mul(1 - m, r), B.mul(m, B.reshape(mu, [x.shape[1]])));
  const xc = B.sub(x, mu);
  return B.add(B.mul(1 - m, r), B.mul(m, B.div(B.sum(B.mul(xc, xc), ax), B.sub(B.sizeOf(x, ax), 1))));
}

defineOp({
  name: 'BatchNormRunning',
  dsl: { internal: 'made by the train step (the running statistics of BatchNormTrain)' },
  arity: 2,
  infer: ([x]) => ({ shape: [x.shape[1]], dtype: 'f32' }),
  kernel(ctx) {
    const [N, C] = ctx.inShapes[0], plane = ctx.inShapes[0].slice(2).reduce((p, d) => p * d, 1);
    const m = ctx.attrs.momentum as number, M = N * plane, unbiased = ctx.attrs.out === 'var';
    const js: Kernel = (ins, out) => {
      const [x, r] = ins;
      for (let c = 0; c < C; c++) {
        let sum = 0;
        for (let n = 0; n < N; n++) for (let i = 0, o = (n * C + c) * plane; i < plane; i++) sum += x[o + i];
        let v = sum / M;
        if (unbiased) {
          const mean = v;
          let ss = 0;
          for (let n = 0; n < N; n++) for (let i = 0, o = (n * C + c) * plane; i < plane; i++) ss += (x[o + i] - mean) * (x[o + i] - mean);
          v = ss / (M - 1);
        }
        out[c] = (1 - m) * r[c] + m * v;
      }
    };
    const h = ctx.precision === 'f32' ? heap() : null, k = h && batchNormKernels(h.memory);
    if (!h || !k) return js;
    if (plane % 4 !== 0) return withPath(js, 'JavaScript (planes not of whole vectors)');
    const kernel: Kernel = (ins, out) => {
      const [x, r] = ins;
      if (!h.owns(x) || !h.owns(r) || !h.owns(out)) return js(ins, out);
      k.batchNormRunning(x.byteOffset, r.byteOffset, out.byteOffset, N, C, plane, m, unbiased ? 1 : 0);
    };
    return Object.assign(kernel, { path: 'WebAssembly' });
  },
  grad: (n) => {
    throw new GraphError('BatchNormRunning: running statistics are state, not differentiated', n.src);
  },
  onnx: (e, n, ins) => expansionOnnx(e, expand(n), n.inputs, ins),
  showAttrs: (a) => `momentum=${a.momentum} ${a.out}`,
});
