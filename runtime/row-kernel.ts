/**
 * A row region's kernel (wasm/rows.ts, generated per region's program), as a plan calls it: its argument
 * blocks in the heap, and for regions of many rows the chunks of rows it shares with the helper thread
 * where that pays (split.ts), the gradients and sums of the chunks added in chunk order after. rows.ts
 * forms the regions a plan runs.
 */
import type { Node } from '../compiler/ir/node.ts';
import type { Kernel, WasmEntry } from './kernels/kernel.ts';
import { ARG, rowKernelFor, type RowProgram } from './kernels/wasm/rows.ts';
import { hasRelaxedSimd } from './kernels/wasm/module.ts';
import type { Heap } from './kernels/heap.ts';
import { idleHelper } from './kernels/threads.ts';
import { helped, splitTimer } from './kernels/split.ts';
import { CHUNK } from './kernels/jobs.ts';


/** A row region planned for concrete shapes (rows.ts makes them): its nodes, operands and program. */
export interface RowRegion {
  readonly x: Node;
  readonly w: Node;
  /** Elementwise instructions of the chain (the product's, counts and expansions excluded). */
  readonly members: number;
  /** External inputs of the chain (nodes), or the value of an element count known when planning. */
  readonly operands: readonly (Node | number)[];
  /** The region's nodes whose values a reader needs (members), in the program's `stores` order. */
  readonly stores: readonly Node[];
  /** The region's gradients, then its sums (the program's order). */
  readonly exits: readonly Node[];
  readonly program: RowProgram;
}

/**
 * Regions from this many rows are done in chunks of rows (`rowChunks`) that the helper thread may share
 * (each chunk some tens of microseconds). Smaller ones stay on one thread: splitting W2's 759 rows made
 * each warm step faster, but a helper spinning beside a training loop of a few hundred microseconds
 * slowed V8's optimizing of that loop, on the second core, more than the split saved (W2 as a whole was
 * slower).
 */
export const ROW_SPLIT_MIN_ROWS = 16384;

/** The chunks of a region of N rows: rows [n·rows, (n + 1)·rows), rows a multiple of 8; one chunk below ROW_SPLIT_MIN_ROWS. */
export function rowChunks(N: number): { rows: number; chunks: number } {
  if (N < ROW_SPLIT_MIN_ROWS) return { rows: N, chunks: 1 };
  const rows = (Math.ceil(N / Math.min(32, Math.max(2, Math.floor(N / 4096)))) + 7) & ~7;
  return { rows, chunks: Math.ceil(N / rows) };
}

/**
 * The kernel of a region planned for N rows, and the nodes whose buffers it takes, in its order: X, w,
 * the operands that are nodes, the stored members, the exits. All must be in the heap (a float32 plan's
 * are: its arena, its constants, and its leaves, staged there). Null where the kernel does not compile.
 * With enough rows, the rows are done in chunks (`rowChunks`), each writing its gradients and its sums'
 * partials to cells of its own (chunk 0 its gradients to the outputs), added in chunk order after: the
 * same bits whichever thread computes a chunk. With the helper thread posted (where that pays: split.ts),
 * both threads take chunks while any are left; the helper writes a chunk's stored rows, gradients and
 * partials into cells of its own and copies the rows into place only if the caller has not taken the
 * chunk back (jobs.ts, `chunks`), so a helper the scheduler parks never holds the caller up.
 */
