/**
 * In-place updates: a train step's `next:<leaf>` output written straight into the leaf's own buffer, so
 * that no copy of the new value into the leaf follows the run (a pass over every parameter and piece of
 * optimizer state per step, and a buffer of each's size in the arena, saved).
 *
 * The rule (`inPlaceUpdates`): an update is written in place where
 * - its value is computed by a step of its own (not a row region, which writes several outputs);
 * - no step after that one reads the leaf (its old value is still needed until then), and the leaf is
 *   not itself an output of the graph (which returns its old value);
 * - the step reads the leaf, if at all, only element by element: an elementwise kernel (an op with the
 *   elementwise trait, or a fused chain of them) over the leaf as an operand of the output's size reads
 *   element i of it while, or before, it writes element i, and no other element of it after;
 * - no other leaf takes the same value in place (one buffer holds it).
 * `verifyInPlace` checks a schedule against the first two: each step in order, no read of a leaf after
 * the step that overwrote it, and the writing step's own reads element by element. The plan runs it on
 * every schedule it makes with updates in place.
 */
import type { Node } from '../compiler/ir/node.ts';
import type { Graph } from '../compiler/ir/graph.ts';
import { getOp } from '../compiler/ir/registry.ts';
import { elementwiseRule } from '../compiler/ir/op.ts';
import { sizeOf } from '../compiler/ir/shape.ts';

/** One step of a plan as the rule sees it: the node it computes (a region's head) and the nodes whose buffers it reads. */
export interface ScheduledStep {
  readonly node: Node;
  readonly reads: readonly Node[];
  /** A row region's step (it writes several outputs). */
  readonly region: boolean;
}

/** An update not written in place, and why. */
export interface InPlaceMiss {
  readonly leaf: string;
  readonly why: string;
}

const leafName = (n: Node) => String(n.attrs.name);

/**
 * Whether step `n` reads `leaf` only element by element, at the position it writes: its kernel is
 * elementwise and every operand that is the leaf has the output's size (not broadcast).
 */
export function readsElementwise(n: Node, leaf: Node, shapes: ReadonlyMap<Node, readonly number[]>): boolean {
  if (!n.inputs.includes(leaf)) return true;
  const elementwise = n.op === 'Fused' || elementwiseRule(getOp(n.op), n.attrs) !== undefined;
  return elementwise && sizeOf(shapes.get(leaf)!) === sizeOf(shapes.get(n)!);
}

/**
 * The updates (output name → leaf name) written in place in this schedule: each output's node and its
 * leaf; and those that are not, with why. An output that is its leaf itself (a value the step leaves as
 * it is) needs neither and is in neither.
 */
export function inPlaceUpdates(graph: Graph, updates: ReadonlyMap<string, string>, steps: readonly ScheduledStep[], shapes: ReadonlyMap<Node, readonly number[]>): { pairs: Map<Node, Node>; misses: InPlaceMiss[] } {
  const pairs = new Map<Node, Node>();
  const misses: InPlaceMiss[] = [];
  const at = new Map<Node, number>();
  const lastRead = new Map<Node, number>();
  steps.forEach((st, i) => {
    at.set(st.node, i);
    for (const r of st.reads) if (r.op === 'Param' || r.op === 'Input') lastRead.set(r, i);
  });
  const leaves = new Map(graph.nodes.filter((n) => n.op === 'Param' || n.op === 'Input').map((n) => [leafName(n), n]));
  const outputNodes = new Set(graph.outputs.map((o) => o.node));
  const taken = new Set<Node>(), takenLeaves = new Set<Node>();
  for (const [outName, name] of updates) {
    const leaf = leaves.get(name);
    const out = graph.outputs.find((o) => o.name === outName)?.node;
    if (!leaf || !out || out === leaf) continue;
    const miss = (why: string) => misses.push({ leaf: name, why });
    const w = at.get(out);
    if (w === undefined || steps[w].region) miss(out.op === 'Param' || out.op === 'Input' || out.op === 'Const' ? 'its next value is a leaf' : 'its next value is written by a row region');
    else if (outputNodes.has(leaf)) miss('the graph returns its old value');
    else if (taken.has(out)) miss('its next value is the next value of another leaf too');
    else if (takenLeaves.has(leaf)) miss('another output is its next value too');
    else if (sizeOf(shapes.get(out)!) !== sizeOf(shapes.get(leaf)!)) miss('its next value has another size');
    else if ((lastRead.get(leaf) ?? -1) > w) miss(`${steps[lastRead.get(leaf)!].node.op} reads it after its update`);
    else if (!readsElementwise(out, leaf, shapes)) miss(`its update (${out.op}) reads it other than element by element`);
    else {
      pairs.set(out, leaf);
      taken.add(out);
      takenLeaves.add(leaf);
    }
  }
  return { pairs, misses };
}

/**
 * Checks that a schedule with these updates in place (node → the leaf whose buffer it is written into)
 * reads no leaf after the step that overwrote it, and that each such step reads its leaf element by
 * element; throws naming the step otherwise.
 */
export function verifyInPlace(steps: readonly ScheduledStep[], pairs: ReadonlyMap<Node, Node>, shapes: ReadonlyMap<Node, readonly number[]>): void {
  const overwritten = new Map<Node, Node>(); // leaf → the step's node that overwrote it
  for (const st of steps) {
    for (const r of st.reads) {
      const by = overwritten.get(r);
      if (by) throw new Error(`in-place update: ${st.node.op} reads leaf '${leafName(r)}' after ${by.op} overwrote it`);
    }
    const leaf = pairs.get(st.node);
    if (leaf === undefined) continue;
    if (st.region) throw new Error(`in-place update: leaf '${leafName(leaf)}' is written by a row region`);
    if (!readsElementwise(st.node, leaf, shapes)) throw new Error(`in-place update: ${st.node.op} reads leaf '${leafName(leaf)}' other than element by element while overwriting it`);
    overwritten.set(leaf, st.node);
  }
}
