/**
 * Matrix multiply on row-major Float32Array: C[M,N] = op(A)·op(B), where op(A) is [M,K] (A is stored
 * [K,M] when transposed) and op(B) is [K,N] (stored [N,K] when transposed). Each layout gets the loop
 * order that reads memory sequentially; sums accumulate in float64.
 */
import { pathOf, withPath, type Kernel } from './kernel.ts';
import { epilogue, gemm, gemmScratch } from './wasm/gemm.ts';
import { kernelsFor, wasmMatmul } from './wasm/gemm-memory.ts';
import { matvec as wasmMatvec, vecmat as wasmVecmat, vecmatScratch, type VecmatScratch } from './wasm/vector-drivers.ts';
import { vecmatEntry } from './wasm/vecmat-entry.ts';
import { narrowApplies, narrowProduct, narrowScratch } from './wasm/narrow-product.ts';
import type { WasmEntry } from './kernel.ts';
import { heap } from './heap.ts';
import { splitTimer } from './split.ts';

/** Products at least this large (M·K·N) run in WebAssembly SIMD kernels. */
export const WASM_MIN_WORK = 1 << 15;
/** Matrix-vector products (one row or one column) from this size run in the streaming SIMD kernels. */
export const VECTOR_MIN_WORK = 2048;

/**
 * The kernel for one matmul shape. Large products run in WebAssembly SIMD: in place when the operands
 * are in the runtime's heap (plans place their buffers there), through a private copy otherwise.
 * Matrix-vector shapes (one row or one column) use the streaming vector kernels; they need the heap.
 * `precision` 'f64' (the reference plans) always takes the float64-accumulating JS loops.
 * With an epilogue (a linear layer's: `Linear`, compiler/ops/linear.ts), the kernel reads a third input,
 * the bias (N floats), adds it to each row of C and then, with `relu`, applies ReLU: in the GEMM's panel
 * kernel as it stores C (wasm/gemm.ts), on the other paths in a loop over C after the product.
 */
export function matmulKernel(M: number, K: number, N: number, transA = false, transB = false, precision: 'f32' | 'f64' = 'f32', epi?: Epilogue): Kernel {
  const k = productKernel(M, K, N, transA, transB, precision, epi);
  if (!epi || folded.has(k)) return k;
  const relu = epi.relu;
  return withPath((ins, c) => (k(ins, c), addBias(c, ins[2], M, N, relu)), `${pathOf(k)}, then the bias${relu ? ' and ReLU' : ''} in a loop over C`);
}

/**
 * Whether a product of this shape runs in the GEMM of the heap, which applies an epilogue as it stores C
 * (given operands in the heap; `productKernel` takes that path for the same shapes).
 */
export function gemmApplies(M: number, K: number, N: number, precision: 'f32' | 'f64', transA = false): boolean {
  const h = precision === 'f32' ? heap() : null;
  return h !== null && K > 0 && M >= 4 && (N >= 4 || (!transA && narrowApplies(M, K, N))) && M * K * N >= WASM_MIN_WORK && kernelsFor(h.memory) !== null;
}

/** A linear layer's epilogue: the bias (the kernel's third input) added to each row of the product, then ReLU or not. */
export interface Epilogue {
  readonly relu: boolean;
}

/** Kernels that apply their epilogue themselves (in the GEMM's stores). */
const folded = new WeakSet<Kernel>();

/** c[i, j] += b[j], then with `relu` x where x > 0, else 0 (the Relu op's rule), for C [M, N]. */
function addBias(c: Float32Array, b: Float32Array, M: number, N: number, relu: boolean): void {
  for (let i = 0, o = 0; i < M; i++)
    for (let j = 0; j < N; j++, o++) {
      const x = c[o] + b[j];
      c[o] = relu && !(x > 0) ? 0 : x;
    }
}

