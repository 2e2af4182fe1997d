/**
 * Drivers of the WebAssembly SIMD matmul kernels (panel.ts, vector.ts). The panel driver packs B panel
 * by panel (N padded to whole panels of 8, the padding zeros), then walks column blocks, K blocks and
 * rows, so a packed block of B is reused by every row; the last M mod 4 rows are done in plain loops.
 * Operands in the runtime's heap are used in place; others are copied into a private memory first.
 * C accumulates in float32, as BLAS does.
 * C[M,N] = op(A)·op(B): A is [M,K] or, transposed, stored [K,M] (read with strides, no copy); a
 * transposed B is packed from its columns.
 * With a helper thread (threads.ts), large products are split by rows between the calling thread and
 * the helper, in chunks that each takes while any are left.
 */
import { WasmKernels, hasRelaxedSimd, shapeKernel, type ShapeKernel } from './module.ts';
import { WIDE_ARG, WIDE_ROWS, vecmatWideKernel } from './vector.ts';
import { module, type Func } from './asm.ts';
import { FunctionBuilder } from './builder.ts';
import { TYPE_CODE } from './opcodes.ts';
import { MAX_PAGES } from '../heap.ts';
import type { WasmEntry } from '../kernel.ts';
import { readyHelper, helperStarting, CONTROL, REVOKED, type HelperThread } from '../threads.ts';
import { emitPost, type JobArgs } from '../jobs.ts';
import { noteFallback } from '../fallbacks.ts';
import { SplitTimer } from '../split.ts';

/**
 * K block (rows of packed B a panel call streams) and N block (columns): a block of B is KC×NC floats
 * (512 KB, one core's L2 here). Chosen by measurement on this machine among 128–512 × 256–1024; the
 * differences were within its run-to-run noise except for 1024³ on one thread, best with these.
 */
const KC = 512;
const NC = 256;
const PAGE = 65536;

/** Columns of B (and C) rounded up to whole 8-column panels. */
const padded = (N: number) => (N + 7) & ~7;

/** Scratch `gemm` needs: B packed ([K, N rounded up to 8]), and, when N is not a multiple of 8, a padded C. */
export interface GemmScratch {
  readonly packed: Float32Array;
  /** [M, N rounded up to 8]: the kernel writes whole panels into it (the extra columns of B are zeros). */
  readonly paddedC: Float32Array | null;
  /** Whether posting rows to the helper thread pays for this product (split.ts). */
  readonly timer: SplitTimer;
}

/** Scratch for `gemm` of one shape, from `alloc`. */
export function gemmScratch(M: number, K: number, N: number, alloc: (floats: number) => Float32Array): GemmScratch {
  return { packed: alloc(K * padded(N)), paddedC: N % 8 ? alloc(M * padded(N)) : null, timer: new SplitTimer(`matrix product [${M},${K}]·[${K},${N}]`) };
}

/**
 * c = op(a)·op(b) with the panel kernel: op(a) is [M,K], op(b) is [K,N]. `a`, `c` and the scratch must
 * be views of the kernels' memory; `b` may be any array (`bInMemory` says whether it is in the kernels'
 * memory too, so that the packing kernel can read it).
 */
