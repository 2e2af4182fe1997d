/**
 * Float32 convolution kernels that work a few images at a time, their patches gathered straight into the
 * form the WebAssembly GEMM reads (wasm/gemm.ts), small enough to stay in cache while the product reads it:
 *   forward       y[n, O_g, P]   = W_g[Og, CK] · cols_n[CK, P]      (a few images side by side; rows copied to NCHW)
 *   weight grad   dW_gᵀ[CK, Og]  = Σ cols[CK, mP] · gᵀ[mP, Og]       (m images a product, the products summed)
 *             or  dW_g[Og, CK]   = Σ_n g[n, O_g, P] · cols_nᵀ[P, CK]  (fewer taps than channels: image by image)
 * with P the output positions and CK = Cg times the kernel's size. The forward's bias is a last column of
 * the weight against a row of ones in the patches, so the product ends by adding it: no pass of its own.
 * The forward's product and the weight gradient's by taps are split by rows with the helper thread where
 * that measures faster (split.ts). Each returns null where the heap's kernels are missing; each runs its
 * fallback (the batch-wide kernels of conv.ts) for buffers outside the heap. Scratch is made when the
 * kernel is prepared.
 */
import type { Kernel } from './kernel.ts';
import { heap } from './heap.ts';
import { KC, NC, gemmRowsShared } from './wasm/gemm.ts';
import { kernelsFor } from './wasm/gemm-memory.ts';
import { splitTimer } from './split.ts';
import { moves, packedIndex, patchMap, prod, sizes, type ConvGeom } from './conv-maps.ts';

/**
 * y = conv(x, w) (+ b), a few images at a time: the patches of `m` images side by side in one packed B
 * (each image's positions padded to whole panels), so that small images still make a product of about
 * 256 columns; `fallback` runs inputs outside the heap.
 */
export function imagesForwardKernel(g: ConvGeom, hasBias: boolean, fallback: Kernel): Kernel | null {
  const h = heap(), k = h && kernelsFor(h.memory), mv = moves('f32', kernel);
  if (!h || !k || !mv) return null;
  const { Cg, Og, P, CK } = sizes(g), P8 = (P + 7) & ~7, Og4 = Og - (Og % 4), S = prod(g.size), img = g.C * S;
  const m = Math.max(1, Math.min(g.N, Math.floor(256 / P8)));
  // the product's depth: the patch entries, then with a bias a row of ones
  const K = CK + (hasBias ? 1 : 0);
  const rowMap = patchMap(g);
  // the packed layout of `mm` images side by side: where each entry reads (relative to the first image's
  // group), where the ones go, and the timer of the product's shape
  const layout = (mm: number) => {
    const NP = mm * P8, at = packedIndex(K, NP), map = new Int32Array(K * NP).fill(-1), ones: number[] = [];
    for (let j = 0; j < mm; j++)
      for (let p = 0; p < P; p++) {
        for (let ck = 0; ck < CK; ck++) if (rowMap[p * CK + ck] >= 0) map[at(ck, j * P8 + p)] = rowMap[p * CK + ck] + j * img;
        if (hasBias) ones.push(at(CK, j * P8 + p));
      }
    const timer = splitTimer(`matrix product [${Og},${K}]·[${K},${NP}] (a convolution's, ${mm} image${mm > 1 ? 's' : ''} at a time)`);
    // one image's rows of the product [Og, P] (at its column j·P8), read into NCHW's [Og, P]
    const rows = new Int32Array(Og * P);
    for (let o = 0; o < Og; o++) for (let p = 0; p < P; p++) rows[o * P + p] = o * NP + p;
    return { NP, at, len: map.length, pack: mv.gatherer(map), unpack: mv.gatherer(rows), ones: Int32Array.from(ones), timer };
  };
  const full = layout(m), rest = g.N % m ? layout(g.N % m) : full;
  // not zeroed: each call's gather writes the whole packed block (zeros where the map says -1) and the
  // product every element of prodOut
  const packed = h.alloc(K * m * P8, kernel, false), prodOut = h.alloc(Og * m * P8, kernel, false);
  // the weight with the bias as its last column, or a copy of a weight outside the heap (written whole
  // before each use)
  const wb = h.alloc(g.O * K, kernel, false);
  function kernel(ins: readonly Float32Array[], out: Float32Array): void {
    const [x, w] = ins, b = hasBias ? ins[2] : null;
    if (!h!.owns(x) || !h!.owns(out)) return fallback(ins, out);
    let wp = w;
    if (b || !h!.owns(w)) {
      for (let o = 0; o < g.O; o++) {
        for (let ck = 0; ck < CK; ck++) wb[o * K + ck] = w[o * CK + ck];
        if (b) wb[o * K + CK] = b[o];
      }
      wp = wb;
    }
    for (let n = 0; n < g.N; n += m) {
      const L = n + m <= g.N ? full : rest, mm = L.NP / P8, NP = L.NP;
      for (let gi = 0; gi < g.group; gi++) {
        const wo = gi * Og * K;
        L.pack.fn(packed.byteOffset, x.byteOffset + (n * img + gi * Cg * S) * 4, L.pack.at, L.len);
        for (let i = 0; i < L.ones.length; i++) packed[L.ones[i]] = 1;
        // rows in chunks both threads take, where the helper is idle and the split measured to pay
        if (Og4 > 0) gemmRowsShared(k!, L.timer, wp.byteOffset + wo * 4, K, 1, packed.byteOffset, prodOut.byteOffset, K, NP, Og4, Og4 * K * NP);
        // the last Og mod 4 rows of the product, in plain loops
        for (let o = Og4; o < Og; o++)
          for (let j = 0; j < NP; j++) {
            let s = 0;
            for (let kk = 0; kk < K; kk++) s += wp[wo + o * K + kk] * packed[L.at(kk, j)];
            prodOut[o * NP + j] = s;
          }
        for (let j = 0; j < mm; j++) L.unpack.fn(out.byteOffset + ((n + j) * g.O + gi * Og) * P * 4, prodOut.byteOffset + j * P8 * 4, L.unpack.at, Og * P);
      }
    }
  }
  return Object.assign(kernel, { path: 'patches packed a few images at a time + WebAssembly SIMD GEMM (rows shared with the helper thread) into NCHW' });
}

