/**
 * GridSampleGrad (grid-sample-grad.ts) as standard ONNX ops, for modes bilinear and nearest with padding
 * zeros or border (bicubic and reflection are refused by name). Over the points of the grid, P = Ho·Wo of
 * them, each coordinate is unnormalized (and, border, clipped) as GridSample reads it; then each pixel a
 * point reads (bilinear's four around it, nearest's one, rounded half to even as ONNX's Round) has its flat
 * index y·W + x, its weight, and whether it is inside:
 *   out 'x'     ScatterElements with reduction add of g·weight (0 outside) into zeros of x [N, C, H·W]
 *   out 'grid'  Σ over the pixels and channels of x there (GatherElements) · g · the weight's derivative along
 *               each coordinate, times the coordinate's derivative (border: 0 on and past the bounds)
 */
import type { OnnxEmit } from './op.ts';
import type { Node } from '../ir/node.ts';
import { shapeStr } from '../ir/shape.ts';
import { GraphError } from '../ir/errors.ts';
import { gridAttrs } from './grid-sample.ts';

const FLOAT = 1, INT64 = 7;

export function gridSampleGradOnnx(e: OnnxEmit, n: Node, [x, grid, g]: readonly string[]): string {
  const { mode, padding, align } = gridAttrs(n.attrs);
  if (mode === 'bicubic' || padding === 'reflection')
    throw new GraphError(`ONNX export: GridSample's gradient is written for modes bilinear and nearest with padding zeros or border, not ${mode} with ${padding}`, n.src);
  const [, , H, W] = n.inputs[0].shape, [, Ho, Wo] = n.inputs[1].shape;
  if (![H, W, Ho, Wo].every((d) => typeof d === 'number')) throw new GraphError(`ONNX export: GridSample's gradient needs static dims but the batch, got x ${shapeStr(n.inputs[0].shape)} and grid ${shapeStr(n.inputs[1].shape)}`, n.src);
  const [h, w, P] = [H as number, W as number, (Ho as number) * (Wo as number)];
  const f = (v: number) => e.constF32([v], []);
  const op = (t: string, ins: string[], a?: Record<string, number | string>) => e.op(t, ins, a);
  const [add, mul, sub] = [(a: string, b: string) => op('Add', [a, b]), (a: string, b: string) => op('Mul', [a, b]), (a: string, b: string) => op('Sub', [a, b])];
  const and = (a: string, b: string) => op('And', [a, b]);
  const gf = op('Reshape', [g, e.constI64([0, 0, P])]);

  /** Coordinate k of every point, [N, 1, P], as GridSample reads it, and its derivative in the grid's value. */
  const coord = (k: number, size: number) => {
    const gk = op('Reshape', [op('Gather', [grid, e.constI64([k], [1])], { axis: 3 }), e.constI64([0, 1, P])]);
    const s = align ? (size - 1) / 2 : size / 2;
    const v = align ? mul(add(gk, f(1)), f(s)) : sub(mul(add(gk, f(1)), f(s)), f(0.5));
    if (padding === 'zeros') return { at: v, slope: f(s) };
    const inside = and(op('Greater', [v, f(0)]), op('Less', [v, f(size - 1)]));
    return { at: op('Clip', [v, f(0), f(size - 1)]), slope: mul(f(s), op('Cast', [inside], { to: FLOAT })) };
  };
  const cx = coord(0, w), cy = coord(1, h);

  // the pixels read: column and row, weight, and the weight's derivatives along x and y
  type Px = { xi: string; yi: string; wt: string; dx?: string; dy?: string };
  let pixels: Px[];
  if (mode === 'nearest') pixels = [{ xi: op('Round', [cx.at]), yi: op('Round', [cy.at]), wt: f(1) }];
  else {
    const x0 = op('Floor', [cx.at]), y0 = op('Floor', [cy.at]), tx = sub(cx.at, x0), ty = sub(cy.at, y0);
    const ux = sub(f(1), tx), uy = sub(f(1), ty), x1 = add(x0, f(1)), y1 = add(y0, f(1));
    const neg = (a: string) => op('Neg', [a]);
    pixels = [
      { xi: x0, yi: y0, wt: mul(ux, uy), dx: neg(uy), dy: neg(ux) },
      { xi: x1, yi: y0, wt: mul(tx, uy), dx: uy, dy: neg(tx) },
      { xi: x0, yi: y1, wt: mul(ux, ty), dx: neg(ty), dy: ux },
      { xi: x1, yi: y1, wt: mul(tx, ty), dx: ty, dy: tx },
    ];
  }
  const shapeG = e.shapeOf(gf);
  const read = pixels.map((p) => {
    const inX = and(op('GreaterOrEqual', [p.xi, f(0)]), op('LessOrEqual', [p.xi, f(w - 1)]));
    const inY = and(op('GreaterOrEqual', [p.yi, f(0)]), op('LessOrEqual', [p.yi, f(h - 1)]));
    const valid = op('Cast', [and(inX, inY)], { to: FLOAT });
    // outside: any index in range, its weight 0
    const flat = op('Clip', [add(mul(p.yi, f(w)), p.xi), f(0), f(h * w - 1)]);
    return { ...p, valid, idx: op('Expand', [op('Cast', [flat], { to: INT64 }), shapeG]) };
  });
  const xf = op('Reshape', [x, e.constI64([0, 0, h * w])]);
  if (n.attrs.out === 'grid') {
    if (mode === 'nearest') return op('Expand', [f(0), e.shapeOf(grid)]);
    let gx: string | undefined, gy: string | undefined;
    for (const p of read) {
      const s = op('ReduceSum', [mul(mul(op('GatherElements', [xf, p.idx], { axis: 2 }), gf), p.valid), e.constI64([1])], { keepdims: 1 });
      gx = gx ? add(gx, mul(s, p.dx!)) : mul(s, p.dx!);
      gy = gy ? add(gy, mul(s, p.dy!)) : mul(s, p.dy!);
    }
    const part = (d: string, slope: string) => op('Reshape', [mul(d, slope), e.constI64([0, Ho as number, Wo as number, 1])]);
    return op('Concat', [part(gx!, cx.slope), part(gy!, cy.slope)], { axis: 3 });
  }
  const idx = op('Concat', read.map((p) => p.idx), { axis: 2 });
  const upd = op('Concat', read.map((p) => mul(gf, mul(p.wt, p.valid))), { axis: 2 });
  const zeros = op('Expand', [f(0), e.shapeOf(xf)]);
  return op('Reshape', [op('ScatterElements', [zeros, idx, upd], { axis: 2, reduction: 'add' }), e.shapeOf(x)]);
}
