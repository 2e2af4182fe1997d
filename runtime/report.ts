/**
 * A plan's decisions as text, for `graphc compile --explain`: the row regions (and the products that did
 * not head one, with why), the updates written in place (and those copied, with why), whether the plan runs as one WebAssembly call (and, where not, which kernels
 * keep it from it), how each kernel computes, and every fallback the runtime took, with its cause.
 */
import { posStr, resolvePos } from '../compiler/ir/source.ts';
import type { Node } from '../compiler/ir/node.ts';
import type { PlanReport } from './plan.ts';
import type { SplitChoice } from './kernels/split.ts';

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
  if (r.inPlace.length) lines.push(`  in place: the next value${r.inPlace.length === 1 ? ' of' : 's of'} ${r.inPlace.map((u) => u.leaf).join(', ')} written into ${r.inPlace.length === 1 ? 'its' : 'their'} own buffer${r.inPlace.length === 1 ? '' : 's'}, not copied after a run`);
  for (const m of r.inPlaceMisses) lines.push(`  copied after a run: the next value of ${m.leaf} (${m.why})`);
  if (r.oneCall) lines.push('  one call: every kernel has a WebAssembly entry, so a run is one WebAssembly call');
  else if (r.heap) {
    const missing = r.kernels.filter((k) => !k.entry).length;
    const n = r.kernels.length;
    lines.push(`  kernel by kernel, not one call: ${missing} of ${n} kernel${n === 1 ? '' : 's'} ${missing === 1 ? 'has' : 'have'} no WebAssembly entry (below, by path)`);
  }
  // every kernel, by path (and whether it has an entry), the same op at the same line counted once
  const groups = new Map<string, Map<string, number>>();
  for (const k of r.kernels) {
    const key = k.path + (k.entry || !r.heap ? '' : ', no WebAssembly entry');
    const ops = groups.get(key) ?? groups.set(key, new Map()).get(key)!;
    const op = `${name(k.node)}${where(k.node)}`;
    ops.set(op, (ops.get(op) ?? 0) + 1);
  }
  lines.push(`  kernels, by path:`);
  for (const [path, ops] of groups) {
    const n = [...ops.values()].reduce((a, b) => a + b, 0);
    lines.push(`    ${n} ${path}: ${[...ops].map(([op, c]) => (c > 1 ? `${c} × ${op}` : op)).join('; ')}`);
  }
  for (const f of r.fallbacks) lines.push(`  fallback: ${f.what}: ${f.cause}`);
  return lines.join('\n');
}

/**
 * What the kernels that can split their work with the helper thread chose, each by timing its own calls
 * both ways (kernels/split.ts), for `graphc train --explain`. `helper`: whether a helper thread was
 * installed (`--threads 2`); `declined`, why none was where two threads were asked for (one core).
 */
export function formatSplitChoices(choices: readonly SplitChoice[], helper: boolean, declined: string | null = null): string {
  if (!helper) return declined ? `threads: one: every kernel ran on the calling thread: ${declined}` : 'threads: one (--threads 1): every kernel ran on the calling thread';
  if (!choices.length) return 'threads: a helper thread was available; no kernel was large enough to split its work with it';
  const two = choices.filter((c) => c.splitting).length;
  const ms = (x: number) => `${x < 1 ? x.toFixed(3) : x.toFixed(2)} ms`;
  const lines = [`threads: ${two} of ${choices.length} kernel${choices.length === 1 ? '' : 's'} that can split their work with the helper thread do${choices.length === 1 ? 'es' : ''}; the others run on one thread, where two were not faster (each kernel times its own calls both ways, now and then)`];
  for (const c of choices)
    lines.push(`  ${c.what}: ${c.splitting ? 'two threads' : 'one thread'} (a call took ${ms(c.splitMs)} split, ${ms(c.oneMs)} on one thread, at the latest of ${c.looks} look${c.looks === 1 ? '' : 's'}${c.dropped ? '; dropped since: split calls turned slower or the helper did not help' : ''})`);
  return lines.join('\n');
}
