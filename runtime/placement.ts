/**
 * Placing a plan's buffers in one arena: each buffer is alive from the step that writes it to its last
 * read, and buffers whose lifetimes do not overlap share memory. Offsets are aligned to one SIMD vector.
 */
import type { Graph } from '../compiler/ir/graph.ts';
import type { Node } from '../compiler/ir/node.ts';
import { memoryLimitError } from './kernels/heap.ts';

export const ALIGN = 16; // bytes: one SIMD vector

export const align = (b: number) => Math.ceil(b / ALIGN) * ALIGN;

export function prefixOffsets(sizes: readonly number[]): number[] {
  let off = 0;
  return sizes.map((s) => {
    const o = off;
    off += align(s);
    return o;
  });
}

/** Buffers up to which placement is the greedy by size (quadratic in the buffers alive together); beyond, a linear scan. */
const GREEDY_PLACEMENT_MAX = 4096;

/**
 * Offsets in one arena for buffers alive over [def[i], lastUse[i]]. A buffer is written at its step while
 * its inputs are still read, so lifetimes that touch count as overlapping. Up to GREEDY_PLACEMENT_MAX
 * buffers: largest first, each at the lowest offset that overlaps no already placed buffer whose lifetime
 * overlaps its own (greedy by size, a standard heuristic for static memory planning). Larger graphs take
 * a linear scan in schedule order that reuses a freed offset of the same size, so planning stays
 * near-linear in the graph's size.
 */
export function placeBuffers(sizes: readonly number[], def: readonly number[], lastUse: readonly number[]): number[] {
  return sizes.filter((s) => s > 0).length <= GREEDY_PLACEMENT_MAX ? greedyBySize(sizes, def, lastUse) : linearScan(sizes, def, lastUse);
}

function greedyBySize(sizes: readonly number[], def: readonly number[], lastUse: readonly number[]): number[] {
  const idx = sizes.map((_, i) => i).filter((i) => sizes[i] > 0).sort((a, b) => sizes[b] - sizes[a] || a - b);
  const offsets = new Array<number>(sizes.length).fill(0);
  // the placed buffers, and the extents [lo, hi) of those that overlap the one being placed, by start
  // (scratch made once per graph)
  const placed = new Int32Array(idx.length);
  const lo = new Float64Array(idx.length), hi = new Float64Array(idx.length);
  for (let p = 0; p < idx.length; p++) {
    const i = idx[p];
    let m = 0;
    for (let q = 0; q < p; q++) {
      const j = placed[q];
      if (def[i] <= lastUse[j] && def[j] <= lastUse[i]) {
        lo[m] = offsets[j];
        hi[m] = offsets[j] + align(sizes[j]);
        m++;
      }
    }
    // by start (insertion: a buffer overlaps few others); extents that start together may go in any
    // order, since the scan takes the largest end among them
    if (m <= 64) {
      for (let a = 1; a < m; a++) {
        const l = lo[a], h = hi[a];
        let b = a - 1;
        for (; b >= 0 && lo[b] > l; b--) {
          lo[b + 1] = lo[b];
          hi[b + 1] = hi[b];
        }
        lo[b + 1] = l;
        hi[b + 1] = h;
      }
    } else sortExtents(lo, hi, m);
    const need = align(sizes[i]);
    let off = 0;
    for (let q = 0; q < m; q++) {
      if (off + need <= lo[q]) break;
      off = Math.max(off, hi[q]);
    }
    offsets[i] = off;
    placed[p] = i;
  }
  return offsets;
}

/** The first m extents [lo, hi) sorted by start (for the many a buffer can overlap in a large graph). */
function sortExtents(lo: Float64Array, hi: Float64Array, m: number): void {
  const order = Array.from({ length: m }, (_, k) => k).sort((a, b) => lo[a] - lo[b]);
  const l = order.map((k) => lo[k]), h = order.map((k) => hi[k]);
  for (let k = 0; k < m; k++) {
    lo[k] = l[k];
    hi[k] = h[k];
  }
}

