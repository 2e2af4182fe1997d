/**
 * Elementwise kernels in WebAssembly SIMD, generated per chain: one loop over the output, four floats per
 * iteration, each input read the cheapest way its broadcast allows (same position, a scalar splatted
 * once, a tile repeating along the output, or a channel: one value splatted over a run of whole vectors,
 * the next value for the next run, as a [C,1,1] operand over [N,C,H,W]), every op of the chain applied in
 * f32x4 registers. Ops
 * say how they lower (their `simd` rule: bytes that leave one f32x4 on the stack, given the locals of
 * their arguments); a chain with an op that has no rule, or a broadcast other than these, is not
 * generated, and the JS kernel runs instead.
 *
 * Results equal the JS kernels' for single ops (float32 +, −, ×, ÷ and √ are correctly rounded either
 * way); in longer chains intermediates are float32 here, float64 in JS. The loop runs over the length
 * rounded up to 4: the tail reads and writes inside the 16-byte padding every heap buffer has.
 */
import { withPath, type Kernel, type WasmEntry } from '../kernel.ts';
import { sizeOf } from '../../../compiler/ir/shape.ts';
import { accessFor } from '../elementwise.ts';
import { heap, MAX_PAGES } from '../heap.ts';
import { module, type Func } from './asm.ts';
import { FunctionBuilder, type Local } from './builder.ts';
import { MATH_SCRATCH } from './math.ts';
import { noteFallback } from '../fallbacks.ts';

/**
 * How an op lowers: given the builder and the locals holding its arguments, then `MATH_SCRATCH` scratch
 * locals it may overwrite, instructions that leave its f32x4 result on the stack.
 */
export type SimdRule = (f: FunctionBuilder, ...args: Local[]) => void;

/** An op's rule, from its elementwise trait (which the IR types loosely: it sees no kernel types). */
export const simdRuleOf = (t: { readonly simd?: (...args: never[]) => void } | undefined): SimdRule | undefined => t?.simd as SimdRule | undefined;

/** One op of a chain: its rule, and its arguments (k >= 0: step k's result; -(j+1): input j). */
export interface SimdStep {
  readonly name: string;
  readonly rule: SimdRule;
  readonly args: readonly number[];
}

/** Sums shorter than this stay in JS (a call into WebAssembly costs about as much as a few elements). */
export const SIMD_MIN_ELEMENTS = 256;

/** Vectors per iteration of untiled loops. */
const UNROLL = 2; // measured: 2 and 4 alike for exp and sigmoid chains, both ~1.4× faster than 1

/** A rule applying one instruction to the op's own operands (a rule is also handed scratch locals after them). */
export const lanewise = (arity: number, instr: string): SimdRule => (f, ...a) => f.get(...a.slice(0, arity)).op(instr);

/**
 * A channel broadcast: the operand is a middle block of the output's axes (leading and trailing axes
 * broadcast), `len` values each repeated over a run of `inner` outputs; null for any other shape.
 */
export function channelBroadcast(inShape: readonly number[], outShape: readonly number[]): { len: number; inner: number } | null {
  const r = outShape.length;
  if (inShape.length > r) return null;
  const padded = [...Array(r - inShape.length).fill(1), ...inShape];
  let k = 0;
  while (k < r && padded[k] === 1) k++;
  let e = r;
  while (e > k && padded[e - 1] === 1) e--;
  if (k === e || !padded.slice(k, e).every((d, i) => d === outShape[k + i])) return null;
  return { len: sizeOf(padded.slice(k, e)), inner: sizeOf(outShape.slice(e)) };
}

/** Kinds of operand reads the SIMD loops generate. */
export type SimdKind = 'same' | 'scalar' | 'tile' | 'channel';

interface Compiled {
  readonly fn: (...args: number[]) => void;
}
const cache = new Map<string, Compiled | null>();

/**
 * A kernel computing the chain in WebAssembly SIMD when its operands are in the heap (else, and where
 * the chain cannot be generated, `fallback`). Float32 plans only, at every size: a chain's float32
 * results (each step rounded, as PyTorch's ops round) then never depend on its length or on whether the
 * plan runs as one call, and its WebAssembly function is the kernel's entry for a plan run as one call
 * (sequence.ts), so that small steps (a parameter update `p - lr·g` of a few values) do not keep a plan
 * from being one call.
 */
