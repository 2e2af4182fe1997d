/**
 * 2-D convolution, NCHW, as ONNX's Conv and PyTorch's conv2d define it: y[n,o] = b[o] + Σ w[o,c,ky,kx] ·
 * x[n, g·Cg + c, oy·s − p + ky·d, ox·s − p + kx·d] over the channels of o's group. Attributes (ONNX's
 * layout): stride [sh, sw], pads [top, left, bottom, right], dilation [dh, dw], group. Inputs x, w and an
 * optional bias b. Gradients are two ops of their own, closed under differentiation:
 *   ConvBackInput(g, w)  = dL/dx   (linear in g and in w)
 *   ConvBackWeight(g, x) = dL/dw   (linear in g and in x)
 * and their own gradients are convolutions and each other again. Their ONNX forms are in window-onnx.ts;
 * ConvTranspose imports as ConvBackInput.
 */
import { defineOp, onnxRule, UnsupportedError, type OnnxImportCtx } from './op.ts';
import type { Attrs, Node } from '../ir/node.ts';
import { shapeStr, type Dim } from '../ir/shape.ts';
import { GraphError } from '../ir/errors.ts';
import * as B from '../ir/build.ts';
import { convBackInputKernel, convBackWeightKernel, convKernel, type ConvGeom } from '../../runtime/kernels/conv.ts';
import { convBackInputOnnx, convBackWeightOnnx } from './window-onnx.ts';

const two = (a: Attrs, k: string, d: number): number[] => (a[k] as number[] | undefined) ?? [d, d];
const padsOf = (a: Attrs): number[] => (a.pads as number[] | undefined) ?? [0, 0, 0, 0];

/** The output extent of a window sweep (convolution or pooling) along one axis. */
export function sweep(size: Dim, k: number, stride: number, padBegin: number, padEnd: number, dilation = 1, ceil = false): Dim {
  if (typeof size !== 'number') return `${size}'`;
  const span = size + padBegin + padEnd - dilation * (k - 1) - 1;
  return (ceil ? Math.ceil(span / stride) : Math.floor(span / stride)) + 1;
}

/** Convolution attributes in canonical form (every key set). */
export function convAttrs(a: Partial<{ stride: number[]; pads: number[]; dilation: number[]; group: number }>): Attrs {
  return { stride: a.stride ?? [1, 1], pads: a.pads ?? [0, 0, 0, 0], dilation: a.dilation ?? [1, 1], group: a.group ?? 1 };
}

function geom(x: readonly number[], w: readonly number[], y: readonly number[], a: Attrs): ConvGeom {
  const p = padsOf(a);
  return { N: x[0], C: x[1], H: x[2], W: x[3], O: w[0], KH: w[2], KW: w[3], OH: y[2], OW: y[3], stride: two(a, 'stride', 1), pads: [p[0], p[1]], dilation: two(a, 'dilation', 1), group: (a.group as number) ?? 1 };
}

function convShape(x: readonly Dim[], w: readonly Dim[], a: Attrs, src: Node['src'], op: string): Dim[] {
  const group = (a.group as number) ?? 1;
  if (x.length !== 4 || w.length !== 4) throw new GraphError(`${op}: expects x [N,C,H,W] and w [O,C/group,KH,KW], got ${shapeStr(x)} and ${shapeStr(w)}`, src);
  const [O, Cg, KH, KW] = w as number[];
  if (typeof x[1] === 'number' && x[1] !== Cg * group)
    throw new GraphError(`${op}: x has ${x[1]} channels, the weight ${shapeStr(w)} with group ${group} takes ${Cg * group}`, src);
  if (O % group !== 0) throw new GraphError(`${op}: ${O} output channels do not split into ${group} groups`, src);
  const [sh, sw] = two(a, 'stride', 1), [dh, dw] = two(a, 'dilation', 1), p = padsOf(a);
  const OH = sweep(x[2], KH, sh, p[0], p[2], dh), OW = sweep(x[3], KW, sw, p[1], p[3], dw);
  if ((typeof OH === 'number' && OH < 1) || (typeof OW === 'number' && OW < 1))
    throw new GraphError(`${op}: a ${KH}×${KW} kernel does not fit the padded input ${shapeStr(x)}`, src);
  return [x[0], O, OH, OW];
}

const showConv = (a: Attrs) => `stride=[${two(a, 'stride', 1)}] pads=[${padsOf(a)}]${a.dilation && two(a, 'dilation', 1).some((d) => d !== 1) ? ` dilation=[${a.dilation}]` : ''}${((a.group as number) ?? 1) !== 1 ? ` group=${a.group}` : ''}`;
const pick = (a: Attrs) => ({ stride: a.stride, pads: a.pads, dilation: a.dilation, group: a.group, inShape: a.inShape });

