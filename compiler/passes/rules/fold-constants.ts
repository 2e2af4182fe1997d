/**
 * fold-constants: a node whose inputs are all constants is evaluated once, at compile time, by its own
 * kernel (the same code the runtime would run), and becomes a constant. Element counts of statically
 * shaped tensors (SizeOf) fold too. Large results are left alone (folding must not bloat the graph).
 */
import type { Node } from '../../ir/node.ts';
import { getOp } from '../../ops/op.ts';
import { isStatic, normAxes, sizeOf } from '../../ir/shape.ts';
import * as B from '../../ir/build.ts';
import { atSource } from '../../ir/source.ts';
import { mapNodes } from '../rewrite.ts';
import type { Pass, Rewrite } from '../pass.ts';

const MAX_FOLDED = 4096;

function evaluate(n: Node): Node | undefined {
  if (!isStatic(n.shape) || sizeOf(n.shape) > MAX_FOLDED || n.dtype !== 'f32') return undefined;
  // its inputs are constants: run the op's own kernel on copies of their values (plain arrays, outside
  // the runtime's heap, so the kernel takes its JavaScript form)
  const ins = n.inputs.map((i) => Float32Array.from(i.attrs.value as Float32Array));
  const out = new Float32Array(sizeOf(n.shape as number[]));
  const inShapes = n.inputs.map((i) => i.shape as number[]);
  getOp(n.op).kernel!({ node: n, inShapes, outShape: n.shape as number[], attrs: n.attrs, precision: 'f32' })(ins, out);
  return atSource(n.src, () => B.constant(out, n.shape as number[]));
}

/** Whether the rule below may fold `n` itself (a node it does not fold changes only if its inputs do). */
const foldable = (n: Node): boolean => {
  if (n.op === 'SizeOf') return true;
  const def = getOp(n.op);
  return !def.traits?.leaf && def.kernel !== undefined && n.inputs.length > 0 && n.inputs.every((i) => i.op === 'Const');
};

export const foldConstants: Pass = {
  name: 'fold-constants',
  description: 'evaluate nodes whose inputs are all constants; element counts of static shapes',
  run(g) {
    const rewrites: Rewrite[] = [];
    // folding starts at a node of the graph as given (an element count, or a node over constants only):
    // where there is none, nothing folds, and the graph is returned at once
    if (!g.nodes.some(foldable)) return { graph: g, rewrites };
    const graph = mapNodes(g, (n) => {
      const def = getOp(n.op);
      if (def.traits?.leaf || !def.kernel) return undefined;
      if (n.op === 'SizeOf') {
        const s = n.inputs[0].shape;
        const axes = normAxes(n.attrs.axes as number[] | null, s.length);
        if (axes.every((a) => typeof s[a] === 'number')) {
          rewrites.push({ what: 'SizeOf of a static shape', src: n.src });
          return atSource(n.src, () => B.scalar(axes.reduce((p, a) => p * (s[a] as number), 1)));
        }
        return undefined;
      }
      if (n.inputs.length === 0 || !n.inputs.every((i) => i.op === 'Const')) return undefined;
      const folded = evaluate(n);
      if (folded) rewrites.push({ what: `${n.op} of constants`, src: n.src });
      return folded;
    });
    return { graph, rewrites };
  },
};
