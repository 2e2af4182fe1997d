/**
 * Offset maps: for each position of a row-major walk over `shape`, the offset Σ index[d]·strides[d] into
 * another buffer. Broadcast reads (stride 0 on broadcast axes), reduction slots (stride 0 on reduced
 * axes) and transposes (permuted strides) are all such maps, computed once when a kernel is prepared.
 */
export function offsetMap(shape: readonly number[], strides: readonly number[]): Int32Array {
  const r = shape.length;
  const n = shape.reduce((p, d) => p * d, 1);
  const map = new Int32Array(n);
  const idx = new Array<number>(r).fill(0);
  for (let i = 0, off = 0; i < n; i++) {
    map[i] = off;
    for (let d = r - 1; d >= 0; d--) {
      idx[d]++;
      off += strides[d];
      if (idx[d] < shape[d]) break;
      off -= strides[d] * idx[d];
      idx[d] = 0;
    }
  }
  return map;
}

/** Row-major strides of a shape. */
export function rowMajorStrides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  for (let d = shape.length - 1, st = 1; d >= 0; d--) {
    s[d] = st;
    st *= shape[d];
  }
  return s;
}
