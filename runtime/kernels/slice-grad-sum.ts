/**
 * The kernel of SliceGradSum (compiler/ops/slice-grad-sum.ts): the sum of the gradients of several
 * slices of one tensor, each slice's gradient put into its places in one buffer of the tensor's shape
 * (SliceGrad's kernel too: the sum of one).
 * Where no two slices share an element (a sequence's steps, a tensor split into pieces), each is copied
 * into its places, by the WebAssembly row copy where both buffers are in the heap, and only the elements
 * no slice covers are zeroed; where slices overlap, the buffer is zeroed and each slice added in turn, in
 * the sum's order. Either way a run writes the tensor's size once and reads each slice once, where a sum
 * of SliceGrads zeroes, writes and adds the tensor's size for every slice.
 */
import { withPath, type Kernel } from './kernel.ts';
import { heap } from './heap.ts';
import { kernelsFor } from './wasm/gemm-memory.ts';
import { runsOf, sliceMap, type Runs } from './slice.ts';

const size = (s: readonly number[]) => s.reduce((p, d) => p * d, 1);

/** One term's places in the output: its runs, or its offset map where the slice's last axis is stepped. */
type Places = Runs | Int32Array;

/** A slice of `outShape` (the tensor's) giving a term of `shape`, from `begin` by `step` per axis. */
export interface SliceTerm {
  readonly shape: readonly number[];
  readonly begin: readonly number[];
  readonly step: readonly number[];
}

function placesOf(outShape: readonly number[], t: SliceTerm): Places | null {
  if (size(t.shape) === 0) return null;
  return runsOf(outShape, t.shape, t.begin, t.step) ?? sliceMap(outShape, t.shape, t.begin, t.step);
}

/** Calls `f(dst, len)` for each run of a term's places, in the term's order (an offset map's elements as runs of 1). */
function eachRun(p: Places, f: (dst: number, len: number) => void): void {
  if (p instanceof Int32Array) return p.forEach((o) => f(o, 1));
  for (const s0 of p.groups) for (let i = 0, s = s0; i < p.rows; i++, s += p.stride) f(s, p.run);
}

/** Writes (or adds) term `t` into its places in `out`. */
function scatter(p: Places, t: Float32Array, out: Float32Array, add: boolean): void {
  if (p instanceof Int32Array) {
    if (add) for (let i = 0; i < p.length; i++) out[p[i]] += t[i];
    else for (let i = 0; i < p.length; i++) out[p[i]] = t[i];
    return;
  }
  const { groups, rows, stride, run } = p;
  for (let g = 0, o = 0; g < groups.length; g++)
    for (let i = 0, s = groups[g]; i < rows; i++, s += stride)
      if (add) for (let j = 0; j < run; j++) out[s + j] += t[o++];
      else for (let j = 0; j < run; j++) out[s + j] = t[o++];
}

/**
 * The places of the terms, whether any two share an element, and the ranges [start, end) of the
 * elements none covers (as pairs).
 */
function coverage(n: number, places: readonly (Places | null)[]): { overlap: boolean; gaps: Int32Array } {
  const covered = new Uint8Array(n);
  let overlap = false;
  for (const p of places)
    if (p)
      eachRun(p, (s, len) => {
        for (let j = s; j < s + len; j++) {
          if (covered[j]) overlap = true;
          covered[j] = 1;
        }
      });
  const gaps: number[] = [];
  for (let i = 0; i < n; i++) {
    if (covered[i]) continue;
    const start = i;
    while (i < n && !covered[i]) i++;
    gaps.push(start, i);
  }
  return { overlap, gaps: Int32Array.from(gaps) };
}

/** The kernel of SliceGradSum: zeros of `outShape` plus each term (a slice's gradient) in its slice's places. */
export function sliceGradSumKernel(outShape: readonly number[], terms: readonly SliceTerm[], precision: 'f32' | 'f64'): Kernel {
  const places = terms.map((t) => placesOf(outShape, t));
  const what = terms.length === 1 ? "the slice's gradient" : `${terms.length} slices' gradients`;
  const { overlap, gaps } = coverage(size(outShape), places);
  if (overlap) {
    return withPath((ins, out) => {
      out.fill(0);
      for (let k = 0; k < places.length; k++) if (places[k]) scatter(places[k]!, ins[k], out, true);
    }, `zeros, then ${what} added in place (JavaScript; the slices overlap)`);
  }
  const loop: Kernel = (ins, out) => {
    for (let i = 0; i < gaps.length; i += 2) out.fill(0, gaps[i], gaps[i + 1]);
    for (let k = 0; k < places.length; k++) if (places[k]) scatter(places[k]!, ins[k], out, false);
  };
  const zeros = gaps.length ? `${gaps.length / 2} uncovered range${gaps.length === 2 ? '' : 's'} zeroed` : 'nothing left to zero';
  const h = precision === 'f32' ? heap() : null, wasm = h && kernelsFor(h.memory);
  if (!h || !wasm) return withPath(loop, `${what} copied into place by JavaScript, ${zeros}`);
  const inHeap = (ins: readonly Float32Array[], out: Float32Array) => {
    for (let k = 0; k < places.length; k++) if (!h.owns(ins[k])) return false;
    return h.owns(out);
  };
  return withPath((ins, out) => {
    if (!inHeap(ins, out)) return loop(ins, out);
    for (let i = 0; i < gaps.length; i += 2) out.fill(0, gaps[i], gaps[i + 1]);
    for (let k = 0; k < places.length; k++) {
      const p = places[k], t = ins[k];
      if (!p) continue;
      if (p instanceof Int32Array) scatter(p, t, out, false);
      else
        for (let g = 0, o = t.byteOffset; g < p.groups.length; g++, o += p.rows * p.run * 4)
          wasm.copyRows(o, p.run * 4, out.byteOffset + p.groups[g] * 4, p.stride * 4, p.rows, p.run * 4);
    }
  }, `${what} copied into place (WebAssembly copy of runs), ${zeros}`);
}