function linearScan(sizes: readonly number[], def: readonly number[], lastUse: readonly number[]): number[] {
  const offsets = new Array<number>(sizes.length).fill(0);
  const live = sizes.map((_, i) => i).filter((i) => sizes[i] > 0);
  const byDef = [...live].sort((a, b) => def[a] - def[b] || a - b);
  const byEnd = [...live].sort((a, b) => lastUse[a] - lastUse[b] || a - b);
  const free = new Map<number, number[]>(); // aligned size -> offsets free for it
  let top = 0, ended = 0;
  for (const i of byDef) {
    // every buffer whose last use is before this one's step was placed before it, and is free now
    for (; ended < byEnd.length && lastUse[byEnd[ended]] < def[i]; ended++) {
      const j = byEnd[ended], s = align(sizes[j]);
      (free.get(s) ?? free.set(s, []).get(s)!).push(offsets[j]);
    }
    const s = align(sizes[i]);
    const reuse = free.get(s)?.pop();
    if (reuse !== undefined) offsets[i] = reuse;
    else {
      offsets[i] = top;
      top += s;
    }
  }
  return offsets;
}

/** The largest total size of buffers alive at the same step (a sweep over the steps). */
export function livenessBound(sizes: readonly number[], def: readonly number[], lastUse: readonly number[]): number {
  const n = sizes.length;
  const delta = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) {
    delta[def[i]] += align(sizes[i]);
    delta[Math.min(lastUse[i], n - 1) + 1] -= align(sizes[i]);
  }
  let best = 0, live = 0;
  for (let t = 0; t < n; t++) best = Math.max(best, (live += delta[t]));
  return best;
}

/** A region as placement sees it: the nodes it computes, and those of them (or its inputs) it keeps in buffers. */
interface RegionNodes {
  readonly nodes: readonly Node[];
  readonly buffers: readonly Node[];
}

/**
 * Each computed node's lifetime in execution order, [def, lastUse]: a row region's nodes are written at its
 * first node's step and its buffers read there; nodes inside a region read nothing themselves; the graph's
 * outputs live to the end. `unstored`: region nodes no reader needs a buffer for.
 */
export function lifetimes(graph: Graph, computed: readonly Node[], order: ReadonlyMap<Node, number>, regions: ReadonlyMap<Node, RegionNodes>): { def: number[]; lastUse: number[]; inRegion: Set<Node>; unstored: Set<Node> } {
  const inRegion = new Set<Node>(), unstored = new Set<Node>();
  const def = computed.map((_, i) => i);
  for (const [first, r] of regions) {
    for (const n of r.nodes) {
      if (n !== first) inRegion.add(n);
      if (!r.buffers.includes(n)) unstored.add(n);
      def[order.get(n)!] = order.get(first)!;
    }
  }
  const lastUse = [...def];
  const read = (n: Node, at: number) => {
    const j = order.get(n);
    if (j !== undefined) lastUse[j] = Math.max(lastUse[j], at);
  };
  for (const [i, n] of computed.entries()) {
    const region = regions.get(n);
    if (region) region.buffers.forEach((b) => read(b, i));
    else if (!inRegion.has(n)) n.inputs.forEach((inp) => read(inp, i));
  }
  for (const o of graph.outputs) {
    const j = order.get(o.node);
    if (j !== undefined) lastUse[j] = Infinity;
  }
  return { def, lastUse, inRegion, unstored };
}

/** An arena outside the heap; an allocation the engine refuses is the model's size, not a bug. */
export function ordinaryArena(Buf: Float32ArrayConstructor, bytes: number, bytesPer: number): Float32Array {
  try {
    return new Buf(bytes / bytesPer);
  } catch (e) {
    if (e instanceof RangeError) throw memoryLimitError(bytes, `more than this machine could give (${e.message.split('\n')[0]})`);
    throw e;
  }
}
