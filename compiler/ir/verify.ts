/**
 * The verifier: checks a graph's invariants. Run after every pass; a failure names the pass that broke it.
 * - every op is known and has its arity;
 * - every node's shape and dtype are what its op's rule infers from its inputs now;
 * - the order is topological (inputs before users) and there are no cycles;
 * - input and parameter names are unique; output names are unique.
 * Nodes and graphs are immutable, so what was checked once holds: a node's own checks (arity, shape rule)
 * run once per node, and a graph that passed is not walked again (a pass that changed nothing costs
 * nothing). Only the checks that depend on the whole graph (order, membership, names) run per new graph.
 */
import type { Graph } from './graph.ts';
import { verifyNodeOnce, type Node } from './node.ts';
import { getOp } from './registry.ts';
import { sameShape, shapeStr } from './shape.ts';

export class VerifyError extends Error {
  override name = 'VerifyError';
}

/** Graphs that passed whole (a node's own checks are remembered by `verifyNodeOnce`). */
const checkedGraphs = new WeakSet<Graph>();

export function verify(g: Graph, after = 'build'): void {
  if (checkedGraphs.has(g)) return;
  const fail = (msg: string): never => {
    throw new VerifyError(`verifier (after ${after}): ${msg}`);
  };
  const checkNode = (n: Node) => {
    const def = getOp(n.op);
    if (def.arity !== 'variadic' && n.inputs.length !== def.arity) fail(`${n} has ${n.inputs.length} inputs, ${n.op} takes ${def.arity}`);
    const { shape, dtype } = def.infer(n.inputs, n.attrs, n.src);
    if (!sameShape(shape, n.shape) || dtype !== n.dtype) fail(`${n} has ${shapeStr(n.shape)}:${n.dtype}, its rule gives ${shapeStr(shape)}:${dtype}`);
  };
  const leafNames = new Map<string, number>();
  for (let i = 0; i < g.nodes.length; i++) {
    const n = g.nodes[i];
    for (const inp of n.inputs) {
      const p = g.indexOf(inp);
      if (p === undefined) fail(`${n} uses ${inp}, which is not in the graph`);
      if (p! >= i) fail(`${n} comes before its input ${inp} (cycle or bad order)`);
    }
    verifyNodeOnce(n, checkNode);
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