export function gemm(k: WasmKernels, a: Float32Array, b: Float32Array, c: Float32Array, scratch: GemmScratch, M: number, K: number, N: number, transA: boolean, transB: boolean, bInMemory = false): void {
  const M4 = M - (M % 4), N8 = N - (N % 8), NP = padded(N);
  const packed = scratch.packed;
  // C: in place when N fills whole panels, else the padded copy
  const cp = scratch.paddedC ?? c;
  // pack B: for each K block, panel after panel of 8 columns, row after row
  const inPlaceB = !transB && bInMemory;
  for (let k0 = 0; k0 < K; k0 += KC) {
    const kc = Math.min(KC, K - k0);
    const block = k0 * NP;
    if (inPlaceB && N8 > 0) k.pack(b.byteOffset + k0 * N * 4, N * 4, packed.byteOffset + block * 4, kc, N8 >> 3);
    else
      for (let j0 = 0; j0 < N8; j0 += 8) {
        let o = block + j0 * kc;
        for (let kk = k0; kk < k0 + kc; kk++) {
          if (transB) for (let t = 0; t < 8; t++) packed[o++] = b[(j0 + t) * K + kk];
          else {
            const r = kk * N + j0;
            for (let t = 0; t < 8; t++) packed[o++] = b[r + t];
          }
        }
      }
    if (N8 < N) {
      let o = block + N8 * kc;
      for (let kk = k0; kk < k0 + kc; kk++)
        for (let j = N8; j < NP; j++) packed[o++] = j >= N ? 0 : transB ? b[j * K + kk] : b[kk * N + j];
    }
  }
  if (K === 0) {
    c.fill(0);
    return;
  }
  const sa = transA ? 1 : K, ska = transA ? M : 1; // A(i,k) = a[i*sa + k*ska]
  const aOff = a.byteOffset, bOff = packed.byteOffset, cOff = cp.byteOffset;
  // with a helper thread (and a heap-resident product), both threads take chunks of the rows
  const splittable = M4 >= 64 && M * K * N >= SPLIT_MIN_WORK && k.shared;
  const helper = splittable ? readyHelper() : null;
  const post = helper !== null && scratch.timer.split();
  const t0 = helper ? performance.now() : 0;
  if (helper && post) {
    // both threads take chunks of rows until none is left: a thread whose core is slowed by other work
    // (these machines are shared) does fewer, instead of the other waiting for its half
    const ch = gemmChunkRows(M4);
    helper.post('gemm', aOff, sa, ska, bOff, cOff, NP * 4, K, NP, ch, M4, KC, NC);
    for (let i; (i = helper.claim() * ch) < M4; ) k.gemmRows(aOff, sa, ska, bOff, cOff, NP * 4, K, NP, i, Math.min(M4, i + ch), KC, NC);
  } else if (M4 > 0) k.gemmRows(aOff, sa, ska, bOff, cOff, NP * 4, K, NP, 0, M4, KC, NC); // column blocks, then K blocks, then rows (the first K block overwrites C)
  // the last M mod 4 rows, in plain loops
  const sbk = transB ? 1 : N, sbj = transB ? K : 1; // B(k,j) = b[k*sbk + j*sbj]
  for (let i = M4; i < M; i++)
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let kk = 0; kk < K; kk++) s += a[i * sa + kk * ska] * b[kk * sbk + j * sbj];
      cp[i * NP + j] = s;
    }
  // (taken back: the helper claimed no chunk, and all were done here)
  if (post) helper!.finish();
  if (helper) scratch.timer.record(post, performance.now() - t0);
  if (cp !== c)
    for (let i = 0; i < M; i++) {
      const o = i * NP, r = i * N;
      for (let j = 0; j < N; j++) c[r + j] = cp[o + j];
    }
}

/**
 * Rows of a chunk of a split product (a multiple of 4): 1/64 of the rows, at least 4, so that the thread
 * that finishes first waits for at most one small chunk of the other's, while each chunk still walks the
 * blocks of B over many rows (a K block of packed B is reread from cache by every four rows of a chunk).
 * With a busy process on the second core (another tenant's work), chunks finish W4's epoch sooner than
 * fixed halves; on a quiet machine the two are the same within the noise (`npm run bench`, W4).
 */
export function gemmChunkRows(M4: number): number {
  return Math.max(4, ((M4 >> 6) + 3) & ~3);
}

/** Products (M·K·N) below this run on one thread: a job costs a few microseconds to hand over. */
export const SPLIT_MIN_WORK = 1 << 21;
/** Matrices (K·N) from this size have vector-matrix products split by rows. */
export const VECMAT_SPLIT_MIN = 1 << 16;

/** c[i] = Σ_k A[i,k]·v[k] for A [M,K] row-major; all three views of the kernels' memory. */
export function matvec(k: WasmKernels, A: Float32Array, v: Float32Array, c: Float32Array, M: number, K: number, timer: SplitTimer | null = null): void {
  // split: rows [0, mine) here, [mine, M) by the helper's kernel (matvec), here when not posted or taken back
  const split = timer !== null && M * K >= SPLIT_MIN_WORK && M >= 16;
  const helper = split ? readyHelper() : null;
  const post = helper !== null && timer!.split();
  const t0 = helper ? performance.now() : 0;
  const mine = split ? M >> 1 : M;
  const kb16 = (K - (K % 16)) * 4, kb4 = (K - (K % 4)) * 4;
  const theirs = (): JobArgs<'matvec'> => [A.byteOffset + mine * K * 4, K * 4, v.byteOffset, c.byteOffset + mine * 4, M - mine, kb16, kb4, K * 4];
  if (post) helper!.post('matvec', ...theirs());
  // short rows (K a multiple of 4, up to a few vectors): four rows at a time, reduced together
  const four = K % 4 === 0 && K <= 64 ? mine - (mine % 4) : 0;
  if (four > 0) k.matvec4(A.byteOffset, K * 4, v.byteOffset, c.byteOffset, four, K * 4);
  if (four < mine) k.matvec(A.byteOffset + four * K * 4, K * 4, v.byteOffset, c.byteOffset + four * 4, mine - four, kb16, kb4, K * 4);
  if (split && (!post || helper!.finish())) {
    k.matvec(...theirs());
  }
  if (helper) timer!.record(post, performance.now() - t0);
}

