/** An SVG picture of a graph, drawn by graphc itself (no Graphviz): boxes on a layered layout. */
import type { Graph } from '../ir/graph.ts';
import { vizGraph, type Kind } from './labels.ts';
import { layout } from './layout.ts';

const fill: Record<Kind, string> = { input: '#dbeafe', param: '#dcfce7', const: '#f4f4f5', op: '#ffffff', fused: '#fed7aa', output: '#e9d5ff' };
const stroke: Record<Kind, string> = { input: '#1d4ed8', param: '#15803d', const: '#a1a1aa', op: '#3f3f46', fused: '#c2410c', output: '#7e22ce' };
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function toSvg(g: Graph): string {
  const v = vizGraph(g);
  const L = layout(v);
  // the caption: the graph's name and what the styles mean, then the shared parts (a row region's body)
  const caption = [`${v.name} — ${v.notes[0]}`, ...v.notes.slice(1)];
  const width = Math.max(L.width, ...caption.map((c) => Math.ceil(c.length * 6) + 16)); // ~6 px per character at 11 px
  const height = L.height + 10 + 15 * caption.length;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif">`,
    '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#52525b"/></marker></defs>',
    `<rect width="100%" height="100%" fill="white"/>`,
    ...caption.map((c, i) => `<text x="8" y="${L.height + 16 + 15 * i}" font-size="11" fill="#71717a">${esc(c)}</text>`),
  ];
  for (const [a, b] of v.edges) {
    const s = L.boxes.get(a)!, t = L.boxes.get(b)!;
    // a curve between rows; straight down through each dummy box of a long edge
    const via = L.routes.get(`${a}->${b}`) ?? [];
    const stops = [{ x: s.x + s.w / 2, top: s.y, bottom: s.y + s.h }, ...via.map((d) => ({ x: d.x + d.w / 2, top: d.y, bottom: d.y + d.h })), { x: t.x + t.w / 2, top: t.y, bottom: t.y + t.h }];
    let d = `M ${stops[0].x} ${stops[0].bottom}`;
    for (let i = 1; i < stops.length; i++) {
      const p = stops[i - 1], q = stops[i], my = (p.bottom + q.top) / 2;
      d += ` C ${p.x} ${my}, ${q.x} ${my}, ${q.x} ${q.top}` + (i < stops.length - 1 ? ` L ${q.x} ${q.bottom}` : '');
    }
    out.push(`<path d="${d}" fill="none" stroke="#52525b" stroke-width="1.2" marker-end="url(#arrow)"/>`);
  }
  for (const n of v.nodes) {
    const b = L.boxes.get(n.id)!;
    const rx = n.kind === 'input' || n.kind === 'param' ? b.h / 2 : 6;
    const computed = n.kind === 'op' || n.kind === 'fused'; // gradient: dashed; update: purple
    out.push(
      `<g><rect x="${b.x}" y="${b.y}" width="${b.w}" height="${b.h}" rx="${rx}" fill="${fill[n.kind]}" stroke="${computed && n.phase === 'update' ? '#7e22ce' : stroke[n.kind]}" stroke-width="${n.kind === 'fused' || (computed && n.phase === 'update') ? 2.2 : 1.2}"${computed && n.phase === 'gradient' ? ' stroke-dasharray="5 3"' : ''}/>` +
        `<text x="${b.x + b.w / 2}" y="${b.y + 16}" font-size="12" text-anchor="middle" font-weight="${n.kind === 'fused' ? 'bold' : 'normal'}">${esc(n.label)}</text>` +
        `<text x="${b.x + b.w / 2}" y="${b.y + 30}" font-size="10" text-anchor="middle" fill="#52525b">${esc(n.sub)}</text></g>`,
    );
  }
  out.push('</svg>');
  return out.join('\n');
}