export function regionKernel(r: RowRegion, N: number, h: Heap): { kernel: Kernel; buffers: Node[] } | null {
  const rk = rowKernelFor(r.program, h.memory, hasRelaxedSimd());
  if (!rk) return null;
  const f = rk.fn;
  const p = r.program;
  const K = p.K, nOps = r.operands.length, nSt = p.stores.length, nG = p.grads.length, nS = p.sums.length;
  const buffers = [r.x, r.w, ...r.operands.filter((o): o is Node => typeof o !== 'number'), ...r.stores, ...r.exits];
  const nArgs = ARG.first + nOps + nSt + nG + 2 * nS;
  const nodeOperands = r.operands.flatMap((o, j) => (typeof o === 'number' ? [] : [j]));
  const sumOut = buffers.length - nS; // the sums' outputs: written by the kernel, or here from the partials
  const gradOut = 2 + nodeOperands.length + nSt; // the gradients' outputs
  const { rows: ch, chunks: C } = rowChunks(N);
  const split = C > 1;

  // heap cells freed with the kernel: the argument blocks (all rows; by chunk, the caller's then the
  // helper's), the tail's lane mask, the element counts, the gradients of chunks 1…, the partials by
  // chunk (four float64 a sum), the helper's copies by chunk (nSt of [to, from, bytes])
  const maskAt = (2 * C + 1) * nArgs, countsAt = maskAt + 4, gradsAt = countsAt + nOps;
  const partialsAt = Math.ceil((gradsAt + (C - 1) * nG * K) / 4) * 4, copiesAt = partialsAt + 8 * nS * C;
  /** Floats of the helper's cells for a chunk: its partials, its gradients, its stored rows. */
  const zone = (8 * nS + nG * K + nSt * ch + 7) & ~7;
  let cells: Float32Array;
  const at = (k: number) => cells.byteOffset + 4 * k;
  const block = (b: number) => new Int32Array(cells.buffer, at(b * nArgs), nArgs);
  let all: Int32Array, partials: Float64Array, copies: Int32Array;
  let heap32 = new Float32Array(0), heap64 = new Float64Array(0);

  /**
   * Fills a block for rows [r0, r0 + rows) from the buffers' byte offsets: stored rows to `stores` (the
   * byte offset of row r0's store j), gradients to `grads` (gradient j's byte offset), partials to
   * `parts` (of the first sum, 32 bytes apart); `totals`: that the kernel writes
   * the sums' totals (else only their partials).
   */
  const fill = (a: Int32Array, offs: Int32Array, r0: number, rows: number, stores: (j: number) => number, grads: (j: number) => number, parts: number, totals: boolean) => {
    a[ARG.x] = offs[0] + r0 * K * 4;
    a[ARG.w] = offs[1];
    a[ARG.groups] = rows >> 2;
    a[ARG.tail] = rows % 4;
    a[ARG.mask] = at(maskAt);
    // per-row operands start at row r0
    r.operands.forEach((o, j) => (a[ARG.first + j] = typeof o === 'number' ? at(countsAt + j) : offs[2 + nodeOperands.indexOf(j)] + (p.operands[j] === 'row' ? r0 * 4 : 0)));
    for (let j = 0; j < nSt; j++) a[ARG.first + nOps + j] = stores(j);
    for (let j = 0; j < nG; j++) a[ARG.first + nOps + nSt + j] = grads(j);
    for (let j = 0; j < nS; j++) a[ARG.first + nOps + nSt + nG + j] = parts + 32 * j;
    for (let j = 0; j < nS; j++) a[ARG.first + nOps + nSt + nG + nS + j] = totals ? offs[sumOut + j] : 0;
  };
  const seen: (Float32Array | null)[] = buffers.map(() => null);
  const offs = new Int32Array(buffers.length);
  const first = (n: number) => n * ch, rowsOf = (n: number) => Math.min(N, n * ch + ch) - n * ch;
  /** Where the caller's chunk n writes gradient g: chunk 0 to the outputs, the others to cells, K floats apart. */
  const ownGrad = (n: number, g: number) => (n === 0 ? offs[gradOut + g] : at(gradsAt + ((n - 1) * nG + g) * K));
  const ownParts = (n: number) => at(partialsAt + 8 * nS * n);
  /** The argument blocks for these buffers (byte offsets read again only for a different view: a plan passes the same ones run after run). */
  const refresh = (ins: readonly Float32Array[]) => {
    let changed = false;
    for (let j = 0; j < buffers.length; j++)
      if (ins[j] !== seen[j]) {
        seen[j] = ins[j];
        offs[j] = ins[j].byteOffset;
        changed = true;
      }
    if (changed) {
      fill(all, offs, 0, N, (j) => offs[2 + nodeOperands.length + j], (g) => ownGrad(0, g), ownParts(0), true);
      if (split) for (let n = 0; n < C; n++) fill(block(1 + n), offs, first(n), rowsOf(n), (j) => offs[2 + nodeOperands.length + j] + first(n) * 4, (g) => ownGrad(n, g), ownParts(n), false);
    }
  };
  const kernel: Kernel = (ins) => {
    refresh(ins);
    if (!split) return f(all.byteOffset); // which writes the sums' totals too
    const helper = idleHelper();
    const post = helper !== null && timer.split();
    const t0 = helper ? performance.now() : 0;
    const slot = post ? helper!.load(rk) : -1;
    const theirs = slot >= 0 ? helper!.spare(C * zone) : 0;
    const run = (n: number) => f(at((1 + n) * nArgs));
    let done = 0;
    if (slot >= 0) {
      for (let n = 0; n < C; n++) {
        const z = theirs + 4 * n * zone, st = z + 4 * (8 * nS + nG * K);
        fill(block(1 + C + n), offs, first(n), rowsOf(n), (j) => st + 4 * j * ch, (g) => z + 32 * nS + 4 * g * K, z, false);
        for (let j = 0; j < nSt; j++) copies.set([offs[2 + nodeOperands.length + j] + first(n) * 4, st + 4 * j * ch, rowsOf(n) * 4], 3 * (n * nSt + j));
      }
      helper!.post('chunks', slot, at((1 + C) * nArgs), 4 * nArgs, C, helper!.freeChunks(C), copies.byteOffset, nSt);
      done = helper!.shareChunks(C, run);
    } else for (let n = 0; n < C; n++) run(n);
    const byHelper = (n: number) => slot >= 0 && Atomics.load(helper!.chunks, n) === CHUNK.DONE;
    // gradients: chunk 0's, then each other chunk's added in chunk order
    // whole-heap views, made again only when the memory has grown (none per call); by length, not by the
    // buffer object, which a shared memory may hand out anew at an unchanged length (heap.ts)
    if (heap32.byteLength !== h.memory.buffer.byteLength) (heap32 = new Float32Array(h.memory.buffer)), (heap64 = new Float64Array(h.memory.buffer));
    const m = heap32;
    for (let g = 0; g < nG; g++) {
      const out = ins[gradOut + g];
      const src = (n: number) => (byHelper(n) ? theirs + 4 * n * zone + 32 * nS + 4 * g * K : ownGrad(n, g)) >> 2;
      if (byHelper(0)) out.set(m.subarray(src(0), src(0) + K));
      for (let n = 1; n < C; n++) for (let j = 0, o = src(n); j < K; j++) out[j] += m[o + j];
    }
    // sums: each chunk's four partials, the chunks' in chunk order
    for (let s = 0; s < nS; s++) {
      let total = 0;
      for (let n = 0; n < C; n++) {
        const q = byHelper(n) ? heap64 : partials, i = byHelper(n) ? (theirs + 4 * n * zone + 32 * s) >> 3 : 4 * (n * nS + s);
        total += (q[i] + q[i + 1]) + (q[i + 2] + q[i + 3]);
      }
      ins[sumOut + s][0] = total;
    }
    // (a call meant to be split whose kernel the helper has not loaded yet ran on one thread: not a measurement)
    if (helper && (!post || slot >= 0)) timer.record(post, performance.now() - t0, helped(done, C));
  };
  const timer = splitTimer(`row region (${N} rows, ${K} features)`, `${rk.key}|${N}`);
  cells = h.alloc(copiesAt + 3 * nSt * C, kernel);
  all = block(0);
  const mask = new Int32Array(cells.buffer, at(maskAt), 4);
  for (let l = 0; l < 4; l++) mask[l] = l < N % 4 ? -1 : 0;
  r.operands.forEach((o, j) => typeof o === 'number' && (cells[countsAt + j] = o));
  partials = new Float64Array(cells.buffer, at(partialsAt), 4 * nS * C);
  copies = new Int32Array(cells.buffer, at(copiesAt), 3 * nSt * C);
  // on one thread, the kernel is one WebAssembly call (a plan of such calls runs as one: wasm/sequence.ts)
  const wasm: WasmEntry | undefined = split ? undefined : { fn: f, arity: 1, args: (ins) => (ins.every((b) => h.owns(b)) ? (refresh(ins), [all.byteOffset]) : null) };
  return { kernel: Object.assign(kernel, { wasm, path: `WebAssembly SIMD row region (${N} rows, ${K} features)` }), buffers };
}
