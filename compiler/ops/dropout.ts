/**
 * Dropout in two ops: DropoutMask(x) draws, at every run, a fresh mask of x's shape whose entries are 0
 * with probability p and 1/(1 − p) otherwise (from its own xorshift generator, seeded by the attribute `seed`, so
 * a model's builds draw the same masks: the generator's state is the node's, runtime/prepared.ts);
 * Dropout(x, mask) = x·mask. The gradient is g·mask, the same mask. In inference
 * Dropout(x, mask) is x (`inferenceMode` in compiler/train/step.ts), which is also what it exports as;
 * an exported training step draws its masks with ONNX's RandomUniformLike (the runtime's stream, not this one).
 */
import { defineOp } from './op.ts';
import { shapeStr } from '../ir/shape.ts';
import { GraphError } from '../ir/errors.ts';
import * as B from '../ir/build.ts';
import type { Node } from '../ir/node.ts';

/** Each DropoutMask node's generator state (its kernels, one per plan, share it). */
const streams = new WeakMap<Node, { s: number }>();

defineOp({
  name: 'DropoutMask',
  dsl: { fn: 'dropout' },
  arity: 1,
  infer([x], a, src) {
    const p = a.p as number;
    if (!(p >= 0 && p < 1)) throw new GraphError(`DropoutMask: p must be in [0, 1), got ${p}`, src);
    return { shape: x.shape, dtype: 'f32' };
  },
  kernel(ctx) {
    const p = ctx.attrs.p as number, keep = 1 / (1 - p);
    // xorshift32 (Marsaglia, "Xorshift RNGs", 2003): one stream per node, advancing from run to run
    // through every plan of its graphs (the step with and without the loss, full and last batches)
    let st = streams.get(ctx.node);
    if (!st) streams.set(ctx.node, (st = { s: ((ctx.attrs.seed as number) >>> 0) || 0x9e3779b9 }));
    const state = st;
    return (_ins, out) => {
      let s = state.s;
      for (let i = 0; i < out.length; i++) {
        s ^= s << 13; s ^= s >>> 17; s ^= s << 5;
        out[i] = (s >>> 0) / 4294967296 < p ? 0 : keep;
      }
      state.s = s;
    };
  },
  grad: () => [null],
  // in an exported training step: (RandomUniformLike(x) >= p)·1/(1 − p), drawn by the runtime's own generator
  onnx: (e, n, [x]) => {
    const p = n.attrs.p as number;
    const kept = e.op('Cast', [e.op('GreaterOrEqual', [e.op('RandomUniformLike', [x], { dtype: 1 }), e.constF32([p], [])])], { to: 1 });
    return e.op('Mul', [kept, e.constF32([1 / (1 - p)], [])]);
  },
  traits: { draws: true },
  showAttrs: (a) => `p=${a.p} seed=${a.seed}`,
});

defineOp({
  name: 'Dropout',
  dsl: { method: 'dropout', fn: 'dropout' },
  arity: 2,
  infer([x, m], _a, src) {
    if (shapeStr(x.shape) !== shapeStr(m.shape)) throw new GraphError(`Dropout: mask ${shapeStr(m.shape)} does not match x ${shapeStr(x.shape)}`, src);
    return { shape: x.shape, dtype: 'f32' };
  },
  kernel: () => (ins, out) => { const [x, m] = ins; for (let i = 0; i < out.length; i++) out[i] = x[i] * m[i]; },
  grad: (n, g) => [B.mul(g, n.inputs[1]), null],
  // the inference form: identity
  onnx: (e, _n, ins) => e.op('Identity', [ins[0]]),
  showAttrs: (a) => `p=${a.p}`,
});
