/**
 * Classification losses, averaged over the batch (PyTorch's reduction 'mean'):
 *   NLL(logp, y)              = -mean_i logp[i, y_i]                       (F.nll_loss)
 *   CrossEntropy(z, y)        = mean_i (logsumexp(z_i) - z_i[y_i])          (F.cross_entropy, class indices)
 *   SoftCrossEntropy(z, t)    = mean_i -Σ_c t_ic log softmax(z)_ic         (F.cross_entropy, probabilities / one-hot)
 * Class indices are carried as float values (exact up to 2^24). The fused forms compute log-softmax
 * stably and carry their own gradient, (softmax(z) - onehot(y)) / N, finite at logits of ±1e4.
 */
import { defineOp, needStatic, onnxOperand, onnxRule, UnsupportedError, type OnnxImporter } from './op.ts';
import type { Node } from '../ir/node.ts';
import { isStatic, sameShape, shapeStr } from '../ir/shape.ts';
import { GraphError } from '../ir/errors.ts';
import * as B from '../ir/build.ts';

function checkIndexed(name: string) {
  return ([z, y]: readonly Node[], _a: unknown, src: Node['src']) => {
    if (z.shape.length !== 2 || y.shape.length !== 1 || z.shape[0] !== y.shape[0])
      throw new GraphError(`${name}: expects scores [N, C] and class indices [N], got ${shapeStr(z.shape)} and ${shapeStr(y.shape)}`, src);
    return { shape: [] as number[], dtype: 'f32' as const };
  };
}

const onehot = (y: Node, z: Node) => B.mk('OneHot', [y], { classes: z.shape[1] as number });
const rows = (z: Node) => B.sizeOf(z, [0]);
/**
 * Scores [N, C, d1, …, dk] and labels [N, d1, …, dk] as rows [M, C] and [M] (M = N·d1·…·dk), with the maps
 * giving a per-row result ([M]) and a per-score one ([M, C]) the input's shapes back. [N, C] and [N] as given.
 */
function rowsOf(z: Node, y: Node) {
  const r = z.shape.length;
  const fits = r >= 2 && y.shape.length === r - 1 && y.shape.every((d, i) => d === z.shape[i === 0 ? 0 : i + 1]);
  if (!fits) throw new UnsupportedError(`scores ${shapeStr(z.shape)} and labels ${shapeStr(y.shape)} (graphc takes [N, C, d1, …] and [N, d1, …])`);
  if (r === 2) return { z, y, unflatten: (x: Node) => x, unflattenScores: (x: Node) => x };
  if (!isStatic(z.shape)) needStatic(`scores ${shapeStr(z.shape)} of more than 2 dims with symbolic dims`, z.shape);
  const dims = z.shape as number[], classes = dims[1];
  const m = dims.reduce((p, d) => p * d, 1) / classes;
  const last = [0, ...Array.from({ length: r - 2 }, (_, i) => i + 2), 1];
  const back = [0, r - 1, ...Array.from({ length: r - 2 }, (_, i) => i + 1)];
  const moved = [dims[0], ...dims.slice(2), classes];
  return {
    z: B.reshape(B.transpose(z, last), [m, classes]),
    y: B.reshape(y, [m]),
    unflatten: (x: Node) => B.reshape(x, y.shape),
    unflattenScores: (x: Node) => B.transpose(B.reshape(x, moved), back),
  };
}

/**
 * The ONNX losses over scores [N, C] and integer labels [N] (opset 12 and 13 read alike), as `op`:
 * reduction 'mean' (the default), 'sum' or 'none'; SoftmaxCrossEntropyLoss's log_prob output. With
 * class weights, ignore_index or 'none', rows are weighted by w = onehot(y)·weight·[y ≠ ignore_index]:
 * per-row loss −Σ_c w·log p, averaged over Σ w (the weights of the rows kept). Scores [N, C, d1, …, dk]
 * and labels [N, d1, …, dk] (ONNX's higher-dimensional form, every element a row) are read as [N·d1·…·dk, C]
 * and [N·d1·…·dk]: the class axis moved last, both flattened; 'none' and log_prob are given their shapes back.
 */
const lossImport = (op: 'NLL' | 'CrossEntropy', since: readonly number[] = [12, 13]): OnnxImporter =>
  onnxRule(since, (c) => {
    const [zIn, yIn] = [onnxOperand(c, 0), onnxOperand(c, 1)];
    const ii = c.attrInt('ignore_index', Number.NaN);
    if (yIn.dtype === 'f32') throw new UnsupportedError('float labels (integer class indices expected)');
    const { z, y, unflatten, unflattenScores } = rowsOf(zIn, yIn);
    const reduction = c.attrString('reduction', 'mean');
    if (reduction !== 'mean' && reduction !== 'sum' && reduction !== 'none') throw new UnsupportedError(`reduction '${reduction}'`);
    const labels = B.cast(y, 'f32');
    const logp = op === 'CrossEntropy' ? B.mk('LogSoftmax', [z], { axis: 1 }) : z;
    let loss: Node;
    if (Number.isNaN(ii) && reduction !== 'none' && !c.has(2)) {
      loss = B.mk(op, [z, labels]);
      if (reduction === 'sum') loss = B.mul(loss, rows(z));
    } else {
      let w = onehot(labels, z);
      if (c.has(2)) w = B.mul(w, onnxOperand(c, 2));
      if (!Number.isNaN(ii)) w = B.mul(w, B.unsqueeze(B.sub(1, B.cast(B.mk('Equal', [labels, B.constant([ii], [])]), 'f32')), [1]));
      const per = B.neg(B.sum(B.mul(w, logp), [1], false));
      loss = reduction === 'none' ? unflatten(per) : reduction === 'sum' ? B.sum(per, null, false) : B.div(B.sum(per, null, false), B.sum(w, null, false));
    }
    return op === 'CrossEntropy' && c.outputs > 1 ? [loss, unflattenScores(logp)] : loss;
  });

