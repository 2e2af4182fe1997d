/**
 * A batched product by its definition, for tests: op(a)·op(b) with each output a float64 sum, numpy's
 * batch broadcasting spelled out by index (batch index t unravelled over the output's batch dims, each side
 * read at its own, 1 = broadcast), a transposed side read by its swapped index; with each output's sum of
 * magnitudes (for its rounding bound).
 */
const size = (s: readonly number[]) => s.reduce((p, d) => p * d, 1);

export function batchedProduct(a: number[], as: number[], b: number[], bs: number[], tA = false, tB = false) {
  const ar = as.length, br = bs.length;
  const [M, K] = tA ? [as[ar - 1], as[ar - 2]] : [as[ar - 2], as[ar - 1]], N = tB ? bs[br - 2] : bs[br - 1];
  const r = Math.max(ar, br) - 2;
  const pa = [...Array(r - (ar - 2)).fill(1), ...as.slice(0, -2)], pb = [...Array(r - (br - 2)).fill(1), ...bs.slice(0, -2)];
  const batch = pa.map((d, i) => Math.max(d, pb[i]));
  const y = new Float64Array(size(batch) * M * N), abs = new Float64Array(y.length);
  for (let t = 0; t < size(batch); t++) {
    let rest = t, oa = 0, ob = 0, sa = 1, sb = 1;
    for (let d = r - 1; d >= 0; d--) {
      const i = rest % batch[d];
      rest = Math.floor(rest / batch[d]);
      oa += (pa[d] === 1 ? 0 : i) * sa;
      ob += (pb[d] === 1 ? 0 : i) * sb;
      sa *= pa[d];
      sb *= pb[d];
    }
    for (let i = 0; i < M; i++)
      for (let j = 0; j < N; j++) {
        let s = 0, m = 0;
        for (let k = 0; k < K; k++) {
          const x = a[oa * M * K + (tA ? k * M + i : i * K + k)] * b[ob * K * N + (tB ? j * K + k : k * N + j)];
          s += x;
          m += Math.abs(x);
        }
        y[(t * M + i) * N + j] = s;
        abs[(t * M + i) * N + j] = m;
      }
  }
  return { y, abs, K, shape: [...batch, M, N] };
}