defineOp({
  name: 'Conv',
  dsl: { method: 'conv2d', fn: 'conv2d' },
  arity: 'variadic',
  infer(ins, a, src) {
    if (ins.length < 2 || ins.length > 3) throw new GraphError(`Conv: takes x, w and an optional bias, got ${ins.length} inputs`, src);
    const shape = convShape(ins[0].shape, ins[1].shape, a, src, 'Conv');
    if (ins[2] && (ins[2].shape.length !== 1 || ins[2].shape[0] !== ins[1].shape[0]))
      throw new GraphError(`Conv: the bias must be [${ins[1].shape[0]}], got ${shapeStr(ins[2].shape)}`, src);
    return { shape, dtype: 'f32' };
  },
  kernel: (ctx) => convKernel(geom(ctx.inShapes[0], ctx.inShapes[1], ctx.outShape, ctx.attrs), ctx.inShapes.length === 3, ctx.precision),
  grad(n, g) {
    const [x, w, b] = n.inputs;
    const at = { ...pick(n.attrs), inShape: [...x.shape] as number[] };
    const dx = B.mk('ConvBackInput', [g, w], at);
    const dw = B.mk('ConvBackWeight', [g, x], { ...pick(n.attrs), inShape: [...w.shape] as number[] });
    return b ? [dx, dw, B.sum(g, [0, 2, 3])] : [dx, dw];
  },
  onnx: (e, n, ins) => e.op('Conv', ins, { strides: two(n.attrs, 'stride', 1), pads: padsOf(n.attrs), dilations: two(n.attrs, 'dilation', 1), group: (n.attrs.group as number) ?? 1, kernel_shape: (n.inputs[1].shape as number[]).slice(2) }),
  onnxImport: { Conv: onnxRule([1, 11], (c) => B.mk('Conv', c.inputs.filter((x): x is Node => !!x), convAttrs(windowAttrs(c, 'Conv', c.inputs[1]?.shape.slice(2) as number[])))) },
  showAttrs: showConv,
});

/** Reads kernel_shape, strides, pads, dilations (and group) of an ONNX Conv or pooling node: 2-D, explicit padding. */
export function windowAttrs(c: OnnxImportCtx, op: string, kernel?: number[]) {
  const x = c.inputs[0];
  if (!x || x.shape.length !== 4) throw new UnsupportedError(`${op}: only 2-D (NCHW) forms are imported`);
  const auto = c.attrString('auto_pad', 'NOTSET');
  if (auto !== 'NOTSET' && auto !== 'VALID') throw new UnsupportedError(`${op}: auto_pad ${auto} is not imported`);
  const ks = c.attrInts('kernel_shape') ?? kernel;
  if (!ks || ks.length !== 2) throw new UnsupportedError(`${op}: kernel_shape must have 2 entries`);
  return { kernel: ks, stride: c.attrInts('strides') ?? [1, 1], pads: c.attrInts('pads') ?? [0, 0, 0, 0], dilation: c.attrInts('dilations') ?? [1, 1], group: op.startsWith('Conv') ? c.attrInt('group', 1) : 1 };
}

defineOp({
  name: 'ConvBackInput',
  dsl: { internal: 'made by gradient rules (the gradient of Conv by its input)' },
  arity: 2,
  infer: ([g], a) => ({ shape: [g.shape[0], ...(a.inShape as number[]).slice(1)], dtype: 'f32' }),
  kernel: (ctx) => convBackInputKernel(geom(ctx.outShape, ctx.inShapes[1], ctx.inShapes[0], ctx.attrs), ctx.precision),
  grad(n, h) {
    const [g, w] = n.inputs;
    const at = pick(n.attrs);
    return [B.mk('Conv', [h, w], { stride: at.stride, pads: at.pads, dilation: at.dilation, group: at.group }), B.mk('ConvBackWeight', [g, h], { ...at, inShape: [...w.shape] as number[] })];
  },
  onnx: convBackInputOnnx,
  onnxImport: {
    ConvTranspose: onnxRule([1, 11], (c) => {
      const [g, w, b] = c.inputs;
      if (!g || !w) throw new UnsupportedError('ConvTranspose: needs X and W');
      const a = windowAttrs(c, 'ConvTranspose', w.shape.slice(2) as number[]);
      if (c.attrInts('output_shape')) throw new UnsupportedError('ConvTranspose: output_shape is not imported (give output_padding)');
      const extra = c.attrInts('output_padding') ?? [0, 0];
      const sizes = [2, 3].map((ax, i) => {
        const d = g.shape[ax];
        if (typeof d !== 'number') throw new UnsupportedError(`ConvTranspose: the symbolic spatial dim '${d}' is not imported`);
        if (extra[i] < 0 || extra[i] >= a.stride[i]) throw new UnsupportedError(`ConvTranspose: output_padding ${extra[i]} outside [0, stride ${a.stride[i]})`);
        return a.stride[i] * (d - 1) + extra[i] + a.dilation[i] * (a.kernel[i] - 1) + 1 - a.pads[i] - a.pads[i + 2];
      });
      if (sizes.some((d) => d < 1)) throw new UnsupportedError(`ConvTranspose: an output of ${sizes.join('×')}`);
      const y = B.mk('ConvBackInput', [g, w], { ...convAttrs(a), inShape: [g.shape[0], (w.shape[1] as number) * a.group, ...sizes] as number[] });
      return b ? B.add(y, B.reshape(b, [b.shape[0], 1, 1])) : y;
    }),
  },
  showAttrs: showConv,
});

defineOp({
  name: 'ConvBackWeight',
  dsl: { internal: 'made by gradient rules (the gradient of Conv by its weight)' },
  arity: 2,
  infer: (_i, a) => ({ shape: a.inShape as number[], dtype: 'f32' }),
  kernel: (ctx) => convBackWeightKernel(geom(ctx.inShapes[1], ctx.outShape, ctx.inShapes[0], ctx.attrs), ctx.precision),
  grad(n, h) {
    const [g, x] = n.inputs;
    const at = pick(n.attrs);
    return [B.mk('Conv', [x, h], { stride: at.stride, pads: at.pads, dilation: at.dilation, group: at.group }), B.mk('ConvBackInput', [g, h], { ...at, inShape: [...x.shape] as number[] })];
  },
  onnx: convBackWeightOnnx,
  showAttrs: showConv,
});
