/**
 * Deterministic text form of a graph: one line per node in topological order, numbered from 0 in that
 * order (so the text does not depend on creation ids), with shape, dtype, attributes, fused marks and
 * source lines. Golden files compare this text.
 */
import type { Graph } from './graph.ts';
import type { Node } from './node.ts';
import { getOp } from './registry.ts';
import { shapeStr } from './shape.ts';
import { displayFile, resolvePos } from './source.ts';

export interface PrintOptions {
  /** Show source positions (default true). */
  readonly src?: boolean;
}

export function printGraph(g: Graph, opts: PrintOptions = {}): string {
  const num = new Map<Node, string>();
  const lines: string[] = [`graph ${g.name} {`];
  for (const n of g.nodes) {
    const name = n.op === 'Input' || n.op === 'Param' ? String(n.attrs.name) : `%${num.size}`;
    num.set(n, name);
    const def = getOp(n.op);
    const attrs = def.showAttrs ? def.showAttrs(n.attrs) : Object.keys(n.attrs).length ? JSON.stringify(n.attrs) : '';
    const args = n.inputs.map((i) => num.get(i)).join(', ');
    const mark = def.traits?.fused ? ' [fused]' : '';
    const src = opts.src !== false && n.op !== 'Const' ? resolvePos(n.src) : undefined;
    const where = src ? `  @ ${displayFile(src.file).split('/').slice(-2).join('/')}:${src.line}` : '';
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
