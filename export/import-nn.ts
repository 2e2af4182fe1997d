/**
 * ONNX reductions, ArgMin, the normalizations and GlobalMaxPool, read as compositions of graphc's ops.
 * Axes of the reductions other than ReduceSum are an attribute up to opset 17 (an input from 18).
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
import { argImport, reduceMax as rmax } from '../compiler/ops/softmax-onnx.ts';

type Reduce = (x: Node, axes: number[] | null, keep: boolean) => Node;
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
  ReduceMin: reduction([1, 11, 12, 13, 18, 20], 18, (x, a, k) => B.neg(rmax(B.neg(x), a, k))),
  ReduceL1: reduction(v, 18, (x, a, k) => rsum(B.abs(x), a, k), B.abs),
  ReduceL2: reduction(v, 18, (x, a, k) => B.sqrt(rsum(B.mul(x, x), a, k)), B.abs),
  ReduceSumSquare: reduction(v, 18, (x, a, k) => rsum(B.mul(x, x), a, k), (x) => B.mul(x, x)),
  ReduceLogSum: reduction(v, 18, (x, a, k) => B.log(rsum(x, a, k)), B.log),
  ReduceLogSumExp: reduction(v, 18, logSumExp),
};

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

/** GlobalMaxPool: the maximum over every spatial axis (2 on), each kept as a 1. */
const globalMaxPool = rule([1, 22], (c) => {
  const x = need(c, 0);
  if (x.shape.length < 3) raise(`input of shape ${shapeStr(x.shape)} (a batch, a channel and a spatial axis expected)`);
  return rmax(x, x.shape.slice(2).map((_, i) => i + 2), true);
});

export const nnImporters: Readonly<Record<string, Importer>> = {
  ...reductions,
  ArgMin: argImport(true),
  LayerNormalization: layerNorm,
  InstanceNormalization: instanceNorm,
  GlobalMaxPool: globalMaxPool,
};
