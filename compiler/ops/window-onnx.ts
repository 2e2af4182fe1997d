/**
 * ONNX forms of the window gradients (convolution and pooling), in standard `ai.onnx` ops at opset 17, so
 * that a training step with convolutions exports and a runtime trains it by feeding its outputs back:
 *   ConvBackInput(g, w)   ConvTranspose(g, w) with the convolution's attributes; output_padding restores
 *                         the rows and columns the forward stride dropped. Any number of spatial axes.
 *   ConvBackWeight(g, x)  Conv over transposed tensors: xᵀ [C, N, H, W] convolved with gᵀ [O, N, OH, OW]
 *                         (stride and dilation swapped), per group, cut to the kernel, transposed back.
 *                         Any number of spatial axes.
 *   MaxPoolGrad(g, x)     each window position k as a strided Slice of x padded with −∞; the window's
 *                         first maximum (PyTorch's and graphc's choice among ties) found by Equal against
 *                         their Max and a running "already taken" mask; g placed back by `place`.
 *   AvgPoolGrad(g, x)     g divided by each window's divisor, placed back by `place`.
 * `place` is a grouped ConvTranspose with a constant one-hot (or all-ones) kernel: output position
 * oy·s + ky receives the value for window position (ky, kx), overlapping windows add up, and the padding is
 * cut off. Each form takes any number of spatial axes (pooling undilated). Every shape but the batch must be
 * static.
 */
import type { OnnxEmit } from './op.ts';
import type { Attrs, Node } from '../ir/node.ts';
import { shapeStr, type Dim } from '../ir/shape.ts';
import { GraphError } from '../ir/errors.ts';

/** An attribute over d spatial axes (pads: 2·d, begins then ends), its default repeated where absent. */
const perAxis = (a: Attrs, k: string, d: number, dflt: number): number[] => (a[k] as number[] | undefined) ?? Array<number>(k === 'pads' ? 2 * d : d).fill(dflt);
const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);
const FLOAT = 1;

/** The dims of a shape after the batch, which the ONNX forms need as numbers. */
function statics(n: Node, shape: readonly Dim[]): number[] {
  // the forms are written for any number of spatial axes (pooling's undilated)
  const pool = n.op !== 'ConvBackInput' && n.op !== 'ConvBackWeight';
  if (shape.length < 3 || (pool && n.attrs.dilation))
    throw new GraphError(`ONNX export: ${n.op} is written for windows of 1 or more spatial axes${pool ? ' without dilation' : ''}, got ${shapeStr(shape)}${pool && n.attrs.dilation ? ` and dilation [${n.attrs.dilation as number[]}]` : ''}`, n.src);
  const rest = shape.slice(1);
  if (rest.some((d) => typeof d !== 'number')) throw new GraphError(`ONNX export: ${n.op} needs static dims after the batch, got ${shapeStr(shape)}`, n.src);
  return rest as number[];
}

const slice = (e: OnnxEmit, x: string, starts: number[], ends: number[], axes: number[], steps?: number[]) =>
  e.op('Slice', [x, e.constI64(starts), e.constI64(ends), e.constI64(axes), ...(steps ? [e.constI64(steps)] : [])]);

export function convBackInputOnnx(e: OnnxEmit, n: Node, [g, w]: readonly string[]): string {
  const [, ...out] = statics(n, n.inputs[0].shape), [, ...size] = statics(n, n.attrs.inShape as Dim[]);
  const a = n.attrs, d = out.length, s = perAxis(a, 'stride', d, 1), dl = perAxis(a, 'dilation', d, 1), p = perAxis(a, 'pads', d, 0);
  const k = (n.inputs[1].shape as number[]).slice(2);
  // the forward sweep's remainder: rows the stride never reached, which ConvTranspose must still produce
  const extra = size.map((h, i) => h + p[i] + p[i + d] - dl[i] * (k[i] - 1) - 1 - s[i] * (out[i] - 1));
  return e.op('ConvTranspose', [g, w], { strides: s, pads: p, dilations: dl, group: (a.group as number) ?? 1, kernel_shape: k, output_padding: extra });
}

export function convBackWeightOnnx(e: OnnxEmit, n: Node, [g, x]: readonly string[]): string {
  const [, ...out] = statics(n, n.inputs[0].shape), [, ...size] = statics(n, n.inputs[1].shape);
  const a = n.attrs, d = out.length, s = perAxis(a, 'stride', d, 1), dl = perAxis(a, 'dilation', d, 1), p = perAxis(a, 'pads', d, 0), group = (a.group as number) ?? 1;
  const [O, Cg, ...K] = a.inShape as number[], Og = O / group;
  const perm = { perm: [1, 0, ...range(2, d)] };
  const xT = e.op('Transpose', [x], perm), gT = e.op('Transpose', [g], perm);
  // the sweep of the transposed convolution covers at least the kernel; positions past it are cut
  const swept = size.map((h, i) => Math.floor((h + p[i] + p[i + d] - s[i] * (out[i] - 1) - 1) / dl[i]) + 1);
  const parts = Array.from({ length: group }, (_, i) => {
    const xs = group > 1 ? slice(e, xT, [i * Cg], [(i + 1) * Cg], [0]) : xT;
    const gs = group > 1 ? slice(e, gT, [i * Og], [(i + 1) * Og], [0]) : gT;
    const y = e.op('Conv', [xs, gs], { strides: dl, dilations: s, pads: p, group: 1, kernel_shape: out });
    return swept.every((v, j) => v === K[j]) ? y : slice(e, y, K.map(() => 0), K, range(2, d));
  });
  return e.op('Transpose', [group > 1 ? e.op('Concat', parts, { axis: 1 }) : parts[0]], perm);
}

