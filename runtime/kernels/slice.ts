/**
 * Slice and its gradient (compiler/ops/slicing.ts) as copies of runs: a slice whose last axis has step 1
 * reads runs of contiguous elements (the last axis's selected part, times every trailing axis taken whole
 * before it), rows of such runs a fixed stride apart along the next axis out. Those are copied as rows:
 * by the WebAssembly row copy (wasm/panel.ts, `copyRows`) where both buffers are in the heap, else by a
 * loop over the runs; a slice of single elements (a last axis stepped) reads through its offset map.
 * Copies: the same values, whichever way. The gradient writes the same runs back into their places
 * (slice-grad-sum.ts, which does so for one slice or several).
 */
import { withPath, type Kernel } from './kernel.ts';
import { offsetMap, rowMajorStrides } from './strides.ts';
import { heap } from './heap.ts';
import { kernelsFor } from './wasm/gemm-memory.ts';

/** A slice as runs: `groups` offsets (in x) of the first run of each group, `rows` runs a group `stride` apart, `run` elements each. */
export interface Runs {
  readonly groups: Int32Array;
  readonly rows: number;
  readonly stride: number;
  readonly run: number;
}

/** For each output position of a slice, the offset it reads in the input. */
export function sliceMap(inShape: readonly number[], outShape: readonly number[], begin: readonly number[], step: readonly number[]): Int32Array {
  const st = rowMajorStrides(inShape);
  const base = begin.reduce((p, b, d) => p + b * st[d], 0);
  const map = offsetMap(outShape, st.map((s, d) => s * step[d]));
  for (let i = 0; i < map.length; i++) map[i] += base;
  return map;
}

/** The slice's runs, or null where its last axis is stepped (runs of one element). */
export function runsOf(inShape: readonly number[], outShape: readonly number[], begin: readonly number[], step: readonly number[]): Runs | null {
  const r = inShape.length, st = rowMajorStrides(inShape);
  let d = r - 1, run = 1;
  // trailing axes taken whole, then the next one's selected part
  while (d >= 0 && step[d] === 1 && begin[d] === 0 && outShape[d] === inShape[d]) run *= inShape[d--];
  if (d >= 0 && step[d] === 1) run *= outShape[d--];
  if (run <= 1 && r > 0) return null;
  const base = begin.reduce((p, b, i) => p + b * st[i], 0);
  const groups = offsetMap(outShape.slice(0, Math.max(d, 0)), st.slice(0, Math.max(d, 0)).map((s, i) => s * step[i]));
  for (let i = 0; i < groups.length; i++) groups[i] += base;
  return { groups, rows: d >= 0 ? outShape[d] : 1, stride: d >= 0 ? st[d] * step[d] : 0, run };
}

/** The kernel of Slice: `outShape` read from `inShape` from `begin` by `step` (per axis). */
export function sliceKernel(inShape: readonly number[], outShape: readonly number[], begin: readonly number[], step: readonly number[], precision: 'f32' | 'f64'): Kernel {
  const n = outShape.reduce((p, x) => p * x, 1);
  const runs = n > 0 ? runsOf(inShape, outShape, begin, step) : null;
  if (!runs) {
    const map = sliceMap(inShape, outShape, begin, step);
    return withPath((ins, out) => {
      const x = ins[0];
      for (let i = 0; i < map.length; i++) out[i] = x[map[i]];
    }, 'JavaScript gather by offset map');
  }
  const { groups, rows, stride, run } = runs;
  const h = precision === 'f32' ? heap() : null, k = h && kernelsFor(h.memory);
  const loop: Kernel = (ins, out) => {
    const x = ins[0];
    for (let g = 0, o = 0; g < groups.length; g++)
      for (let i = 0, s = groups[g]; i < rows; i++, s += stride) for (let j = 0; j < run; j++) out[o++] = x[s + j];
  };
  if (!h || !k) return withPath(loop, `JavaScript copy of runs of ${run}`);
  return withPath((ins, out) => {
    const x = ins[0];
    if (!h.owns(x) || !h.owns(out)) return loop(ins, out);
    for (let g = 0, o = out.byteOffset; g < groups.length; g++, o += rows * run * 4) k.copyRows(x.byteOffset + groups[g] * 4, stride * 4, o, run * 4, rows, run * 4);
  }, `WebAssembly copy of runs of ${run}`);
}
