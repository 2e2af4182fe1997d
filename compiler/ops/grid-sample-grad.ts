/**
 * GridSample's gradients, one kernel each (PyTorch's grid_sampler_2d_backward):
 *   GridSampleGrad(x, grid, g; out: 'x')     dx: each output gradient spread over the pixels its point read,
 *                                            with their weights (nearest: the one pixel)
 *   GridSampleGrad(x, grid, g; out: 'grid')  dgrid (nearest's is zero): the derivative of the bilinear or
 *                                            bicubic weights along each coordinate, through the coordinate's
 *                                            unnormalization and, bilinear, its padding (zero where border or
 *                                            reflection clamps it, the sign flipped where reflection mirrors
 *                                            it; bicubic pads each pixel's index, which moves in steps)
 * Their own gradients (GridSample's second derivatives) are refused. ONNX has no op for them: they export as
 * standard ops for bilinear and nearest with zeros or border padding (grid-sample-onnx.ts), and refuse the rest.
 */
import { defineOp } from './op.ts';
import { GraphError } from '../ir/errors.ts';
import { GridPoint, gridAttrs, rint, sourceSlope, unpaddedSlope } from './grid-sample.ts';
import { gridSampleGradOnnx } from './grid-sample-onnx.ts';

defineOp({
  name: 'GridSampleGrad',
  dsl: { internal: 'made by gradient rules (the gradient of GridSample)' },
  arity: 3,
  infer: ([x, grid], a) => ({ shape: a.out === 'grid' ? grid.shape : x.shape, dtype: 'f32' }),
  kernel(ctx) {
    const [N, C, H, W] = ctx.inShapes[0], [, Ho, Wo] = ctx.inShapes[1], P = Ho * Wo, plane = H * W;
    const a = gridAttrs(ctx.attrs), { mode, padding, align } = a, toGrid = ctx.attrs.out === 'grid';
    const inside = (yy: number, xx: number) => yy >= 0 && yy < H && xx >= 0 && xx < W;
    const pt = new GridPoint(H, W, a, toGrid), { wx, wy, tx: tx4, ty: ty4 } = pt, dwx = pt.dwx!, dwy = pt.dwy!;
    return (ins, out) => {
      const [x, grid, g] = ins;
      out.fill(0);
      for (let n = 0; n < N; n++)
        for (let p = 0; p < P; p++) {
          const gi = (n * P + p) * 2;
          pt.read(grid[gi], grid[gi + 1]);
          const ix = pt.ix, iy = pt.iy;
          if (mode === 'bicubic') {
            let gx = 0, gy = 0;
            for (let j = 0; j < 4; j++)
              for (let i = 0; i < 4; i++) {
                if (ty4[j] < 0 || tx4[i] < 0) continue;
                for (let c = 0; c < C; c++) {
                  const go = g[(n * C + c) * P + p], at = (n * C + c) * plane + ty4[j] * W + tx4[i];
                  if (toGrid) {
                    gx += x[at] * dwx[i] * wy[j] * go;
                    gy += x[at] * wx[i] * dwy[j] * go;
                  } else out[at] += wx[i] * wy[j] * go;
                }
              }
            if (toGrid) {
              out[gi] = gx * unpaddedSlope(W, align);
              out[gi + 1] = gy * unpaddedSlope(H, align);
            }
            continue;
          }
          if (mode === 'nearest') {
            const xn = rint(ix), yn = rint(iy);
            if (!toGrid && inside(yn, xn)) for (let c = 0; c < C; c++) out[(n * C + c) * plane + yn * W + xn] += g[(n * C + c) * P + p];
            continue;
          }
          const x0 = Math.floor(ix), y0 = Math.floor(iy), tx = ix - x0, ty = iy - y0;
          // the four pixels around the point (k: its row y0 + (k >> 1), column x0 + (k & 1)), each weighted
          // fx·fy, whose derivatives along x and y are ±fy and ±fx
          let gx = 0, gy = 0;
          for (let k = 0; k < 4; k++) {
            const yy = y0 + (k >> 1), xx = x0 + (k & 1);
            if (!inside(yy, xx)) continue;
            const fx = k & 1 ? tx : 1 - tx, fy = k >> 1 ? ty : 1 - ty, w = fx * fy, wx = k & 1 ? fy : -fy, wy = k >> 1 ? fx : -fx;
            for (let c = 0; c < C; c++) {
              const go = g[(n * C + c) * P + p], at = (n * C + c) * plane + yy * W + xx;
              if (toGrid) {
                gx += x[at] * wx * go;
                gy += x[at] * wy * go;
              } else out[at] += w * go;
            }
          }
          if (toGrid) {
            out[gi] = gx * sourceSlope(grid[gi], W, align, padding);
            out[gi + 1] = gy * sourceSlope(grid[gi + 1], H, align, padding);
          }
        }
    };
  },
  grad(n) {
    throw new GraphError('GridSample: second derivatives are not supported', n.src);
  },
  onnx: gridSampleGradOnnx,
  showAttrs: (a) => `${a.mode} ${a.padding}${a.align ? ' align_corners' : ''} ${a.out}`,
});
