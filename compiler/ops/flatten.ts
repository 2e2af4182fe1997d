/** Flatten(x; axis): [d0, …, d(axis−1), d(axis)·…·d(r−1)], as ONNX's Flatten and torch.flatten(x, axis). */
import { defineOp, needStatic, onnxOperand, onnxRule, UnsupportedError } from './op.ts';
import { shapeStr, type Dim } from '../ir/shape.ts';
import { GraphError } from '../ir/errors.ts';
import * as B from '../ir/build.ts';

defineOp({
  name: 'Flatten',
  dsl: { method: 'flatten', fn: 'flatten' },
  arity: 1,
  infer([x], a, src) {
    const axis = (a.axis as number) ?? 1, tail = x.shape.slice(axis);
    if (axis < 1 || axis > x.shape.length) throw new GraphError(`Flatten: axis ${axis} does not fit ${shapeStr(x.shape)} (1..${x.shape.length})`, src);
    if (tail.some((d) => typeof d !== 'number')) throw new GraphError(`Flatten: the flattened axes of ${shapeStr(x.shape)} must be static`, src);
    return { shape: [...x.shape.slice(0, axis), (tail as number[]).reduce((p, d) => p * d, 1)] as Dim[], dtype: x.dtype };
  },
  kernel: () => (ins, out) => out.set(ins[0]),
  grad: (n, g) => [B.reshape(g, n.inputs[0].shape)],
  // ONNX's Flatten makes two axes; past axis 1 the leading axes are kept by a Reshape copying them (0).
  onnx: (e, n, ins) => {
    const axis = (n.attrs.axis as number) ?? 1;
    return axis === 1 ? e.op('Flatten', ins, { axis: 1 }) : e.op('Reshape', [ins[0], e.constI64([...Array(axis).fill(0), -1])]);
  },
  onnxImport: {
    Flatten: onnxRule([1, 9, 11, 13, 21, 23, 24, 25], (c) => {
      const x = onnxOperand(c, 0), r = x.shape.length, axis = c.attrInt('axis', 1);
      const ax = axis < 0 ? axis + r : axis;
      if (ax === 0) return B.mk('Flatten', [B.unsqueeze(x, [0])], { axis: 1 });
      if (ax < 0 || ax > r) throw new UnsupportedError(`Flatten: axis ${axis} out of range for rank ${r}`);
      const y = B.mk('Flatten', [x], { axis: ax });
      if (ax === 1) return y;
      // the leading axes as one: their product, or the one symbolic dim among 1s (the batch 'N' of [N, 1, …])
      const head = x.shape.slice(0, ax), sym = head.filter((d) => typeof d !== 'number');
      const n = (head.filter((d) => typeof d === 'number') as number[]).reduce((p, d) => p * d, 1);
      if (sym.length > 1 || (sym.length === 1 && n !== 1)) needStatic(`Flatten: axis ${axis} past the symbolic leading dimensions of ${shapeStr(x.shape)}`, head);
      return B.reshape(y, [sym.length ? sym[0] : n, y.shape[ax]]);
    }),
  },
  showAttrs: (a) => `axis=${a.axis ?? 1}`,
});
