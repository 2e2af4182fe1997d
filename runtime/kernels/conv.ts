/**
 * Convolution kernels (NC and any number of spatial axes: NCL, NCHW, NCDHW) through im2col and the matrix kernels: the patches of the batch are laid
 * out as rows, colsT[N·OH·OW, Cg·KH·KW], so that one product per group does the work of the whole batch:
 *   forward       outT[N·P, Og] = colsT · W_gᵀ            (then scattered to [N, O, OH, OW], bias added)
 *   input grad    dcolsT        = GT[N·P, Og] · W_g        (then added back to the pixels: col2im)
 *   weight grad   dW_g[Og, CK]  = GTᵀ · colsT
 * with P the output positions (OH·OW in 2-D) and CK = Cg·KH·KW (Cg times the kernel's size in N-D).
 * Scratch buffers live in the runtime's heap (so the WebAssembly GEMM
 * reads them in place) and are made once, when the kernel is prepared: a run allocates nothing.
 */
import type { Kernel } from './kernel.ts';
import { matmulKernel } from './matmul.ts';
import { heap, type Heap } from './heap.ts';
import { gatherKernels, type GatherKernels } from './wasm/gather.ts';
import { KC, NC, kernelsFor } from './wasm/gemm.ts';

export interface ConvGeom {
  /** Batch, input channels, output channels. */
  readonly N: number; readonly C: number; readonly O: number;
  /** Spatial extents (any number of axes: [L], [H, W], [D, H, W]) of the input, the kernel and the output. */
  readonly size: readonly number[]; readonly kernel: readonly number[]; readonly out: readonly number[];
  /** Per spatial axis: stride, padding at the start, dilation; and the groups. */
  readonly stride: readonly number[]; readonly pads: readonly number[]; readonly dilation: readonly number[];
  readonly group: number;
}

const prod = (a: readonly number[]) => a.reduce((p, d) => p * d, 1);

type Buf = Float32Array;

/** A scratch buffer of the plan's precision: in the heap for float32 (freed with `owner`), else a Float64Array. */
function scratch(n: number, precision: 'f32' | 'f64', owner: object): Buf {
  if (precision === 'f64') return new Float64Array(n) as unknown as Buf;
  const h = heap();
  return h ? h.alloc(n, owner) : new Float32Array(n);
}