function productKernel(M: number, K: number, N: number, transA: boolean, transB: boolean, precision: 'f32' | 'f64', epi: Epilogue | undefined): Kernel {
  const js = jsMatmulKernel(M, K, N, transA, transB);
  if (precision !== 'f32') return js;
  if (K === 0) return withPath(js, 'JavaScript (an inner dimension of 0: the output is zeros)');
  if (M * K * N < (M === 1 || N === 1 ? VECTOR_MIN_WORK : WASM_MIN_WORK)) return withPath(js, 'JavaScript (a product too small for a WebAssembly call to pay)');
  const h = heap();
  const k = h && kernelsFor(h.memory);
  const resident = (a: Float32Array, b: Float32Array, c: Float32Array) => h!.owns(a) && h!.owns(b) && h!.owns(c);
  if (h && k && (M === 1 || N === 1)) {
    // one output row or column: a matrix-vector product over whichever operand is the matrix
    let run: ((a: Float32Array, b: Float32Array, c: Float32Array) => void) | null = null;
    // a vector-matrix product's scratch (the helper thread's share of the outputs, argument blocks), freed with the kernel
    let scratch: VecmatScratch | null = null;
    // and its WebAssembly entry (a plan run as one call)
    let wasm: WasmEntry | undefined;
    const owns = (b: Float32Array) => h.owns(b);
    const vecmatOver = (outputs: number) => ((scratch = vecmatScratch(K, outputs, (n) => h.alloc(n, kernel))), true);
    const timer = splitTimer(`matrix-vector product [${M},${K}]·[${K},${N}]${transA || transB ? ` (${[transA && 'A', transB && 'B'].filter(Boolean).join(', ')} transposed)` : ''}`);
    if (N === 1 && !transA) run = (a, b, c) => wasmMatvec(k, a, b, c, M, K, timer); // A·b
    else if (N === 1 && vecmatOver(M)) {
      run = (a, b, c) => wasmVecmat(k, b, 1, a, c, K, M, scratch); // Aᵀ·b = (bᵀ·A)ᵀ
      wasm = vecmatEntry(k, 1, K, M, scratch, (ins) => [ins[1], ins[0]], owns);
    } else if (!transB && vecmatOver(N)) {
      run = (a, b, c) => wasmVecmat(k, a, transA ? M : 1, b, c, K, N, scratch); // a·B
      wasm = vecmatEntry(k, transA ? M : 1, K, N, scratch, (ins) => [ins[0], ins[1]], owns);
    } else if (!transA) run = (a, b, c) => wasmMatvec(k, b, a, c, N, K, timer); // a·Bᵀ = (B·aᵀ)ᵀ
    const r = run;
    function kernel(ins: readonly Float32Array[], c: Float32Array): void {
      if (r && resident(ins[0], ins[1], c)) r(ins[0], ins[1], c);
      else js(ins, c);
    }
    if (r) return Object.assign(kernel, { wasm, path: 'WebAssembly SIMD matrix-vector product' });
  }
  if (h && k && !transA && M >= 4 && narrowApplies(M, K, N)) {
    // few columns: dot products of A's rows and B's columns, no padding to whole panels (wasm/narrow.ts)
    const relu = epi?.relu === true;
    const kernel: Kernel = (ins, c) => {
      if (h.owns(ins[0]) && h.owns(c)) narrowProduct(k, ins[0], ins[1], c, scratch, M, K, N, transB, h.owns(ins[1]), epi ? ins[2] : null, epi !== undefined && h.owns(ins[2]), relu);
      else {
        js(ins, c);
        if (epi) addBias(c, ins[2], M, N, relu);
      }
    };
    // Bᵀ (copied each call unless B is a transposed operand in the heap) and a bias's copy, freed with the kernel
    const scratch = narrowScratch(M, K, N, transB, epi !== undefined, (n) => h.alloc(n, kernel, false));
    if (!epi) return withPath(kernel, 'WebAssembly SIMD narrow product');
    folded.add(kernel);
    return withPath(kernel, `WebAssembly SIMD narrow product, the bias${relu ? ' and ReLU' : ''} applied as it stores C`);
  }
  if (N < 4 || M < 4) return withPath(js, 'JavaScript (fewer than 4 rows or columns)');
  const copying = wasmMatmul();
  if (h && k) {
    const relu = epi?.relu === true;
    const kernel: Kernel = (ins, c) => {
      if (h.owns(ins[0]) && h.owns(c)) gemm(k, ins[0], ins[1], c, scratch, M, K, N, transA, transB, h.owns(ins[1]), epi ? epilogue(scratch, ins[2], N, relu, h.owns(ins[2])) : 0);
      else {
        if (copying && M >= 16) copying.run(ins[0], ins[1], c, M, K, N, transA, transB);
        else js(ins, c);
        if (epi) addBias(c, ins[2], M, N, relu);
      }
    };
    // scratch for the packed B (and a padded C), freed with the kernel; not cleared: each call packs all
    // of B (padding columns as zeros), writes C's first M − M mod 4 rows whole, and reads no padding of
    // the other rows, and a transposed A's strip is copied before each K block reads it
    const scratch = gemmScratch(M, K, N, (n) => h.alloc(n, kernel, false), transA, transB, epi !== undefined);
    if (!epi) return withPath(kernel, 'WebAssembly SIMD GEMM');
    folded.add(kernel);
    return withPath(kernel, `WebAssembly SIMD GEMM, the bias${relu ? ' and ReLU' : ''} applied as it stores C`);
  }
  if (copying && M >= 16) return withPath((ins, c) => copying.run(ins[0], ins[1], c, M, K, N, transA, transB), 'WebAssembly SIMD GEMM on copies (no shared heap)');
  return withPath(js, h ? 'JavaScript (the WebAssembly matrix kernels failed to build)' : 'JavaScript (no shared heap)');
}

