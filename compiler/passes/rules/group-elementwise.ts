/**
 * group-elementwise: maximal groups of elementwise ops become one Fused node, which the runtime runs as
 * one generated loop (no intermediate buffers, one pass over memory). Growing a group from its last op
 * backwards, an input op joins when it is elementwise and the group is its only consumer (a value needed
 * elsewhere, or a graph output, stays materialized). Elementwise ops commute with broadcasting, so the
 * whole group is evaluated per output element, each outside input read through its broadcast index.
 * An op's attributes (LeakyRelu's alpha) go with its instruction, and its rule for them with the loop.
 * Comparisons and casts to float or bool are elementwise too (a comparison's 0/1 cast to float, as in
 * ReLU's gradient, joins the loop that uses it); a cast to i64 is not grouped (fused loops compute no
 * integers), and --explain says so where it reads an elementwise value.
 * A group holds at most `MAX_GROUP` ops: a longer chain becomes several loops, so that the generated code
 * (one local per op) stays small and its cost stays linear in the graph's size.
 */
import { Node as IRNode, type Node } from '../../ir/node.ts';
import { getOp } from '../../ir/registry.ts';
import { consumers, rebuild } from '../rewrite.ts';
import type { Pass, Rewrite } from '../pass.ts';
import { instruction, type Instruction } from '../../ops/fused.ts';

/** The most ops one fused loop holds. */
export const MAX_GROUP = 256;

/** An integer result (a Cast to i64, for indices) stays its own kernel: fused loops compute floats and 0/1. */
const isElementwise = (n: Node) => getOp(n.op).traits?.elementwise !== undefined && n.dtype !== 'i64';

export const groupElementwise: Pass = {
  name: 'group-elementwise',
  description: 'chains of elementwise ops become one fused loop',
  run(g) {
    const nodes = g.nodes;
    // an integer cast of an elementwise value: an elementwise op that stays out of every group
    const misses: Rewrite[] = nodes
      .filter((n) => n.dtype === 'i64' && getOp(n.op).traits?.elementwise !== undefined && n.inputs.some(isElementwise))
      .map((n) => ({ what: `${n.op} to i64 stays its own kernel: fused loops compute floats and 0/1, not integers`, src: n.src }));
    // a group is an elementwise op and another it reads: without one, nothing here applies
    if (!nodes.some((n) => isElementwise(n) && n.inputs.some(isElementwise))) return { graph: g, rewrites: [], misses };
    const users = consumers(g);
    const outputs = new Set(g.outputs.map((o) => o.node));
    const taken = new Set<Node>();
    const groups = new Map<Node, { inputs: Node[]; attrs: Record<string, string | number[]> }>();
    const rewrites: Rewrite[] = [];
    for (let k = nodes.length - 1; k >= 0; k--) {
      const root = nodes[k];
      if (taken.has(root) || !isElementwise(root)) continue;
      // grow the group backwards
      const members = new Set<Node>([root]);
      const stack = [...root.inputs];
      while (stack.length && members.size < MAX_GROUP) {
        const p = stack.pop()!;
        if (members.has(p) || taken.has(p) || !isElementwise(p) || outputs.has(p) || !allIn(users.get(p), members)) continue;
        members.add(p);
        for (const i of p.inputs) stack.push(i);
      }
      if (members.size < 2) continue;
      for (const m of members) taken.add(m);
      // instructions in topological order (g.nodes order), outside inputs numbered by first use
      const order = [...members].sort((a, b) => g.indexOf(a)! - g.indexOf(b)!);
      const index = new Map<Node, number>();
      const inputs: Node[] = [];
      const inputIndex = new Map<Node, number>();
      const body: Instruction[] = [];
      for (const n of order) {
        index.set(n, body.length);
        const args: number[] = [];
        for (const x of n.inputs) {
          if (members.has(x)) args.push(index.get(x)!);
          else {
            let j = inputIndex.get(x);
            if (j === undefined) inputIndex.set(x, (j = inputs.push(x) - 1));
            args.push(-(j + 1));
          }
        }
        body.push(instruction(n.op, args, n.attrs));
      }
      groups.set(root, { inputs, attrs: { body: JSON.stringify(body), shape: [...root.shape] as number[], dtype: root.dtype } });
      rewrites.push({ what: `${order.map((n) => n.op).join('·')} (${order.length} ops) -> one loop`, src: root.src });
    }
    if (groups.size === 0) return { graph: g, rewrites, misses };
    // rebuild bottom-up: each group root becomes a Fused node over its (rebuilt) outside inputs; `map` holds
    // the nodes rebuilt (a node not in it is itself; an absorbed member is no longer reached)
    const map = new Map<Node, Node>();
    for (const n of nodes) {
      const grp = groups.get(n);
      if (grp) map.set(n, IRNode.mk('Fused', grp.inputs.map((i) => map.get(i) ?? i), grp.attrs, n.src));
      else if (!taken.has(n)) {
        const r = rebuild(n, map);
        if (r !== n) map.set(n, r);
      }
    }
    return { graph: g.withOutputs(g.outputs.map((o) => ({ name: o.name, node: map.get(o.node) ?? o.node }))), rewrites, misses };
  },
};

/** Whether every node of `us` (none: true) is in `set`. */
function allIn(us: readonly Node[] | undefined, set: ReadonlySet<Node>): boolean {
  if (us) for (const u of us) if (!set.has(u)) return false;
  return true;
}
