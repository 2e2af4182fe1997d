/**
 * ONNX reductions, arg-reductions, MatMul of any rank and LayerNormalization, built from graphc's op
 * records. Axes of the reductions other than ReduceSum are an attribute up to opset 17 (an input from 18).
 *   ReduceMin = −ReduceMax(−x);  ReduceL1 = Σ|x|;  ReduceL2 = √Σx²;  ReduceSumSquare = Σx²;  ReduceLogSum = ln Σx
 *   ReduceLogSumExp = m + ln Σ e^(x−m), m the maximum (stable for large x)
 *   LayerNormalization over axes [axis, r): y = (x − μ)/√(σ² + ε)·scale + bias, σ² the biased variance
 *   InstanceNormalization: the same over each (n, c) plane's spatial axes, scale and bias per channel
 */
import type { Node } from '../compiler/ir/node.ts';
import * as B from '../compiler/ir/build.ts';
import { isStatic, normAxes, shapeStr } from '../compiler/ir/shape.ts';
import { onnxOperand as need, onnxRule as rule, type OnnxImporter as Importer } from '../compiler/ops/op.ts';
import { raise, reduction } from '../compiler/ops/onnx-read.ts';

type Reduce = (x: Node, axes: number[] | null, keep: boolean) => Node;
const rmax: Reduce = (x, axes, keep) => B.mk('ReduceMax', [x], { axes: axes ? normAxes(axes, x.shape.length) : null, keepdims: keep });
const rsum: Reduce = (x, axes, keep) => B.sum(x, axes, keep);
const squeezeAxes = (y: Node, x: Node, axes: number[] | null) => {
  const ax = normAxes(axes, x.shape.length);
  return B.reshape(y, x.shape.filter((_, i) => !ax.includes(i)));
};
const logSumExp: Reduce = (x, axes, keep) => {
  const m = rmax(x, axes, true);
  const y = B.add(m, B.log(rsum(B.exp(B.sub(x, m)), axes, true)));
  return keep ? y : squeezeAxes(y, x, axes);
};

const v = [1, 11, 13, 18];
const reductions: Record<string, Importer> = {
  ReduceMax: reduction([1, 11, 12, 13, 18, 20], 18, rmax),
  ReduceMin: reduction([1, 11, 12, 13, 18, 20], 18, (x, a, k) => B.neg(rmax(B.neg(x), a, k))),
  ReduceProd: reduction(v, 18, (x, axes, keep) => B.mk('Prod', [x], { axes: axes ? [...axes] : null, keepdims: keep })),
  ReduceL1: reduction(v, 18, (x, a, k) => rsum(B.abs(x), a, k), B.abs),
  ReduceL2: reduction(v, 18, (x, a, k) => B.sqrt(rsum(B.mul(x, x), a, k)), B.abs),
  ReduceSumSquare: reduction(v, 18, (x, a, k) => rsum(B.mul(x, x), a, k), (x) => B.mul(x, x)),
  ReduceLogSum: reduction(v, 18, (x, a, k) => B.log(rsum(x, a, k)), B.log),
  ReduceLogSumExp: reduction(v, 18, logSumExp),
};

/** ArgMax and ArgMin: along `axis` (default 0), keepdims (default 1); select_last_index from opset 12. */
const arg = (min: boolean): Importer =>
  rule([1, 11, 12, 13], (c) => {
    let x = need(c, 0);
    if (min) x = B.neg(x);
    const axis = normAxes([c.attrInt('axis', 0)], x.shape.length)[0];
    const keep = c.attrInt('keepdims', 1) === 1;
    const last = c.opset >= 12 && c.attrInt('select_last_index', 0) === 1;
    let y: Node;
    if (last) {
      const n = x.shape[axis];
      if (typeof n !== 'number') return raise(`select_last_index along the symbolic dim '${n}'`);
      const rev = B.mk('Slice', [x], { begin: x.shape.map((_, i) => (i === axis ? n - 1 : 0)), step: x.shape.map((_, i) => (i === axis ? -1 : 1)), shape: [...x.shape] as number[] });
      y = B.sub(n - 1, B.mk('ArgMax', [rev], { axis }));
    } else y = B.mk('ArgMax', [x], { axis });
    return keep ? B.unsqueeze(y, [axis]) : y;
  });

/** MatMul of any rank (numpy matmul): 1-D operands promoted and their axis dropped after. */
const matmul = rule([1, 9, 13], (c) => {
  let [a, b] = [need(c, 0), need(c, 1)];
  const [ra, rb] = [a.shape.length, b.shape.length];
  if (ra === 0 || rb === 0) raise('MatMul of a scalar');
  if (ra === 1) a = B.unsqueeze(a, [0]);
  if (rb === 1) b = B.unsqueeze(b, [1]);
  let y: Node;
  if (a.shape.length === 2 && b.shape.length === 2) y = B.matmul(a, b);
  else if (b.shape.length === 2 && a.shape.slice(0, -2).every((d) => typeof d === 'number') && typeof a.shape[a.shape.length - 2] === 'number') {
    // [..., M, K]·[K, N]: one product through the 2-D kernel
    const lead = a.shape.slice(0, -1) as number[];
    const rows = lead.reduce((p, d) => p * d, 1);
    y = B.reshape(B.matmul(B.reshape(a, [rows, a.shape[a.shape.length - 1]]), b), [...lead, b.shape[1]]);
  } else y = B.mk('BatchMatMul', [a, b]);
  if (rb === 1) y = B.reshape(y, y.shape.slice(0, -1));
  if (ra === 1) y = B.reshape(y, [...y.shape.slice(0, -2), y.shape[y.shape.length - 1]]);
  return y;
});

