/**
 * The ONNX import rules of softmax.ts's and hardmax.ts's ops: Softmax, LogSoftmax and Hardmax in each
 * opset's form, ReduceMax, ArgMax (ArgMin is the importer's translation onto it, export/import-nn.ts) and
 * OneHot, whose indices of any rank and `axis` are read onto graphc's 1-D OneHot.
 */
import type { Node } from '../ir/node.ts';
import * as B from '../ir/build.ts';
import { isStatic, normAxes, shapeStr } from '../ir/shape.ts';
import { onnxOperand as need, onnxRule as rule, type OnnxImporter } from './op.ts';
import { raise, reduction } from './onnx-read.ts';

/**
 * Softmax, LogSoftmax and Hardmax: from opset 13 along `axis` (default −1); before, over all axes from
 * `axis` (default 1) on, as the input flattened to 2-D there.
 */
export const softmaxImport = (op: 'Softmax' | 'LogSoftmax' | 'Hardmax'): OnnxImporter =>
  rule([1, 11, 13], (c) => {
    const x = need(c, 0);
    const r = x.shape.length;
    if (c.opset >= 13) return B.mk(op, [x], { axis: normAxes([c.attrInt('axis', -1)], r)[0] });
    const axis = normAxes([c.attrInt('axis', 1)], r)[0];
    if (axis === r - 1) return B.mk(op, [x], { axis });
    const tail = x.shape.slice(axis);
    if (!isStatic(tail)) raise(`${op} over axes ${axis}.. of ${shapeStr(x.shape)}: symbolic trailing dims`);
    const flat = B.reshape(x, [...x.shape.slice(0, axis), (tail as number[]).reduce((p, d) => p * d, 1)]);
    return B.reshape(B.mk(op, [flat], { axis }), x.shape);
  });

/** graphc's ReduceMax over ONNX's axes (null: all). */
export const reduceMax = (x: Node, axes: number[] | null, keep: boolean): Node => B.mk('ReduceMax', [x], { axes: axes ? normAxes(axes, x.shape.length) : null, keepdims: keep });

export const reduceMaxImport = reduction([1, 11, 12, 13, 18, 20], 18, reduceMax);

/** ArgMax and ArgMin (`min`: of −x): along `axis` (default 0), keepdims (default 1); select_last_index from opset 12. */
export const argImport = (min: boolean): OnnxImporter =>
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

/**
 * OneHot: depth and [off, on] constants; indices of any static shape S give S with the classes inserted at
 * `axis` (default −1, last), read as the 1-D OneHot of the flattened indices, reshaped, the class axis moved.
 * From opset 11 an index in [−depth, 0) counts from the end; any other index out of range gives a row of
 * `off` (both versions).
 */
export const oneHotImport = rule([9, 11], (c) => {
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
