/**
 * The helper thread's protocol: the control block's layout, and its jobs, each declared once (its number,
 * its i32 arguments in order, and what the helper does with them). From the declarations come the
 * helper's handlers (`jobHandlers`, in the source the helper runs: threads.ts), the typed arguments of
 * `HelperThread.post` (`JobArgs`), and the WebAssembly that posts a job from a plan's one call
 * (`emitPost`, for the vector-matrix driver in wasm/vecmat-entry.ts).
 */
import type { FunctionBuilder, Local } from './wasm/builder.ts';

/**
 * Control block, in the heap (so that a plan's WebAssembly call can post jobs too): [job seq, done seq,
 * job kind, ready, ...args], on a cache line of its own the next chunk of a job that both threads take
 * chunks of, and on another the seq of the caller's latest job. Indices of i32s.
 */
const SEQ = 0, DONE = 1, KIND = 2, READY = 3, ARGS = 4, STATE = 24, NEXT = 32, POSTED = 48;
export const CONTROL = { SEQ, DONE, KIND, READY, ARGS, STATE, NEXT, POSTED } as const;
/** Arguments a job may have (the control block's words from ARGS up to STATE). */
export const MAX_ARGS = 16;
/**
 * The state word of the latest job: its seq while nobody has claimed it, TAKEN once the helper has, REVOKED
 * once the caller has taken it back. Seqs are positive (they count modulo 2^30).
 */
export const TAKEN = -1, REVOKED = -2;
/**
 * A split GEMM's chunk, by its state word: FREE until a thread holds its index; the helper's while it
 * computes it (HELPER) and copies it into C (COPYING), then DONE; the caller's (CALLER), or taken back
 * from the helper by the caller, which computed it itself (TAKEN_BACK: the helper's copy is dropped).
 */
export const CHUNK = { FREE: 0, HELPER: 1, COPYING: 2, DONE: 3, CALLER: 4, TAKEN_BACK: 5 } as const;
/** Chunks a split GEMM may have (its state words). */
export const MAX_CHUNKS = 256;

interface JobSpec {
  readonly code: number;
  readonly args: readonly string[];
  /**
   * The helper's handler, as JavaScript source run with each argument in a constant of its name, `k` the
   * kernel module's exports, `ctl` the control block, `a` the arguments' words, `memory` and `loaded`
   * (the shape kernels the helper compiled); `at` gives an argument's index in `a` (for results).
   */
  readonly run: (at: Readonly<Record<string, number>>) => string;
}