/** What a vector-matrix product of one width needs in the heap: the helper's partial sums and two argument blocks. */
export interface VecmatScratch {
  /** The helper's share of the outputs (N rounded up to 4 floats). */
  readonly partial: Float32Array;
  /**
   * Argument blocks of the wide kernel (WIDE_ARG), eight i32s each: `vecmat`'s (ours at 0, the helper's
   * at 8), then its entry's (all rows at 16, ours at 24, the helper's at 32) and the entry's own at 40.
   */
  readonly args: Int32Array;
  /** The wide kernel for this width and memory, found on the first call (null: none). */
  wide?: ShapeKernel | null;
  /** Whether posting rows to the helper thread pays for this product (split.ts). */
  readonly timer: SplitTimer;
}

/** Scratch for `vecmat` of width N (over K rows), from `alloc` (heap floats). */
export function vecmatScratch(K: number, N: number, alloc: (floats: number) => Float32Array): VecmatScratch {
  const N4 = (N + 3) & ~3;
  const f = alloc(N4 + 48);
  return { partial: f.subarray(0, N4), args: new Int32Array(f.buffer, f.byteOffset + N4 * 4, 48), timer: new SplitTimer(`vector-matrix product [${K}]·[${K},${N}]`) };
}

/** The wide vector-matrix kernel for rows of `ldm` bytes, compiled for the heap's memory (null where it does not compile). */
function wideKernel(ldm: number, memory: WebAssembly.Memory): ShapeKernel | null {
  const fma = hasRelaxedSimd();
  return shapeKernel(`vecmatWide|${fma}|${ldm}`, () => vecmatWideKernel(ldm, fma), memory);
}

/**
 * c[j] = Σ_k v[k]·A[k,j] for A [K,N] row-major and v with stride `sv` (elements); all views of the kernels'
 * memory. The columns are done in whole vectors, N rounded up to 4: the extra lanes read the start of the
 * next row (or up to 12 bytes past the matrix, inside the heap's slack) and are written into c's padding
 * (every heap buffer has 16-byte padding), never into a result. With `scratch` (in the same memory), rows
 * go eight at a time through the kernel generated for this width (vector.ts, `vecmatWideKernel`), and
 * with a helper thread they are split: the helper sums the last half of the rows (a multiple of 8) into
 * `scratch.partial`, which is then added to c. Each thread streams one contiguous half of the matrix, the
 * same half call after call, which for a weight matrix can stay in that core's cache (a 784×256 float
 * matrix does not fit one core's L2 on every machine; its halves do; halves of every row would use only
 * half of the L2's sets).
 */
export function vecmat(k: WasmKernels, v: Float32Array, sv: number, A: Float32Array, c: Float32Array, K: number, N: number, scratch: VecmatScratch | null = null): void {
  const N4 = (N + 3) & ~3;
  // narrow matrices (up to 16 columns): c in registers over all rows, overwritten
  if (N4 <= 16) return k.vecmatTall[(N4 >> 2) - 1](v.byteOffset, sv * 4, A.byteOffset, N * 4, c.byteOffset, K);
  const wide = scratch !== null && k.shared ? (scratch.wide ??= wideKernel(N * 4, k.memory)) : null;
  const split = scratch !== null && vecmatSplits(K, N);
  const helper = split ? readyHelper() : null;
  const post = helper !== null && scratch!.timer.split();
  const t0 = helper ? performance.now() : 0;
  if (wide) vecmatWide(k, wide, split, post ? helper : null, v, sv, A, c, K, N, scratch!);
  else vecmatFour(k, split, post ? helper : null, v, sv, A, c, K, N, scratch);
  if (helper) scratch!.timer.record(post, performance.now() - t0);
}

