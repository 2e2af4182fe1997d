/**
 * Convolution over any number of spatial axes (NCL, NCHW, NCDHW), as ONNX's Conv and PyTorch's conv1d,
 * conv2d and conv3d define it; in 2-D: y[n,o] = b[o] + Σ w[o,c,ky,kx] · x[n, g·Cg + c, oy·s − p + ky·d,
 * ox·s − p + kx·d] over the channels of o's group. Attributes (ONNX's layout), one entry per spatial axis:
 * stride, pads (every start, then every end: [top, left, bottom, right] in 2-D), dilation; and group.
 * Inputs x, w and an optional bias b. Gradients are two ops of their own, closed under differentiation:
 *   ConvBackInput(g, w)  = dL/dx   (linear in g and in w)
 *   ConvBackWeight(g, x) = dL/dw   (linear in g and in x)
 * and their own gradients are convolutions and each other again. Their ONNX forms are in window-onnx.ts;
 * ConvTranspose imports as ConvBackInput.
 */
import { defineOp, needStatic, onnxRule, UnsupportedError, type OnnxImportCtx } from './op.ts';
import type { Attrs, Node } from '../ir/node.ts';
import { shapeStr, type Dim } from '../ir/shape.ts';
import { GraphError } from '../ir/errors.ts';
import * as B from '../ir/build.ts';
import { convBackInputKernel, convBackWeightKernel, convKernel, type ConvGeom } from '../../runtime/kernels/conv.ts';
import { convBackInputOnnx, convBackWeightOnnx } from './window-onnx.ts';

/** The number of spatial axes of a convolution's attributes (2 where none says: the DSL's conv2d). */
const axesOf = (a: Attrs): number => (a.stride as number[] | undefined)?.length ?? 2;
const two = (a: Attrs, k: string, d: number): number[] => (a[k] as number[] | undefined) ?? Array<number>(axesOf(a)).fill(d);
const padsOf = (a: Attrs): number[] => (a.pads as number[] | undefined) ?? Array<number>(2 * axesOf(a)).fill(0);

/** The output extent of a window sweep (convolution or pooling) along one axis. */
export function sweep(size: Dim, k: number, stride: number, padBegin: number, padEnd: number, dilation = 1, ceil = false): Dim {
  if (typeof size !== 'number') return `${size}'`;
  const span = size + padBegin + padEnd - dilation * (k - 1) - 1;
  return (ceil ? Math.ceil(span / stride) : Math.floor(span / stride)) + 1;
}

/**
 * A window's strides and dilations are integers 1 or more, its pads integers 0 or more: refused by name
 * (a stride of 0, or padding 'same' from a JavaScript model, would otherwise make shapes of NaN).
 */
export function checkWindow(op: string, a: { stride: readonly unknown[]; pads: readonly unknown[]; dilation: readonly unknown[] }, src: Node['src']): void {
  const bad = (v: readonly unknown[], min: number) => v.some((e) => typeof e !== 'number' || !Number.isSafeInteger(e) || e < min);
  const show = (v: readonly unknown[]) => `[${v.map((e) => (typeof e === 'string' ? `'${e}'` : String(e))).join(', ')}]`;
  if (bad(a.stride, 1)) throw new GraphError(`${op}: stride must be integers 1 or more, got ${show(a.stride)}`, src);
  if (bad(a.dilation, 1)) throw new GraphError(`${op}: dilation must be integers 1 or more, got ${show(a.dilation)}`, src);
  if (bad(a.pads, 0)) throw new GraphError(`${op}: padding must be integers 0 or more, got ${show(a.pads)}`, src);
}

/** Convolution attributes in canonical form (every key set). */
export function convAttrs(a: Partial<{ stride: number[]; pads: number[]; dilation: number[]; group: number }>): Attrs {
  return { stride: a.stride ?? [1, 1], pads: a.pads ?? [0, 0, 0, 0], dilation: a.dilation ?? [1, 1], group: a.group ?? 1 };
}
/** The convolution attributes of an imported window (any number of spatial axes). */
const convAttrsOf = (a: { stride: number[]; pads: number[]; dilation: number[]; group: number }): Attrs => ({ stride: a.stride, pads: a.pads, dilation: a.dilation, group: a.group });