export const JOBS = {
  /** Ends the helper's loop. */
  exit: { code: 0, args: [], run: () => 'return;' },
  /**
   * gemmRows's twelve arguments (the blocking `gemm` packed B for), but for the rows: `chunk` rows a
   * chunk and `end` the end of the rows; both threads take chunks (the next one's index is counted in the
   * control block) until none is left, so a core slowed by other work does less. Then `states` (byte
   * offset of a word per chunk, `CHUNK`) and `spare` (chunk·NP floats of the helper's): the helper computes
   * a chunk into `spare` and copies it into C only if the caller has not taken it back meanwhile, so a
   * helper parked in the middle of a chunk never holds the caller up (the caller computes that chunk too,
   * with the same kernel: the same bits). Last, gemmRows's `strip`: 0, or for a transposed A 16·KC bytes
   * of the helper's own, and its `epi` (the epilogue: a bias and ReLU on the last K block, or 0).
   */
  gemm: {
    code: 1,
    args: ['a0', 'sa', 'ska', 'b0', 'c0', 'ldc', 'K', 'NP', 'chunk', 'end', 'KC', 'NC', 'states', 'spare', 'strip', 'epi'],
    run: () =>
      `const st = new Int32Array(memory.buffer, states, ${MAX_CHUNKS}); ` +
      `for (let n, i; (i = (n = Atomics.add(ctl, ${NEXT}, 1)) * chunk) < end; ) { ` +
      `if (Atomics.compareExchange(st, n, ${CHUNK.FREE}, ${CHUNK.HELPER}) !== ${CHUNK.FREE}) continue; ` +
      `const r = Math.min(end, i + chunk) - i; ` +
      `k.gemmRows(a0, sa, ska, b0, spare - i * ldc, ldc, K, NP, i, i + r, KC, NC, strip, epi); ` +
      `if (Atomics.compareExchange(st, n, ${CHUNK.HELPER}, ${CHUNK.COPYING}) !== ${CHUNK.HELPER}) continue; ` +
      `const f = new Float32Array(memory.buffer); f.copyWithin((c0 + i * ldc) >> 2, spare >> 2, (spare >> 2) + r * NP); ` +
      `Atomics.store(st, n, ${CHUNK.DONE}); Atomics.notify(st, n); }`,
  },
  /**
   * The matvec kernel's eight (`M` the end of the rows), then `chunk` rows a chunk (a multiple of 4),
   * `four` (1: each chunk's rows four at a time through matvec4, its last M mod 4 through matvec), and
   * `states` and `spare` as for `gemm`: both threads take chunks, the helper computes each into `spare`
   * and copies it into c unless the caller has taken it back.
   */
  matvec: {
    code: 2,
    args: ['a0', 'lda', 'v0', 'c0', 'M', 'kb16', 'kb4', 'kb', 'chunk', 'four', 'states', 'spare'],
    run: () =>
      `const st = new Int32Array(memory.buffer, states, ${MAX_CHUNKS}); ` +
      `for (let n, i; (i = (n = Atomics.add(ctl, ${NEXT}, 1)) * chunk) < M; ) { ` +
      `if (Atomics.compareExchange(st, n, ${CHUNK.FREE}, ${CHUNK.HELPER}) !== ${CHUNK.FREE}) continue; ` +
      `const r = Math.min(M, i + chunk) - i, r4 = four ? r - (r % 4) : 0; ` +
      `if (r4 > 0) k.matvec4(a0 + i * lda, lda, v0, spare, r4, kb); ` +
      `if (r4 < r) k.matvec(a0 + (i + r4) * lda, lda, v0, spare + r4 * 4, r - r4, kb16, kb4, kb); ` +
      `if (Atomics.compareExchange(st, n, ${CHUNK.HELPER}, ${CHUNK.COPYING}) !== ${CHUNK.HELPER}) continue; ` +
      `const f = new Float32Array(memory.buffer); f.copyWithin((c0 >> 2) + i, spare >> 2, (spare >> 2) + r); ` +
      `Atomics.store(st, n, ${CHUNK.DONE}); Atomics.notify(st, n); }`,
  },
  /** vecmat4's first seven (it zeroes its partial sums first), then v, M and the row count of the vecmat1 tail. */
  vecmat: {
    code: 3,
    args: ['v0', 'sv', 'm0', 'ldm', 'c0', 'K4', 'nb', 'vt', 'mt', 'Kt'],
    run: () => 'if (nb > 0) { k.vecmat4(v0, sv, m0, ldm, c0, K4, nb, 1); if (Kt > 0) k.vecmat1(vt, sv, mt, ldm, c0, Kt, nb, 0); }',
  },
  /**
   * The byte offset and length of a shape kernel's module (wasm/module.ts: a row region's, a vector-matrix
   * product's) in the memory, the bytes there the helper may overwrite (`room`), and the slot to keep it in.
   * `ok` is set to 1 when it compiled; else to minus the length of the error's message, which the helper
   * writes (UTF-8, cut to `room` bytes) at `offset`: the caller reports the fallback with that cause and
   * runs the kernel on one thread.
   */
  load: {
    code: 4,
    args: ['offset', 'length', 'room', 'slot', 'ok'],
    run: (at) =>
      `try { const bytes = new Uint8Array(memory.buffer, offset, length).slice(); ` +
      `loaded[slot] = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } }).exports.kernel; a[${at.ok}] = 1; } ` +
      `catch (e) { const m = new TextEncoder().encode(String((e && e.message) || e)).subarray(0, room); ` +
      `new Uint8Array(memory.buffer, offset, m.length).set(m); a[${at.ok}] = -m.length; }`,
  },
  /** The slot of a loaded shape kernel, and the byte offset of its argument block. */
  call: { code: 5, args: ['slot', 'block'], run: () => 'loaded[slot](block);' },
  /**
   * A loaded shape kernel (its slot) called on `count` chunks, chunk n's argument block at byte offset
   * `blocks + n · stride`; both threads take chunks. The helper's blocks write into cells of its own
   * (`HelperThread.spare`), which the caller reads for the chunks left DONE (`states`, as for `gemm`);
   * then the helper copies `nCopy` runs of bytes of a chunk into place, each [to, from, bytes] in i32s at
   * `copies + 12 · (n · nCopy + j)`, unless the caller has taken the chunk back. A chunk the caller takes
   * back it computes into its own cells: a late helper changes nothing the caller reads.
   */
  chunks: {
    code: 6,
    args: ['slot', 'blocks', 'stride', 'count', 'states', 'copies', 'nCopy'],
    run: () =>
      `const st = new Int32Array(memory.buffer, states, ${MAX_CHUNKS}); ` +
      `for (let n; (n = Atomics.add(ctl, ${NEXT}, 1)) < count; ) { ` +
      `if (Atomics.compareExchange(st, n, ${CHUNK.FREE}, ${CHUNK.HELPER}) !== ${CHUNK.FREE}) continue; ` +
      `loaded[slot](blocks + n * stride); ` +
      `if (Atomics.compareExchange(st, n, ${CHUNK.HELPER}, nCopy > 0 ? ${CHUNK.COPYING} : ${CHUNK.DONE}) !== ${CHUNK.HELPER}) continue; ` +
      `if (nCopy > 0) { const u = new Uint8Array(memory.buffer), c = new Int32Array(memory.buffer, copies + 12 * n * nCopy, 3 * nCopy); ` +
      `for (let j = 0; j < 3 * nCopy; j += 3) u.copyWithin(c[j], c[j + 1], c[j + 1] + c[j + 2]); Atomics.store(st, n, ${CHUNK.DONE}); } ` +
      `Atomics.notify(st, n); }`,
  },
  /**
   * Panels [p0, p1) of a split product's B packed (gemm.ts) while the caller packs the others: for each K
   * block of KC rows, the panels' part of the block, by `pack` from a row-major B (rows `ldb` bytes apart)
   * or, `trans` 1, by `packT` from a transposed one. Not chunked: a caller done with its panels takes the
   * job back if the helper has not claimed it, else waits for it (`HelperThread.finish`).
   */
  pack: {
    code: 7,
    args: ['src', 'ldb', 'dst', 'K', 'NP', 'p0', 'p1', 'KC', 'trans'],
    run: () =>
      `for (let k0 = 0; k0 < K; k0 += KC) { const kc = Math.min(KC, K - k0), to = dst + (k0 * NP + p0 * 8 * kc) * 4; ` +
      `if (trans) k.packT(src + k0 * 4 + p0 * 8 * ldb, ldb, to, kc, p1 - p0); else k.pack(src + k0 * ldb + p0 * 32, ldb, to, kc, p1 - p0); }`,
  },
  /**
   * A split GEMM by columns: chunks of `CW` columns of C (whole panels; the last may be narrower) up to
   * `NP`, the caller taking them from the first, the helper from the last, each claimed by its state word
   * (`states`, `CHUNK`, as for `gemm`) until the two meet. For each of its chunks the helper packs the
   * chunk's panels of B (at `src`: rows or, `trans` 1, columns `ldb` bytes apart) into cells of its own
   * (`spare`: K·CW floats), computes every row of the chunk (`M4`, A read with gemmRows's `a0`, `sa`,
   * `ska`, no strip) into the M4·CW floats after them, and copies them into C (at `c0`, rows NP·4 bytes
   * apart) unless the caller has taken the chunk back. So each thread packs and reads only its own
   * columns of B, and each packed panel stays in the cache of the core that packed it. `epi`: gemmRows's
   * epilogue for C's column 0 (its bias moved on to the chunk's first column, as `epiFrom` in wasm/gemm.ts).
   */
  gemmColumns: {
    code: 8,
    args: ['a0', 'sa', 'ska', 'src', 'ldb', 'trans', 'c0', 'K', 'CW', 'NP', 'M4', 'KC', 'NC', 'states', 'spare', 'epi'],
    run: () =>
      `const st = new Int32Array(memory.buffer, states, ${MAX_CHUNKS}); ` +
      `for (let n = Math.ceil(NP / CW) - 1; n >= 0; n--) { ` +
      `if (Atomics.compareExchange(st, n, ${CHUNK.FREE}, ${CHUNK.HELPER}) !== ${CHUNK.FREE}) break; ` +
      `const j0 = n * CW, w = Math.min(CW, NP - j0), out = spare + K * CW * 4; ` +
      `for (let k0 = 0; k0 < K; k0 += KC) { const kc = Math.min(KC, K - k0), to = spare + k0 * w * 4; ` +
      `if (trans) k.packT(src + j0 * ldb + k0 * 4, ldb, to, kc, w >> 3); else k.pack(src + k0 * ldb + j0 * 4, ldb, to, kc, w >> 3); } ` +
      `k.gemmRows(a0, sa, ska, spare, out, w * 4, K, w, 0, M4, KC, NC, 0, epi & ~3 ? epi + j0 * 4 : epi); ` +
      `if (Atomics.compareExchange(st, n, ${CHUNK.HELPER}, ${CHUNK.COPYING}) !== ${CHUNK.HELPER}) continue; ` +
      `k.copyRows(out, w * 4, c0 + j0 * 4, NP * 4, M4, w * 4); ` +
      `Atomics.store(st, n, ${CHUNK.DONE}); Atomics.notify(st, n); }`,
  },
  /**
   * A batched product's slices (wasm/gemm-batch.ts), each a product of M rows (whole row groups) by N
   * columns (whole panels) over K: chunks of `per` consecutive slices up to `steps`, which both threads
   * take (counted in the control block) until none is left. For each slice s of its chunks the helper
   * packs B's slice (at `b0` plus the i32 at `table + 8s + 4`; `flags` & 2: transposed) into cells of its
   * own (`spare`: K·N floats), computes the slice's rows (A at `a0` plus the i32 at `table + 8s`; `flags`
   * & 1: transposed, & 4: through a strip of its own after its rows) into the chunk's per·M·N floats after
   * them, and copies the chunk into C (slices M·N floats apart from `c0`) unless the caller has taken it
   * back (`states`, as for `gemm`). The caller computes its chunks by the 2-D product: the same packing and
   * row kernel over the same values, the same bits.
   */
  gemmBatch: {
    code: 9,
    args: ['table', 'a0', 'b0', 'c0', 'flags', 'M', 'K', 'N', 'per', 'steps', 'states', 'spare', 'KC', 'NC'],
    run: () =>
      `const st = new Int32Array(memory.buffer, states, ${MAX_CHUNKS}), t = new Int32Array(memory.buffer, table, 2 * steps); ` +
      `const tB = flags & 2, sa = flags & 1 ? 1 : K, ska = flags & 1 ? M : 1, ldb = tB ? K * 4 : N * 4, out = spare + K * N * 4, strip = flags & 4 ? out + per * M * N * 4 : 0; ` +
      `for (let n, s0; (s0 = (n = Atomics.add(ctl, ${NEXT}, 1)) * per) < steps; ) { ` +
      `if (Atomics.compareExchange(st, n, ${CHUNK.FREE}, ${CHUNK.HELPER}) !== ${CHUNK.FREE}) continue; ` +
      `const s1 = Math.min(steps, s0 + per); ` +
      `for (let s = s0; s < s1; s++) { const src = b0 + t[2 * s + 1]; ` +
      `for (let k0 = 0; k0 < K; k0 += KC) { const kc = Math.min(KC, K - k0), to = spare + k0 * N * 4; ` +
      `if (tB) k.packT(src + k0 * 4, ldb, to, kc, N >> 3); else k.pack(src + k0 * ldb, ldb, to, kc, N >> 3); } ` +
      `k.gemmRows(a0 + t[2 * s], sa, ska, spare, out + (s - s0) * M * N * 4, N * 4, K, N, 0, M, KC, NC, strip, 0); } ` +
      `if (Atomics.compareExchange(st, n, ${CHUNK.HELPER}, ${CHUNK.COPYING}) !== ${CHUNK.HELPER}) continue; ` +
      `k.copyRows(out, N * 4, c0 + s0 * M * N * 4, N * 4, (s1 - s0) * M, N * 4); ` +
      `Atomics.store(st, n, ${CHUNK.DONE}); Atomics.notify(st, n); }`,
  },
  /**
   * The narrow product kernel's twelve arguments (wasm/narrow.ts; `M` the rows), then `chunk` rows a
   * chunk, `states` and `spare` as for `gemm`: both threads take chunks; the helper computes each into
   * `spare` and copies it into C unless the caller has taken it back.
   */
  narrow: {
    code: 10,
    args: ['a0', 'lda', 'bt0', 'ldbt', 'c0', 'ldc', 'M', 'kb4', 'kb', 'N', 'bias', 'relu', 'chunk', 'states', 'spare'],
    run: () =>
      `const st = new Int32Array(memory.buffer, states, ${MAX_CHUNKS}); ` +
      `for (let n, i; (i = (n = Atomics.add(ctl, ${NEXT}, 1)) * chunk) < M; ) { ` +
      `if (Atomics.compareExchange(st, n, ${CHUNK.FREE}, ${CHUNK.HELPER}) !== ${CHUNK.FREE}) continue; ` +
      `const r = Math.min(M, i + chunk) - i; ` +
      `k.narrow(a0 + i * lda, lda, bt0, ldbt, spare, ldc, r, kb4, kb, N, bias, relu); ` +
      `if (Atomics.compareExchange(st, n, ${CHUNK.HELPER}, ${CHUNK.COPYING}) !== ${CHUNK.HELPER}) continue; ` +
      `const f = new Float32Array(memory.buffer); f.copyWithin((c0 + i * ldc) >> 2, spare >> 2, (spare + r * ldc) >> 2); ` +
      `Atomics.store(st, n, ${CHUNK.DONE}); Atomics.notify(st, n); }`,
  },
} as const satisfies Record<string, JobSpec>;

