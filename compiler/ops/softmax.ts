/**
 * Softmax and LogSoftmax along one axis, computed stably (the row maximum subtracted first, so logits of
 * ±1e4 give exact results), and the reductions and indices that classification needs: ReduceMax over
 * axes, ArgMax along an axis, OneHot.
 *   softmax:    dx = s ⊙ (g - Σ_axis g ⊙ s)
 *   logsoftmax: dx = g - softmax(x) ⊙ Σ_axis g
 * Their ONNX import rules: softmax-onnx.ts.
 */
import { defineOp, getOp } from './op.ts';
import { argImport, oneHotImport, reduceMaxImport, softmaxImport } from './softmax-onnx.ts';
import type { Attrs, Node } from '../ir/node.ts';
import { normAxes, shapeStr } from '../ir/shape.ts';
import { GraphError } from '../ir/errors.ts';
import * as B from '../ir/build.ts';
import { reduceKernel } from '../../runtime/kernels/reduce.ts';
import type { Kernel } from '../../runtime/kernels/kernel.ts';
import { simdElementwise, simdRuleOf, SIMD_MIN_ELEMENTS } from '../../runtime/kernels/wasm/elementwise.ts';
import { softmaxKernels } from '../../runtime/kernels/wasm/softmax.ts';
import { heap } from '../../runtime/kernels/heap.ts';

const axisOf = (attrs: Attrs, rank: number) => normAxes([attrs.axis as number], rank)[0];

/** [outer, n, inner] view of a shape around `axis`. */
export function around(shape: readonly number[], axis: number): [number, number, number] {
  const outer = shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  return [outer, shape[axis], inner];
}

function softmaxKernel(shape: readonly number[], axis: number, log: boolean, precision: 'f32' | 'f64' = 'f64'): Kernel {
  const [outer, n, inner] = around(shape, axis);
  const e = new Float64Array(n);
  const js: Kernel = (ins, out) => {
    const x = ins[0];
    for (let o = 0; o < outer; o++)
      for (let j = 0; j < inner; j++) {
        const base = o * n * inner + j;
        let m = -Infinity;
        for (let k = 0; k < n; k++) m = Math.max(m, x[base + k * inner]);
        let s = 0;
        if (log) {
          for (let k = 0; k < n; k++) s += Math.exp(x[base + k * inner] - m);
          const ls = Math.log(s);
          for (let k = 0; k < n; k++) out[base + k * inner] = x[base + k * inner] - m - ls;
        } else if (inner === 1) {
          // each exp once: kept in float64 scratch, then divided (the same values as computing it twice)
          for (let k = 0; k < n; k++) s += e[k] = Math.exp(x[base + k] - m);
          for (let k = 0; k < n; k++) out[base + k] = e[k] / s;
        } else {
          for (let k = 0; k < n; k++) s += Math.exp(x[base + k * inner] - m);
          for (let k = 0; k < n; k++) out[base + k * inner] = Math.exp(x[base + k * inner] - m) / s;
        }
      }
  };
  if (log || inner !== 1 || precision !== 'f32') return js;
  // float32 plans: x − max written out, the exps of the whole block in one SIMD pass (float32 exp, as the
  // Exp op's), then each row divided by its float64 sum: in one WebAssembly function (wasm/softmax.ts)
  // where the buffers are in the heap, else in JS loops around the Exp op's SIMD kernel (blocks of
  // SIMD_MIN_ELEMENTS or more), the same values
  if (outer * n < SIMD_MIN_ELEMENTS) return wasmSoftmax(outer, n, js);
  const exp = simdElementwise([{ name: 'Exp', rule: simdRuleOf(getOp('Exp').traits!.elementwise)!, args: [-1] }], [shape], shape, precision, js);
  if (exp === js) return wasmSoftmax(outer, n, js);
  const inPlace: Float32Array[] = [new Float32Array(0)];
  return wasmSoftmax(outer, n, (ins, out) => {
    const x = ins[0];
    for (let o = 0; o < outer; o++) {
      const base = o * n;
      let m = -Infinity;
      for (let k = 0; k < n; k++) m = Math.max(m, x[base + k]);
      for (let k = 0; k < n; k++) out[base + k] = x[base + k] - m;
    }
    inPlace[0] = out;
    exp(inPlace, out);
    for (let o = 0; o < outer; o++) {
      const base = o * n;
      let s = 0;
      for (let k = 0; k < n; k++) s += out[base + k];
      for (let k = 0; k < n; k++) out[base + k] /= s;
    }
  });
}

