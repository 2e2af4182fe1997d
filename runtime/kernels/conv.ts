/**
 * Convolution kernels (NC and any number of spatial axes: NCL, NCHW, NCDHW) through im2col and the matrix kernels: the patches of the batch are laid
 * out as rows, colsT[N·OH·OW, Cg·KH·KW], so that one product per group does the work of the whole batch:
 *   forward       outT[N·P, Og] = colsT · W_gᵀ            (then scattered to [N, O, OH, OW], bias added)
 *   input grad    dcolsT        = GT[N·P, Og] · W_g        (then added back to the pixels: col2im)
 *   weight grad   dW_g[Og, CK]  = GTᵀ · colsT
 * with P the output positions (OH·OW in 2-D) and CK = Cg·KH·KW (Cg times the kernel's size in N-D).
 * Scratch buffers live in the runtime's heap (so the WebAssembly GEMM
 * reads them in place) and are made once, when the kernel is prepared: a run allocates nothing.
 * Float32 plans run the forward and the weight gradient a few images at a time where they can (conv-images.ts);
 * the batch-wide kernels here are their fallbacks and the float64 reference.
 */
import type { Kernel } from './kernel.ts';
import { matmulKernel } from './matmul.ts';
import { heap } from './heap.ts';
import { gtMap, moves, patchMap, prod, sizes, type ConvGeom, type Moves } from './conv-maps.ts';

type Scatterer = ReturnType<Moves['scatterer']>;
import { imagesForwardKernel, imagesWeightKernel } from './conv-images.ts';

export type { ConvGeom } from './conv-maps.ts';

type Buf = Float32Array;

/**
 * A scratch buffer of the plan's precision: in the heap for float32 (freed with `owner`), else a
 * Float64Array. Not cleared: every use writes it whole before reading it (im2col and gatherGT fill all
 * of it, padding as zeros; a product writes its whole output; a group's weights are copied whole).
 */
function scratch(n: number, precision: 'f32' | 'f64', owner: object): Buf {
  if (precision === 'f64') return new Float64Array(n) as unknown as Buf;
  const h = heap();
  return h ? h.alloc(n, owner, false) : new Float32Array(n);
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
function col2im(cols: Buf, dx: Buf, g: ConvGeom, map: Int32Array, gi: number, mv: Moves | null = null, sc: Scatterer | null = null): void {
  const S = prod(g.size), Cg = g.C / g.group, img = g.C * S, len = map.length, base = gi * Cg * S;
  if (mv && sc && mv.h.owns(dx) && mv.h.owns(cols)) {
    for (let n = 0; n < g.N; n++) sc.fn(dx.byteOffset + (n * img + base) * 4, cols.byteOffset + n * len * 4, sc.at, sc.n);
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

/** y = conv(x, w) (+ b): inputs x [N,C,...], w [O,C/group,...kernel], optional b [O]. */
export function convKernel(g: ConvGeom, hasBias: boolean, precision: 'f32' | 'f64'): Kernel {
  if (precision === 'f64') return convRowsKernel(g, hasBias, precision);
  // the batch-wide kernel only where the image-by-image one cannot run (made on first use: its scratch is large)
  let rows: Kernel | null = null;
  return imagesForwardKernel(g, hasBias, (ins, out) => (rows ??= convRowsKernel(g, hasBias, precision))(ins, out)) ?? convRowsKernel(g, hasBias, precision);
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
  if (mv) mv.map(gm); // placed when the kernel is prepared
  const sc = mv && mv.scatterer(map);
  function kernel(ins: readonly Buf[], out: Buf): void {
    const [gr, w] = ins;
    out.fill(0);
    for (let gi = 0; gi < g.group; gi++) {
      gatherGT(gr, GT, g, gi, Og, P, mv, gm);
      if (wg) for (let i = 0; i < Og * CK; i++) wg[i] = w[gi * Og * CK + i];
      ab[1] = wg ?? w;
      gemm(ab, cols);
      col2im(cols, out, g, map, gi, mv, sc);
    }
  }
  return Object.assign(kernel, { path: `${gemm.path ?? 'matrix product'} + col2im` });
}

/** dW = conv's weight gradient: inputs g [N,O,OH,OW], x [N,C,H,W]; output [O,C/group,KH,KW]. */
export function convBackWeightKernel(g: ConvGeom, precision: 'f32' | 'f64'): Kernel {
  if (precision === 'f64') return weightRowsKernel(g, precision);
  // the batch-wide kernel only where the image-by-image one cannot run (made on first use: its scratch is large)
  let rows: Kernel | null = null;
  return imagesWeightKernel(g, (ins, out) => (rows ??= weightRowsKernel(g, precision))(ins, out)) ?? weightRowsKernel(g, precision);
}

/** The weight gradient over the whole batch at once: dW_g = GTᵀ · colsT. */
function weightRowsKernel(g: ConvGeom, precision: 'f32' | 'f64'): Kernel {
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
