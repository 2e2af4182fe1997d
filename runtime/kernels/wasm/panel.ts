/**
 * The matmul panel kernel in WebAssembly SIMD: a block of 4 rows × N columns of C += A·B for a slice of
 * K (C = A·B with `first`, the first slice: the tile starts from zero instead of C). For each 8-column panel, a 4×8 tile of C is kept in eight f32x4 registers while k runs, each step
 * loading 8 values of B and splatting 4 values of A (16 multiply-adds per 6 loads). B is packed panel by
 * panel (see `gemm` in matmul.ts, which drives it). Where the engine has relaxed SIMD, each multiply-add
 * is one f32x4.relaxed_madd (a fused multiply-add on machines that have one), else a multiply and an add.
 */
import { I32, V128, op, simd, type Func } from './asm.ts';

const zero = simd.f32(0);

const P = { a0: 0, sa: 1, ska: 2, b0: 3, ldb: 4, c0: 5, ldc: 6, kc: 7, jn: 8, first: 9 };
const L = { jj: 10, k: 11, pa: 12, pb: 13, pc: 14, sa2: 15, sa3: 16, acc: 17, bv0: 25, bv1: 26, s: 27 };

export function panelKernel(fma = false): Func {
  const b: number[] = [];
  const emit = (...xs: number[][]) => xs.forEach((x) => b.push(...x));
  const acc = (r: number, v: number) => L.acc + r * 2 + v;
  emit(op.get(P.sa), op.i32(2), op.mul, op.set(L.sa2));
  emit(op.get(P.sa), op.i32(3), op.mul, op.set(L.sa3));
  emit(op.i32(0), op.set(L.jj));
  emit(op.block, op.loop);
  emit(op.get(L.jj), op.get(P.jn), op.i32(4), op.mul, op.geS, op.brIf(1));
  // the C tile: zeros on the first K block (C is overwritten), else loaded
  emit(op.get(P.first), op.if_);
  for (let r = 0; r < 4; r++) for (let v = 0; v < 2; v++) emit(zero, op.set(acc(r, v)));
  emit(op.else_);
  emit(op.get(P.c0), op.get(L.jj), op.add, op.set(L.pc));
  for (let r = 0; r < 4; r++) {
    emit(op.get(L.pc), op.v128Load(0), op.set(acc(r, 0)));
    emit(op.get(L.pc), op.v128Load(16), op.set(acc(r, 1)));
    emit(op.get(L.pc), op.get(P.ldc), op.add, op.set(L.pc));
  }
  emit(op.end);
  emit(op.get(P.a0), op.set(L.pa));
  // B is packed panel by panel: panel p (8 columns) holds kc rows of 8 values at b0 + p·kc·32
  emit(op.get(P.b0), op.get(L.jj), op.get(P.kc), op.mul, op.add, op.set(L.pb));
  emit(op.i32(0), op.set(L.k));
  emit(op.block, op.loop);
  emit(op.get(L.k), op.get(P.kc), op.geS, op.brIf(1));
  emit(op.get(L.pb), op.v128Load(0), op.set(L.bv0));
  emit(op.get(L.pb), op.v128Load(16), op.set(L.bv1));
  const rowAddr = [[op.get(L.pa)], [op.get(L.pa), op.get(P.sa), op.add], [op.get(L.pa), op.get(L.sa2), op.add], [op.get(L.pa), op.get(L.sa3), op.add]];
  for (let r = 0; r < 4; r++) {
    emit(...rowAddr[r], op.load32Splat(0), op.set(L.s));
    for (let v = 0; v < 2; v++)
      if (fma) emit(op.get(L.s), op.get(v ? L.bv1 : L.bv0), op.get(acc(r, v)), op.f32x4RelaxedMadd, op.set(acc(r, v)));
      else emit(op.get(acc(r, v)), op.get(L.s), op.get(v ? L.bv1 : L.bv0), op.f32x4Mul, op.f32x4Add, op.set(acc(r, v)));
  }
  emit(op.get(L.pa), op.get(P.ska), op.add, op.set(L.pa));
  emit(op.get(L.pb), op.get(P.ldb), op.add, op.set(L.pb));
  emit(op.get(L.k), op.i32(1), op.add, op.set(L.k));
  emit(op.br(0), op.end, op.end);
  // store the C tile
  emit(op.get(P.c0), op.get(L.jj), op.add, op.set(L.pc));
  for (let r = 0; r < 4; r++) {
    emit(op.get(L.pc), op.get(acc(r, 0)), op.v128Store(0));
    emit(op.get(L.pc), op.get(acc(r, 1)), op.v128Store(16));
    emit(op.get(L.pc), op.get(P.ldc), op.add, op.set(L.pc));
  }
  emit(op.get(L.jj), op.i32(32), op.add, op.set(L.jj));
  emit(op.br(0), op.end, op.end);
  return { name: 'panel', params: Array(10).fill(I32), locals: [...Array(7).fill(I32), ...Array(11).fill(V128)], body: b };
}