/** Whether a vector-matrix product of K rows and N columns is split with the helper thread (when there is one). */
const vecmatSplits = (K: number, N: number) => ((N + 3) & ~3) >= 32 && K >= 64 && K * N >= VECMAT_SPLIT_MIN;

/** Of a split product's K rows, the calling thread's: [0, mine), the helper's [mine, K) (a multiple of 8). */
const ownRows = (K: number) => K - ((K >> 4) << 3);

/** Writes the wide kernel's argument block at i32 `at` of `a`: rows [r0, r0 + rows) of v·A into out. */
function wideBlock(a: Int32Array, at: number, v: Float32Array, sv: number, A: Float32Array, N: number, r0: number, rows: number, out: Float32Array): void {
  a[at + WIDE_ARG.v0] = v.byteOffset + r0 * sv * 4; a[at + WIDE_ARG.sv] = sv * 4; a[at + WIDE_ARG.m0] = A.byteOffset + r0 * N * 4;
  a[at + WIDE_ARG.c0] = out.byteOffset; a[at + WIDE_ARG.K] = rows;
}

/**
 * `vecmat` by the wide kernel; `split`: the rows in two shares (the second's sums in `scratch.partial`,
 * added to c), the second posted to `helper` if given. (Each way is a function of its own, as is the
 * choice: V8 optimizes small functions sooner and faster, which a new product's first calls wait for.)
 */
function vecmatWide(k: WasmKernels, wide: ShapeKernel, split: boolean, helper: HelperThread | null, v: Float32Array, sv: number, A: Float32Array, c: Float32Array, K: number, N: number, scratch: VecmatScratch): void {
  const N4 = (N + 3) & ~3;
  const a = scratch.args;
  const slot = helper ? helper.load(wide) : -1;
  const mine = split ? ownRows(K) : K;
  // the second share: the helper's rows are a multiple of 8, all through the wide kernel
  if (split) wideBlock(a, 8, v, sv, A, N, mine, K - mine, scratch.partial);
  if (slot >= 0) {
    helper!.post('call', slot, a.byteOffset + 32);
  }
  const K8 = mine - (mine % WIDE_ROWS);
  wideBlock(a, 0, v, sv, A, N, 0, K8, c);
  wide.fn(a.byteOffset); // (zeroes c first, even for no rows)
  if (K8 < mine) k.vecmat1(v.byteOffset + K8 * sv * 4, sv * 4, A.byteOffset + K8 * N * 4, N * 4, c.byteOffset, mine - K8, N4 * 4, 0);
  if (split) {
    if (slot < 0 || helper!.finish()) wide.fn(a.byteOffset + 32);
    k.addTo(c.byteOffset, scratch.partial.byteOffset, N4 * 4);
  }
}

/** `vecmat` by the four-row kernel. */
function vecmatFour(k: WasmKernels, split: boolean, helper: HelperThread | null, v: Float32Array, sv: number, A: Float32Array, c: Float32Array, K: number, N: number, scratch: VecmatScratch | null): void {
  const N4 = (N + 3) & ~3;
  // rows [0, mine) here, [mine, K) as the helper's job (JOB_VECMAT) does them; mine is a multiple of 4
  split &&= scratch !== null;
  const mine = split ? (K >> 3) << 2 : K;
  const rest = K - mine, rest4 = rest - (rest % 4);
  const theirs = (): JobArgs<'vecmat'> => [
    v.byteOffset + mine * sv * 4, sv * 4, A.byteOffset + mine * N * 4, N * 4, scratch!.partial.byteOffset,
    rest4, N4 * 4, v.byteOffset + (mine + rest4) * sv * 4, A.byteOffset + (mine + rest4) * N * 4, rest - rest4,
  ];
  if (split && helper) helper.post('vecmat', ...theirs());
  const K4 = mine - (mine % 4);
  // (the four-row kernel zeroes c first, even when it has no rows)
  k.vecmat4(v.byteOffset, sv * 4, A.byteOffset, N * 4, c.byteOffset, K4, N4 * 4, 1);
  if (K4 < mine) k.vecmat1(v.byteOffset + K4 * sv * 4, sv * 4, A.byteOffset + K4 * N * 4, N * 4, c.byteOffset, mine - K4, N4 * 4, 0);
  if (split) {
    if (!helper || helper.finish()) {
      const [v0, sv4, m0, ldm, c0, K4t, nb, vt, mt, Kt] = theirs();
      if (nb > 0) {
        k.vecmat4(v0, sv4, m0, ldm, c0, K4t, nb, 1);
        if (Kt > 0) k.vecmat1(vt, sv4, mt, ldm, c0, Kt, nb, 0);
      }
    }
    k.addTo(c.byteOffset, scratch!.partial.byteOffset, N4 * 4);
  }
}

