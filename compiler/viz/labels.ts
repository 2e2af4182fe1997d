/**
 * What a picture of a graph says about each node: its label (op and key attributes: a convolution's
 * kernel, stride and padding), its output shape, its kind and phase (for styling) and its edges.
 *
 * In a train step, the phase tells the parts apart: `forward` nodes are those the step's other outputs
 * (the loss) read, `update` nodes give a `next:` output, and the rest are the `gradient`. Leaves
 * (inputs, parameters, constants) are drawn once beside each node that reads them, so that no edge runs
 * from the top of the picture to a gradient at its foot. What several nodes share (a row region's
 * body) is a note, which the nodes name (R0).
 */
import type { Graph } from '../ir/graph.ts';
import type { Node } from '../ir/node.ts';
import { getOp } from '../ir/registry.ts';
import { shapeStr } from '../ir/shape.ts';
import { sharedParts } from '../ir/print.ts';

export type Kind = 'input' | 'param' | 'const' | 'op' | 'fused' | 'output';
export type Phase = 'forward' | 'gradient' | 'update';

export interface VizNode {
  readonly id: string;
  readonly label: string;
  readonly sub: string;
  readonly kind: Kind;
  readonly phase: Phase;
}

export interface VizGraph {
  readonly name: string;
  readonly nodes: VizNode[];
  readonly edges: [string, string][];
  /** What the picture's styles mean, and the shared parts' texts (`R0 = ...`). */
  readonly notes: string[];
  /** Whether the graph has a gradient (a train step): then phases are drawn. */
  readonly phased: boolean;
}

const isLeaf = (n: Node) => n.op === 'Input' || n.op === 'Param' || n.op === 'Const';

/** Each node's phase: forward (read by outputs other than `next:`), update (gives a `next:` output), gradient. */
function phases(g: Graph): Map<Node, Phase> {
  const forward = new Set<Node>();
  const visit = (n: Node) => {
    if (forward.has(n)) return;
    forward.add(n);
    n.inputs.forEach(visit);
  };
  for (const o of g.outputs) if (!o.name.startsWith('next:')) visit(o.node);
  const update = new Set(g.outputs.filter((o) => o.name.startsWith('next:') && !forward.has(o.node)).map((o) => o.node));
  return new Map(g.nodes.map((n) => [n, forward.has(n) || isLeaf(n) ? 'forward' : update.has(n) ? 'update' : 'gradient'] as const));
}

export function vizGraph(g: Graph): VizGraph {
  const ids = new Map<Node, string>();
  const nodes: VizNode[] = [];
  const edges: [string, string][] = [];
  const phase = phases(g);
  const phased = g.outputs.some((o) => o.name.startsWith('next:'));
  const shared = sharedParts(g.nodes);
  const notes: string[] = [];
  const copies = new Map<Node, number>();
  const readers = new Map<Node, number>();
  for (const n of g.nodes) for (const i of n.inputs) readers.set(i, (readers.get(i) ?? 0) + 1);
  const leafLabel = (n: Node): [string, Kind] =>
    n.op === 'Input' ? [String(n.attrs.name), 'input'] : n.op === 'Param' ? [String(n.attrs.name), 'param'] : [getOp(n.op).showAttrs?.(n.attrs) ?? 'const', 'const'];
  const shapeOf = (n: Node) => shapeStr(n.shape) + (n.dtype === 'f32' ? '' : ` ${n.dtype}`);
  /** A leaf's box for one reader: a copy of its own where it has several readers. */
  const leafFor = (n: Node): string => {
    const base = ids.get(n)!;
    if ((readers.get(n) ?? 0) + g.outputs.filter((o) => o.node === n).length <= 1) return base;
    const k = copies.get(n) ?? 0;
    copies.set(n, k + 1);
    const id = k === 0 ? base : `${base}_${k}`;
    const [label, kind] = leafLabel(n);
    nodes.push({ id, label, sub: shapeOf(n), kind, phase: 'forward' });
    return id;
  };
  g.nodes.forEach((n, i) => {
    const id = `n${i}`;
    ids.set(n, id);
    if (isLeaf(n)) {
      // drawn with its readers (below), or here when nothing but one reader or output reads it
      const [label, kind] = leafLabel(n);
      if ((readers.get(n) ?? 0) + g.outputs.filter((o) => o.node === n).length <= 1) nodes.push({ id, label, sub: shapeOf(n), kind, phase: 'forward' });
      return;
    }
    const def = getOp(n.op);
    const s = shared.get(n);
    if (s?.first) notes.push(`${s.name} = ${s.part.kind}: ${s.part.shared}`);
    const attrs = s ? `${s.name} ${s.part.own}` : (def.showAttrs?.(n.attrs, n) ?? '');
    const label = n.op === 'Fused' ? `fused: ${attrs}` : n.op + (attrs ? ` ${attrs}` : '');
    n.inputs.forEach((inp) => edges.push([isLeaf(inp) ? leafFor(inp) : ids.get(inp)!, id]));
    nodes.push({ id, label, sub: shapeOf(n), kind: def.traits?.fused ? 'fused' : 'op', phase: phase.get(n)! });
  });
  g.outputs.forEach((o, k) => {
    const id = `out${k}`;
    nodes.push({ id, label: o.name, sub: 'output', kind: 'output', phase: o.name.startsWith('next:') ? 'update' : 'forward' });
    edges.push([isLeaf(o.node) ? leafFor(o.node) : ids.get(o.node)!, id]);
  });
  const legend = phased ? 'solid: forward · dashed: gradient · purple: update · orange: fused by graphc\'s passes' : 'orange: fused by graphc\'s passes';
  return { name: g.name, nodes, edges, notes: [legend, ...notes], phased };
}