export function simdElementwise(steps: readonly SimdStep[], inShapes: readonly (readonly number[])[], outShape: readonly number[], precision: 'f32' | 'f64', fallback: Kernel): Kernel {
  const h = heap();
  const n = sizeOf(outShape);
  const js = (why: string) => withPath(fallback, `JavaScript (${why})`);
  if (precision !== 'f32') return fallback;
  if (!h) return js('no shared heap');
  if (n === 0) return js('no elements');
  const acc = inShapes.map((s) => accessFor(s, outShape));
  // a channel broadcast (read through an index map in JS) whose runs are whole vectors
  const channels = acc.map((a, j) => (a.kind === 'map' ? channelBroadcast(inShapes[j], outShape) : null));
  // a tile must hold whole vectors (its length a multiple of 4)
  const kinds = acc.map((a, j) => (a.kind === 'tile' && a.len % 4 !== 0 ? 'unaligned tile' : channels[j] && channels[j].inner % 4 === 0 ? 'channel' : a.kind));
  const odd = acc.find((a, j) => kinds[j] !== 'same' && kinds[j] !== 'scalar' && kinds[j] !== 'tile' && kinds[j] !== 'channel');
  if (odd) return js(odd.kind === 'tile' ? `a broadcast operand repeats every ${odd.len} values, not a whole number of SIMD vectors` : 'a broadcast SIMD loops do not read');
  const tiles = new Set(acc.map((a) => (a.kind === 'tile' ? a.len : 0)).filter((l) => l > 0));
  if (tiles.size > 1) return js('operands repeating with different periods');
  const runs = new Set(channels.map((c, j) => (c && kinds[j] === 'channel' ? `${c.len}x${c.inner}` : '')).filter((g) => g));
  if (runs.size > 1 || (runs.size && tiles.size)) return js('broadcast operands of different periods');
  const channel = runs.size ? channels.find((c, j) => c && kinds[j] === 'channel')! : null;
  const tileLen = tiles.size ? [...tiles][0] : 0;
  const k = inShapes.length;
  if (k > 5) return js('more than five operands');
  const key = steps.map((s) => `${s.name}(${s.args.join(',')})`).join(';') + '|' + kinds.join(',') + (channel ? `|${channel.len}x${channel.inner}` : '');
  let c = cache.get(key);
  if (c === undefined) {
    c = generate(steps, kinds as SimdKind[], h.memory, channel);
    cache.set(key, c);
  }
  if (!c) return js('its WebAssembly failed to build: see the fallbacks');
  const fn = c.fn;
  const nb = Math.ceil(n / 4) * 16, lb = tileLen * 4;
  const wasm: WasmEntry = {
    fn,
    arity: 3 + k,
    args: (ins, out) => (h.owns(out) && ins.every((b) => h.owns(b)) ? [out.byteOffset, nb, lb, ...ins.map((b) => b.byteOffset)] : null),
  };
  // the operands' residency and byte offsets, worked out again only when a different view comes in
  // (a plan passes the same views run after run; reading .buffer and .byteOffset of a view of shared
  // memory costs tens of nanoseconds)
  const seen: (Float32Array | null)[] = [null, null, null, null, null, null]; // inputs, then out
  const off = new Int32Array(6);
  let resident = false;
  const refresh = (ins: readonly Float32Array[], out: Float32Array) => {
    resident = h.owns(out);
    seen[5] = out;
    off[5] = out.byteOffset;
    for (let j = 0; j < k; j++) {
      seen[j] = ins[j];
      resident = resident && h.owns(ins[j]);
      off[j] = ins[j].byteOffset;
    }
  };
  const kernel: Kernel = (ins, out) => {
    if (out !== seen[5] || ins[0] !== seen[0] || (k > 1 && ins[1] !== seen[1]) || (k > 2 && ins[2] !== seen[2]) || (k > 3 && ins[3] !== seen[3]) || (k > 4 && ins[4] !== seen[4])) refresh(ins, out);
    if (!resident) return fallback(ins, out);
    if (k === 1) fn(off[5], nb, lb, off[0]);
    else if (k === 2) fn(off[5], nb, lb, off[0], off[1]);
    else if (k === 3) fn(off[5], nb, lb, off[0], off[1], off[2]);
    else if (k === 4) fn(off[5], nb, lb, off[0], off[1], off[2], off[3]);
    else fn(off[5], nb, lb, off[0], off[1], off[2], off[3], off[4]);
  };
  // its entry is the same function with the same arguments
  return Object.assign(kernel, { wasm, path: 'WebAssembly SIMD' });
}