function geom(x: readonly number[], w: readonly number[], y: readonly number[], a: Attrs): ConvGeom {
  const d = x.length - 2;
  return { N: x[0], C: x[1], O: w[0], size: x.slice(2), kernel: w.slice(2), out: y.slice(2), stride: two(a, 'stride', 1), pads: padsOf(a).slice(0, d), dilation: two(a, 'dilation', 1), group: (a.group as number) ?? 1 };
}

function convShape(x: readonly Dim[], w: readonly Dim[], a: Attrs, src: Node['src'], op: string): Dim[] {
  const group = (a.group as number) ?? 1;
  const d = axesOf(a);
  if (x.length !== d + 2 || w.length !== d + 2)
    throw new GraphError(`${op}: expects x [N,C,${d} spatial] and w [O,C/group,${d} kernel], got ${shapeStr(x)} and ${shapeStr(w)}`, src);
  const [stride, dil, p] = [two(a, 'stride', 1), two(a, 'dilation', 1), padsOf(a)];
  if (dil.length !== d || p.length !== 2 * d) throw new GraphError(`${op}: ${d} spatial axes need ${d} dilations and ${2 * d} pads, got [${dil}] and [${p}]`, src);
  checkWindow(op, { stride, pads: p, dilation: dil }, src);
  if (!Number.isSafeInteger(group) || group < 1) throw new GraphError(`${op}: group must be an integer 1 or more, got ${group}`, src);
  const [O, Cg, ...ks] = w as number[];
  if (typeof x[1] === 'number' && x[1] !== Cg * group)
    throw new GraphError(`${op}: x has ${x[1]} channels, the weight ${shapeStr(w)} with group ${group} takes ${Cg * group}`, src);
  if (O % group !== 0) throw new GraphError(`${op}: ${O} output channels do not split into ${group} groups`, src);
  const out = ks.map((k, i) => sweep(x[i + 2], k, stride[i], p[i], p[i + d], dil[i]));
  if (out.some((o) => typeof o === 'number' && o < 1))
    throw new GraphError(`${op}: a ${ks.join('×')} kernel does not fit the padded input ${shapeStr(x)}`, src);
  return [x[0], O, ...out];
}

/** A convolution's attributes as printed, with its kernel's size where the node is given (from the weight's shape). */
const showConv = (a: Attrs, n?: Node) => `${n ? `kernel=[${((n.op === 'ConvBackWeight' ? a.inShape : n.inputs[1]?.shape) as Dim[] | undefined)?.slice(2) ?? '?'}] ` : ''}stride=[${two(a, 'stride', 1)}] pads=[${padsOf(a)}]${a.dilation && two(a, 'dilation', 1).some((d) => d !== 1) ? ` dilation=[${a.dilation}]` : ''}${((a.group as number) ?? 1) !== 1 ? ` group=${a.group}` : ''}`;
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
    return b ? [dx, dw, B.sum(g, [0, ...g.shape.slice(2).map((_, i) => i + 2)])] : [dx, dw];
  },
  onnx: (e, n, ins) => e.op('Conv', ins, { strides: two(n.attrs, 'stride', 1), pads: padsOf(n.attrs), dilations: two(n.attrs, 'dilation', 1), group: (n.attrs.group as number) ?? 1, kernel_shape: (n.inputs[1].shape as number[]).slice(2) }),
  onnxImport: { Conv: onnxRule([1, 11, 22], (c) => B.mk('Conv', c.inputs.filter((x): x is Node => !!x), convAttrsOf(windowAttrs(c, 'Conv', c.inputs[1]?.shape.slice(2) as number[])))) },
  showAttrs: showConv,
});

/**
 * Reads kernel_shape, strides, pads, dilations (and group) of an ONNX Conv or pooling node over any number
 * of spatial axes: explicit padding, VALID (none), or SAME_UPPER / SAME_LOWER: an output of ⌈in/stride⌉ on
 * each axis, the total padding max(0, (out − 1)·stride + dilation·(k − 1) + 1 − in) split with the odd one at
 * the end (UPPER) or the start (LOWER), as ONNX defines auto_pad (undilated). `ownPads`: ConvTranspose,
 * which computes its own pads for SAME (its output is in·stride).
 */
