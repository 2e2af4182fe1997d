/** Graphviz DOT text of a graph (fused nodes filled orange). */
import type { Graph } from '../ir/graph.ts';
import { vizGraph, type Kind } from './labels.ts';

const style: Record<Kind, string> = {
  input: 'shape=ellipse, style=filled, fillcolor="#dbeafe"',
  param: 'shape=ellipse, style=filled, fillcolor="#dcfce7"',
  const: 'shape=plaintext',
  op: 'shape=box, style=rounded',
  fused: 'shape=box, style="rounded,filled,bold", fillcolor="#fed7aa"',
  output: 'shape=doubleoctagon',
};

const q = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

export function toDot(g: Graph): string {
  const v = vizGraph(g);
  const lines = [`digraph ${q(v.name)} {`, '  rankdir=TB;', '  node [fontname="Helvetica", fontsize=11];'];
  for (const n of v.nodes) lines.push(`  ${n.id} [label=${q(`${n.label}\n${n.sub}`)}, ${style[n.kind]}];`);
  for (const [a, b] of v.edges) lines.push(`  ${a} -> ${b};`);
  lines.push('}');
  return lines.join('\n');
}
