/**
 * The narrow product kernel: C[M, N] = A·B for few columns (a classifier's last layer, [4096,256]·[256,10]),
 * where the panel kernel (panel.ts) would pad N to whole panels of 8 and compute the padding too (16 for
 * 10 columns). Each output is a dot product of a row of A and a column of B, the columns given as the rows
 * of Bᵀ ([N, K], contiguous): a tile of 4 rows × 2 columns keeps eight f32x4 sums while k runs four at a
 * time (6 loads for 8 multiply-adds, as the panel kernel's step), then each sum's lanes are added
 * ((l0 + l2) + (l1 + l3)), the last K mod 4 products one by one after them. Every output's sum is made in
 * that order whatever its tile, row count or thread: one thread and two give the same bits.
 * The epilogue (a linear layer's bias, then ReLU) is applied to each sum as it is stored.
 *
 * narrow(a0, lda, bt0, ldbt, c0, ldc, rows, kb4, kb, N, bias, relu): `rows` rows from a0 (rows lda bytes
 * apart) into C from c0 (rows ldc bytes apart), Bᵀ's rows ldbt bytes apart; kb = K·4 bytes, kb4 = K rounded
 * down to 4, in bytes; bias: the byte offset of N floats, or 0 for none; relu: 1 to apply it.
 */
import type { Func } from './asm.ts';
import { FunctionBuilder, type Local } from './builder.ts';

export function narrowKernel(fma = false): Func {
  const f = new FunctionBuilder('narrow', Array<'i32'>(12).fill('i32'));
  const [a0, lda, bt0, ldbt, c0, ldc, rows, kb4, kb, N, bias, relu] = f.params;
  const [i, j, k, pa, pc, pb, end4, endPairs] = f.locals('i32', 8), acc = f.locals('v128', 8), [bv0, bv1, av, u] = f.locals('v128', 4);
  const sums = f.locals('f32', 8);
  const madd = (a: Local, x: Local, y: Local) => {
    if (fma) f.get(x, y, a).op('f32x4.relaxed_madd').set(a);
    else f.get(a, x, y).op('f32x4.mul').op('f32x4.add').set(a);
  };
  /** A tile of R rows (from pa, pc) × C columns (from column j): the sums, the tail of K, the epilogue, the stores. */
  const tile = (R: number, C: number) => {
    const at = (r: number, c: number) => acc[r * 2 + c];
    for (let r = 0; r < R; r++) for (let c = 0; c < C; c++) f.f32x4(0).set(at(r, c));
    f.get(bt0, j, ldbt).op('i32.mul').op('i32.add').set(pb);
    f.i32(0).set(k);
    f.forUp(k, kb4, 16, () => {
      f.get(pb, k).op('i32.add').op('v128.load', 0).set(bv0);
      if (C === 2) f.get(pb, ldbt).op('i32.add').get(k).op('i32.add').op('v128.load', 0).set(bv1);
      for (let r = 0; r < R; r++) {
        f.get(pa, k).op('i32.add');
        for (let q = 0; q < r; q++) f.get(lda).op('i32.add');
        f.op('v128.load', 0).set(av);
        madd(at(r, 0), av, bv0);
        if (C === 2) madd(at(r, 1), av, bv1);
      }
    });
    // each sum's lanes, (l0 + l2) + (l1 + l3): for two columns at once, [x0+x2, x1+x3, y0+y2, y1+y3] then pairs
    for (let r = 0; r < R; r++) {
      const x = at(r, 0), y = C === 2 ? at(r, 1) : x;
      f.get(x, y).lanes([0, 1, 4, 5]).get(x, y).lanes([2, 3, 6, 7]).op('f32x4.add').set(u);
      f.get(u, u).lanes([1, 0, 3, 2]).get(u).op('f32x4.add').set(u);
      f.get(u).op('f32x4.extract_lane', 0).set(sums[r * 2]);
      if (C === 2) f.get(u).op('f32x4.extract_lane', 2).set(sums[r * 2 + 1]);
    }
    // the last K mod 4 products, in order
    f.forUp(k, kb, 4, () => {
      for (let r = 0; r < R; r++)
        for (let c = 0; c < C; c++) {
          f.get(sums[r * 2 + c]).get(pa, k).op('i32.add');
          for (let q = 0; q < r; q++) f.get(lda).op('i32.add');
          f.op('f32.load').get(pb, k).op('i32.add');
          if (c) f.get(ldbt).op('i32.add');
          f.op('f32.load').op('f32.mul').op('f32.add').set(sums[r * 2 + c]);
        }
    });
    // the epilogue and the stores: C[r, j + c]
    for (let r = 0; r < R; r++)
      for (let c = 0; c < C; c++) {
        const s = sums[r * 2 + c];
        f.get(bias).if().get(s, bias, j).i32(4).op('i32.mul').op('i32.add').op('f32.load', 4 * c).op('f32.add').set(s).end();
        f.get(relu).if().get(s).f32(0).get(s).f32(0).op('f32.gt').select().set(s).end();
        f.get(pc, j).i32(4).op('i32.mul').op('i32.add');
        for (let q = 0; q < r; q++) f.get(ldc).op('i32.add');
        f.get(s).op('f32.store', 4 * c);
      }
  };
  /** Rows of R from (pa, pc): the column pairs, then an odd last column. */
  const rowGroup = (R: number) => {
    f.i32(0).set(j);
    f.forUp(j, endPairs, 2, () => tile(R, 2));
    f.get(N).i32(1).op('i32.and').if();
    tile(R, 1);
    f.end();
  };
  f.get(N).i32(-2).op('i32.and').set(endPairs);
  f.get(rows).i32(-4).op('i32.and').set(end4);
  f.get(a0).set(pa).get(c0).set(pc).i32(0).set(i);
  f.forUp(i, end4, 4, () => {
    rowGroup(4);
    for (let q = 0; q < 4; q++) f.get(pa, lda).op('i32.add').set(pa).get(pc, ldc).op('i32.add').set(pc);
  });
  f.forUp(i, rows, 1, () => {
    rowGroup(1);
    f.get(pa, lda).op('i32.add').set(pa).get(pc, ldc).op('i32.add').set(pc);
  });
  return f.func();
}
