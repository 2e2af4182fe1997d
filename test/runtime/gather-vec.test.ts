// The convolution's vector gather (wasm/gather.ts: `gatherVec` over `vectorMap`'s groups) against the
// definition dst[i] = map[i] < 0 ? 0 : src[map[i]], bit for bit: maps of consecutive runs (a patch row),
// runs with padding lanes, all-padding groups, irregular groups, and a last n mod 4 elements.
import { describe, expect, it } from 'vitest';
import { heap } from '../../runtime/kernels/heap.ts';
import { gatherKernels, vectorMap } from '../../runtime/kernels/wasm/gather.ts';

const h = heap()!;
const k = gatherKernels(h.memory)!;

/** A map over a source of `S` elements: runs of consecutive offsets with some lanes padding, then irregular offsets. */
function mapOf(n: number, S: number, seed: number): Int32Array {
  let r = seed;
  const rand = () => ((r = (r * 1103515245 + 12345) >>> 0) >>> 8) / 2 ** 24;
  const m = new Int32Array(n);
  for (let i = 0; i < n; ) {
    const kind = rand(), len = 1 + Math.floor(rand() * 9), start = Math.floor(rand() * S);
    for (let j = 0; j < len && i < n; j++, i++)
      m[i] = kind < 0.15 ? -1 : kind < 0.7 ? (start + j < S && rand() > 0.1 ? start + j : -1) : Math.floor(rand() * S);
  }
  return m;
}

function check(m: Int32Array, S: number) {
  const src = h.alloc(S), dst = h.alloc(m.length + 4, undefined, false);
  for (let i = 0; i < S; i++) src[i] = i % 7 === 3 ? -0 : i % 11 === 5 ? NaN : i * 0.37 - 5;
  dst.fill(12345);
  const { map, vectors } = vectorMap(m.map((v) => (v < 0 ? -1 : 4 * v)));
  const at = h.alloc(map.length, undefined, false);
  new Int32Array(at.buffer, at.byteOffset, map.length).set(map);
  k.gatherVec(dst.byteOffset, src.byteOffset, at.byteOffset, m.length);
  const want = new Float32Array(m.length + 4).fill(12345);
  for (let i = 0; i < m.length; i++) want[i] = m[i] < 0 ? 0 : src[m[i]];
  expect(new Uint32Array(dst.buffer, dst.byteOffset, dst.length)).toEqual(new Uint32Array(want.buffer));
  return vectors;
}

describe('gatherVec', () => {
  it('moves what the gather moves, bit for bit, over maps of runs, padding and irregular offsets', () => {
    let vectors = 0;
    for (const n of [0, 1, 3, 4, 7, 64, 257, 1030]) for (const seed of [1, 2, 3]) vectors += check(mapOf(n, 300, seed + n), 300);
    expect(vectors).toBeGreaterThan(50);
  });

  it('moves a padded 3×3 patch map of an 8×8 image, rows as vectors', () => {
    // the forward's layout: for each tap (kh, kw), the 64 output positions in order
    const m = new Int32Array(9 * 64);
    for (let t = 0; t < 9; t++)
      for (let p = 0; p < 64; p++) {
        const y = (p >> 3) + Math.floor(t / 3) - 1, x = (p & 7) + (t % 3) - 1;
        m[t * 64 + p] = y < 0 || y > 7 || x < 0 || x > 7 ? -1 : y * 8 + x;
      }
    // every group but the four whose vector would start before the image (pixel 0 after a padding lane) or end after it (pixel 63 before one)
    expect(check(m, 64)).toBe(9 * 16 - 4);
  });

  it('keeps a group whose vector would read past the offsets the map reads as four elements', () => {
    const { vectors } = vectorMap(Int32Array.of(-1, 0, 4, 8, 4, 8, 12, -1));
    expect(vectors).toBe(0);
    expect(vectorMap(Int32Array.of(0, 4, 8, 12, 16, 20, 24, -1)).vectors).toBe(1);
    expect(vectorMap(Int32Array.of(0, 4, 8, 12, 16, 20, 24, -1, 28)).vectors).toBe(2);
  });
});
