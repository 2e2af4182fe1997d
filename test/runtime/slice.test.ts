/**
 * Slice and SliceGrad's kernels (runtime/kernels/slice.ts) against the definition written here (each
 * output index unravelled, the input read at begin + index·step per axis; the gradient zeros with g
 * written at those places): the same values exactly (copies), on the WebAssembly row copy (operands in
 * the heap), the JS loop over runs (operands outside it, float64 plans) and the offset map (a stepped last
 * axis); runs of whole trailing axes, of part of the last axis, rows stepped backwards, stepped outer axes.
 * SliceGradSum's kernel (SliceGrad's is its one-term case) likewise: disjoint slices copied, uncovered
 * ranges zeroed, overlapping slices added in order, against the sum written here.
 */
import { describe, expect, it } from 'vitest';
import '../../compiler/ops/index.ts';
import * as B from '../../compiler/ir/build.ts';
import { Graph } from '../../compiler/ir/graph.ts';
import { Plan } from '../../runtime/plan.ts';
import { heap } from '../../runtime/kernels/heap.ts';
import { randoms } from '../support/run.ts';

const size = (s: readonly number[]) => s.reduce((p, d) => p * d, 1);

/** The input offset each output position of the slice reads. */
function places(inShape: number[], outShape: number[], begin: number[], step: number[]): number[] {
  const at: number[] = [];
  for (let i = 0; i < size(outShape); i++) {
    let rest = i, off = 0, st = 1;
    for (let d = outShape.length - 1; d >= 0; d--) {
      off += (begin[d] + (rest % outShape[d]) * step[d]) * st;
      rest = Math.floor(rest / outShape[d]);
      st *= inShape[d];
    }
    at.push(off);
  }
  return at;
}

// [input, begin, step, output shape, the path expected on heap operands]
const cases: [number[], number[], number[], number[], string][] = [
  [[16, 8, 96], [5, 0, 32], [1, 1, 1], [1, 8, 32], 'WebAssembly copy of runs of 32'], // a step's gate
  [[4, 6, 8], [1, 0, 0], [1, 1, 1], [2, 6, 8], 'runs of 96'], // one run
  [[4, 6, 8], [0, 2, 0], [1, 1, 1], [4, 3, 8], 'runs of 24'],
  [[5, 7], [4, 1], [-2, 1], [3, 5], 'runs of 5'], // rows backwards
  [[2, 3, 4, 5], [1, 0, 0, 2], [1, 2, 1, 1], [1, 2, 4, 3], 'runs of 3'], // a stepped outer axis: groups of rows
  [[10], [2], [1], [5], 'runs of 5'],
  [[3, 4], [1, 3], [1, -2], [2, 2], 'offset map'], // a stepped last axis
  [[3, 4], [0, 0], [1, 1], [3, 0], ''], // empty
];

function plans(c: (typeof cases)[number], precision: 'f32' | 'f64') {
  const [xs, begin, step, shape] = c;
  const x = B.mk('Input', [], { name: 'x', shape: xs, dtype: 'f32' }), g = B.mk('Input', [], { name: 'g', shape, dtype: 'f32' });
  const y = B.mk('Slice', [x], { begin, step, shape }), dx = B.mk('SliceGrad', [g, x], { begin, step, shape });
  const plan = new Plan(new Graph([{ name: 'y', node: y }, { name: 'dx', node: dx }]), new Map([['x', xs], ['g', shape]]), { precision });
  return { plan, y, dx, paths: plan.report().kernels.map((k) => k.path) };
}

