/**
 * Batched matrix products with numpy batch broadcasting (ONNX MatMul of rank above 2, torch.matmul):
 * a [..., M, K] times b [..., K, N] into [batch, M, N]. Each batch slice is one product of the 2-D
 * kernel (matmul.ts), prepared once for the slice's shape, so a slice takes the path a 2-D MatMul of
 * that shape takes: the WebAssembly SIMD GEMM, a vector kernel (one row or column), or the JS loops
 * (small products, float64 plans, no shared heap). Slices that read one B and consecutive slices of A
 * (B broadcast over trailing batch dims, or B of rank 2) are one product of their rows stacked. Slices
 * in the GEMM too small for it to split share the batch with the helper thread instead, slice by slice,
 * where the batch's split timer measures that it pays (wasm/gemm-batch.ts).
 */
import { pathOf, withPath, type Kernel } from './kernel.ts';
import { matmulKernel } from './matmul.ts';
import { broadcastIndexMap } from './elementwise.ts';
import { heap } from './heap.ts';
import { SliceShare, sharesSlices } from './wasm/gemm-batch.ts';

/**
 * The kernel for C = op(A)·op(B) slice by slice; `aShape`, `bShape` as stored (with `transA` a slice
 * of A is stored [K, M], with `transB` one of B [N, K]), `outShape` [...batch, M, N].
 */
export function batchMatmulKernel(aShape: readonly number[], bShape: readonly number[], outShape: readonly number[], transA: boolean, transB: boolean, precision: 'f32' | 'f64'): Kernel {
  const r = outShape.length;
  const M = outShape[r - 2], N = outShape[r - 1];
  const K = transA ? aShape[aShape.length - 2] : aShape[aShape.length - 1];
  const batch = outShape.slice(0, -2);
  const pad = (s: readonly number[]) => [...Array(batch.length - (s.length - 2)).fill(1), ...s.slice(0, -2)];
  // ia[t], ib[t]: the slices of A and B that output slice t reads
  const ia = broadcastIndexMap(pad(aShape), batch), ib = broadcastIndexMap(pad(bShape), batch);
  const count = ia.length;
  // R slices at a time as one product of R·M rows: the same B, A's slices consecutive (stored [M, K])
  const R = transA ? 1 : stacked(ia, ib, batch);
  const steps = count / R, rows = R * M;
  const product = matmulKernel(rows, K, N, transA, transB, precision);
  const shape = `[${rows},${K}]·[${K},${N}]`;
  if (steps <= 1) return withPath((ins, out) => count && product(ins, out), `${pathOf(product)}, the batch as one product ${shape}`);
  const sa = M * K, sb = K * N, sc = rows * N;
  const va = new SliceViews(steps, (s) => ia[s * R] * sa, rows * K), vb = new SliceViews(steps, (s) => ib[s * R] * sb, sb), vc = new SliceViews(steps, (s) => s * sc, sc);
  // the pair of operands passed to the product, set in place, and the call's slices of each operand
  const pair: Float32Array[] = [new Float32Array(0), new Float32Array(0)];
  let a: Float32Array[] = [], b: Float32Array[] = [], c: Float32Array[] = [];
  const slice = (s: number) => {
    pair[0] = a[s];
    pair[1] = b[s];
    product(pair, c[s]);
  };
  // slices too small for the GEMM to split shared with the helper thread where it pays (wasm/gemm-batch.ts)
  const layout = transA || transB ? ` (${[transA && 'A', transB && 'B'].filter(Boolean).join(', ')} transposed)` : '';
  const share = precision === 'f32' && sharesSlices(steps, rows, K, N) ? new SliceShare(steps, rows, K, N, transA, transB, (s) => ia[s * R] * sa, (s) => ib[s * R] * sb, `batch of ${steps} matrix products ${shape}${layout}`) : null;
  const h = share && heap();
  const kernel: Kernel = (ins, out) => {
    a = va.of(ins[0]), b = vb.of(ins[1]), c = vc.of(out);
    if (h && h.owns(ins[0]) && h.owns(ins[1]) && h.owns(out)) share!.run(ins[0], ins[1], out, slice);
    else for (let s = 0; s < steps; s++) slice(s);
  };
  return withPath(kernel, `${pathOf(product)}, for each of ${steps} batch slices ${shape}${share ? ', the slices shared with the helper thread where measured to pay' : ''}`);
}

/**
 * The most output slices that run as one product of stacked rows: R consecutive slices from each
 * multiple of R read one slice of B and consecutive slices of A. R is a product of trailing batch dims.
 */
function stacked(ia: Int32Array, ib: Int32Array, batch: readonly number[]): number {
  const count = ia.length;
  const fits = (R: number) => {
    for (let t = 0; t < count; t++) {
      const s = t - (t % R);
      if (ib[t] !== ib[s] || ia[t] !== ia[s] + (t - s)) return false;
    }
    return true;
  };
  if (count === 0) return 1;
  // (no dim is 0 here; the last candidate, 1, always fits)
  let R = count;
  for (let j = 0; !fits(R); j++) R /= batch[j];
  return R;
}

/**
 * Each slice's view of a buffer, made when the kernel first sees the buffer: plans keep their buffers,
 * so a step's call makes none. Kept by buffer (plans share prepared kernels), and a new view of the
 * memory last seen (a data set's rows given again) takes that memory's views.
 */
class SliceViews {
  private readonly seen = new WeakMap<Float32Array, Float32Array[]>();
  private last: Float32Array | null = null;
  private lastViews: Float32Array[] = [];

  constructor(private readonly steps: number, private readonly at: (s: number) => number, private readonly len: number) {}

  of(x: Float32Array): Float32Array[] {
    const l = this.last;
    if (x === l) return this.lastViews;
    let v = l !== null && x.buffer === l.buffer && x.byteOffset === l.byteOffset && x.length === l.length ? this.lastViews : this.seen.get(x);
    if (v === undefined) v = Array.from({ length: this.steps }, (_, s) => x.subarray(this.at(s), this.at(s) + this.len));
    this.seen.set(x, v);
    this.last = x;
    return (this.lastViews = v);
  }
}