export function windowAttrs(c: OnnxImportCtx, op: string, kernel?: number[], ownPads = false) {
  const x = c.inputs[0];
  if (!x || x.shape.length < 3) throw new UnsupportedError(`${op}: x must have a batch, a channel and at least one spatial axis`);
  const d = x.shape.length - 2;
  const auto = c.attrString('auto_pad', 'NOTSET');
  if (auto !== 'NOTSET' && auto !== 'VALID' && auto !== 'SAME_UPPER' && auto !== 'SAME_LOWER') throw new UnsupportedError(`${op}: auto_pad ${auto} is not imported`);
  const ks = c.attrInts('kernel_shape') ?? kernel;
  if (!ks || ks.length !== d) throw new UnsupportedError(`${op}: kernel_shape must have ${d} entries`);
  const ones = Array<number>(d).fill(1);
  const given = c.attrInts('pads');
  const pads = auto !== 'NOTSET' || !given ? Array<number>(2 * d).fill(0) : given;
  const out = { auto, kernel: ks, stride: c.attrInts('strides') ?? ones, pads, dilation: c.attrInts('dilations') ?? ones, group: op === 'Conv' || op === 'ConvTranspose' ? c.attrInt('group', 1) : 1 };
  if (out.stride.length !== d || out.pads.length !== 2 * d || out.dilation.length !== d)
    throw new UnsupportedError(`${op}: strides, pads and dilations must have ${d}, ${2 * d} and ${d} entries`);
  // SAME with dilation: onnxruntime refuses it, so there is no reference for its padding
  if (auto.startsWith('SAME') && !ownPads && out.dilation.some((v) => v !== 1)) throw new UnsupportedError(`${op}: auto_pad ${auto} with dilations [${out.dilation}]`);
  if (auto.startsWith('SAME') && !ownPads)
    x.shape.slice(2).forEach((n, i) => {
      if (typeof n !== 'number') return needStatic(`${op}: auto_pad ${auto} over the symbolic spatial dim ${n} of ${shapeStr(x.shape)}`, [n]);
      const size = Math.ceil(n / out.stride[i]);
      const total = Math.max(0, (size - 1) * out.stride[i] + out.dilation[i] * (ks[i] - 1) + 1 - n), half = Math.floor(total / 2);
      [pads[i], pads[i + d]] = auto === 'SAME_UPPER' ? [half, total - half] : [total - half, half];
    });
  return out;
}

/**
 * ONNX's ConvTranspose is the input gradient of a convolution: x [N, C, ...] is the gradient of a
 * convolution's output, w [C, M/group, ...kernel] its weight, and the output [N, M, ...] has the extent
 * stride·(in − 1) + output_padding + dilation·(k − 1) + 1 − pads on each axis. An output_shape (or, with
 * auto_pad SAME_*, in·stride) sets the extent instead, the pads computed as onnxruntime does: the total
 * max(0, natural − extent), its larger half at the end for SAME_UPPER, at the start otherwise, and an
 * output_shape past the natural extent grown at the end (as output_padding is, so by less than the stride;
 * SAME's in·stride past it is not).
 */
