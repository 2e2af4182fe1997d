/**
 * The verifier: checks a graph's invariants. Run after every pass; a failure names the pass that broke it.
 * - input and parameter names are unique; output names are unique;
 * - after a pass (`before`, the graph the pass was given): the graph keeps its interface, the same
 *   outputs in the same order, each with the shape and dtype it had, and no input or parameter the graph
 *   did not have (a pass rewrites how outputs are computed, never what they are or what they read).
 * A graph's order is topological by construction: `Graph` lists every node its outputs reach, each after
 * its inputs (nodes are immutable, so there are no cycles), and nothing else makes a graph. A node's own
 * invariants (its op is known, it has the op's arity, its shape and dtype are what the op's rule infers
 * from its inputs) are checked by `Node.mk` when the node is made, the only way to make one; they hold in
 * every graph and are not checked again. A graph that passed is not checked again either (a pass that
 * changed nothing costs nothing), and one whose interface is that of a graph that passed has unique names
 * by that: its outputs are the other's, its leaves some of the other's.
 */
import type { Graph } from './graph.ts';
import type { Node } from './node.ts';
import { sameShape, shapeStr } from './shape.ts';

export class VerifyError extends Error {
  override name = 'VerifyError';
}

/** Graphs that passed. */
const checkedGraphs = new WeakSet<Graph>();

export function verify(g: Graph, after = 'build', before?: Graph): void {
  const changed = before !== undefined && before !== g;
  if (changed) sameInterface(before, g, after);
  if (checkedGraphs.has(g)) return;
  // the same outputs and a subset of the leaves of a graph that passed: their names are unique
  if (!changed || !checkedGraphs.has(before)) uniqueNames(g, after);
  checkedGraphs.add(g);
}

/** Fails, naming what the graph was checked after (a pass, or its build). */
function fail(after: string, msg: string): never {
  throw new VerifyError(`verifier (after ${after}): ${msg}`);
}

/** No two leaves (inputs and parameters) share a name, nor two outputs. */
function uniqueNames(g: Graph, after: string): void {
  const leafNames = new Map<string, Node>();
  for (const n of g.nodes) {
    if (n.op !== 'Input' && n.op !== 'Param') continue;
    const name = String(n.attrs.name);
    const seen = leafNames.get(name);
    if (seen !== undefined && seen !== n) fail(after, `two leaves are named '${name}'`);
    leafNames.set(name, n);
  }
  const outNames = new Set<string>();
  for (const o of g.outputs) {
    if (outNames.has(o.name)) fail(after, `output '${o.name}' appears twice`);
    outNames.add(o.name);
  }
}

/** `after` (the graph after `pass`) has `before`'s outputs (names, order, shapes, dtypes) and no leaf `before` lacks. */
function sameInterface(before: Graph, after: Graph, pass: string): void {
  if (after.outputs.length !== before.outputs.length) fail(pass, `${before.outputs.length} outputs became ${after.outputs.length}`);
  for (let i = 0; i < before.outputs.length; i++) {
    const o = before.outputs[i], a = after.outputs[i];
    if (a.name !== o.name) fail(pass, `output ${i} '${o.name}' became '${a.name}'`);
    if (a.node.dtype !== o.node.dtype) fail(pass, `output '${o.name}' changed dtype: ${o.node.dtype} became ${a.node.dtype}`);
    if (!sameShape(a.node.shape, o.node.shape)) fail(pass, `output '${o.name}' changed shape: ${shapeStr(o.node.shape)} became ${shapeStr(a.node.shape)}`);
  }
  // a leaf `before` holds is one of its inputs or parameters; a new input is named before a new parameter
  let newInput: Node | undefined, newParam: Node | undefined;
  for (const n of after.nodes) {
    if (n.op === 'Input') newInput ??= before.indexOf(n) === undefined ? n : undefined;
    else if (n.op === 'Param') newParam ??= before.indexOf(n) === undefined ? n : undefined;
  }
  const n = newInput ?? newParam;
  if (n) fail(pass, `${n.op === 'Input' ? 'input' : 'parameter'} '${String(n.attrs.name)}' ${shapeStr(n.shape)} is new`);
}
