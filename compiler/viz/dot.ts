/**
 * Graphviz DOT text of a graph: fused nodes filled orange; in a train step, gradient nodes dashed and
 * update nodes purple. Labels break lines with DOT's own `\n` escape; the legend and the shared parts
 * (a row region's body) are the graph's label, below it.
 */
import type { Graph } from '../ir/graph.ts';
import { vizGraph, type Kind, type Phase } from './labels.ts';

const style: Record<Kind, string> = {
  input: 'shape=ellipse, style=filled, fillcolor="#dbeafe"',
  param: 'shape=ellipse, style=filled, fillcolor="#dcfce7"',
  const: 'shape=plaintext',
  op: 'shape=box, style=rounded',
  fused: 'shape=box, style="rounded,filled,bold", fillcolor="#fed7aa"',
  output: 'shape=doubleoctagon',
};

const esc = (s: string) => s.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
const q = (s: string) => `"${esc(s)}"`;
/** Lines of a label, each escaped, joined by DOT's line break (`\l`: left-aligned, for notes). */
const lines = (parts: readonly string[], brk = '\\n') => `"${parts.map(esc).join(brk)}${brk === '\\l' ? brk : ''}"`;
const phaseStyle: Record<Phase, string> = { forward: '', gradient: ', style="rounded,dashed"', update: ', color="#7e22ce", penwidth=2' };

export function toDot(g: Graph): string {
  const v = vizGraph(g);
  const out = [`digraph ${q(v.name)} {`, '  rankdir=TB;', '  node [fontname="Helvetica", fontsize=11];'];
  for (const n of v.nodes) {
    // a fused gradient node keeps its fill and is dashed
    const ph = n.kind === 'op' || n.kind === 'fused' ? phaseStyle[n.phase].replace('"rounded,dashed"', n.kind === 'fused' ? '"rounded,filled,bold,dashed"' : '"rounded,dashed"') : '';
    out.push(`  ${n.id} [label=${lines([n.label, n.sub])}, ${style[n.kind]}${ph}];`);
  }
  for (const [a, b] of v.edges) out.push(`  ${a} -> ${b};`);
  out.push(`  label=${lines(v.notes, '\\l')}; labelloc=b; labeljust=l; fontname="Helvetica"; fontsize=10;`);
  out.push('}');
  return out.join('\n');
}
