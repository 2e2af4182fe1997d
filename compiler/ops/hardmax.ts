/**
 * Hardmax along one axis (ONNX's Hardmax from opset 13): 1 at the first maximum of each slice along
 * `axis`, 0 elsewhere (np.argmax's first index, as ONNX's reference). Piecewise constant, so its gradient
 * is zero, passed as none. Its import reads the forms before opset 13 (over all axes from `axis` on) by
 * flattening, as Softmax's (softmax-onnx.ts).
 */
import { defineOp } from './op.ts';
import { softmaxImport } from './softmax-onnx.ts';
import type { Attrs } from '../ir/node.ts';
import { normAxes, shapeStr } from '../ir/shape.ts';
import { GraphError } from '../ir/errors.ts';
import { around } from './softmax.ts';

const axisOf = (attrs: Attrs, rank: number) => normAxes([attrs.axis as number], rank)[0];

defineOp({
  name: 'Hardmax',
  dsl: { internal: 'read from ONNX files by the importer' },
  arity: 1,
  infer([x], attrs, src) {
    const r = x.shape.length, a = attrs.axis as number;
    if (r === 0 || a < -r || a >= r) throw new GraphError(`Hardmax: axis ${a} for a tensor of shape ${shapeStr(x.shape)}`, src);
    return { shape: x.shape, dtype: 'f32' };
  },
  kernel(ctx) {
    const [outer, n, inner] = around(ctx.inShapes[0], axisOf(ctx.attrs, ctx.inShapes[0].length));
    return (ins, out) => {
      const x = ins[0];
      out.fill(0);
      for (let o = 0; o < outer; o++)
        for (let j = 0; j < inner; j++) {
          const base = o * n * inner + j;
          let best = 0;
          for (let k = 1; k < n; k++) if (x[base + k * inner] > x[base + best * inner]) best = k;
          if (n > 0) out[base + best * inner] = 1;
        }
    };
  },
  grad: () => [null],
  onnx: (e, n, ins) => e.op('Hardmax', ins, { axis: n.attrs.axis as number }),
  onnxImport: { Hardmax: softmaxImport('Hardmax') },
  showAttrs: (a) => `axis=${a.axis}`,
});