/**
 * gemmRows(a0, sa, ska, b0, c0, ldc, K, NP, i0, i1, KC, NC): rows [i0, i1) of C (a multiple of 4 apart)
 * over the whole product, by the blocking `gemm` (matmul.ts) packed B for: column blocks of NC, then K
 * blocks of KC, then rows four at a time, so a packed KC×NC block of B is reused by every row while it
 * is in cache. `panel` is the panel kernel's index in the module. Both threads run their rows with it.
 * Strides sa, ska (A(i,k) = a[i·sa + k·ska]) and K, NP, KC, NC are in elements; ldc in bytes.
 */
export function gemmRowsKernel(panel: number): Func {
  const P = { a0: 0, sa: 1, ska: 2, b0: 3, c0: 4, ldc: 5, K: 6, NP: 7, i0: 8, i1: 9, KC: 10, NC: 11 };
  const L = { j0: 12, nc: 13, k0: 14, kc: 15, bb: 16, i: 17 };
  const b: number[] = [];
  const emit = (...xs: number[][]) => xs.forEach((x) => b.push(...x));
  // x = min(rest, block): select(block, rest, rest > block)
  const min = (rest: number[][], block: number) => [op.get(block), ...rest, ...rest, op.get(block), op.gtS, op.select];
  emit(op.i32(0), op.set(L.j0));
  emit(op.block, op.loop, op.get(L.j0), op.get(P.NP), op.geS, op.brIf(1));
  emit(...min([op.get(P.NP), op.get(L.j0), op.sub], P.NC), op.set(L.nc));
  emit(op.i32(0), op.set(L.k0));
  emit(op.block, op.loop, op.get(L.k0), op.get(P.K), op.geS, op.brIf(1));
  emit(...min([op.get(P.K), op.get(L.k0), op.sub], P.KC), op.set(L.kc));
  // the block of packed B: b0 + (k0·NP + j0·kc)·4
  emit(op.get(P.b0), op.get(L.k0), op.get(P.NP), op.mul, op.get(L.j0), op.get(L.kc), op.mul, op.add, op.i32(4), op.mul, op.add, op.set(L.bb));
  emit(op.get(P.i0), op.set(L.i));
  emit(op.block, op.loop, op.get(L.i), op.get(P.i1), op.geS, op.brIf(1));
  emit(op.get(P.a0), op.get(L.i), op.get(P.sa), op.mul, op.get(L.k0), op.get(P.ska), op.mul, op.add, op.i32(4), op.mul, op.add); // a
  emit(op.get(P.sa), op.i32(4), op.mul, op.get(P.ska), op.i32(4), op.mul, op.get(L.bb), op.i32(32)); // sa, ska (bytes), b, ldb
  emit(op.get(P.c0), op.get(L.i), op.get(P.ldc), op.mul, op.add, op.get(L.j0), op.i32(4), op.mul, op.add, op.get(P.ldc)); // c, ldc
  emit(op.get(L.kc), op.get(L.nc), op.get(L.k0), op.eqz, op.call(panel));
  emit(op.get(L.i), op.i32(4), op.add, op.set(L.i), op.br(0), op.end, op.end);
  emit(op.get(L.k0), op.get(P.KC), op.add, op.set(L.k0), op.br(0), op.end, op.end);
  emit(op.get(L.j0), op.get(P.NC), op.add, op.set(L.j0), op.br(0), op.end, op.end);
  return { name: 'gemmRows', params: Array(12).fill(I32), locals: Array(6).fill(I32), body: b };
}

/**
 * pack(src, ldb, dst, kc, panels): copies `panels` panels of 8 columns × kc rows of a row-major B
 * (rows ldb bytes apart) to dst, panel after panel, row after row (the layout the panel kernel reads).
 */
export function packKernel(): Func {
  const P = { src: 0, ldb: 1, dst: 2, kc: 3, np: 4 };
  const L = { p: 5, k: 6, s: 7 };
  const b: number[] = [];
  const emit = (...xs: number[][]) => xs.forEach((x) => b.push(...x));
  emit(op.i32(0), op.set(L.p));
  emit(op.block, op.loop, op.get(L.p), op.get(P.np), op.geS, op.brIf(1));
  emit(op.get(P.src), op.get(L.p), op.i32(32), op.mul, op.add, op.set(L.s));
  emit(op.i32(0), op.set(L.k));
  emit(op.block, op.loop, op.get(L.k), op.get(P.kc), op.geS, op.brIf(1));
  emit(op.get(P.dst), op.get(L.s), op.v128Load(0), op.v128Store(0));
  emit(op.get(P.dst), op.get(L.s), op.v128Load(16), op.v128Store(16));
  emit(op.get(L.s), op.get(P.ldb), op.add, op.set(L.s));
  emit(op.get(P.dst), op.i32(32), op.add, op.set(P.dst));
  emit(op.get(L.k), op.i32(1), op.add, op.set(L.k), op.br(0), op.end, op.end);
  emit(op.get(L.p), op.i32(1), op.add, op.set(L.p), op.br(0), op.end, op.end);
  return { name: 'pack', params: Array(5).fill(I32), locals: Array(3).fill(I32), body: b };
}
