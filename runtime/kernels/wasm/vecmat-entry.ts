/**
 * A vector-matrix product's WebAssembly entry, for a plan run as one call (sequence.ts): the narrow
 * kernel, or a driver generated once that splits a wide product's rows with the helper thread, posting
 * the helper's job itself.
 */
import type { WasmKernels, ShapeKernel } from './module.ts';
import { module, type Func } from './asm.ts';
import { FunctionBuilder } from './builder.ts';
import { TYPE_CODE } from './opcodes.ts';
import { MAX_PAGES } from '../heap.ts';
import type { WasmEntry } from '../kernel.ts';
import { readyHelper, helperStarting, CONTROL, REVOKED } from '../threads.ts';
import { emitPost } from '../jobs.ts';
import { noteFallback } from '../fallbacks.ts';
import { ownRows, vecmatSplits, wideBlock, wideKernel, type VecmatScratch } from './vector-drivers.ts';

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
  // (more than two chunks: kernel by kernel, where both threads take chunks while any are left)
  if (!wide || K < 16 || K % 16 !== 0 || scratch!.chunks > 2) return undefined;
  const driver = driverFor(wide, k);
  if (!driver) return undefined;
  const splittable = vecmatSplits(K, N);
  const partial = scratch!.partial;
  // the plan's cells: our rows' wide block at 0, the second share's at 8, the driver's arguments at 16
  return { fn: driver, arity: 1, cells: 24, split: { what: `vector-matrix product [1,${K}]·[${K},${N}]`, word: 16 }, args: (ins, c, a, at0) => {
    if (!a || at0 === undefined || !owns(ins[0]) || !owns(ins[1]) || !owns(c)) return null;
    const hp = splittable ? readyHelper() : null;
    if (splittable && hp === null && helperStarting()) return null;
    const slot = hp ? hp.load(wide) : -1;
    const [v, A] = pick(ins);
    // as vecmatWide (K a multiple of 16: no rows left for vecmat1 on either side)
    const mine = splittable ? ownRows(K) : K;
    wideBlock(a, at0, v, sv, A, N, 0, mine, c.byteOffset);
    wideBlock(a, at0 + 8, v, sv, A, N, mine, K - mine, partial.byteOffset);
    const at = (i: number) => a.byteOffset + 4 * (at0 + i);
    a.set([hp && slot >= 0 ? hp.control : 0, slot, at(8), at(0), splittable ? 1 : 0, c.byteOffset, partial.byteOffset, N4 * 4], at0 + 16);
    return [at(16)];
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
  // split = control != 0 & slot >= 0 & ready == 1 & idle (the helper's latest job taken back or done, as
  // HelperThread.idle); reading the control words at low addresses when there is no control block is harmless
  f.get(c).i32(0).op('i32.ne');
  arg(1).i32(0).op('i32.ge_s').op('i32.and');
  f.get(c).op('i32.atomic.load', C(CONTROL.READY)).i32(1).op('i32.eq').op('i32.and');
  f.get(c).op('i32.atomic.load', C(CONTROL.STATE)).i32(REVOKED).op('i32.eq');
  f.get(c).op('i32.atomic.load', C(CONTROL.DONE)).get(c).op('i32.load', C(CONTROL.POSTED)).op('i32.eq');
  f.op('i32.or').op('i32.and');
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
