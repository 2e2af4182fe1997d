/**
 * A small WebAssembly binary writer: LEB128, sections, and the instructions graphc's kernels use
 * (including the 0xFD-prefixed SIMD ones). Kernels are generated as bytes at run time; no toolchain.
 * Opcodes from the WebAssembly core specification (and its fixed-width SIMD proposal, now standard).
 */
export const uleb = (v: number): number[] => {
  const out: number[] = [];
  do {
    let b = v & 0x7f;
    v >>>= 7;
    if (v) b |= 0x80;
    out.push(b);
  } while (v);
  return out;
};

export const sleb = (v: number): number[] => {
  const out: number[] = [];
  for (;;) {
    const b = v & 0x7f;
    v >>= 7;
    if ((v === 0 && !(b & 0x40)) || (v === -1 && b & 0x40)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
};

export const I32 = 0x7f, F32 = 0x7d, V128 = 0x7b;

/** Instructions, each a byte list. Memory arguments: alignment exponent and offset. */
export const op = {
  get: (i: number) => [0x20, ...uleb(i)],
  set: (i: number) => [0x21, ...uleb(i)],
  tee: (i: number) => [0x22, ...uleb(i)],
  i32: (v: number) => [0x41, ...sleb(v)],
  add: [0x6a],
  sub: [0x6b],
  mul: [0x6c],
  remU: [0x70],
  eqz: [0x45],
  ltS: [0x48],
  gtS: [0x4a],
  geS: [0x4e],
  select: [0x1b],
  call: (f: number) => [0x10, ...uleb(f)],
  if_: [0x04, 0x40],
  else_: [0x05],
  block: [0x02, 0x40],
  loop: [0x03, 0x40],
  br: (d: number) => [0x0c, ...uleb(d)],
  brIf: (d: number) => [0x0d, ...uleb(d)],
  end: [0x0b],
  v128Load: (offset = 0) => [0xfd, 0x00, 4, ...uleb(offset)],
  v128Store: (offset = 0) => [0xfd, 0x0b, 4, ...uleb(offset)],
  load32Splat: (offset = 0) => [0xfd, 0x09, 2, ...uleb(offset)],
  /** Stores lane `lane` (32 bits) of a vector. */
  store32Lane: (offset: number, lane: number) => [0xfd, 0x5a, 2, ...uleb(offset), lane],
  /** Stores lanes 2·`half`, 2·`half` + 1 (64 bits) of a vector. */
  store64Lane: (offset: number, half: number) => [0xfd, 0x5b, 3, ...uleb(offset), half],
  f32x4Add: [0xfd, ...uleb(228)],
  f32x4Mul: [0xfd, ...uleb(230)],
  /** a·b + c, fused or not at the engine's choice (relaxed SIMD). */
  f32x4RelaxedMadd: [0xfd, ...uleb(0x105)],
  f32x4Extract: (lane: number) => [0xfd, 0x1f, lane],
  i32Load: (offset = 0) => [0x28, 2, ...uleb(offset)],
  f32Load: (offset = 0) => [0x2a, 2, ...uleb(offset)],
  f32Store: (offset = 0) => [0x38, 2, ...uleb(offset)],
  i32Store: (offset = 0) => [0x36, 2, ...uleb(offset)],
  f32Add: [0x92],
  f32Mul: [0x94],
  ne: [0x47],
  and: [0x71],
  drop: [0x1a],
  /** Atomic (sequentially consistent) 32-bit load and store, and memory.atomic.notify (shared memory). */
  i32AtomicLoad: (offset = 0) => [0xfe, 0x10, 2, ...uleb(offset)],
  i32AtomicStore: (offset = 0) => [0xfe, 0x17, 2, ...uleb(offset)],
  atomicNotify: (offset = 0) => [0xfe, 0x00, 2, ...uleb(offset)],
  /** i32.atomic.rmw.cmpxchg: [address, expected, replacement] → the old value. */
  i32AtomicCmpxchg: (offset = 0) => [0xfe, 0x48, 2, ...uleb(offset)],
};

const sop = (code: number) => [0xfd, ...uleb(code)];
const splat = (a: Float32Array | Int32Array) => [0xfd, 0x0c, ...new Uint8Array(a.buffer)];

/**
 * Lane-wise SIMD instructions (f32x4, i32x4, f64x2, v128), one table for every kernel that computes
 * on lanes (elementwise rules, exp/log1p, the fused loss); `f32`/`i32` are v128.const splats.
 */
export const simd = {
  add: sop(0xe4), sub: sop(0xe5), mul: sop(0xe6), div: sop(0xe7), pmin: sop(0xea), pmax: sop(0xeb),
  abs: sop(0xe0), neg: sop(0xe1), sqrt: sop(0xe3),
  eq: sop(0x41), ne: sop(0x42), gt: sop(0x44), ge: sop(0x46),
  and: sop(0x4e), or: sop(0x50), bitselect: sop(0x52),
  iShl: sop(0xab), iShrS: sop(0xac), iAdd: sop(0xae), iSub: sop(0xb1),
  promoteLow: sop(0x5f), f64x2Add: sop(0xf0),
  /** i8x16.shuffle picking f32 lanes: 0–3 from the first operand, 4–7 from the second. */
  lanes: (l: readonly number[]) => [0xfd, 0x0d, ...l.flatMap((x) => [4 * x, 4 * x + 1, 4 * x + 2, 4 * x + 3])],
  f32: (x: number) => splat(new Float32Array([x, x, x, x])),
  i32: (x: number) => splat(new Int32Array([x, x, x, x])),
  /** All ones in the first `k` lanes, zeros in the others (a mask for `and`). */
  firstLanes: (k: number) => splat(Int32Array.from([0, 1, 2, 3], (l) => (l < k ? -1 : 0))),
};

const section = (id: number, body: number[]) => [id, ...uleb(body.length), ...body];
const vec = (items: number[][]) => [...uleb(items.length), ...items.flat()];
const name = (s: string) => [...uleb(s.length), ...new TextEncoder().encode(s)];

export interface Func {
  readonly name: string;
  readonly params: number[];
  readonly locals: number[];
  readonly body: number[];
  /** Result types (none where absent). */
  readonly results?: number[];
}

/** A function a module imports (as env.<name>), taking these parameters and returning nothing. */
export interface Import {
  readonly name: string;
  readonly params: number[];
}

/**
 * A module importing its memory as env.memory (and the given functions, which take the first function
 * indices, so the module's own functions start after them) and exporting the given functions (no
 * results). A shared memory must be declared shared, with a maximum of at least the memory's own.
 */
export function module(funcs: readonly Func[], memory: { shared: boolean; maxPages?: number } = { shared: false }, fnImports: readonly Import[] = []): Uint8Array {
  const signature = (params: number[], results: number[] = []) => [0x60, ...vec(params.map((p) => [p])), ...vec(results.map((r) => [r]))];
  const types = [...fnImports.map((f) => signature(f.params)), ...funcs.map((f) => signature(f.params, f.results))];
  // limits: flags 0x00 (min) or 0x03 (shared, min and max); min 1 page
  const limits = memory.shared ? [0x03, 1, ...uleb(memory.maxPages ?? 65536)] : [0x00, 1];
  const imports = [[...name('env'), ...name('memory'), 0x02, ...limits], ...fnImports.map((f, i) => [...name('env'), ...name(f.name), 0x00, ...uleb(i)])];
  const nImp = fnImports.length;
  const codes = funcs.map((f) => {
    const locals = f.locals.length ? vec(f.locals.map((t) => [1, t])) : [0];
    const body = [...locals, ...f.body, 0x0b];
    return [...uleb(body.length), ...body];
  });
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec(types)),
    ...section(2, vec(imports)),
    ...section(3, vec(funcs.map((_, i) => uleb(nImp + i)))),
    ...section(7, vec(funcs.map((f, i) => [...name(f.name), 0x00, ...uleb(nImp + i)]))),
    ...section(10, vec(codes)),
  ]);
}