const kernelOf = (a: Attrs) => a.kernel as number[];
const strideOf = (a: Attrs) => (a.stride as number[] | undefined) ?? kernelOf(a);

/**
 * Adds values d [N, C·K, ...out] (K window positions per channel, `kernel` giving each position's one-hot
 * or all-ones weights) back onto an input [N, C, ...size] padded by the pads: a ConvTranspose with group C,
 * then the padding cut off (and rows no window reached added as zeros).
 */
function place(e: OnnxEmit, d: string, C: number, K: number, kernel: (k: number) => number[], a: Attrs, out: number[], size: number[]): string {
  const k = kernelOf(a), s = strideOf(a), D = k.length, p = perAxis(a, 'pads', D, 0);
  const weights = Array.from({ length: C }, () => Array.from({ length: K }, (_, j) => kernel(j)).flat()).flat();
  let y = e.op('ConvTranspose', [d, e.constF32(weights, [C * K, 1, ...k])], { strides: s, group: C, kernel_shape: k });
  const reached = out.map((o, i) => s[i] * (o - 1) + k[i]);
  const short = size.map((n, i) => Math.max(0, p[i] + n - reached[i]));
  if (short.some((v) => v)) y = e.op('Pad', [y, e.constI64([0, 0, ...short.map(() => 0), 0, 0, ...short]), e.constF32([0], [])], { mode: 'constant' });
  if (p.slice(0, D).every((v) => v === 0) && reached.every((r, i) => r + short[i] === size[i])) return y;
  return slice(e, y, p.slice(0, D), size.map((n, i) => p[i] + n), range(2, D));
}

/** Every window position of a kernel, as per-axis offsets (the last axis fastest). */
const positions = (k: number[]): number[][] =>
  Array.from({ length: k.reduce((p, v) => p * v, 1) }, (_, j) => k.map((_, i) => Math.floor(j / k.slice(i + 1).reduce((p, v) => p * v, 1)) % k[i]));

export function maxPoolGradOnnx(e: OnnxEmit, n: Node, [g, x]: readonly string[]): string {
  const a = n.attrs, k = kernelOf(a), s = strideOf(a), D = k.length, p = perAxis(a, 'pads', D, 0);
  const [C, ...size] = statics(n, n.inputs[1].shape), [, ...out] = statics(n, n.inputs[0].shape);
  // −∞ around x: padding never wins a window, and every window (ceil mode's last ones too) is in range
  const end = size.map((h, i) => Math.max(p[i + D], s[i] * (out[i] - 1) + k[i] - h - p[i]));
  const xp = [...p.slice(0, D), ...end].some((v) => v) ? e.op('Pad', [x, e.constI64([0, 0, ...p.slice(0, D), 0, 0, ...end]), e.constF32([-Infinity], [])], { mode: 'constant' }) : x;
  const at = positions(k).map((kk) => slice(e, xp, kk, kk.map((v, i) => v + s[i] * (out[i] - 1) + 1), range(2, D), s));
  const max = at.length > 1 ? e.op('Max', at) : at[0];
  const one = e.constF32([1], []);
  let taken = '';
  const parts = at.map((xk) => {
    const hit = e.op('Cast', [e.op('Equal', [xk, max])], { to: FLOAT });
    const first = taken ? e.op('Mul', [hit, e.op('Sub', [one, taken])]) : hit;
    taken = taken ? e.op('Add', [taken, first]) : first;
    return e.op('Unsqueeze', [e.op('Mul', [g, first]), e.constI64([2])]);
  });
  const K = at.length;
  const d = e.op('Reshape', [e.op('Concat', parts, { axis: 2 }), e.constI64([-1, C * K, ...out])]);
  return place(e, d, C, K, (j) => Array.from({ length: K }, (_, i) => (i === j ? 1 : 0)), a, out, size);
}

export function avgPoolGradOnnx(e: OnnxEmit, n: Node, [g]: readonly string[], divisors: () => Float64Array): string {
  const k = kernelOf(n.attrs), K = k.reduce((p, v) => p * v, 1);
  const [C, ...size] = statics(n, n.inputs[1].shape), [, ...out] = statics(n, n.inputs[0].shape);
  const d = e.op('Div', [g, e.constF32(divisors(), out)]);
  return place(e, d, C, 1, () => new Array<number>(K).fill(1), n.attrs, out, size);
}
