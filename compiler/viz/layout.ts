/**
 * A layered (Sugiyama-style) layout: nodes on rows by longest path from the leaves, leaves and
 * constants moved down next to their first consumer, then rows ordered by a few sweeps of the
 * barycenter heuristic to reduce crossings. An edge spanning several rows passes through a chain of
 * narrow dummy boxes, one per row in between (Sugiyama's long-edge split), so it is routed around the
 * nodes of those rows rather than through them. Graph structure through graphology.
 */
import { DirectedGraph } from 'graphology';
import { topologicalSort } from 'graphology-dag';
import type { VizGraph } from './labels.ts';

export interface Box {
  readonly id: string;
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
  readonly layer: number;
}

export interface Layout {
  readonly boxes: Map<string, Box>;
  /** for an edge spanning several rows (key `from->to`): the dummy boxes it passes through, top down */
  readonly routes: Map<string, Box[]>;
  readonly width: number;
  readonly height: number;
}

const CHAR = 7;
const H = 38;
const HGAP = 18;
const VGAP = 34;
const PAD = 16;

export function layout(v: VizGraph): Layout {
  const g = new DirectedGraph();
  for (const n of v.nodes) g.addNode(n.id);
  for (const [a, b] of v.edges) g.mergeEdge(a, b);
  const layer = new Map<string, number>();
  for (const id of topologicalSort(g)) layer.set(id, Math.max(-1, ...g.inNeighbors(id).map((p) => layer.get(p)!)) + 1);
  // leaves sit right above their first consumer
  for (const id of g.nodes()) {
    if (g.inDegree(id) === 0 && g.outDegree(id) > 0) layer.set(id, Math.min(...g.outNeighbors(id).map((s) => layer.get(s)!)) - 1);
  }
  const rows: string[][] = [];
  for (const n of v.nodes) (rows[layer.get(n.id)!] ??= []).push(n.id);
  for (let r = 0; r < rows.length; r++) rows[r] ??= [];
  // the layered graph: long edges split by dummies (ids start with \0, never a node id)
  const lg = new DirectedGraph();
  for (const id of g.nodes()) lg.addNode(id);
  const chains = new Map<string, string[]>();
  g.forEachEdge((_e, _attrs, a, b) => {
    const chain: string[] = [];
    for (let r = layer.get(a)! + 1; r < layer.get(b)!; r++) {
      const d = `\0${a}->${b}#${r}`;
      lg.addNode(d);
      rows[r].push(d);
      chain.push(d);
    }
    [a, ...chain, b].slice(1).forEach((id, i, rest) => lg.mergeEdge(i === 0 ? a : rest[i - 1], id));
    if (chain.length) chains.set(`${a}->${b}`, chain);
  });
  const pos = new Map<string, number>();
  const index = () => rows.forEach((row) => row.forEach((id, i) => pos.set(id, i)));
  index();
  const bary = (id: string, nbrs: string[]) => (nbrs.length ? nbrs.reduce((s, n) => s + pos.get(n)!, 0) / nbrs.length : pos.get(id)!);
  for (let sweep = 0; sweep < 6; sweep++) {
    const down = sweep % 2 === 0;
    const order = down ? rows.keys() : [...rows.keys()].reverse();
    for (const r of order) {
      const keyed = rows[r].map((id) => [bary(id, down ? lg.inNeighbors(id) : lg.outNeighbors(id)), id] as const);
      rows[r] = keyed.sort((a, b) => a[0] - b[0]).map(([, id]) => id);
      rows[r].forEach((id, i) => pos.set(id, i));
    }
  }
  const widthOf = (id: string) => {
    if (id.startsWith('\0')) return 6;
    const n = v.nodes.find((x) => x.id === id)!;
    return Math.max(n.label.length, n.sub.length) * CHAR + 20;
  };
  const rowWidth = rows.map((row) => row.reduce((s, id) => s + widthOf(id), 0) + HGAP * Math.max(0, row.length - 1));
  const width = Math.max(...rowWidth, 100) + 2 * PAD;
  const boxes = new Map<string, Box>();
  rows.forEach((row, r) => {
    let x = (width - rowWidth[r]) / 2;
    for (const id of row) {
      const w = widthOf(id);
      boxes.set(id, { id, x, y: PAD + r * (H + VGAP), w, h: H, layer: r });
      x += w + HGAP;
    }
  });
  const routes = new Map([...chains].map(([k, ids]) => [k, ids.map((d) => boxes.get(d)!)] as const));
  return { boxes, routes, width, height: PAD * 2 + rows.length * (H + VGAP) - VGAP };
}