/**
 * fn(out, nb, lb, in0, in1, ...): bytes nb of output (a multiple of 16), tile length lb in bytes. Without
 * tiles or channels, the loop does two vectors per iteration in independent registers (long chains like
 * exp are latency-bound: the second vector's work overlaps the first's), then the odd one. Channel
 * operands (`channel`: their values, and the run of outputs each covers, a multiple of 4) are read at
 * byte offset t, which moves on by one value at the end of each run and wraps at the end of the values.
 */
export function elementwiseFunc(steps: readonly SimdStep[], kinds: readonly SimdKind[], channel: { len: number; inner: number } | null = null): Func {
  const k = kinds.length;
  const tiled = kinds.includes('tile'), channeled = kinds.includes('channel');
  if (channeled && (!channel || channel.inner % 4 !== 0 || tiled)) throw new Error('elementwiseFunc: channel operands need runs of whole vectors and no tile');
  const copies = tiled || channeled ? 1 : UNROLL;
  const f = new FunctionBuilder('ew', Array(3 + k).fill('i32'));
  const [out, nb, lb, ...ins] = f.params;
  const [i, t, run] = f.locals('i32', 3);
  // per copy: k input values, one local per step, then the scratch locals
  const regs = Array.from({ length: copies }, () => ({ x: f.locals('v128', k), step: f.locals('v128', steps.length), scratch: f.locals('v128', MATH_SCRATCH) }));
  /** One vector at byte offset i + 16·c (tile offset t), in copy c's locals. */
  const vector = (c: number) => {
    const { x, step, scratch } = regs[c];
    kinds.forEach((kind, j) => {
      if (kind === 'same') f.get(ins[j], i).op('i32.add').op('v128.load', 16 * c).set(x[j]);
      if (kind === 'tile') f.get(ins[j], t).op('i32.add').op('v128.load', 0).set(x[j]);
      if (kind === 'channel') f.get(ins[j], t).op('i32.add').op('v128.load32_splat').set(x[j]);
    });
    const arg = (a: number) => (a < 0 ? x[-a - 1] : step[a]);
    for (const [s, st] of steps.entries()) {
      st.rule(f, ...st.args.map(arg), ...scratch);
      f.set(step[s]);
    }
    f.get(out, i).op('i32.add').get(step[steps.length - 1]).op('v128.store', 16 * c);
  };
  for (const { x } of regs) kinds.forEach((kind, j) => kind === 'scalar' && f.get(ins[j]).op('v128.load32_splat').set(x[j]));
  f.i32(0).set(i).i32(0).set(t).i32(0).set(run);
  if (copies > 1) {
    // `copies` vectors while i + 16·copies <= nb
    f.block().loop().get(i).i32(16 * copies).op('i32.add').get(nb).op('i32.gt_s').brIf(1);
    for (let c = 0; c < copies; c++) vector(c);
    f.get(i).i32(16 * copies).op('i32.add').set(i).br(0).end().end();
  }
  f.block().loop().get(i, nb).op('i32.ge_s').brIf(1);
  vector(0);
  f.get(i).i32(16).op('i32.add').set(i);
  // t = t + 16 == lb ? 0 : t + 16
  if (tiled) f.get(t).i32(16).op('i32.add').tee(t).get(lb).op('i32.ge_s').if().i32(0).set(t).end();
  // run = run + 16 == inner bytes ? (0, and t = t + 4 == len bytes ? 0 : t + 4) : run + 16
  if (channeled) {
    f.get(run).i32(16).op('i32.add').tee(run).i32(channel!.inner * 4).op('i32.ge_s').if().i32(0).set(run);
    f.get(t).i32(4).op('i32.add').tee(t).i32(channel!.len * 4).op('i32.ge_s').if().i32(0).set(t).end().end();
  }
  f.br(0).end().end();
  return f.func();
}

function generate(steps: readonly SimdStep[], kinds: readonly SimdKind[], memory: WebAssembly.Memory, channel: { len: number; inner: number } | null): Compiled | null {
  try {
    const mod = new WebAssembly.Module(module([elementwiseFunc(steps, kinds, channel)], { shared: true, maxPages: MAX_PAGES }) as Uint8Array<ArrayBuffer>);
    const inst = new WebAssembly.Instance(mod, { env: { memory } });
    return { fn: inst.exports.ew as (...args: number[]) => void };
  } catch (e) {
    noteFallback(`the elementwise chain ${steps.map((s) => s.name).join('·')} in WebAssembly SIMD`, e);
    return null;
  }
}
