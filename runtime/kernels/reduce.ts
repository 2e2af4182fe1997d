/**
 * Reductions over axes. The input is viewed as [outer, reduced, inner] when the reduced axes are
 * contiguous (the common cases: all elements, the batch axis, the class axis); otherwise each input
 * element's output slot is precomputed. Sums accumulate in float64 and are stored as float32; in float32
 * plans, contiguous sums, and sums around one block of kept axes, of at least SIMD_MIN_ELEMENTS elements
 * in the heap run in WebAssembly SIMD (wasm/sums.ts), still in float64.
 */
import type { Kernel } from './kernel.ts';
import { sizeOf } from '../../compiler/ir/shape.ts';
import { offsetMap } from './strides.ts';
import { heap } from './heap.ts';
import { sumKernels } from './wasm/sums.ts';
import { SIMD_MIN_ELEMENTS } from './wasm/elementwise.ts';

export type ReduceKind = 'sum' | 'mean' | 'max';

export function reduceKernel(kind: ReduceKind, inShape: readonly number[], axes: readonly number[], precision: 'f32' | 'f64' = 'f64'): Kernel {
  const r = inShape.length;
  const red = new Set(axes);
  const count = axes.reduce((p, a) => p * inShape[a], 1);
  const scale = kind === 'mean' ? 1 / count : 1;
  const sorted = [...red].sort((a, b) => a - b);
  const contiguous = sorted.every((a, i) => i === 0 || a === sorted[i - 1] + 1);
  if (contiguous) {
    const first = sorted.length ? sorted[0] : r;
    const last = sorted.length ? sorted[sorted.length - 1] : r - 1;
    const outer = sizeOf(inShape.slice(0, first));
    const inner = sizeOf(inShape.slice(last + 1));
    const mid = count;
    if (kind === 'max') {
      return (ins, out) => {
        const x = ins[0];
        for (let o = 0; o < outer; o++)
          for (let j = 0; j < inner; j++) {
            let m = -Infinity;
            const base = o * mid * inner + j;
            for (let k = 0; k < mid; k++) {
              const v = x[base + k * inner];
              if (v > m || v !== v) m = v;
            }
            out[o * inner + j] = m;
          }
      };
    }
    const simd = precision === 'f32' ? simdSum(outer, mid, inner, scale, () => reduceKernel(kind, inShape, axes)) : null;
    if (simd) return simd;
    if (inner === 1) {
      return (ins, out) => {
        const x = ins[0];
        for (let o = 0; o < outer; o++) out[o] = sumRun(x, o * mid, mid) * scale;
      };
    }
    const acc = new Float64Array(inner);
    return (ins, out) => {
      const x = ins[0];
      for (let o = 0; o < outer; o++) {
        acc.fill(0);
        const base = o * mid * inner;
        for (let k = 0; k < mid; k++) {
          const row = base + k * inner;
          for (let j = 0; j < inner; j++) acc[j] += x[row + j];
        }
        for (let j = 0; j < inner; j++) out[o * inner + j] = acc[j] * scale;
      }
    };
  }
  // The kept axes in one block between reduced ones ([outer, kept, inner], outer and inner reduced: a
  // bias's gradient over [N, C, H, W]): each kept slot sums contiguous runs of `inner` elements
  const kept = [...Array(r).keys()].filter((d) => !red.has(d));
  if (kind !== 'max' && kept.length && kept.every((d, i) => i === 0 || d === kept[i - 1] + 1)) {
    const outer = sizeOf(inShape.slice(0, kept[0])), mid = sizeOf(inShape.slice(kept[0], kept[kept.length - 1] + 1));
    const inner = sizeOf(inShape.slice(kept[kept.length - 1] + 1));
    const simd = precision === 'f32' ? simdKeptSum(outer, mid, inner, scale, () => reduceKernel(kind, inShape, axes)) : null;
    if (simd) return simd;
    const acc = new Float64Array(mid);
    return (ins, out) => {
      const x = ins[0];
      acc.fill(0);
      for (let o = 0, base = 0; o < outer; o++)
        for (let m = 0; m < mid; m++, base += inner) acc[m] += sumRun(x, base, inner);
      for (let m = 0; m < mid; m++) out[m] = acc[m] * scale;
    };
  }
  // General case: precomputed output slot per input element (reduced axes do not move the slot).
  const n = sizeOf(inShape);
  const outStrides: number[] = new Array(r).fill(0);
  let s = 1;
  for (let d = r - 1; d >= 0; d--) if (!red.has(d)) { outStrides[d] = s; s *= inShape[d]; }
  const slot = offsetMap(inShape, outStrides);
  const acc = new Float64Array(s);
  return (ins, out) => {
    const x = ins[0];
    if (kind === 'max') {
      acc.fill(-Infinity);
      for (let i = 0; i < n; i++) { const v = x[i]; if (v > acc[slot[i]] || v !== v) acc[slot[i]] = v; }
    } else {
      acc.fill(0);
      for (let i = 0; i < n; i++) acc[slot[i]] += x[i];
    }
    for (let j = 0; j < acc.length; j++) out[j] = acc[j] * scale;
  };
}

