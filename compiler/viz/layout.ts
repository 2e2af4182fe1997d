/**
 * A layered (Sugiyama-style) layout: nodes on rows by longest path from the leaves, leaves and
 * constants moved down next to their first consumer, then rows ordered by a few sweeps of the
 * barycenter heuristic to reduce crossings. Graph structure through graphology.
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
  const pos = new Map<string, number>();
  const index = () => rows.forEach((row) => row.forEach((id, i) => pos.set(id, i)));
  index();
  const bary = (id: string, nbrs: string[]) => (nbrs.length ? nbrs.reduce((s, n) => s + pos.get(n)!, 0) / nbrs.length : pos.get(id)!);
  for (let sweep = 0; sweep < 6; sweep++) {
    const down = sweep % 2 === 0;
    const order = down ? rows.keys() : [...rows.keys()].reverse();
    for (const r of order) {
      const keyed = rows[r].map((id) => [bary(id, down ? g.inNeighbors(id) : g.outNeighbors(id)), id] as const);
      rows[r] = keyed.sort((a, b) => a[0] - b[0]).map(([, id]) => id);
      rows[r].forEach((id, i) => pos.set(id, i));
    }
  }
  const widthOf = (id: string) => {
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
  return { boxes, width, height: PAD * 2 + rows.length * (H + VGAP) - VGAP };
}
