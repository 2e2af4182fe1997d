/**
 * BatchNormTrain's gradients for x and for its scale, each one kernel:
 *   BatchNormTrainGrad(x, s, g; eps, out: 'x')      dx = rstd·(dxhat − mean(dxhat) − xhat·mean(dxhat·xhat)),
 *                                                    dxhat = g·s
 *   BatchNormTrainGrad(x, s, g; eps, out: 'scale')  ds = Σ g·xhat
 * with xhat = (x − mean)·rstd, rstd = 1/√(var + eps), the batch's mean and biased variance over every
 * axis but 1. Written as graph nodes these are about ten elementwise ops and reductions; the kernel makes,
 * per channel, four float64 sums (x, (x − mean)², g, g·(x − mean)) and then one pass writing the result.
 * The op's expansion (those graph nodes) gives its gradient and its ONNX export (expansion.ts).
 */
import { defineOp } from './op.ts';
import type { Node } from '../ir/node.ts';
import * as B from '../ir/build.ts';
import { expansionGrad, expansionOnnx } from './expansion.ts';
import { statAxes, perChannel } from './norm.ts';
import { withPath, type Kernel } from '../../runtime/kernels/kernel.ts';
import { heap } from '../../runtime/kernels/heap.ts';
import { batchNormKernels } from '../../runtime/kernels/wasm/batch-norm.ts';

/** The kernel in WebAssembly for buffers in the heap and planes of whole vectors; `js` for others. */
function wasmKernel(N: number, C: number, plane: number, eps: number, scale: boolean, js: Kernel): Kernel {
  const h = heap(), k = h && batchNormKernels(h.memory);
  if (!h || !k) return js;
  if (plane % 4 !== 0) return withPath(js, 'JavaScript (planes not of whole vectors)');
  const kernel: Kernel = (ins, out) => {
    const [x, s, g] = ins;
    if (!h.owns(x) || !h.owns(s) || !h.owns(g) || !h.owns(out)) return js(ins, out);
    k.batchNormTrainGrad(x.byteOffset, s.byteOffset, g.byteOffset, out.byteOffset, N, C, plane, eps, scale ? 1 : 0);
  };
  return Object.assign(kernel, { path: 'WebAssembly' });
}

/** The gradient as the ops it stands for, over the node's own inputs. */
function expand(n: Node): Node {
  const [x, s, g] = n.inputs, ax = statAxes(x), eps = n.attrs.eps as number;
  const xc = B.sub(x, B.mean(x, ax, true));
  const rstd = B.div(1, B.sqrt(B.add(B.mean(B.mul(xc, xc), ax, true), eps)));
  const xhat = B.mul(xc, rstd);
  if (n.attrs.out === 'scale') return B.sum(B.mul(g, xhat), ax);
  const dxhat = B.mul(g, perChannel(s, x));
  return B.mul(rstd, B.sub(B.sub(dxhat, B.mean(dxhat, ax, true)), B.mul(xhat, B.mean(B.mul(dxhat, xhat), ax, true))));
}

defineOp({
  name: 'BatchNormTrainGrad',
  dsl: { internal: 'made by gradient rules (the gradient of BatchNormTrain)' },
  arity: 3,
  infer: ([x], a) => ({ shape: a.out === 'scale' ? [x.shape[1]] : x.shape, dtype: 'f32' }),
  kernel(ctx) {
    const [N, C] = ctx.inShapes[0], plane = ctx.inShapes[0].slice(2).reduce((p, d) => p * d, 1);
    const eps = ctx.attrs.eps as number, M = N * plane, scale = ctx.attrs.out === 'scale';
    const js: Kernel = (ins, out) => {
      const [x, s, g] = ins;
      for (let c = 0; c < C; c++) {
        let sum = 0;
        for (let n = 0; n < N; n++) for (let i = 0, o = (n * C + c) * plane; i < plane; i++) sum += x[o + i];
        const mean = sum / M;
        let ss = 0, sg = 0, sgx = 0;
        for (let n = 0; n < N; n++)
          for (let i = 0, o = (n * C + c) * plane; i < plane; i++) {
            const d = x[o + i] - mean, gi = g[o + i];
            ss += d * d;
            sg += gi;
            sgx += gi * d;
          }
        const rstd = 1 / Math.sqrt(ss / M + eps);
        if (scale) {
          out[c] = sgx * rstd;
          continue;
        }
        // dx = rstd·s·(g − Σg/M − (x − mean)·rstd²·Σg(x − mean)/M)
        const a = rstd * s[c], mg = sg / M, k = (rstd * rstd * sgx) / M;
        for (let n = 0; n < N; n++) for (let i = 0, o = (n * C + c) * plane; i < plane; i++) out[o + i] = a * (g[o + i] - mg - (x[o + i] - mean) * k);
      }
    };
    return ctx.precision === 'f32' ? wasmKernel(N, C, plane, eps, scale, js) : js;
  },
  grad: (n, h) => expansionGrad(expand(n), n.inputs, h),
  onnx: (e, n, ins) => expansionOnnx(e, expand(n), n.inputs, ins),
  showAttrs: (a) => `eps=${a.eps} ${a.out}`,
});
