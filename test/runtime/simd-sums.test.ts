/**
 * Sums and means of float32 plans in WebAssembly SIMD (runtime/kernels/wasm/sums.ts): whole rows and down columns,
 * in the heap, against the float64 sum of the same values rounded once to float32; outside the heap the
 * JS loops give the same.
 */
import { describe, expect, it } from 'vitest';
import '../../compiler/ops/index.ts';
import { getOp } from '../../compiler/ops/op.ts';
import type { Node } from '../../compiler/ir/node.ts';
import { heap } from '../../runtime/kernels/heap.ts';
import { randoms } from '../support/run.ts';

const h = heap()!;
const kernel = (op: string, shape: number[], axes: number[], out: number[]) =>
  getOp(op).kernel!({ node: null as unknown as Node, inShapes: [shape], outShape: out, attrs: { axes }, precision: 'f32' });

/** Σ over `axis` of x [outer, mid, inner] in float64. */
function reference(x: ArrayLike<number>, outer: number, mid: number, inner: number, scale: number): number[] {
  const out: number[] = [];
  for (let o = 0; o < outer; o++)
    for (let j = 0; j < inner; j++) {
      let s = 0;
      for (let k = 0; k < mid; k++) s += x[(o * mid + k) * inner + j];
      out.push(s * scale);
    }
  return out;
}

const ulp = (v: number) => {
  const f = new Float32Array([Math.abs(v)]);
  const a = f[0];
  new Int32Array(f.buffer)[0]++;
  return f[0] - a;
};

// [shape, axes, outer, mid, inner]: a column (W2's bias gradient), whole rows, the batch axis of W4's
// hidden layer, a middle axis, lengths not a multiple of 8
const cases: [number[], number[], number, number, number][] = [
  [[759, 1], [0], 1, 759, 1],
  [[1027], [0], 1, 1027, 1],
  [[5, 300], [1], 5, 300, 1],
  [[128, 256], [0], 1, 128, 256],
  [[3, 100, 8], [1], 3, 100, 8],
  [[64, 12], [0], 1, 64, 12],
];

describe('SIMD sums (float64 accumulation)', () => {
  for (const [shape, axes, outer, mid, inner] of cases)
    for (const op of ['Sum', 'Mean'])
      it(`${op} of ${JSON.stringify(shape)} over ${axes}: the float64 sum, rounded once`, () => {
        const n = outer * mid * inner;
        const values = randoms(n, n + inner, -100, 100);
        const out = shape.filter((_, i) => !axes.includes(i));
        const ref = reference(Float32Array.from(values), outer, mid, inner, op === 'Mean' ? 1 / mid : 1);
        for (const x of [h.copyOf(values), Float32Array.from(values)]) {
          const got = h.alloc(outer * inner).fill(NaN);
          kernel(op, shape, axes, out)([x], got);
          for (let i = 0; i < ref.length; i++)
            if (!(Math.abs(got[i] - ref[i]) <= ulp(ref[i]))) expect.fail(`${h.owns(x) ? 'heap' : 'outside'} [${i}]: ${got[i]} vs ${ref[i]}`);
        }
      });

  it('the same with the kernels made in memory left dirty (their scratch is not cleared)', () => {
    for (const [shape, axes, outer, mid, inner] of cases) {
      const values = randoms(outer * mid * inner, 7);
      const ref = reference(Float32Array.from(values), outer, mid, inner, 1);
      const x = h.copyOf(values), got = h.alloc(outer * inner);
      // freed memory full of NaN where the kernel's scratch goes (first fit)
      const dirt = h.alloc(2 ** 16, undefined, false);
      dirt.fill(NaN);
      h.free(dirt);
      kernel('Sum', shape, axes, shape.filter((_, i) => !axes.includes(i)))([x], got);
      for (let i = 0; i < ref.length; i++)
        if (!(Math.abs(got[i] - ref[i]) <= ulp(ref[i]))) expect.fail(`${JSON.stringify(shape)} [${i}]: ${got[i]} vs ${ref[i]}`);
    }
    // the kept axis between two summed ones (a bias's gradient over [N, C, H, W])
    const values = randoms(64 * 8 * 16, 8);
    const ref = Array.from({ length: 8 }, (_, m) => {
      let s = 0;
      for (let o = 0; o < 64; o++) for (let j = 0; j < 16; j++) s += Math.fround(values[(o * 8 + m) * 16 + j]);
      return s;
    });
    const x = h.copyOf(values), got = h.alloc(8);
    const dirt = h.alloc(2 ** 16, undefined, false);
    dirt.fill(NaN);
    h.free(dirt);
    kernel('Sum', [64, 8, 16], [0, 2], [8])([x], got);
    for (let m = 0; m < 8; m++) if (!(Math.abs(got[m] - ref[m]) <= ulp(ref[m]))) expect.fail(`kept [${m}]: ${got[m]} vs ${ref[m]}`);
  });

  it('NaN and infinities come through', () => {
    const x = h.copyOf(randoms(512, 9));
    x[300] = NaN;
    const got = h.alloc(1);
    kernel('Sum', [512], [0], [])([x], got);
    expect(got[0]).toBeNaN();
    x[300] = Infinity;
    kernel('Sum', [512], [0], [])([x], got);
    expect(got[0]).toBe(Infinity);
  });
});
