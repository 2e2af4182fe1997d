/**
 * EyeLike (ONNX's): ones on the k-th diagonal of a matrix of the input's shape (k 0 the main one, positive
 * above it), zeros elsewhere; the input's values are not read. Its gradient is none. The importer folds it
 * to a constant where the shape is known, and keeps the op for a symbolic one.
 */
import { defineOp, intConst, needStatic, onnxRule, UnsupportedError } from './op.ts';
import { isStatic, shapeStr } from '../ir/shape.ts';
import { GraphError } from '../ir/errors.ts';
import * as B from '../ir/build.ts';

const eye = (rows: number, cols: number, k: number): number[] => Array.from({ length: rows * cols }, (_, o) => (o % cols) - Math.floor(o / cols) === k ? 1 : 0);

/** EyeLike(x), attr k. */
defineOp({
  name: 'EyeLike',
  dsl: { internal: 'read from ONNX files by the importer' },
  arity: 1,
  infer([x], a, src) {
    if (x.shape.length !== 2 || !Number.isInteger(a.k)) throw new GraphError(`EyeLike: a matrix and an integer k expected, got ${shapeStr(x.shape)} and k ${a.k}`, src);
    return { shape: x.shape, dtype: 'f32' };
  },
  kernel(ctx) {
    const [rows, cols] = ctx.outShape, k = ctx.attrs.k as number;
    return (_ins, out) => {
      out.fill(0);
      for (let i = Math.max(0, -k); i < rows && i + k < cols; i++) out[i * cols + i + k] = 1;
    };
  },
  grad: () => [null],
  onnx: (e, n, ins) => e.op('EyeLike', ins, { k: n.attrs.k as number, dtype: 1 }),
  onnxImport: {
    EyeLike: onnxRule([9, 22], (c) => {
      const k = c.attrInt('k', 0);
      const ic = c.intConst(0);
      const shape = ic ? ic.dims : (c.inputs[0] ?? raiseMissing()).shape;
      const integer = c.attrInt('dtype', ic ? 7 : 1);
      if (![1, 11, 6, 7].includes(integer)) throw new UnsupportedError(`attribute 'dtype' ${integer} (float, double, int32 or int64 expected)`);
      if (shape.length !== 2) throw new UnsupportedError(`EyeLike of an input of shape ${shapeStr(shape)} (a matrix expected)`);
      if (!isStatic(shape)) {
        if (integer === 6 || integer === 7) needStatic(`EyeLike of int64 on the symbolic shape ${shapeStr(shape)}`, shape);
        return B.mk('EyeLike', [c.inputs[0]!], { k });
      }
      const values = eye(shape[0], shape[1], k);
      return integer === 6 || integer === 7 ? intConst(values, [...shape]) : B.constant(values, [...shape]);
    }),
  },
  showAttrs: (a) => `k=${a.k}`,
});

function raiseMissing(): never {
  throw new UnsupportedError('EyeLike\'s input is missing');
}