const int64 = (e: Parameters<NonNullable<Parameters<typeof defineOp>[0]['onnx']>>[0], name: string) => e.op('Cast', [name], { to: 7 });

defineOp({
  name: 'NLL',
  dsl: { fn: 'nllLoss' },
  arity: 2,
  infer: checkIndexed('NLL'),
  kernel: (ctx) => {
    const c = ctx.inShapes[0][1];
    return (ins, out) => {
      const [lp, y] = [ins[0], ins[1]];
      let s = 0;
      for (let i = 0; i < y.length; i++) s -= lp[i * c + y[i]];
      out[0] = s / y.length;
    };
  },
  grad: (n, g) => [B.div(B.mul(B.neg(onehot(n.inputs[1], n.inputs[0])), g), rows(n.inputs[0])), null],
  onnx: (e, _n, [lp, y]) => e.op('NegativeLogLikelihoodLoss', [lp, int64(e, y)], { reduction: 'mean' }),
  onnxImport: { NegativeLogLikelihoodLoss: lossImport('NLL', [12, 13, 22]) },
});

defineOp({
  name: 'CrossEntropy',
  dsl: { fn: 'crossEntropy' },
  arity: 2,
  traits: { fused: true },
  infer: checkIndexed('CrossEntropy'),
  kernel: (ctx) => {
    const c = ctx.inShapes[0][1];
    return (ins, out) => {
      const [z, y] = [ins[0], ins[1]];
      let s = 0;
      for (let i = 0; i < y.length; i++) {
        let m = -Infinity;
        for (let k = 0; k < c; k++) m = Math.max(m, z[i * c + k]);
        let e = 0;
        for (let k = 0; k < c; k++) e += Math.exp(z[i * c + k] - m);
        s += m + Math.log(e) - z[i * c + y[i]];
      }
      out[0] = s / y.length;
    };
  },
  grad: (n, g) => {
    const [z, y] = n.inputs;
    return [B.div(B.mul(B.sub(B.mk('Softmax', [z], { axis: 1 }), onehot(y, z)), g), rows(z)), null];
  },
  onnx: (e, _n, [z, y]) => e.op('SoftmaxCrossEntropyLoss', [z, int64(e, y)], { reduction: 'mean' }),
  onnxImport: { SoftmaxCrossEntropyLoss: lossImport('CrossEntropy') },
});

defineOp({
  name: 'SoftCrossEntropy',
  dsl: { internal: 'made by the fuse-softmax-ce pass' },
  arity: 2,
  traits: { fused: true },
  infer([z, t], _a, src) {
    if (z.shape.length !== 2 || !sameShape(z.shape, t.shape)) throw new GraphError(`SoftCrossEntropy: expects scores and target probabilities of one shape [N, C], got ${shapeStr(z.shape)} and ${shapeStr(t.shape)}`, src);
    return { shape: [], dtype: 'f32' };
  },
  kernel: (ctx) => {
    const [n, c] = ctx.inShapes[0];
    return (ins, out) => {
      const [z, t] = [ins[0], ins[1]];
      let s = 0;
      for (let i = 0; i < n; i++) {
        let m = -Infinity;
        for (let k = 0; k < c; k++) m = Math.max(m, z[i * c + k]);
        let e = 0;
        for (let k = 0; k < c; k++) e += Math.exp(z[i * c + k] - m);
        const lse = m + Math.log(e);
        for (let k = 0; k < c; k++) s -= t[i * c + k] * (z[i * c + k] - lse);
      }
      out[0] = s / n;
    };
  },
  grad: (n, g) => {
    const [z, t] = n.inputs;
    const p = B.mk('Softmax', [z], { axis: 1 });
    const gz = B.div(B.mul(B.sub(B.mul(p, B.sum(t, [1], true)), t), g), rows(z));
    const gt = B.div(B.mul(B.neg(B.mk('LogSoftmax', [z], { axis: 1 })), g), rows(z));
    return [gz, gt];
  },
  onnx: (e, _n, [z, t]) => {
    const ls = e.op('LogSoftmax', [z], { axis: 1 });
    return e.op('Neg', [e.op('ReduceMean', [e.op('ReduceSum', [e.op('Mul', [t, ls]), e.constI64([1])], { keepdims: 0 })], { keepdims: 0 })]);
  },
});