describe('Slice and SliceGrad kernels', () => {
  for (const c of cases)
    it(`[${c[0]}] from [${c[1]}] by [${c[2]}] to [${c[3]}]: the definition's values, heap, outside it and float64`, () => {
      const [xs, begin, step, shape, path] = c;
      const xv = randoms(size(xs), size(xs)), gv = randoms(size(shape), size(shape) + 1);
      const at = places(xs, shape, begin, step);
      const h = heap();
      for (const [precision, where] of [['f32', 'heap'], ['f32', 'outside'], ['f64', 'outside']] as const) {
        const round = precision === 'f32' ? Math.fround : (v: number) => v;
        const want = at.map((o) => round(xv[o])), wantDx = new Array<number>(size(xs)).fill(0);
        at.forEach((o, i) => (wantDx[o] = round(gv[i])));
        const { plan, y, dx, paths } = plans(c, precision);
        if (precision === 'f32' && where === 'heap' && h) expect(paths.join('; ')).toContain(path);
        const Arr = precision === 'f64' ? Float64Array : Float32Array;
        const leaves = [Arr.from(xv), Arr.from(gv)].map((v) => (where === 'heap' && h ? h.copyOf(v) : v)) as Float32Array[];
        const byName = new Map([['x', leaves[0]], ['g', leaves[1]]]);
        // twice: SliceGrad's zeros written again over the first run's values
        plan.run(byName);
        plan.run(byName);
        expect(Array.from(plan.value(y).data), `${precision} ${where}: Slice`).toEqual(want);
        expect(Array.from(plan.value(dx).data), `${precision} ${where}: SliceGrad`).toEqual(wantDx);
      }
    });
});

// SliceGradSum: [input, terms (begin, step, shape), the path expected on heap operands]
const sums: [number[], [number[], number[], number[]][], string][] = [
  [[6, 2, 3], [0, 1, 2, 3, 4, 5].map((t) => [[t, 0, 0], [1, 1, 1], [1, 2, 3]]), '6 slices\' gradients copied into place (WebAssembly copy of runs), nothing left to zero'],
  [[7, 5], [[[6, 0], [-2, 1], [3, 5]], [[1, 1], [4, 2], [2, 2]]], 'WebAssembly copy of runs), 7 uncovered ranges zeroed'], // rows 0 and 3, row 1's and 5's even columns
  [[4, 6], [[[0, 5], [1, -2], [4, 3]], [[0, 0], [1, 2], [4, 3]]], 'copied into place'], // offset maps, covering the whole
  [[5, 4], [[[0, 0], [1, 1], [3, 4]], [[1, 1], [1, 1], [4, 3]], [[0, 0], [1, 1], [5, 4]]], 'added in place (JavaScript; the slices overlap)'],
  [[3, 4], [[[0, 0], [1, 1], [3, 0]], [[1, 0], [1, 1], [1, 4]]], '2 uncovered ranges zeroed'], // an empty term; rows 0 and 2 uncovered
];

describe('SliceGradSum kernel', () => {
  for (const [xs, terms, path] of sums)
    it(`[${xs}] from ${terms.length} slices: zeros plus each slice's gradient in its places, heap, outside it and float64`, () => {
      const h = heap();
      const gs = terms.map(([, , shape], k) => randoms(size(shape), 50 + k));
      for (const [precision, where] of [['f32', 'heap'], ['f32', 'outside'], ['f64', 'outside']] as const) {
        const round = precision === 'f32' ? Math.fround : (v: number) => v;
        const want = new Array<number>(size(xs)).fill(0);
        terms.forEach(([begin, step, shape], k) => places(xs, shape, begin, step).forEach((o, i) => (want[o] = round(want[o] + round(gs[k][i])))));
        const x = B.mk('Input', [], { name: 'x', shape: xs, dtype: 'f32' });
        const ins = terms.map(([, , shape], k) => B.mk('Input', [], { name: `g${k}`, shape, dtype: 'f32' }));
        const sum = B.mk('SliceGradSum', [...ins, x], { begin: terms.flatMap((t) => t[0]), step: terms.flatMap((t) => t[1]) });
        const plan = new Plan(new Graph([{ name: 'dx', node: sum }]), new Map([['x', xs], ...terms.map(([, , shape], k) => [`g${k}`, shape] as [string, number[]])]), { precision });
        if (precision === 'f32' && where === 'heap' && h) expect(plan.report().kernels.map((k) => k.path).join('; ')).toContain(path);
        const Arr = precision === 'f64' ? Float64Array : Float32Array;
        const leaf = (v: number[]) => (where === 'heap' && h ? h.copyOf(Arr.from(v)) : Arr.from(v)) as Float32Array;
        const byName = new Map([['x', leaf(randoms(size(xs), 9))], ...gs.map((v, k) => [`g${k}`, leaf(v)] as [string, Float32Array])]);
        // twice: the zeros written again over the first run's values
        plan.run(byName);
        plan.run(byName);
        expect(Array.from(plan.value(sum).data), `${precision} ${where}`).toEqual(want);
      }
    });
});
