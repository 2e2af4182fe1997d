/**
 * The geometry of a convolution and the index maps its kernels move data by (conv.ts, conv-images.ts):
 * where each patch entry reads in an image, the WebAssembly layout moves over byte-offset maps, and the
 * GEMM's packed layout of B.
 */
import { heap, type Heap } from './heap.ts';
import { gatherKernels, scatterRecords, vectorMap, type GatherKernels } from './wasm/gather.ts';
import { KC } from './wasm/gemm.ts';

export interface ConvGeom {
  /** Batch, input channels, output channels. */
  readonly N: number; readonly C: number; readonly O: number;
  /** Spatial extents (any number of axes: [L], [H, W], [D, H, W]) of the input, the kernel and the output. */
  readonly size: readonly number[]; readonly kernel: readonly number[]; readonly out: readonly number[];
  /** Per spatial axis: stride, padding at the start, dilation; and the groups. */
  readonly stride: readonly number[]; readonly pads: readonly number[]; readonly dilation: readonly number[];
  readonly group: number;
}

export const prod = (a: readonly number[]) => a.reduce((p, d) => p * d, 1);

/** For each (row of colsT, column) the input offset it reads within one image's group, or -1 (padding). */
export function patchMap(g: ConvGeom): Int32Array {
  const d = g.size.length, Cg = g.C / g.group, P = prod(g.out), K = prod(g.kernel), CK = Cg * K, S = prod(g.size);
  const map = new Int32Array(P * CK);
  const o = new Array<number>(d).fill(0), k = new Array<number>(d).fill(0);
  for (let p = 0; p < P; p++) {
    // o: the output position of row p (row-major)
    for (let a = d - 1, r = p; a >= 0; a--) { o[a] = r % g.out[a]; r = Math.floor(r / g.out[a]); }
    for (let kk = 0; kk < K; kk++) {
      for (let a = d - 1, r = kk; a >= 0; a--) { k[a] = r % g.kernel[a]; r = Math.floor(r / g.kernel[a]); }
      let off = 0, inside = true;
      for (let a = 0; a < d; a++) {
        const i = o[a] * g.stride[a] - g.pads[a] + k[a] * g.dilation[a];
        if (i < 0 || i >= g.size[a]) { inside = false; break; }
        off = off * g.size[a] + i;
      }
      for (let c = 0; c < Cg; c++) map[p * CK + c * K + kk] = inside ? c * S + off : -1;
    }
  }
  return map;
}

/**
 * The layout moves in WebAssembly (wasm/gather.ts) for float32 buffers in the heap: the kernels and the
 * byte-offset maps they read, in the heap (freed with `owner`). Null for float64 plans or without a heap.
 */
export interface Moves {
  readonly k: GatherKernels;
  readonly h: Heap;
  /** Where the byte-offset form of a map is (placed on first use). */
  readonly map: (m: Int32Array) => number;
  /** A gather by `m` (placed now): `gatherVec` where at least half its groups of four move as vectors, else `gather`. */
  readonly gatherer: (m: Int32Array) => Gatherer;
  /** A scatter-add by `m` (placed now), as `scatterAddVec`'s records: `n` of them. */
  readonly scatterer: (m: Int32Array) => Gatherer & { readonly n: number };
}
/** A gather by one map: `fn(dst, src, at, n)` moves the map's n elements. */
export interface Gatherer { readonly fn: (dst: number, src: number, map: number, n: number) => void; readonly at: number }
export function moves(precision: 'f32' | 'f64', owner: object): Moves | null {
  const h = heap(), k = precision === 'f32' && h ? gatherKernels(h.memory) : null;
  if (!h || !k) return null;
  const placed = new Map<Int32Array, number>();
  const place = (m: Int32Array) => {
    const region = h.alloc(m.length, owner, false);
    new Int32Array(region.buffer, region.byteOffset, m.length).set(m);
    return region.byteOffset;
  };
  const bytesOf = (m: Int32Array) => m.map((v) => (v < 0 ? -1 : v * 4));
  const map = (m: Int32Array) => {
    let at = placed.get(m);
    if (at === undefined) placed.set(m, (at = place(bytesOf(m))));
    return at;
  };
  return {
    k, h, map,
    gatherer(m) {
      const v = vectorMap(bytesOf(m));
      return 2 * v.vectors >= m.length >> 2 ? { fn: k.gatherVec, at: place(v.map) } : { fn: k.gather, at: map(m) };
    },
    scatterer(m) {
      const r = scatterRecords(bytesOf(m), 4 * m.length);
      return { fn: k.scatterAddVec, at: place(r.map), n: r.records };
    },
  };
}

/** For GT's rows (p, o) of one image and group, the offset in g [O, P] of the group's first channel. */
export function gtMap(Og: number, P: number): Int32Array {
  const m = new Int32Array(P * Og);
  for (let p = 0; p < P; p++) for (let o = 0; o < Og; o++) m[p * Og + o] = o * P + p;
  return m;
}

export const sizes = (g: ConvGeom) => {
  const Cg = g.C / g.group, Og = g.O / g.group, P = prod(g.out);
  return { Cg, Og, P, CK: Cg * prod(g.kernel), NP: g.N * P };
};

/**
 * Where entry (k, j) of a K×N matrix B goes in the GEMM's packed layout (wasm/gemm.ts): K blocks of KC
 * rows, in each the panels of 8 columns, in each panel the block's rows of 8 values; N rounded up to 8.
 */
export function packedIndex(K: number, N: number): (k: number, j: number) => number {
  const NP = (N + 7) & ~7;
  return (k, j) => {
    const k0 = k - (k % KC), kc = Math.min(KC, K - k0);
    return k0 * NP + (j >> 3) * 8 * kc + (k - k0) * 8 + (j & 7);
  };
}