/**
 * Softmax of a float32 block in one WebAssembly function (wasm/softmax.ts), which is also its entry for a
 * plan run as one call; `js` where the buffers are not in the heap. For a block of any size: the rows'
 * maxima, differences, sums and divisions in WebAssembly took about half the time of the JS loops around
 * the SIMD exps (W5's [4096, 10], one thread, CPU time), and are the same operations in the same order.
 */
function wasmSoftmax(rows: number, n: number, js: Kernel): Kernel {
  const h = heap();
  const k = h && rows * n > 0 ? softmaxKernels(h.memory) : null;
  if (!h || !k) return js;
  const nb = Math.ceil((rows * n) / 4) * 16;
  const resident = (ins: readonly Float32Array[], out: Float32Array) => h.owns(ins[0]) && h.owns(out);
  const kernel: Kernel = (ins, out) => (resident(ins, out) ? k.softmaxRows(ins[0].byteOffset, out.byteOffset, rows, n, nb) : js(ins, out));
  return Object.assign(kernel, { wasm: { fn: k.softmaxRows, arity: 5, args: (ins: readonly Float32Array[], out: Float32Array) => (resident(ins, out) ? [ins[0].byteOffset, out.byteOffset, rows, n, nb] : null) } });
}

const checkAxis = (name: string) => (inputs: readonly Node[], attrs: Attrs, src: Node['src']) => {
  try {
    axisOf(attrs, inputs[0].shape.length);
  } catch {
    throw new GraphError(`${name}: axis ${attrs.axis} is out of range for ${shapeStr(inputs[0].shape)}`, src);
  }
  return { shape: inputs[0].shape, dtype: 'f32' as const };
};

defineOp({
  name: 'Softmax',
  dsl: { method: 'softmax', fn: 'softmax' },
  arity: 1,
  infer: checkAxis('Softmax'),
  kernel: (ctx) => softmaxKernel(ctx.inShapes[0], axisOf(ctx.attrs, ctx.inShapes[0].length), false, ctx.precision),
  grad: (n, g) => {
    const axis = axisOf(n.attrs, n.shape.length);
    return [B.mul(n, B.sub(g, B.sum(B.mul(g, n), [axis], true)))];
  },
  onnx: (e, n, ins) => e.op('Softmax', ins, { axis: n.attrs.axis as number }),
  onnxImport: { Softmax: softmaxImport('Softmax') },
  showAttrs: (a) => `axis=${a.axis}`,
});

defineOp({
  name: 'LogSoftmax',
  dsl: { method: 'logSoftmax', fn: 'logSoftmax' },
  arity: 1,
  infer: checkAxis('LogSoftmax'),
  kernel: (ctx) => softmaxKernel(ctx.inShapes[0], axisOf(ctx.attrs, ctx.inShapes[0].length), true),
  grad: (n, g) => {
    const axis = axisOf(n.attrs, n.shape.length);
    return [B.sub(g, B.mul(B.exp(n), B.sum(g, [axis], true)))];
  },
  onnx: (e, n, ins) => e.op('LogSoftmax', ins, { axis: n.attrs.axis as number }),
  onnxImport: { LogSoftmax: softmaxImport('LogSoftmax') },
  showAttrs: (a) => `axis=${a.axis}`,
});