/**
 * The float64 sum of `x[start .. start + n)`: four independent partial sums (a single chain waits on each
 * add's latency), the tail added to the first, then added pairwise.
 */
function sumRun(x: Float32Array, start: number, n: number): number {
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  const end4 = start + n - (n % 4), end = start + n;
  for (let k = start; k < end4; k += 4) {
    s0 += x[k];
    s1 += x[k + 1];
    s2 += x[k + 2];
    s3 += x[k + 3];
  }
  for (let k = end4; k < end; k++) s0 += x[k];
  return s0 + s1 + (s2 + s3);
}

/**
 * Sums over the middle of [outer, mid, inner] in WebAssembly SIMD, for operands in the heap (others take
 * the JS loops): whole rows (inner 1) or down columns (inner a multiple of 4); null where neither applies.
 */
function simdSum(outer: number, mid: number, inner: number, scale: number, jsKernel: () => Kernel): Kernel | null {
  const h = heap();
  const k = h && sumKernels(h.memory);
  if (!h || !k || mid * inner < SIMD_MIN_ELEMENTS || (inner !== 1 && inner % 4 !== 0)) return null;
  let acc: Float64Array;
  const js = jsKernel();
  const kernel: Kernel = inner === 1
    ? (ins, out) => {
      const x = ins[0];
      if (!h.owns(x)) return js(ins, out);
      const mid8 = mid - (mid % 8);
      for (let o = 0; o < outer; o++) {
        const base = o * mid;
        k.sumAll(x.byteOffset + base * 4, mid8 * 4, acc.byteOffset);
        let s = (acc[0] + acc[1]) + (acc[2] + acc[3]) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
        for (let i = base + mid8; i < base + mid; i++) s += x[i];
        out[o] = s * scale;
      }
    }
    : (ins, out) => {
      const x = ins[0];
      if (!h.owns(x)) return js(ins, out);
      for (let o = 0; o < outer; o++) {
        acc.fill(0);
        k.sumCols(x.byteOffset + o * mid * inner * 4, mid, inner * 4, acc.byteOffset);
        for (let j = 0; j < inner; j++) out[o * inner + j] = acc[j] * scale;
      }
    };
  // float64 scratch in the heap (8 doubles, or one per column), freed with the kernel; not cleared: sumAll
  // stores all 8 doubles, and the column sums zero it before each call
  const region = h.alloc(2 * Math.max(8, inner), kernel, false);
  acc = new Float64Array(region.buffer, region.byteOffset, Math.max(8, inner));
  return kernel;
}

/**
 * Sums over the outer and inner axes of [outer, kept, inner] (a bias's or a batch norm's per-channel
 * sums over [N, C, H, W]) in WebAssembly SIMD, for operands in the heap: the columns of the [outer,
 * kept·inner] view summed down in one call, then each kept slot's `inner` column sums added here, all in
 * float64; null where the rows are not whole vectors or the input is small.
 */
function simdKeptSum(outer: number, mid: number, inner: number, scale: number, jsKernel: () => Kernel): Kernel | null {
  const h = heap();
  const k = h && sumKernels(h.memory);
  const cols = mid * inner;
  if (!h || !k || outer * cols < SIMD_MIN_ELEMENTS || cols % 4 !== 0) return null;
  let acc: Float64Array;
  const js = jsKernel();
  const kernel: Kernel = (ins, out) => {
    const x = ins[0];
    if (!h.owns(x)) return js(ins, out);
    acc.fill(0);
    k.sumCols(x.byteOffset, outer, cols * 4, acc.byteOffset);
    for (let m = 0, j = 0; m < mid; m++) {
      let s = 0;
      for (const end = j + inner; j < end; j++) s += acc[j];
      out[m] = s * scale;
    }
  };
  // float64 scratch in the heap (one double per column), freed with the kernel; not cleared (zeroed
  // before each call)
  const region = h.alloc(2 * cols, kernel, false);
  acc = new Float64Array(region.buffer, region.byteOffset, cols);
  return kernel;
}
