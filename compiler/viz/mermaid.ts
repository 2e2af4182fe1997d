/** Mermaid flowchart text of a graph (fused nodes in the `fused` class). */
import type { Graph } from '../ir/graph.ts';
import { vizGraph, type Kind } from './labels.ts';

const shape: Record<Kind, [string, string]> = {
  input: ['([', '])'],
  param: ['([', '])'],
  const: ['[/', '/]'],
  op: ['(', ')'],
  fused: ['[[', ']]'],
  output: ['{{', '}}'],
};

const text = (s: string) => `"${s.replace(/"/g, '#quot;')}"`;

export function toMermaid(g: Graph): string {
  const v = vizGraph(g);
  const lines = ['flowchart TD'];
  for (const n of v.nodes) {
    const [a, b] = shape[n.kind];
    lines.push(`  ${n.id}${a}${text(`${n.label}<br/>${n.sub}`)}${b}`);
  }
  for (const [a, b] of v.edges) lines.push(`  ${a} --> ${b}`);
  // the legend and the shared parts (a row region's body): a note of their own
  lines.push(`  notes[${text(v.notes.join('<br/>'))}]`);
  lines.push('  classDef gradient stroke-dasharray:5 3');
  lines.push('  classDef update stroke:#7e22ce,stroke-width:2px');
  lines.push('  classDef note fill:#ffffff,stroke:#d4d4d8,color:#52525b');
  lines.push('  class notes note');
  lines.push('  classDef fused fill:#fed7aa,stroke:#c2410c,stroke-width:2px');
  lines.push('  classDef input fill:#dbeafe');
  lines.push('  classDef param fill:#dcfce7');
  for (const kind of ['fused', 'input', 'param'] as const) {
    const ids = v.nodes.filter((n) => n.kind === kind).map((n) => n.id);
    if (ids.length) lines.push(`  class ${ids.join(',')} ${kind}`);
  }
  for (const phase of ['gradient', 'update'] as const) {
    const ids = v.nodes.filter((n) => (n.kind === 'op' || n.kind === 'fused') && n.phase === phase).map((n) => n.id);
    if (ids.length) lines.push(`  class ${ids.join(',')} ${phase}`);
  }
  return lines.join('\n');
}