/** Plain JS loops, float64 accumulation: the reference kernels, and the path for small products. */
export function jsMatmulKernel(M: number, K: number, N: number, transA = false, transB = false): Kernel {
  // sums of nothing: one fill, not a loop over the outputs (a 20,000 × 0 by 0 × 20,000 product)
  if (K === 0) return (_, c) => c.fill(0);
  if (!transA && transB) return (ins, c) => dotRows(ins[0], ins[1], c, M, K, N);
  if (!transA && !transB) {
    if (N === 1) return (ins, c) => matvec(ins[0], ins[1], c, M, K);
    if (N < 8) return (ins, c) => dotColumns(ins[0], ins[1], c, M, K, N);
    const acc = new Float64Array(N);
    return (ins, c) => axpyRows(ins[0], ins[1], c, M, K, N, acc);
  }
  if (transA && !transB) {
    const acc = new Float64Array(M * N);
    if (N === 1) return (ins, c) => outerAccumulateVec(ins[0], ins[1], c, M, K, acc);
    return (ins, c) => outerAccumulate(ins[0], ins[1], c, M, K, N, acc);
  }
  return (ins, c) => generic(ins[0], ins[1], c, M, K, N);
}

/** A·Bᵀ: every output is a dot product of two contiguous rows. */
function dotRows(a: Float32Array, b: Float32Array, c: Float32Array, M: number, K: number, N: number): void {
  for (let i = 0; i < M; i++) {
    const ao = i * K;
    for (let j = 0; j < N; j++) {
      const bo = j * K;
      let s = 0;
      for (let k = 0; k < K; k++) s += a[ao + k] * b[bo + k];
      c[i * N + j] = s;
    }
  }
}

/** A·b for a vector b: one dot product per row, four partial sums to keep the multiply-adds independent. */
function matvec(a: Float32Array, b: Float32Array, c: Float32Array, M: number, K: number): void {
  const K4 = K - (K % 4);
  for (let i = 0; i < M; i++) {
    const ao = i * K;
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (let k = 0; k < K4; k += 4) {
      s0 += a[ao + k] * b[k];
      s1 += a[ao + k + 1] * b[k + 1];
      s2 += a[ao + k + 2] * b[k + 2];
      s3 += a[ao + k + 3] * b[k + 3];
    }
    for (let k = K4; k < K; k++) s0 += a[ao + k] * b[k];
    c[i] = s0 + s1 + s2 + s3;
  }
}

/** A·B with few columns: dot products down B's columns. */
function dotColumns(a: Float32Array, b: Float32Array, c: Float32Array, M: number, K: number, N: number): void {
  for (let i = 0; i < M; i++) {
    const ao = i * K;
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += a[ao + k] * b[k * N + j];
      c[i * N + j] = s;
    }
  }
}

/** A·B: each output row accumulates scaled rows of B. */
function axpyRows(a: Float32Array, b: Float32Array, c: Float32Array, M: number, K: number, N: number, acc: Float64Array): void {
  for (let i = 0; i < M; i++) {
    acc.fill(0);
    const ao = i * K;
    for (let k = 0; k < K; k++) {
      const av = a[ao + k];
      const bo = k * N;
      for (let j = 0; j < N; j++) acc[j] += av * b[bo + j];
    }
    const co = i * N;
    for (let j = 0; j < N; j++) c[co + j] = acc[j];
  }
}

/** Aᵀ·B (A stored [K,M]): a sum over k of outer products of row k of A and row k of B. */
function outerAccumulate(a: Float32Array, b: Float32Array, c: Float32Array, M: number, K: number, N: number, acc: Float64Array): void {
  acc.fill(0);
  for (let k = 0; k < K; k++) {
    const ao = k * M;
    const bo = k * N;
    for (let i = 0; i < M; i++) {
      const av = a[ao + i];
      const co = i * N;
      for (let j = 0; j < N; j++) acc[co + j] += av * b[bo + j];
    }
  }
  for (let i = 0; i < M * N; i++) c[i] = acc[i];
}

/** Aᵀ·b for a vector b (the weight gradient of a single-output layer). */
function outerAccumulateVec(a: Float32Array, b: Float32Array, c: Float32Array, M: number, K: number, acc: Float64Array): void {
  acc.fill(0);
  const M4 = M - (M % 4);
  for (let k = 0; k < K; k++) {
    const bv = b[k];
    const ao = k * M;
    for (let i = 0; i < M4; i += 4) {
      acc[i] += a[ao + i] * bv;
      acc[i + 1] += a[ao + i + 1] * bv;
      acc[i + 2] += a[ao + i + 2] * bv;
      acc[i + 3] += a[ao + i + 3] * bv;
    }
    for (let i = M4; i < M; i++) acc[i] += a[ao + i] * bv;
  }
  for (let i = 0; i < M; i++) c[i] = acc[i];
}

/** Aᵀ·Bᵀ. */
function generic(a: Float32Array, b: Float32Array, c: Float32Array, M: number, K: number, N: number): void {
  for (let i = 0; i < M; i++)
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += a[k * M + i] * b[j * K + k];
      c[i * N + j] = s;
    }
}

/** Reference: plain definition, for tests. */
export function matmulReference(a: ArrayLike<number>, b: ArrayLike<number>, M: number, K: number, N: number, transA: boolean, transB: boolean): Float64Array {
  const c = new Float64Array(M * N);
  for (let i = 0; i < M; i++)
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += a[transA ? k * M + i : i * K + k] * b[transB ? j * K + k : k * N + j];
      c[i * N + j] = s;
    }
  return c;
}