export type JobName = keyof typeof JOBS;
/** A job's arguments: one number for each it declares, in order. */
export type JobArgs<J extends JobName> = Each<(typeof JOBS)[J]['args'], number>;
type Each<T extends readonly unknown[], V> = { -readonly [I in keyof T]: V };

/** The index of a job's argument in the control block's argument words. */
export function argIndex<J extends JobName>(job: J, name: (typeof JOBS)[J]['args'][number]): number {
  return (JOBS[job].args as readonly string[]).indexOf(name);
}

/** The helper's handlers: one `case` per job, on the job's number, over the argument words `a` (source). */
export function jobHandlers(): string {
  return Object.values(JOBS as Record<string, JobSpec>)
    .map((j) => {
      const at = Object.fromEntries(j.args.map((n, i) => [n, i]));
      const names = j.args.length ? `const ${j.args.map((n, i) => `${n} = a[${i}]`).join(', ')}; ` : '';
      return `      case ${j.code}: { ${names}${j.run(at)} break; }`;
    })
    .join('\n');
}

/** Each argument of a job, as a function pushing its i32 (in the declared order). */
export type JobPushes<J extends JobName> = Each<(typeof JOBS)[J]['args'], () => unknown>;

/**
 * WebAssembly posting a job as `HelperThread.post` does, to the control block whose byte offset is in
 * `control`: the arguments, the job's number, the chunk counter reset, then the next seq (left in `seq`:
 * the caller's `finish` compares it) as the latest posted, the job's state and its seq, and a notify.
 */
export function emitPost<J extends JobName>(f: FunctionBuilder, control: Local, seq: Local, job: J, args: JobPushes<J>): void {
  const at = (i: number) => 4 * i; // byte offset of control word i
  (args as (() => unknown)[]).forEach((push, i) => {
    f.get(control);
    push();
    f.op('i32.store', at(ARGS + i));
  });
  f.get(control).i32(JOBS[job].code).op('i32.store', at(KIND));
  f.get(control).i32(0).op('i32.store', at(NEXT));
  // seq = (posted + 1) & 0x3fffffff, or 1 where that is 0
  f.get(control).op('i32.load', at(POSTED)).i32(1).op('i32.add').i32(0x3fffffff).op('i32.and').set(seq);
  f.get(seq).op('i32.eqz').if().i32(1).set(seq).end();
  f.get(control, seq).op('i32.store', at(POSTED));
  f.get(control, seq).op('i32.atomic.store', at(STATE));
  f.get(control, seq).op('i32.atomic.store', at(SEQ));
  f.get(control).i32(1).op('memory.atomic.notify', at(SEQ)).drop();
}