function convTranspose(c: OnnxImportCtx): Node {
  const x = c.inputs[0], w = c.inputs[1];
  if (!x || !w) throw new UnsupportedError('ConvTranspose: x and w must be float tensors');
  const given = c.attrInts('output_shape');
  const at = windowAttrs(c, 'ConvTranspose', w.shape.slice(2) as number[], true);
  const d = at.kernel.length;
  let extra = c.attrInts('output_padding') ?? Array<number>(d).fill(0);
  if (extra.length !== d || extra.some((e, i) => e < 0 || e >= Math.max(at.stride[i], at.dilation[i])))
    throw new UnsupportedError(`ConvTranspose: output_padding [${extra}] must have ${d} entries, each below its stride or dilation`);
  if (w.shape.length !== d + 2 || typeof w.shape[1] !== 'number' || w.shape[0] !== x.shape[1])
    throw new UnsupportedError(`ConvTranspose: the weight ${shapeStr(w.shape)} does not fit x ${shapeStr(x.shape)}`);
  if (given || at.auto !== 'NOTSET') ({ pads: at.pads, extra } = autoPads(x.shape.slice(2), given, at, extra));
  const out = x.shape.slice(2).map((n, i) => {
    if (typeof n !== 'number') return needStatic(`ConvTranspose over the symbolic spatial dim ${n} of ${shapeStr(x.shape)}: graphc fixes its output's extent at import`, [n]);
    const size = at.stride[i] * (n - 1) + extra[i] + at.dilation[i] * (at.kernel[i] - 1) + 1 - at.pads[i] - at.pads[i + d];
    if (size < 1) throw new UnsupportedError(`ConvTranspose: pads [${at.pads}] leave no output on axis ${i + 2}`);
    return size;
  });
  const M = (w.shape[1] as number) * at.group;
  const y = B.mk('ConvBackInput', [x, w], { ...convAttrsOf(at), inShape: [1, M, ...out] });
  if (!c.has(2)) return y;
  const b = c.inputs[2];
  if (!b || b.shape.length !== 1 || b.shape[0] !== M) throw new UnsupportedError(`ConvTranspose: the bias must be [${M}]`);
  return B.add(y, B.reshape(b, [M, ...out.map(() => 1)]));
}

/** ConvTranspose's pads and output_padding for an output_shape or auto_pad (see convTranspose). */
function autoPads(ins: readonly Dim[], given: number[] | undefined, at: ReturnType<typeof windowAttrs>, extra: number[]) {
  const d = ins.length;
  if (ins.some((n) => typeof n !== 'number')) needStatic(`ConvTranspose: output_shape or auto_pad over the symbolic spatial dims ${shapeStr(ins)}`, ins);
  const sizes = ins as number[];
  if (at.auto === 'VALID' && !given) return { pads: Array<number>(2 * d).fill(0), extra };
  const want = given ?? sizes.map((n, i) => n * at.stride[i]);
  if (want.length !== d) throw new UnsupportedError(`ConvTranspose: output_shape [${given}] must have ${d} entries`);
  const pads = Array<number>(2 * d).fill(0), grown = [...extra];
  sizes.forEach((n, i) => {
    const natural = at.stride[i] * (n - 1) + extra[i] + at.dilation[i] * (at.kernel[i] - 1) + 1;
    const total = Math.max(0, natural - want[i]), half = Math.floor(total / 2);
    [pads[i], pads[i + d]] = at.auto === 'SAME_UPPER' ? [half, total - half] : [total - half, half];
    // an output_shape past the natural extent grows it at the end; SAME's in·stride does not
    if (given) grown[i] = extra[i] + want[i] - (natural - total);
    if (grown[i] >= Math.max(at.stride[i], at.dilation[i])) throw new UnsupportedError(`ConvTranspose: output_shape [${want}] is past the extent the input gives on axis ${i + 2}`);
  });
  return { pads, extra: grown };
}

defineOp({
  name: 'ConvBackInput',
  dsl: { internal: 'made by gradient rules (the gradient of Conv by its input) and the importer (ConvTranspose)' },
  arity: 2,
  infer: ([g], a) => ({ shape: [g.shape[0], ...(a.inShape as number[]).slice(1)], dtype: 'f32' }),
  kernel: (ctx) => convBackInputKernel(geom(ctx.outShape, ctx.inShapes[1], ctx.inShapes[0], ctx.attrs), ctx.precision),
  onnxImport: { ConvTranspose: onnxRule([1, 11, 22], (c) => convTranspose(c)) },
  grad(n, h) {
    const [g, w] = n.inputs;
    const at = pick(n.attrs);
    return [B.mk('Conv', [h, w], { stride: at.stride, pads: at.pads, dilation: at.dilation, group: at.group }), B.mk('ConvBackWeight', [g, h], { ...at, inShape: [...w.shape] as number[] })];
  },
  onnx: convBackInputOnnx,
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
