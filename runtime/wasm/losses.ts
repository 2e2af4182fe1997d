/**
 * The fused binary cross-entropy on logits in WebAssembly SIMD: Σ max(z,0) − z·y + log1p(e^(−|z|)) over
 * f32x4 lanes (exp and log1p from math.ts, float32 accuracy), the sum kept in float64 (two f64x2
 * accumulators), as the JS kernel sums in float64. Whole vectors only: the caller adds the last n mod 4
 * terms and divides.
 */
import { I32, V128, module, op, uleb, type Func } from './asm.ts';
import { MAX_PAGES } from '../heap.ts';
import { I, MATH_SCRATCH, expF32x4, log1pUnitF32x4 } from './math.ts';

const simd = (code: number) => [0xfd, ...uleb(code)];
const promoteLow = simd(0x5f);
const f64x2Add = simd(0xf0);
// lanes 2 and 3 of a f32x4 moved to lanes 0 and 1 (i8x16.shuffle of bytes 8..15)
const highHalf = [0xfd, 0x0d, 8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15];

/** bce(z, y, nb, acc): nb bytes of z and y (a multiple of 16); stores the float64 sum as f64x2 at acc. */
function bceKernel(): Func {
  const P = { z: 0, y: 1, nb: 2, acc: 3 };
  const L = { i: 4, z: 5, u: 6, lo: 7, hi: 8, t: 9, s: 10 };
  const scratch = Array.from({ length: MATH_SCRATCH }, (_, k) => L.s + k);
  const b: number[] = [];
  const emit = (...xs: number[][]) => xs.forEach((x) => b.push(...x));
  emit(op.i32(0), op.set(L.i));
  emit(op.block, op.loop, op.get(L.i), op.get(P.nb), op.geS, op.brIf(1));
  emit(op.get(P.z), op.get(L.i), op.add, op.v128Load(0), op.set(L.z));
  // u = e^(−|z|), then the term
  emit(op.get(L.z), I.abs, I.neg, op.set(L.u), expF32x4(L.u, scratch), op.set(L.u));
  emit(op.get(L.z), op.get(L.z), I.f32(0), I.gt, I.and); // max(z, 0) as the JS rule: z > 0 ? z : 0
  emit(op.get(L.z), op.get(P.y), op.get(L.i), op.add, op.v128Load(0), I.mul, I.sub);
  emit(log1pUnitF32x4(L.u, scratch), I.add, op.set(L.t));
  emit(op.get(L.lo), op.get(L.t), promoteLow, f64x2Add, op.set(L.lo));
  emit(op.get(L.hi), op.get(L.t), op.get(L.t), highHalf, promoteLow, f64x2Add, op.set(L.hi));
  emit(op.get(L.i), op.i32(16), op.add, op.set(L.i), op.br(0), op.end, op.end);
  emit(op.get(P.acc), op.get(L.lo), op.get(L.hi), f64x2Add, op.v128Store(0));
  return { name: 'bce', params: Array(4).fill(I32), locals: [I32, ...Array(5 + MATH_SCRATCH).fill(V128)], body: b };
}

const instances = new WeakMap<WebAssembly.Memory, ((...a: number[]) => void) | null>();
let compiledModule: WebAssembly.Module | null | undefined;

/** The kernel bound to a shared memory (the heap), or null where it cannot be compiled. */
export function bceSum(memory: WebAssembly.Memory): ((z: number, y: number, nb: number, acc: number) => void) | null {
  let f = instances.get(memory);
  if (f === undefined) {
    try {
      compiledModule ??= new WebAssembly.Module(module([bceKernel()], { shared: true, maxPages: MAX_PAGES }) as Uint8Array<ArrayBuffer>);
      f = new WebAssembly.Instance(compiledModule, { env: { memory } }).exports.bce as (...a: number[]) => void;
    } catch {
      f = null;
    }
    instances.set(memory, f);
  }
  return f;
}
