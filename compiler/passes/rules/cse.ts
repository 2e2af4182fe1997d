/**
 * cse: common subexpressions. Interning already makes equal nodes one node; this pass adds what
 * interning cannot see: the operands of commutative ops (Add, Mul, Max) are put in a canonical order
 * (their places in the graph), so a+b and b+a become one node.
 */
import { getOp } from '../../ir/registry.ts';
import { Node } from '../../ir/node.ts';
import { mapNodes } from '../rewrite.ts';
import type { Pass, Rewrite } from '../pass.ts';

export const cse: Pass = {
  name: 'cse',
  description: 'common subexpressions: commutative operands in canonical order, equal nodes merged',
  run(g) {
    const rewrites: Rewrite[] = [];
    const before = g.nodes.length;
    // canonical order: the operands' places in the graph's own order (never global ids, which depend on
    // what was built before)
    const graph = mapNodes(g, (n, original) => {
      if (!getOp(n.op).traits?.commutative || n.inputs.length !== 2) return undefined;
      if (g.indexOf(original.inputs[0])! <= g.indexOf(original.inputs[1])!) return undefined;
      return Node.mk(n.op, [n.inputs[1], n.inputs[0]], n.attrs, n.src);
    });
    const merged = before - graph.nodes.length;
    if (merged > 0) rewrites.push({ what: `${merged} duplicate node(s) merged`, src: undefined });
    return { graph, rewrites };
  },
};