/** For each (row of colsT, column) the input offset it reads within one image's group, or -1 (padding). */
function patchMap(g: ConvGeom): Int32Array {
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
interface Moves { readonly k: GatherKernels; readonly h: Heap; readonly map: (m: Int32Array) => number }
function moves(precision: 'f32' | 'f64', owner: object): Moves | null {
  const h = heap(), k = precision === 'f32' && h ? gatherKernels(h.memory) : null;
  if (!h || !k) return null;
  const placed = new Map<Int32Array, number>();
  return {
    k, h,
    map(m) {
      let at = placed.get(m);
      if (at === undefined) {
        const region = h.alloc(m.length, owner, false);
        const bytes = new Int32Array(region.buffer, region.byteOffset, m.length);
        for (let i = 0; i < m.length; i++) bytes[i] = m[i] < 0 ? -1 : m[i] * 4;
        placed.set(m, (at = region.byteOffset));
      }
      return at;
    },
  };
}

/** For GT's rows (p, o) of one image and group, the offset in g [O, P] of the group's first channel. */
function gtMap(Og: number, P: number): Int32Array {
  const m = new Int32Array(P * Og);
  for (let p = 0; p < P; p++) for (let o = 0; o < Og; o++) m[p * Og + o] = o * P + p;
  return m;
}

/** Fills colsT [N·P, CK] with the patches of group `gi` of x. */
function im2col(x: Buf, cols: Buf, g: ConvGeom, map: Int32Array, gi: number, mv: Moves | null = null): void {
  const S = prod(g.size), Cg = g.C / g.group, img = g.C * S, len = map.length, base = gi * Cg * S;
  if (mv && mv.h.owns(x) && mv.h.owns(cols)) {
    const at = mv.map(map);
    for (let n = 0; n < g.N; n++) mv.k.gather(cols.byteOffset + n * len * 4, x.byteOffset + (n * img + base) * 4, at, len);
    return;
  }
  for (let n = 0; n < g.N; n++) {
    const xo = n * img + base, co = n * len;
    for (let i = 0; i < len; i++) {
      const m = map[i];
      cols[co + i] = m < 0 ? 0 : x[xo + m];
    }
  }
}

/** Adds colsT [N·P, CK] back onto the pixels of group `gi` of dx (which the caller zeroed). */
function col2im(cols: Buf, dx: Buf, g: ConvGeom, map: Int32Array, gi: number, mv: Moves | null = null): void {
  const S = prod(g.size), Cg = g.C / g.group, img = g.C * S, len = map.length, base = gi * Cg * S;
  if (mv && mv.h.owns(dx) && mv.h.owns(cols)) {
    const at = mv.map(map);
    for (let n = 0; n < g.N; n++) mv.k.scatterAdd(dx.byteOffset + (n * img + base) * 4, cols.byteOffset + n * len * 4, at, len);
    return;
  }
  for (let n = 0; n < g.N; n++) {
    const xo = n * img + base, co = n * len;
    for (let i = 0; i < len; i++) {
      const m = map[i];
      if (m >= 0) dx[xo + m] += cols[co + i];
    }
  }
}

const sizes = (g: ConvGeom) => {
  const Cg = g.C / g.group, Og = g.O / g.group, P = prod(g.out);
  return { Cg, Og, P, CK: Cg * prod(g.kernel), NP: g.N * P };
};

/** y = conv(x, w) (+ b): inputs x [N,C,...], w [O,C/group,...kernel], optional b [O]. */
export function convKernel(g: ConvGeom, hasBias: boolean, precision: 'f32' | 'f64'): Kernel {
  const rows = convRowsKernel(g, hasBias, precision);
  return (precision === 'f32' && nchwKernel(g, hasBias, rows)) || rows;
}

/**
 * The forward convolution image by image, so that the product is the output's layout: per image and group
 * y[n, O_g, P] = W_g[Og, CK] · cols[CK, P], with the patches of the image written straight into the
 * panel-packed form the WebAssembly GEMM reads (gemm.ts: K blocks, then panels of 8 positions, then the
 * rows of a panel), and the product's rows copied out with the bias. Null without the heap's kernels.
 */
function nchwKernel(g: ConvGeom, hasBias: boolean, fallback: Kernel): Kernel | null {
  const h = heap(), k = h && kernelsFor(h.memory);
  if (!h || !k) return null;
  const { Cg, Og, P, CK } = sizes(g), P8 = (P + 7) & ~7, Og4 = Og - (Og % 4), S = prod(g.size);
  // where each packed entry reads within one image's group (-1: padding, or a position past P)
  const rowMap = patchMap(g), map = new Int32Array(CK * P8).fill(-1);
  const base = new Int32Array(CK), step = new Int32Array(CK); // packed index of (ck, p): base[ck] + (p >> 3)·step[ck] + (p & 7)
  for (let ck = 0; ck < CK; ck++) {
    const k0 = ck - (ck % KC), kc = Math.min(KC, CK - k0);
    base[ck] = k0 * P8 + (ck - k0) * 8;
    step[ck] = 8 * kc;
    for (let p = 0; p < P; p++) map[base[ck] + (p >> 3) * step[ck] + (p & 7)] = rowMap[p * CK + ck];
  }
  const packed = h.alloc(CK * P8, kernel), prodOut = h.alloc(Og * P8, kernel), mv = moves('f32', kernel);
  mv?.map(map);
  function kernel(ins: readonly Buf[], out: Buf): void {
    const [x, w] = ins, b = hasBias ? ins[2] : null;
    if (!h!.owns(w)) return fallback(ins, out);
    const len = map.length, at = mv && h!.owns(x) ? mv.map(map) : -1;
    for (let n = 0; n < g.N; n++)
      for (let gi = 0; gi < g.group; gi++) {
        const xo = n * g.C * S + gi * Cg * S, wo = gi * Og * CK;
        if (at >= 0) mv!.k.gather(packed.byteOffset, x.byteOffset + xo * 4, at, len);
        else
          for (let i = 0; i < len; i++) {
            const m = map[i];
            packed[i] = m < 0 ? 0 : x[xo + m];
          }
        if (Og4 > 0) k!.gemmRows(w.byteOffset + wo * 4, CK, 1, packed.byteOffset, prodOut.byteOffset, P8 * 4, CK, P8, 0, Og4, KC, NC);
        // the last Og mod 4 rows of the product, in plain loops
        for (let o = Og4; o < Og; o++)
          for (let p = 0; p < P; p++) {
            let s = 0;
            for (let ck = 0; ck < CK; ck++) s += w[wo + o * CK + ck] * packed[base[ck] + (p >> 3) * step[ck] + (p & 7)];
            prodOut[o * P8 + p] = s;
          }
        for (let o = 0; o < Og; o++) {
          const oc = gi * Og + o, bo = b ? b[oc] : 0, dst = (n * g.O + oc) * P, src = o * P8;
          for (let p = 0; p < P; p++) out[dst + p] = prodOut[src + p] + bo;
        }
      }
  }
  return Object.assign(kernel, { path: 'patches packed per image + WebAssembly SIMD GEMM into NCHW' });
}

/** The forward convolution over the whole batch at once: outT[N·P, Og] = colsT · W_gᵀ, then scattered to NCHW. */
function convRowsKernel(g: ConvGeom, hasBias: boolean, precision: 'f32' | 'f64'): Kernel {
  const { Og, P, CK, NP } = sizes(g);
  const map = patchMap(g);
  const gemm = matmulKernel(NP, CK, Og, false, true, precision);
  const cols = scratch(NP * CK, precision, kernel), outT = scratch(NP * Og, precision, kernel);
  const wg = g.group > 1 ? scratch(Og * CK, precision, kernel) : null;
  const ab = [cols, cols] as Buf[], mv = moves(precision, kernel);
  mv?.map(map); // the maps are placed when the kernel is prepared, not in a run
  function kernel(ins: readonly Buf[], out: Buf): void {
    const [x, w] = ins, b = hasBias ? ins[2] : null;
    for (let gi = 0; gi < g.group; gi++) {
      im2col(x, cols, g, map, gi, mv);
      if (wg) for (let i = 0; i < Og * CK; i++) wg[i] = w[gi * Og * CK + i];
      ab[1] = wg ?? w;
      gemm(ab, outT);
      for (let n = 0; n < g.N; n++)
        for (let o = 0; o < Og; o++) {
          const oc = gi * Og + o, bo = b ? b[oc] : 0, dst = (n * g.O + oc) * P;
          for (let p = 0, src = n * P * Og + o; p < P; p++, src += Og) out[dst + p] = outT[src] + bo;
        }
    }
  }
  return Object.assign(kernel, { path: `im2col + ${gemm.path ?? 'matrix product'}` });
}

/** Copies g [N, O, P] of group gi into GT [N·P, Og]. */
function gatherGT(gr: Buf, GT: Buf, g: ConvGeom, gi: number, Og: number, P: number, mv: Moves | null = null, map: Int32Array | null = null): void {
  if (mv && map && mv.h.owns(gr) && mv.h.owns(GT)) {
    const at = mv.map(map);
    for (let n = 0; n < g.N; n++) mv.k.gather(GT.byteOffset + n * P * Og * 4, gr.byteOffset + (n * g.O + gi * Og) * P * 4, at, P * Og);
    return;
  }
  for (let n = 0; n < g.N; n++)
    for (let o = 0; o < Og; o++) {
      const src = (n * g.O + gi * Og + o) * P;
      for (let p = 0, dst = n * P * Og + o; p < P; p++, dst += Og) GT[dst] = gr[src + p];
    }
}

/** dx = conv's input gradient: inputs g [N,O,OH,OW], w [O,C/group,KH,KW]; output [N,C,H,W]. */
export function convBackInputKernel(g: ConvGeom, precision: 'f32' | 'f64'): Kernel {
  const { Og, P, CK, NP } = sizes(g);
  const map = patchMap(g);
  const gemm = matmulKernel(NP, Og, CK, false, false, precision);
  const cols = scratch(NP * CK, precision, kernel), GT = scratch(NP * Og, precision, kernel);
  const wg = g.group > 1 ? scratch(Og * CK, precision, kernel) : null;
  const ab = [GT, GT] as Buf[], mv = moves(precision, kernel), gm = gtMap(Og, P);
  if (mv) for (const m of [map, gm]) mv.map(m); // placed when the kernel is prepared
  function kernel(ins: readonly Buf[], out: Buf): void {
    const [gr, w] = ins;
    out.fill(0);
    for (let gi = 0; gi < g.group; gi++) {
      gatherGT(gr, GT, g, gi, Og, P, mv, gm);
      if (wg) for (let i = 0; i < Og * CK; i++) wg[i] = w[gi * Og * CK + i];
      ab[1] = wg ?? w;
      gemm(ab, cols);
      col2im(cols, out, g, map, gi, mv);
    }
  }
  return Object.assign(kernel, { path: `${gemm.path ?? 'matrix product'} + col2im` });
}

/** dW = conv's weight gradient: inputs g [N,O,OH,OW], x [N,C,H,W]; output [O,C/group,KH,KW]. */
export function convBackWeightKernel(g: ConvGeom, precision: 'f32' | 'f64'): Kernel {
  const { Og, P, CK, NP } = sizes(g);
  const map = patchMap(g);
  const gemm = matmulKernel(Og, NP, CK, true, false, precision);
  const cols = scratch(NP * CK, precision, kernel), GT = scratch(NP * Og, precision, kernel);
  const dw = g.group > 1 ? scratch(Og * CK, precision, kernel) : null;
  const ab = [GT, cols] as Buf[], mv = moves(precision, kernel), gm = gtMap(Og, P);
  if (mv) for (const m of [map, gm]) mv.map(m); // placed when the kernel is prepared
  function kernel(ins: readonly Buf[], out: Buf): void {
    const [gr, x] = ins;
    for (let gi = 0; gi < g.group; gi++) {
      gatherGT(gr, GT, g, gi, Og, P, mv, gm);
      im2col(x, cols, g, map, gi, mv);
      if (dw) {
        gemm(ab, dw);
        for (let i = 0; i < Og * CK; i++) out[gi * Og * CK + i] = dw[i];
      } else gemm(ab, out);
    }
  }
  return Object.assign(kernel, { path: `im2col + ${gemm.path ?? 'matrix product'}` });
}