/** The weight gradient's product depth (positions of the images it takes at once). */
const DEPTH = 2048;

/**
 * dW = conv's weight gradient (inputs g [N,O,...out], x [N,C,...]); `fallback` runs inputs outside the
 * heap. Where the taps (CK) are at least the group's channels (Og), a product whose rows are the taps
 * (weightTapsKernel); else one whose rows are the channels (weightByImageKernel: a first layer's few taps
 * would make rows of little work, and its B, g's values one by one, costs more to gather than the patches).
 */
export function imagesWeightKernel(g: ConvGeom, fallback: Kernel): Kernel | null {
  const { Og, CK } = sizes(g);
  return CK >= Og ? weightTapsKernel(g, fallback) : weightByImageKernel(g, fallback);
}

/**
 * dW as dWᵀ, a few images a product: A = the patches [CK, positions], B = gᵀ [positions,
 * Og] packed, C [CK, Og], so that its rows (the taps, CK of them) are many and split with the helper
 * thread like the forward's. A's rows read a patch entry at every position, consecutive pixels along the
 * last axis, which is padded to a whole vector where the stride there is 1 (a padding position reads 0 in
 * A and in B): the patches move four floats a step (gatherVec). Each product's C is added to the sums of
 * the images before it, in the images' order; rows of C past CK are zero.
 */
function weightTapsKernel(g: ConvGeom, fallback: Kernel): Kernel | null {
  const h = heap(), k = h && kernelsFor(h.memory), mv = moves('f32', kernel);
  if (!h || !k || !mv) return null;
  const { Cg, Og, P, CK } = sizes(g), S = prod(g.size), img = g.C * S;
  const d = g.out.length - 1, OW = g.out[d], OWp = g.stride[d] === 1 ? (OW + 3) & ~3 : OW, Pp = (P / OW) * OWp;
  const M = (CK + 3) & ~3, Og8 = (Og + 7) & ~7;
  // images a product: a depth of about 2048 positions (four K blocks), in products of equal size where
  // that divides the batch, so that each product splits its rows in chunks of enough work to pay
  const m = Math.ceil(g.N / Math.max(1, Math.round((g.N * Pp) / DEPTH)));
  const rowMap = patchMap(g);
  const layout = (mm: number) => {
    const K = mm * Pp, at = packedIndex(K, Og8);
    const aMap = new Int32Array(M * K).fill(-1), bMap = new Int32Array(K * Og8).fill(-1);
    for (let j = 0; j < mm; j++)
      for (let p = 0; p < P; p++) {
        const q = j * Pp + Math.floor(p / OW) * OWp + (p % OW);
        for (let ck = 0; ck < CK; ck++) if (rowMap[p * CK + ck] >= 0) aMap[ck * K + q] = rowMap[p * CK + ck] + j * img;
        for (let o = 0; o < Og; o++) bMap[at(q, o)] = (j * g.O + o) * P + p;
      }
    const timer = splitTimer(`matrix product [${M},${K}]·[${K},${Og8}] (a convolution's weight gradient, ${mm} image${mm > 1 ? 's' : ''} at a time)`);
    return { K, a: mv.gatherer(aMap), aLen: aMap.length, b: mv.gatherer(bMap), bLen: bMap.length, timer };
  };
  const full = layout(m), rest = g.N % m ? layout(g.N % m) : full;
  // not zeroed: the gathers write A and B whole, each product writes its C whole, the first into acc
  const a = h.alloc(M * full.K, kernel, false), b = h.alloc(full.K * Og8, kernel, false);
  const acc = h.alloc(M * Og8, kernel, false), part = h.alloc(M * Og8, kernel, false), len = M * Og8;
  function kernel(ins: readonly Float32Array[], out: Float32Array): void {
    const [gr, x] = ins;
    if (!h!.owns(gr) || !h!.owns(x)) return fallback(ins, out);
    for (let gi = 0; gi < g.group; gi++) {
      for (let n = 0; n < g.N; n += m) {
        const L = n + m <= g.N ? full : rest, c = n === 0 ? acc : part;
        L.a.fn(a.byteOffset, x.byteOffset + (n * img + gi * Cg * S) * 4, L.a.at, L.aLen);
        L.b.fn(b.byteOffset, gr.byteOffset + (n * g.O + gi * Og) * P * 4, L.b.at, L.bLen);
        gemmRowsShared(k!, L.timer, a.byteOffset, L.K, 1, b.byteOffset, c.byteOffset, L.K, Og8, M, M * L.K * Og8);
        if (c === part) for (let i = 0; i < len; i++) acc[i] += part[i];
      }
      for (let o = 0; o < Og; o++)
        for (let ck = 0, w = (gi * Og + o) * CK; ck < CK; ck++) out[w + ck] = acc[ck * Og8 + o];
    }
  }
  return Object.assign(kernel, { path: 'patches gathered a few images at a time + WebAssembly SIMD GEMM of the transposed gradient (rows shared with the helper thread), summed over the images' });
}