/**
 * The WebAssembly entry (a plan run as one call: sequence.ts) of `vecmat` over these shapes, computing
 * what it computes: for narrow matrices the narrow kernel; for wide ones, where no rows are left over
 * (K a multiple of 16), a driver (`vecmatDriver`) that splits the rows with the helper thread as `vecmat`
 * does, posting the job itself. `pick` gives the vector and the matrix of the kernel's inputs. Undefined
 * where there is none. The entry's arguments wait (null) while a helper is starting: the plan then runs
 * kernel by kernel, and its call is written again once the helper takes jobs (`helperEpoch`).
 */
export function vecmatEntry(k: WasmKernels, sv: number, K: number, N: number, scratch: VecmatScratch | null, pick: (ins: readonly Float32Array[]) => readonly [Float32Array, Float32Array], owns: (b: Float32Array) => boolean): WasmEntry | undefined {
  const N4 = (N + 3) & ~3;
  if (N4 <= 16) {
    const fn = k.vecmatTall[(N4 >> 2) - 1];
    return { fn, arity: 6, args: (ins, c) => {
      const [v, A] = pick(ins);
      return owns(v) && owns(A) && owns(c) ? [v.byteOffset, sv * 4, A.byteOffset, N * 4, c.byteOffset, K] : null;
    } };
  }
  const wide = scratch !== null && k.shared ? (scratch.wide ??= wideKernel(N * 4, k.memory)) : null;
  if (!wide || K < 16 || K % 16 !== 0) return undefined;
  const driver = driverFor(wide, k);
  if (!driver) return undefined;
  const splittable = vecmatSplits(K, N);
  const a = scratch!.args, partial = scratch!.partial;
  return { fn: driver, arity: 1, args: (ins, c) => {
    if (!owns(ins[0]) || !owns(ins[1]) || !owns(c)) return null;
    const hp = splittable ? readyHelper() : null;
    if (splittable && hp === null && helperStarting()) return null;
    const slot = hp ? hp.load(wide) : -1;
    const [v, A] = pick(ins);
    // as vecmatWide (K a multiple of 16: no rows left for vecmat1 on either side)
    const mine = splittable ? ownRows(K) : K;
    wideBlock(a, 24, v, sv, A, N, 0, mine, c);
    wideBlock(a, 32, v, sv, A, N, mine, K - mine, partial);
    const at = (i: number) => a.byteOffset + 4 * i;
    a.set([hp && slot >= 0 ? hp.control : 0, slot, at(32), at(24), splittable ? 1 : 0, c.byteOffset, partial.byteOffset, N4 * 4], 40);
    return [at(40)];
  } };
}

/**
 * driver(P): P is the byte offset of [control, slot, the second share's block, ours, split, c, partial,
 * bytes of c]. Runs our rows; when split, also the second share's into partial, added to c after. Where a
 * helper's control block is given, it is ready and the kernel is loaded there (slot >= 0), the second
 * share is posted to the helper (JOB_CALL, as `HelperThread.post`) and, as `HelperThread.finish`, taken
 * back and run here if the helper has not claimed it by the time ours is done.
 */
export function vecmatDriverFunc(): Func {
  const f = new FunctionBuilder('driver', ['i32'], [], [{ params: ['i32'] }, { params: ['i32', 'i32', 'i32'] }]); // imports: wide, addTo
  const [P] = f.params;
  const [c, s, posted] = f.locals('i32', 3);
  const C = (i: number) => 4 * i; // byte offset of control i32 i
  const arg = (j: number) => f.get(P).op('i32.load', 4 * j);
  arg(0).set(c);
  // split = control != 0 & slot >= 0 & ready == 1 (reading the ready word at address 12 when there is no control block is harmless)
  f.get(c).i32(0).op('i32.ne');
  arg(1).i32(0).op('i32.ge_s').op('i32.and');
  f.get(c).op('i32.atomic.load', C(CONTROL.READY)).i32(1).op('i32.eq').op('i32.and');
  f.set(posted).get(posted).if();
  emitPost(f, c, s, 'call', [() => arg(1), () => arg(2)]);
  f.end();
  arg(3).call(0); // ours
  arg(4).if();
  f.get(posted).if();
  // take the share back unless the helper has claimed it; if it has, wait until it is done
  f.get(c, s).i32(REVOKED).op('i32.atomic.rmw.cmpxchg', C(CONTROL.STATE)).get(s).op('i32.eq');
  f.if();
  arg(2).call(0);
  f.else().loop().get(c).op('i32.atomic.load', C(CONTROL.DONE)).get(s).op('i32.ne').brIf(0).end();
  f.end();
  f.else();
  arg(2).call(0); // the second share, here
  f.end();
  arg(5);
  arg(6);
  arg(7).call(1); // c += partial
  f.end();
  return f.func();
}

