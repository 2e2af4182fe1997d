/**
 * fuse-softmax-ce: cross-entropy of a softmax becomes one stable op on the logits, with the gradient
 * (softmax(z) - onehot(y)) / N:
 *   NLL(log(softmax(z)), y), NLL(logsoftmax(z), y)                 -> CrossEntropy(z, y)
 *   -(t * log(softmax(z))).sum(1).mean(), in its spellings          -> SoftCrossEntropy(z, t)
 * and, anywhere, log(softmax(z)) -> logsoftmax(z) (finite where softmax underflows to 0).
 */
import type { Node } from '../../ir/node.ts';
import * as B from '../../ir/build.ts';
import { normAxes, sameShape } from '../../ir/shape.ts';
import { mapNodes } from '../rewrite.ts';
import type { Pass, Rewrite } from '../pass.ts';

const lastAxis = (n: Node) => normAxes([n.attrs.axis as number], n.shape.length)[0] === n.shape.length - 1;

/** z when `n` is log(softmax(z)) or logsoftmax(z) over the class axis of a 2-D z. */
function logSoftmaxOf(n: Node): Node | undefined {
  if (n.op === 'LogSoftmax' && n.shape.length === 2 && lastAxis(n)) return n.inputs[0];
  if (n.op === 'Log' && n.inputs[0].op === 'Softmax' && n.shape.length === 2 && lastAxis(n.inputs[0])) return n.inputs[0].inputs[0];
  return undefined;
}

function peel(n: Node, sign = 1): { n: Node; sign: number } {
  if (n.op === 'Neg') return peel(n.inputs[0], -sign);
  return { n, sign };
}

/** -(t * logsoftmax(z)).sum(1).mean(): returns z and t. */
function softForm(root: Node): { z: Node; t: Node } | undefined {
  const a = peel(root);
  if (a.n.op !== 'Mean' || a.n.attrs.axes !== null) return undefined;
  const b = peel(a.n.inputs[0], a.sign);
  if (b.n.op !== 'Sum' || b.n.attrs.keepdims === true) return undefined;
  const axes = normAxes(b.n.attrs.axes as number[] | null, b.n.inputs[0].shape.length);
  if (axes.length !== 1 || axes[0] !== 1) return undefined;
  const c = peel(b.n.inputs[0], b.sign);
  if (c.n.op !== 'Mul') return undefined;
  // a minus may also sit on either factor
  const [x, y] = c.n.inputs.map((f) => peel(f));
  if (c.sign * x.sign * y.sign !== -1) return undefined;
  for (const [t, l] of [[x.n, y.n], [y.n, x.n]]) {
    const z = logSoftmaxOf(l);
    if (z && sameShape(t.shape, z.shape)) return { z, t };
  }
  return undefined;
}

export const fuseSoftmaxCe: Pass = {
  name: 'fuse-softmax-ce',
  description: 'cross-entropy of softmax(z) becomes the stable CrossEntropy(z, y); log(softmax) becomes logsoftmax',
  run(g) {
    const rewrites: Rewrite[] = [];
    const graph = mapNodes(g, (n) => {
      if (n.op === 'NLL') {
        const z = logSoftmaxOf(n.inputs[0]);
        if (!z) return undefined;
        rewrites.push({ what: 'NLL(log(softmax(z)), y) -> CrossEntropy(z, y)', src: n.src });
        return B.mk('CrossEntropy', [z, n.inputs[1]], {}, n.src);
      }
      const soft = n.op === 'Mean' || n.op === 'Neg' ? softForm(n) : undefined;
      if (soft) {
        rewrites.push({ what: '-(t * log(softmax(z))).sum(1).mean() -> SoftCrossEntropy(z, t)', src: n.src });
        return B.mk('SoftCrossEntropy', [soft.z, soft.t], {}, n.src);
      }
      if (n.op === 'Log' && n.inputs[0].op === 'Softmax') {
        rewrites.push({ what: 'log(softmax(z)) -> logsoftmax(z)', src: n.src });
        return B.mk('LogSoftmax', [n.inputs[0].inputs[0]], { axis: n.inputs[0].attrs.axis as number }, n.src);
      }
      return undefined;
    });
    return { graph, rewrites };
  },
};
