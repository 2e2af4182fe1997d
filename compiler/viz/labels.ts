/** What a picture of a graph says about each node: its label, its kind (for styling) and its edges. */
import type { Graph } from '../ir/graph.ts';
import type { Node } from '../ir/node.ts';
import { getOp } from '../ir/registry.ts';
import { shapeStr } from '../ir/shape.ts';

export type Kind = 'input' | 'param' | 'const' | 'op' | 'fused' | 'output';

export interface VizNode {
  readonly id: string;
  readonly label: string;
  readonly sub: string;
  readonly kind: Kind;
}

export interface VizGraph {
  readonly name: string;
  readonly nodes: VizNode[];
  readonly edges: [string, string][];
}

export function vizGraph(g: Graph): VizGraph {
  const ids = new Map<Node, string>();
  const nodes: VizNode[] = [];
  const edges: [string, string][] = [];
  g.nodes.forEach((n, i) => {
    const id = `n${i}`;
    ids.set(n, id);
    const def = getOp(n.op);
    const shape = shapeStr(n.shape) + (n.dtype === 'f32' ? '' : ` ${n.dtype}`);
    let label: string, kind: Kind;
    if (n.op === 'Input') [label, kind] = [String(n.attrs.name), 'input'];
    else if (n.op === 'Param') [label, kind] = [String(n.attrs.name), 'param'];
    else if (n.op === 'Const') [label, kind] = [def.showAttrs ? def.showAttrs(n.attrs) : 'const', 'const'];
    else if (n.op === 'Fused') [label, kind] = [`fused: ${def.showAttrs!(n.attrs)}`, 'fused'];
    else [label, kind] = [n.op + (def.showAttrs && def.showAttrs(n.attrs) ? ` ${def.showAttrs(n.attrs)}` : ''), def.traits?.fused ? 'fused' : 'op'];
    nodes.push({ id, label, sub: shape, kind });
    n.inputs.forEach((inp) => edges.push([ids.get(inp)!, id]));
  });
  g.outputs.forEach((o, k) => {
    const id = `out${k}`;
    nodes.push({ id, label: o.name, sub: 'output', kind: 'output' });
    edges.push([ids.get(o.node)!, id]);
  });
  return { name: g.name, nodes, edges };
}
