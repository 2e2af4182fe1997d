/**
 * The verifier: checks a graph's invariants. Run after every pass; a failure names the pass that broke it.
 * - the order is topological (inputs before users) and there are no cycles;
 * - input and parameter names are unique; output names are unique;
 * - after a pass (`before`, the graph the pass was given): the graph keeps its interface, the same
 *   outputs in the same order, each with the shape and dtype it had, and no input or parameter the graph
 *   did not have (a pass rewrites how outputs are computed, never what they are or what they read).
 * A node's own invariants (its op is known, it has the op's arity, its shape and dtype are what the op's
 * rule infers from its inputs) are checked by `Node.mk` when the node is made, the only way to make one;
 * nodes are immutable, so they hold in every graph and are not checked again. A graph that passed is not
 * walked again either (a pass that changed nothing costs nothing).
 */
import type { Graph } from './graph.ts';
import { sameShape, shapeStr } from './shape.ts';

export class VerifyError extends Error {
  override name = 'VerifyError';
}

/** Graphs that passed. */
const checkedGraphs = new WeakSet<Graph>();

export function verify(g: Graph, after = 'build', before?: Graph): void {
  const fail = (msg: string): never => {
    throw new VerifyError(`verifier (after ${after}): ${msg}`);
  };
  if (before && before !== g) sameInterface(before, g, fail);
  if (checkedGraphs.has(g)) return;
  const leafNames = new Map<string, number>();
  for (let i = 0; i < g.nodes.length; i++) {
    const n = g.nodes[i];
    for (const inp of n.inputs) {
      const p = g.indexOf(inp);
      if (p === undefined) fail(`${n} uses ${inp}, which is not in the graph`);
      if (p! >= i) fail(`${n} comes before its input ${inp} (cycle or bad order)`);
    }
    if (n.op === 'Input' || n.op === 'Param') {
      const name = String(n.attrs.name);
      if (leafNames.has(name) && leafNames.get(name) !== n.id) fail(`two leaves are named '${name}'`);
      leafNames.set(name, n.id);
    }
  }
  const outNames = new Set<string>();
  for (const o of g.outputs) {
    if (outNames.has(o.name)) fail(`output '${o.name}' appears twice`);
    outNames.add(o.name);
  }
  checkedGraphs.add(g);
}

/** `after` has `before`'s outputs (names, order, shapes, dtypes) and no leaf `before` lacks. */
function sameInterface(before: Graph, after: Graph, fail: (msg: string) => never): void {
  if (after.outputs.length !== before.outputs.length) fail(`${before.outputs.length} outputs became ${after.outputs.length}`);
  before.outputs.forEach((o, i) => {
    const a = after.outputs[i];
    if (a.name !== o.name) fail(`output ${i} '${o.name}' became '${a.name}'`);
    if (a.node.dtype !== o.node.dtype) fail(`output '${o.name}' changed dtype: ${o.node.dtype} became ${a.node.dtype}`);
    if (!sameShape(a.node.shape, o.node.shape)) fail(`output '${o.name}' changed shape: ${shapeStr(o.node.shape)} became ${shapeStr(a.node.shape)}`);
  });
  const leaves = new Set([...before.inputs, ...before.params]);
  for (const n of [...after.inputs, ...after.params]) if (!leaves.has(n)) fail(`${n.op === 'Input' ? 'input' : 'parameter'} '${String(n.attrs.name)}' ${shapeStr(n.shape)} is new`);
}