const layerNorm = rule([17], (c) => {
  const x = need(c, 0);
  const r = x.shape.length;
  const axis = normAxes([c.attrInt('axis', -1)], r)[0];
  const eps = c.attrFloat('epsilon', 1e-5);
  const stash = c.attrInt('stash_type', 1);
  if (stash !== 1) raise(`stash_type ${stash} (graphc computes in float32)`);
  const axes = [...Array(r - axis).keys()].map((i) => axis + i);
  const mean = B.mean(x, axes, true);
  const d = B.sub(x, mean);
  const inv = B.div(1, B.sqrt(B.add(B.mean(B.mul(d, d), axes, true), eps)));
  let y = B.mul(B.mul(d, inv), need(c, 1));
  if (c.has(2)) y = B.add(y, need(c, 2));
  if (y.shape.length !== r) raise(`scale or bias of a rank above ${shapeStr(x.shape)}'s`);
  return [y, mean, inv];
});

/** InstanceNormalization: each (n, c) plane normalized over its spatial axes, then scale[c]·y + B[c]. */
const instanceNorm = rule([6, 22], (c) => {
  const x = need(c, 0);
  const r = x.shape.length;
  if (r < 3) raise(`input of shape ${shapeStr(x.shape)} (N, C and a spatial axis expected)`);
  const eps = c.attrFloat('epsilon', 1e-5);
  const axes = [...Array(r - 2).keys()].map((i) => i + 2);
  const perChannel = (k: number) => {
    const p = need(c, k);
    if (p.shape.length !== 1 || p.shape[0] !== x.shape[1]) raise(`input ${k} of shape ${shapeStr(p.shape)} (expected [${x.shape[1]}])`);
    return B.reshape(p, [x.shape[1], ...Array<number>(r - 2).fill(1)]);
  };
  const d = B.sub(x, B.mean(x, axes, true));
  const y = B.div(d, B.sqrt(B.add(B.mean(B.mul(d, d), axes, true), eps)));
  return B.add(B.mul(y, perChannel(1)), perChannel(2));
});

/**
 * OneHot: depth and [off, on] constants; indices of any static shape S give S with the classes inserted at
 * `axis` (default −1, last), read as the 1-D OneHot of the flattened indices, reshaped, the class axis moved.
 * From opset 11 an index in [−depth, 0) counts from the end; any other index out of range gives a row of
 * `off` (both versions).
 */
const oneHot = rule([9, 11], (c) => {
  const given = need(c, 0);
  // float indices are truncated toward zero (ONNX's cast to int64)
  const idx = B.cast(given.dtype === 'f32' ? B.cast(given, 'i64') : given, 'f32');
  const r = idx.shape.length, a = c.attrInt('axis', -1);
  if (r === 0) raise('scalar indices (ONNX takes indices of rank 1 or more)');
  if (a < -r - 1 || a > r) raise(`axis ${a} for indices of rank ${r}`);
  const axis = a < 0 ? a + r + 1 : a;
  if (r > 1 && !isStatic(idx.shape)) raise(`indices of the symbolic shape ${shapeStr(idx.shape)} (of more than 1 dim)`);
  const depth = c.known(1, "the depth decides the output's shape");
  const values = c.known(2, 'graphc reads off and on at import');
  if (depth.length !== 1 || !Number.isInteger(depth[0]) || depth[0] < 1) raise(`depth [${depth}]`);
  if (values.length !== 2) raise(`values of ${values.length} elements (off and on expected)`);
  const d = depth[0], [off, on] = values;
  // from opset 11, idx + depth where idx < 0
  let k = r === 1 ? idx : B.reshape(idx, [(idx.shape as number[]).reduce((p, n) => p * n, 1)]);
  if (c.opset >= 11) k = B.add(k, B.mul(d, B.sub(1, B.cast(B.mk('GreaterEqual', [k, B.constant([0], [])]), 'f32'))));
  let hot = B.mk('OneHot', [k], { classes: d });
  if (r !== 1) hot = B.reshape(hot, [...idx.shape, d]);
  if (axis !== r) hot = B.transpose(hot, [...Array.from({ length: axis }, (_, i) => i), r, ...Array.from({ length: r - axis }, (_, i) => axis + i)]);
  return off === 0 && on === 1 ? hot : B.add(B.mul(hot, on - off), off);
});

/** GlobalMaxPool: the maximum over every spatial axis (2 on), each kept as a 1. */
const globalMaxPool = rule([1, 22], (c) => {
  const x = need(c, 0);
  if (x.shape.length < 3) raise(`input of shape ${shapeStr(x.shape)} (a batch, a channel and a spatial axis expected)`);
  return rmax(x, x.shape.slice(2).map((_, i) => i + 2), true);
});

export const nnImporters: Readonly<Record<string, Importer>> = {
  ...reductions,
  ArgMax: arg(false),
  ArgMin: arg(true),
  MatMul: matmul,
  LayerNormalization: layerNorm,
  InstanceNormalization: instanceNorm,
  OneHot: oneHot,
  GlobalMaxPool: globalMaxPool,
};
