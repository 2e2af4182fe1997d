/**
 * A plan's decisions as text, for `graphc compile --explain`: the row regions (and the products that did
 * not head one, with why), whether the plan runs as one WebAssembly call (and, where not, which kernels
 * keep it from it), how each kernel computes, and every fallback the runtime took, with its cause.
 */
import { posStr, resolvePos } from '../compiler/ir/source.ts';
import type { Node } from '../compiler/ir/node.ts';
import type { PlanReport } from './plan.ts';

const where = (n: Node): string => (resolvePos(n.src) ? ` at ${posStr(n.src)}` : '');
const name = (n: Node): string => (n.op === 'Fused' ? `Fused{${JSON.parse(String(n.attrs.body)).map((i: [string]) => i[0]).join('·')}}` : n.op);

export function formatPlanReport(title: string, r: PlanReport): string {
  const lines: string[] = [];
  const dims = [...r.env].map(([k, v]) => `${k} = ${v}`).join(', ');
  lines.push(`${title} (float${r.precision === 'f32' ? 32 : 64}${dims ? `, ${dims}` : ''}): ${r.kernels.length} kernel${r.kernels.length === 1 ? '' : 's'}, arena ${r.arenaBytes} bytes`);
  if (!r.heap) lines.push('  no shared WebAssembly heap: buffers are ordinary arrays and every kernel runs in JavaScript');
  for (const g of r.regions)
    lines.push(`  row region${where(g.head)}: the product, ${g.members - 1} elementwise op${g.members === 2 ? '' : 's'} after it and ${g.exits} gradient${g.exits === 1 ? '' : 's'} as one kernel (${g.path})`);
  for (const m of r.regionMisses) lines.push(`  not a row region${where(m.node)}: ${m.why}`);
  if (r.oneCall) lines.push('  one call: every kernel has a WebAssembly entry, so a run is one WebAssembly call');
  else if (r.heap) {
    const missing = r.kernels.filter((k) => !k.entry);
    const shown = missing.slice(0, 6).map((k) => `${name(k.node)}${where(k.node)} (${k.path})`);
    lines.push(`  kernel by kernel, not one call: ${missing.length} kernel${missing.length === 1 ? ' has' : 's have'} no WebAssembly entry: ${shown.join('; ')}${missing.length > 6 ? '; …' : ''}`);
  }
  const paths = new Map<string, number>();
  for (const k of r.kernels) paths.set(k.path, (paths.get(k.path) ?? 0) + 1);
  lines.push(`  kernels: ${[...paths].map(([p, n]) => `${n} ${p}`).join(', ')}`);
  for (const f of r.fallbacks) lines.push(`  fallback: ${f.what}: ${f.cause}`);
  return lines.join('\n');
}