defineOp({
  name: 'ReduceMax',
  dsl: { method: 'max' },
  arity: 1,
  infer([x], attrs) {
    const axes = normAxes(attrs.axes as number[] | null, x.shape.length);
    const keep = attrs.keepdims === true;
    return { shape: x.shape.flatMap((d, i) => (axes.includes(i) ? (keep ? [1] : []) : [d])), dtype: 'f32' };
  },
  kernel: (ctx) => reduceKernel('max', ctx.inShapes[0], normAxes(ctx.attrs.axes as number[] | null, ctx.inShapes[0].length)),
  // the gradient flows to the maximal elements (shared among ties)
  grad(n, g) {
    const x = n.inputs[0];
    const axes = normAxes(n.attrs.axes as number[] | null, x.shape.length);
    const kept = n.attrs.keepdims === true ? n : B.unsqueeze(n, axes);
    const gk = n.attrs.keepdims === true ? g : B.unsqueeze(g, axes);
    const mask = B.cast(B.mk('Equal', [x, B.expandAs(kept, x)]), 'f32');
    return [B.div(B.mul(B.expandAs(gk, x), mask), B.sum(mask, axes, true))];
  },
  onnx: (e, n, ins) => {
    const axes = n.attrs.axes as number[] | null;
    return e.op('ReduceMax', ins, axes === null ? { keepdims: n.attrs.keepdims ? 1 : 0 } : { axes, keepdims: n.attrs.keepdims ? 1 : 0 });
  },
  onnxImport: { ReduceMax: reduceMaxImport },
  showAttrs: (a) => `axes=${a.axes === null ? 'all' : `[${a.axes}]`}${a.keepdims ? ' keepdims' : ''}`,
});

defineOp({
  name: 'ArgMax',
  dsl: { method: 'argmax' },
  arity: 1,
  infer: ([x], attrs) => ({ shape: x.shape.filter((_, i) => i !== axisOf(attrs, x.shape.length)), dtype: 'i64' }),
  kernel(ctx) {
    const [outer, n, inner] = around(ctx.inShapes[0], axisOf(ctx.attrs, ctx.inShapes[0].length));
    return (ins, out) => {
      const x = ins[0];
      for (let o = 0; o < outer; o++)
        for (let j = 0; j < inner; j++) {
          let best = 0;
          for (let k = 1; k < n; k++) if (x[o * n * inner + k * inner + j] > x[o * n * inner + best * inner + j]) best = k;
          out[o * inner + j] = best; // the first maximal index, as PyTorch and ONNX
        }
    };
  },
  grad: () => [null],
  onnx: (e, n, ins) => e.op('ArgMax', ins, { axis: n.attrs.axis as number, keepdims: 0 }),
  onnxImport: { ArgMax: argImport(false) },
  showAttrs: (a) => `axis=${a.axis}`,
});

defineOp({
  name: 'OneHot',
  dsl: { fn: 'oneHot' },
  arity: 1,
  infer([y], attrs, src) {
    if (y.shape.length !== 1) throw new GraphError(`OneHot: class indices must be 1-D, got ${shapeStr(y.shape)}`, src);
    return { shape: [y.shape[0], attrs.classes as number], dtype: 'f32' };
  },
  kernel(ctx) {
    const c = ctx.attrs.classes as number;
    return (ins, out) => {
      out.fill(0);
      const y = ins[0];
      for (let i = 0; i < y.length; i++) {
        const k = y[i];
        if (k >= 0 && k < c && Number.isInteger(k)) out[i * c + k] = 1;
      }
    };
  },
  grad: () => [null],
  onnx: (e, n, ins) => e.op('OneHot', [e.op('Cast', [ins[0]], { to: 7 }), e.constI64([n.attrs.classes as number], []), e.constF32([0, 1], [2])], { axis: -1 }),
  onnxImport: { OneHot: oneHotImport },
  showAttrs: (a) => `classes=${a.classes}`,
});