const drivers = new WeakMap<ShapeKernel, ((p: number) => void) | null>();
let driverModule: WebAssembly.Module | null | undefined;
/** The driver bound to a wide kernel (and the kernels' addTo), compiled once; null where it does not compile. */
function driverFor(wide: ShapeKernel, k: WasmKernels): ((p: number) => void) | null {
  let d = drivers.get(wide);
  if (d === undefined) {
    try {
      driverModule ??= new WebAssembly.Module(module([vecmatDriverFunc()], { shared: true, maxPages: MAX_PAGES }, [{ name: 'wide', params: [TYPE_CODE.i32] }, { name: 'addTo', params: Array(3).fill(TYPE_CODE.i32) }]) as Uint8Array<ArrayBuffer>);
      d = new WebAssembly.Instance(driverModule, { env: { memory: k.memory, wide: wide.fn, addTo: k.addTo } }).exports.driver as (p: number) => void;
    } catch (e) {
      noteFallback('the vector-matrix driver for one-call plans', e);
      driverModule = null;
      d = null;
    }
    drivers.set(wide, d);
  }
  return d;
}

/** The panel kernel with its own memory: operands that are not in the heap are copied in. */
export class WasmMatmul {
  private readonly memory = new WebAssembly.Memory({ initial: 16 });
  private readonly kernels = new WasmKernels(this.memory, false);
  private f32 = new Float32Array(this.memory.buffer);
  private readonly timer = new SplitTimer('matrix products on copies');

  private ensure(floats: number): Float32Array {
    const bytes = floats * 4;
    if (bytes > this.memory.buffer.byteLength) this.memory.grow(Math.ceil((bytes - this.memory.buffer.byteLength) / PAGE));
    if (this.f32.buffer !== this.memory.buffer) this.f32 = new Float32Array(this.memory.buffer);
    return this.f32;
  }

  /** c = op(a)·op(b); op(a) is [M,K], op(b) is [K,N]. */
  run(a: Float32Array, b: Float32Array, c: Float32Array, M: number, K: number, N: number, transA: boolean, transB: boolean): void {
    const NP = padded(N);
    const aOff = 0, pOff = M * K, qOff = pOff + K * NP, cOff = qOff + M * NP;
    const mem = this.ensure(cOff + M * N + 8);
    mem.set(a.subarray(0, M * K), aOff);
    const cv = mem.subarray(cOff, cOff + M * N);
    const scratch = { packed: mem.subarray(pOff, qOff), paddedC: N % 8 ? mem.subarray(qOff, cOff) : null, timer: this.timer };
    gemm(this.kernels, mem.subarray(aOff, aOff + M * K), b, cv, scratch, M, K, N, transA, transB);
    c.set(cv);
  }
}

let shared: WasmMatmul | null | undefined;
/** The process-wide engine with a private memory, or null where WebAssembly SIMD is not available. */
export function wasmMatmul(): WasmMatmul | null {
  if (shared === undefined) {
    try {
      shared = new WasmMatmul();
    } catch (e) {
      noteFallback('WebAssembly matrix products (private memory)', e);
      shared = null;
    }
  }
  return shared;
}

const bound = new WeakMap<WebAssembly.Memory, WasmKernels | null>();
/** The kernels bound to a shared memory (the runtime's heap), or null where that fails. */
export function kernelsFor(memory: WebAssembly.Memory): WasmKernels | null {
  let k = bound.get(memory);
  if (k === undefined) {
    try {
      k = new WasmKernels(memory, true);
    } catch (e) {
      noteFallback('WebAssembly matrix products in the heap', e);
      k = null;
    }
    bound.set(memory, k);
  }
  return k;
}
