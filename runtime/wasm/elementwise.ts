/**
 * Elementwise kernels in WebAssembly SIMD, generated per chain: one loop over the output, four floats per
 * iteration, each input read the cheapest way its broadcast allows (same position, a scalar splatted
 * once, or a tile repeating along the output), every op of the chain applied in f32x4 registers. Ops
 * say how they lower (their `simd` rule: bytes that leave one f32x4 on the stack, given the locals of
 * their arguments); a chain with an op that has no rule, or a broadcast other than these, is not
 * generated, and the JS kernel runs instead.
 *
 * Results equal the JS kernels' for single ops (float32 +, −, ×, ÷ and √ are correctly rounded either
 * way); in longer chains intermediates are float32 here, float64 in JS. The loop runs over the length
 * rounded up to 4: the tail reads and writes inside the 16-byte padding every heap buffer has.
 */
import type { Kernel } from '../../compiler/ir/op.ts';
import { sizeOf } from '../../compiler/ir/shape.ts';
import { accessFor } from '../kernels/elementwise.ts';
import { heap, MAX_PAGES } from '../heap.ts';
import { I32, V128, module, op, uleb } from './asm.ts';
import { MATH_SCRATCH } from './math.ts';

/**
 * How an op lowers: given the locals holding its arguments, then `MATH_SCRATCH` scratch locals it may
 * overwrite, bytes that leave its f32x4 result on the stack.
 */
export type SimdRule = (...args: number[]) => number[];

/** One op of a chain: its rule, and its arguments (k >= 0: step k's result; -(j+1): input j). */
export interface SimdStep {
  readonly name: string;
  readonly rule: SimdRule;
  readonly args: readonly number[];
}

/** Outputs shorter than this stay in JS (a call into WebAssembly costs about as much as a few elements). */
export const SIMD_MIN_ELEMENTS = 256;

const simd = (code: number) => [0xfd, ...uleb(code)];
const f32x4Const = (x: number) => {
  const b = new Uint8Array(new Float32Array([x, x, x, x]).buffer);
  return [0xfd, 0x0c, ...b];
};

/** SIMD instructions (opcodes of the WebAssembly fixed-width SIMD instruction set) for the ops' rules. */
export const v = {
  get: (i: number) => op.get(i),
  set: (i: number) => op.set(i),
  const: f32x4Const,
  add: simd(0xe4),
  sub: simd(0xe5),
  mul: simd(0xe6),
  div: simd(0xe7),
  abs: simd(0xe0),
  neg: simd(0xe1),
  sqrt: simd(0xe3),
  eq: simd(0x41),
  ne: simd(0x42),
  gt: simd(0x44),
  ge: simd(0x46),
  and: simd(0x4e),
  or: simd(0x50),
  bitselect: simd(0x52),
};

interface Compiled {
  readonly fn: (...args: number[]) => void;
}
const cache = new Map<string, Compiled | null>();

/**
 * A kernel computing the chain in WebAssembly SIMD when its operands are in the heap (else, and where
 * the chain cannot be generated, `fallback`). Float32 plans only.
 */