/** dW's rows [Og, CK] summed image by image: A = g's rows in place, B = the image's patches packed. */
function weightByImageKernel(g: ConvGeom, fallback: Kernel): Kernel | null {
  const h = heap(), k = h && kernelsFor(h.memory), mv = moves('f32', kernel);
  if (!h || !k || !mv) return null;
  const { Cg, Og, P, CK } = sizes(g), Og4 = Og - (Og % 4), S = prod(g.size);
  // B = cols_nᵀ [P, CK]: the product's depth is the output positions. Its columns (the taps) are laid
  // out with each run along the last kernel axis padded to a whole vector (a 3-wide kernel's taps read
  // three consecutive pixels: four columns, the last zero), where that axis reads consecutive pixels, so
  // that the patches move four floats a step (gatherVec). A column's sums do not depend on where it is.
  const d = g.kernel.length - 1, KW = g.kernel[d], dense = g.stride[d] === 1 && g.dilation[d] === 1;
  const KW4 = dense ? (KW + 3) & ~3 : KW, CKp = (CK / KW) * KW4, CK8 = (CKp + 7) & ~7;
  const col = Int32Array.from({ length: CK }, (_, ck) => Math.floor(ck / KW) * KW4 + (ck % KW));
  const rowMap = patchMap(g), at = packedIndex(P, CKp), map = new Int32Array(P * CK8).fill(-1);
  for (let p = 0; p < P; p++) for (let ck = 0; ck < CK; ck++) map[at(p, col[ck])] = rowMap[p * CK + ck];
  // not zeroed: the gather writes the whole packed block, and acc is cleared at each call
  const packed = h.alloc(P * CK8, kernel, false), acc = h.alloc(Og * CK8, kernel, false), pack = mv.gatherer(map);
  // the last Og mod 4 rows, summed in plain loops
  const tail = new Float64Array((Og - Og4) * CK);
  function kernel(ins: readonly Float32Array[], out: Float32Array): void {
    const [gr, x] = ins;
    if (!h!.owns(gr) || !h!.owns(x)) return fallback(ins, out);
    for (let gi = 0; gi < g.group; gi++) {
      acc.fill(0);
      tail.fill(0);
      for (let n = 0; n < g.N; n++) {
        pack.fn(packed.byteOffset, x.byteOffset + (n * g.C * S + gi * Cg * S) * 4, pack.at, map.length);
        const go = (n * g.O + gi * Og) * P;
        // A = the image's gradient rows [Og, P] in place; the panel kernel goes on from the sums so far
        // (the first image's first K block starts them), so each sum runs over the images' positions in order
        for (let k0 = 0; k0 < P; k0 += KC) {
          const kc = Math.min(KC, P - k0), b = packed.byteOffset + k0 * CK8 * 4, first = n === 0 && k0 === 0 ? 1 : 0;
          for (let i = 0; i < Og4; i += 4) k!.panel(gr.byteOffset + (go + i * P + k0) * 4, P * 4, 4, b, 32, acc.byteOffset + i * CK8 * 4, CK8 * 4, kc, CK8, first, 0, 0);
        }
        for (let o = Og4; o < Og; o++)
          for (let ck = 0; ck < CK; ck++) {
            let s = 0;
            for (let p = 0; p < P; p++) s += gr[go + o * P + p] * packed[at(p, col[ck])];
            tail[(o - Og4) * CK + ck] += s;
          }
      }
      for (let o = 0; o < Og; o++)
        for (let ck = 0, w = (gi * Og + o) * CK; ck < CK; ck++) out[w + ck] = o < Og4 ? acc[o * CK8 + col[ck]] : tail[(o - Og4) * CK + ck];
    }
  }
  return Object.assign(kernel, { path: 'patches packed per image + WebAssembly SIMD GEMM, summed over the images' });
}
