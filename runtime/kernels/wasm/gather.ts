/**
 * Indexed copies in WebAssembly, for the convolution's layout moves (runtime/kernels/conv.ts): a map of
 * byte offsets, made once per shape, says where each element comes from or goes to.
 *   gather(dst, src, map, n)       dst[i] = map[i] < 0 ? 0 : src[map[i]]     (im2col, a transpose)
 *   scatterAdd(dst, src, map, n)   dst[map[i]] += src[i] where map[i] >= 0    (col2im)
 * dst, src and map are byte addresses in the heap; map holds n int32 byte offsets (negative: padding).
 * The gather is branch-free (a select); each loop step does one element.
 */
import type { Func } from './asm.ts';
import { FunctionBuilder } from './builder.ts';
import { heapKernels } from './module.ts';

export function gatherKernel(): Func {
  const f = new FunctionBuilder('gather', ['i32', 'i32', 'i32', 'i32']);
  const [dst, src, map, n] = f.params;
  const [i, m, end] = f.locals('i32', 3);
  f.get(n).i32(4).op('i32.mul').set(end);
  f.i32(0).set(i);
  f.forUp(i, end, 4, () => {
    f.get(map, i).op('i32.add').op('i32.load', 0).set(m);
    f.get(dst, i).op('i32.add');
    // src[max(m, 0)], then zero where m < 0
    f.get(src).get(m).i32(0).get(m).i32(0).op('i32.gt_s').select().op('i32.add').op('f32.load', 0);
    f.f32(0);
    f.get(m).i32(0).op('i32.ge_s').select();
    f.op('f32.store', 0);
  });
  return f.func();
}

export function scatterAddKernel(): Func {
  const f = new FunctionBuilder('scatterAdd', ['i32', 'i32', 'i32', 'i32']);
  const [dst, src, map, n] = f.params;
  const [i, m, end, q] = f.locals('i32', 4);
  f.get(n).i32(4).op('i32.mul').set(end);
  f.i32(0).set(i);
  f.forUp(i, end, 4, () => {
    f.get(map, i).op('i32.add').op('i32.load', 0).set(m);
    f.get(m).i32(0).op('i32.ge_s').if();
    f.get(dst, m).op('i32.add').tee(q);
    f.get(q).op('f32.load', 0).get(src, i).op('i32.add').op('f32.load', 0).op('f32.add');
    f.op('f32.store', 0);
    f.end();
  });
  return f.func();
}

export interface GatherKernels {
  readonly gather: (dst: number, src: number, map: number, n: number) => void;
  readonly scatterAdd: (dst: number, src: number, map: number, n: number) => void;
}

/** The kernels bound to the heap's memory, or null where they cannot be compiled. */
export const gatherKernels = heapKernels<GatherKernels>(() => [gatherKernel(), scatterAddKernel()]);