export function simdElementwise(steps: readonly SimdStep[], inShapes: readonly (readonly number[])[], outShape: readonly number[], precision: 'f32' | 'f64', fallback: Kernel): Kernel {
  const h = heap();
  const n = sizeOf(outShape);
  if (!h || precision !== 'f32' || n < SIMD_MIN_ELEMENTS) return fallback;
  const acc = inShapes.map((s) => accessFor(s, outShape));
  // a tile must hold whole vectors (its length a multiple of 4)
  const kinds = acc.map((a) => (a.kind === 'tile' && a.len % 4 !== 0 ? 'unaligned tile' : a.kind));
  if (kinds.some((k) => k !== 'same' && k !== 'scalar' && k !== 'tile')) return fallback;
  const tiles = new Set(acc.map((a) => (a.kind === 'tile' ? a.len : 0)).filter((l) => l > 0));
  if (tiles.size > 1) return fallback;
  const tileLen = tiles.size ? [...tiles][0] : 0;
  const key = steps.map((s) => `${s.name}(${s.args.join(',')})`).join(';') + '|' + kinds.join(',');
  let c = cache.get(key);
  if (c === undefined) {
    c = generate(steps, kinds as ('same' | 'scalar' | 'tile')[], h.memory);
    cache.set(key, c);
  }
  if (!c) return fallback;
  const fn = c.fn;
  const nb = Math.ceil(n / 4) * 16, lb = tileLen * 4;
  const k = inShapes.length;
  if (k === 1) return (ins, out) => (h.owns(ins[0]) && h.owns(out) ? fn(out.byteOffset, nb, lb, ins[0].byteOffset) : fallback(ins, out));
  if (k === 2)
    return (ins, out) => (h.owns(ins[0]) && h.owns(ins[1]) && h.owns(out) ? fn(out.byteOffset, nb, lb, ins[0].byteOffset, ins[1].byteOffset) : fallback(ins, out));
  if (k === 3)
    return (ins, out) =>
      h.owns(ins[0]) && h.owns(ins[1]) && h.owns(ins[2]) && h.owns(out) ? fn(out.byteOffset, nb, lb, ins[0].byteOffset, ins[1].byteOffset, ins[2].byteOffset) : fallback(ins, out);
  if (k === 4)
    return (ins, out) =>
      h.owns(ins[0]) && h.owns(ins[1]) && h.owns(ins[2]) && h.owns(ins[3]) && h.owns(out)
        ? fn(out.byteOffset, nb, lb, ins[0].byteOffset, ins[1].byteOffset, ins[2].byteOffset, ins[3].byteOffset)
        : fallback(ins, out);
  return fallback;
}

/** fn(out, nb, lb, in0, in1, ...): bytes nb of output (a multiple of 16), tile length lb in bytes. */
function generate(steps: readonly SimdStep[], kinds: readonly ('same' | 'scalar' | 'tile')[], memory: WebAssembly.Memory): Compiled | null {
  const P = { out: 0, nb: 1, lb: 2, in: 3 };
  const k = kinds.length;
  const L = { i: 3 + k, t: 4 + k, x: 5 + k }; // then k input values, then one local per step
  const stepLocal = (s: number) => L.x + k + s;
  const arg = (a: number) => (a < 0 ? L.x + (-a - 1) : stepLocal(a));
  const b: number[] = [];
  const emit = (...xs: number[][]) => xs.forEach((x) => b.push(...x));
  kinds.forEach((kind, j) => kind === 'scalar' && emit(op.get(P.in + j), op.load32Splat(0), op.set(L.x + j)));
  emit(op.i32(0), op.set(L.i), op.i32(0), op.set(L.t));
  emit(op.block, op.loop, op.get(L.i), op.get(P.nb), op.geS, op.brIf(1));
  kinds.forEach((kind, j) => {
    if (kind === 'same') emit(op.get(P.in + j), op.get(L.i), op.add, op.v128Load(0), op.set(L.x + j));
    if (kind === 'tile') emit(op.get(P.in + j), op.get(L.t), op.add, op.v128Load(0), op.set(L.x + j));
  });
  const scratch = Array.from({ length: MATH_SCRATCH }, (_, i) => stepLocal(steps.length) + i);
  for (const [s, st] of steps.entries()) emit(st.rule(...st.args.map(arg), ...scratch), op.set(stepLocal(s)));
  emit(op.get(P.out), op.get(L.i), op.add, op.get(stepLocal(steps.length - 1)), op.v128Store(0));
  emit(op.get(L.i), op.i32(16), op.add, op.set(L.i));
  if (kinds.includes('tile')) {
    // t = t + 16 == lb ? 0 : t + 16
    emit(op.get(L.t), op.i32(16), op.add, op.tee(L.t), op.get(P.lb), op.geS);
    emit([0x04, 0x40], op.i32(0), op.set(L.t), op.end); // if … end
  }
  emit(op.br(0), op.end, op.end);
  const f = { name: 'ew', params: Array(3 + k).fill(I32), locals: [I32, I32, ...Array(k + steps.length + MATH_SCRATCH).fill(V128)], body: b };
  try {
    const mod = new WebAssembly.Module(module([f], { shared: true, maxPages: MAX_PAGES }) as Uint8Array<ArrayBuffer>);
    const inst = new WebAssembly.Instance(mod, { env: { memory } });
    return { fn: inst.exports.ew as (...args: number[]) => void };
  } catch {
    return null;
  }
}
