// The convolution's vector gather (wasm/gather.ts: `gatherVec` over `vectorMap`'s groups) against the
// definition dst[i] = map[i] < 0 ? 0 : src[map[i]], bit for bit: maps of consecutive runs (a patch row),
// runs with padding lanes, all-padding groups, irregular groups, and a last n mod 4 elements. Likewise the
// vector scatter-add (`scatterAddVec` over `scatterRecords`) against dst[map[i]] += src[i] in map order.
import { describe, expect, it } from 'vitest';
import { heap } from '../../runtime/kernels/heap.ts';
import { gatherKernels, scatterRecords, vectorMap } from '../../runtime/kernels/wasm/gather.ts';
import { patchMap } from '../../runtime/kernels/conv-maps.ts';

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

/** scatterAddVec by `m` against the scalar definition, bit for bit; the number of vector records. */
function checkScatter(m: Int32Array, S: number): number {
  const src = h.alloc(m.length), dst = h.alloc(S + 8, undefined, false);
  for (let i = 0; i < m.length; i++) src[i] = i % 7 === 3 ? -0 : i % 13 === 5 ? 1e30 : i * 0.37 - 5;
  for (let i = 0; i < S + 8; i++) dst[i] = i % 5 === 1 ? -0 : i * 1.1 - 3;
  const want = Float32Array.from(dst);
  for (let i = 0; i < m.length; i++) if (m[i] >= 0) want[4 + m[i]] = Math.fround(want[4 + m[i]] + src[i]);
  const { map, records } = scatterRecords(m.map((v) => (v < 0 ? -1 : 4 * v)), 4 * m.length);
  const at = h.alloc(map.length, undefined, false);
  new Int32Array(at.buffer, at.byteOffset, map.length).set(map);
  k.scatterAddVec(dst.byteOffset + 16, src.byteOffset, at.byteOffset, records);
  expect(new Uint32Array(dst.buffer, dst.byteOffset, dst.length)).toEqual(new Uint32Array(want.buffer));
  let vectors = 0;
  for (let r = 0; r < records; r++) if (map[3 * r + 2] !== 0) vectors++;
  return vectors;
}

describe('scatterAddVec', () => {
  it('adds what the scatter-add adds, bit for bit, over maps of runs, padding and irregular offsets', () => {
    let vectors = 0;
    for (const n of [0, 1, 3, 4, 7, 64, 257, 1030]) for (const seed of [1, 2, 3]) vectors += checkScatter(mapOf(n, 300, seed + n), 300);
    expect(vectors).toBeGreaterThan(50);
  });

  it('adds a 3×3 pad-1 patch map back onto a 4×4 image of 8 channels, kernel rows as vectors', () => {
    const g = { N: 1, C: 8, O: 16, size: [4, 4], kernel: [3, 3], out: [4, 4], stride: [1, 1], pads: [1, 1], dilation: [1, 1], group: 1 };
    expect(checkScatter(patchMap(g), 8 * 16)).toBeGreaterThan(200);
  });
});
