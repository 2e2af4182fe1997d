/**
 * Deterministic text form of a graph: one line per node in topological order, numbered from 0 in that
 * order (so the text does not depend on creation ids), with shape, dtype, attributes, fused marks and
 * source lines. What several nodes share (a row region's body) is a line of its own, before the first of
 * them, which the others name (`R0`). Golden files compare this text.
 */
import type { Graph } from './graph.ts';
import type { Node } from './node.ts';
import { getOp } from './registry.ts';
import type { SharedPart } from './op.ts';
import { shapeStr } from './shape.ts';
import { displayFile, posIn, resolvePos } from './source.ts';

export interface PrintOptions {
  /** Show source positions (default true). */
  readonly src?: boolean;
}

/**
 * The shared parts of a graph's nodes (OpCore.showShared), each named by its kind's initial and its
 * number in the order first met (R0, R1), with whether the node is the first to show it.
 */
export function sharedParts(nodes: readonly Node[]): Map<Node, { part: SharedPart; name: string; first: boolean }> {
  const names = new Map<string, string>();
  const counts = new Map<string, number>();
  const parts = new Map<Node, { part: SharedPart; name: string; first: boolean }>();
  for (const n of nodes) {
    const part = getOp(n.op).showShared?.(n);
    if (!part) continue;
    let name = names.get(part.key);
    const first = name === undefined;
    if (first) {
      const letter = part.kind[0].toUpperCase(), c = counts.get(letter) ?? 0;
      counts.set(letter, c + 1);
      names.set(part.key, (name = `${letter}${c}`));
    }
    parts.set(n, { part, name: name!, first });
  }
  return parts;
}

export function printGraph(g: Graph, opts: PrintOptions = {}): string {
  const num = new Map<Node, string>();
  const lines: string[] = [`graph ${g.name} {`];
  const shared = sharedParts(g.nodes);
  for (const n of g.nodes) {
    const name = n.op === 'Input' || n.op === 'Param' ? String(n.attrs.name) : `%${num.size}`;
    num.set(n, name);
    const def = getOp(n.op);
    const s = shared.get(n);
    if (s?.first) lines.push(`  ${s.part.kind} ${s.name} = ${s.part.shared}`);
    const attrs = s ? `${s.name} ${s.part.own}` : def.showAttrs ? def.showAttrs(n.attrs, n) : Object.keys(n.attrs).length ? JSON.stringify(n.attrs) : '';
    const args = n.inputs.map((i) => num.get(i)).join(', ');
    const mark = def.traits?.fused ? ' [fused]' : '';
    const src = opts.src !== false && n.op !== 'Const' ? resolvePos(n.src) : undefined;
    const where = src ? `  @ ${posIn(displayFile(src.file).split('/').slice(-2).join('/'), src)}` : '';
    const head =
      n.op === 'Input' || n.op === 'Param'
        ? `  ${n.op.toLowerCase()} ${name}`
        : n.op === 'Const'
          ? `  ${name} = Const ${attrs}`
          : `  ${name} = ${n.op}${mark}(${args})${attrs ? ` {${attrs}}` : ''}`;
    lines.push(`${head} : ${shapeStr(n.shape)}${n.dtype === 'f32' ? '' : ':' + n.dtype}${where}`);
  }
  for (const o of g.outputs) lines.push(`  return ${o.name} = ${num.get(o.node)}`);
  lines.push('}');
  return lines.join('\n');
}
