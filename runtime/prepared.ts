/**
 * The kernels of plans, prepared once for each op, attributes, shapes and precision and shared between
 * plans (`preparedKernel`).
 */
import type { Node } from '../compiler/ir/node.ts';
import type { Kernel } from './kernels/kernel.ts';
import { getOp } from '../compiler/ops/op.ts';

/**
 * Prepared kernels, kept by what they depend on (op, attributes, shapes, precision), so that planning the
 * same graph again (a new model build, a new shape seen before) does not prepare them again. Kernels
 * hold no state between calls (their scratch is only used during a call, and plans run one kernel at a
 * time), so plans can share them; an op that `draws` is the exception. The most recently used are kept.
 */
const kernelCache = new Map<string, Kernel>();
const KERNEL_CACHE_SIZE = 256;

/** Each node's attributes as text, kept while the node lives: every plan of a graph (each batch size, the step with and without its loss) keys the same nodes. */
const attrsText = new WeakMap<Node, string>();

export function preparedKernel(n: Node, inShapes: number[][], outShape: number[], precision: 'f32' | 'f64'): Kernel {
  const op = getOp(n.op);
  // a generator's state is its node's (a second build of the model draws its masks again from the seed)
  if (op.traits?.draws) return op.kernel!({ node: n, inShapes, outShape, attrs: n.attrs, precision });
  let attrs = attrsText.get(n);
  if (attrs === undefined) attrsText.set(n, (attrs = JSON.stringify(n.attrs)));
  const key = `${n.op}|${precision}|${attrs}|${inShapes.join(';')}|${outShape.join(',')}`;
  let k = kernelCache.get(key);
  if (k) {
    kernelCache.delete(key); // most recent last
  } else {
    k = op.kernel!({ node: n, inShapes, outShape, attrs: n.attrs, precision });
    if (kernelCache.size >= KERNEL_CACHE_SIZE) kernelCache.delete(kernelCache.keys().next().value!);
  }
  kernelCache.set(key, k);
  return k;
}
