/**
 * The matmul panel kernel in WebAssembly SIMD: a block of 4 rows × N columns of C += A·B for a slice of
 * K (C = A·B with `first`, the first slice: the tile starts from zero instead of C). For each 8-column panel, a 4×8 tile of C is kept in eight f32x4 registers while k runs, each step
 * loading 8 values of B and splatting 4 values of A (16 multiply-adds per 6 loads). B is packed panel by
 * panel (see `gemm` in gemm.ts, which drives it). Where the engine has relaxed SIMD, each multiply-add
 * is one f32x4.relaxed_madd (a fused multiply-add on machines that have one), else a multiply and an add.
 * The k loop is not unrolled: unrolled by two, V8's code for x64 (16 vector registers) spills two of the
 * accumulators to the stack every step, and the kernel ran at about half the speed.
 * The epilogue (a linear layer's, `Linear`: compiler/ops/linear.ts), for the last slice of K only: `bias`,
 * the byte offset of the bias of the call's first column (0: none; 8 floats a panel are read, so a
 * partial last panel's bias is padded), is added to each row of the tile, and with `relu` each value
 * then becomes x where x > 0, else +0 (the Relu op's rule: NaN and -0 give 0), in registers before the
 * store: C is not read again to apply them.
 */
import type { Func } from './asm.ts';
import { FunctionBuilder, type Signature } from './builder.ts';

const i32s = (n: number) => Array<'i32'>(n).fill('i32');

export function panelKernel(fma = false): Func {
  const f = new FunctionBuilder('panel', i32s(12));
  const [a0, sa, ska, b0, ldb, c0, ldc, kc, jn, first, bias, relu] = f.params;
  const [jj, k, pa, pb, pc, sa2, sa3] = f.locals('i32', 7), accs = f.locals('v128', 8), [bv0, bv1, s] = f.locals('v128', 3);
  const acc = (r: number, v: number) => accs[r * 2 + v];
  f.get(sa).i32(2).op('i32.mul').set(sa2);
  f.get(sa).i32(3).op('i32.mul').set(sa3);
  f.i32(0).set(jj);
  f.forUp(jj, () => f.get(jn).i32(4).op('i32.mul'), 32, () => {
    // the C tile: zeros on the first K block (C is overwritten), else loaded
    f.get(first).if();
    for (const a of accs) f.f32x4(0).set(a);
    f.else();
    f.get(c0, jj).op('i32.add').set(pc);
    for (let r = 0; r < 4; r++) {
      f.get(pc).op('v128.load', 0).set(acc(r, 0));
      f.get(pc).op('v128.load', 16).set(acc(r, 1));
      f.get(pc, ldc).op('i32.add').set(pc);
    }
    f.end();
    f.get(a0).set(pa);
    // B is packed panel by panel: panel p (8 columns) holds kc rows of 8 values at b0 + p·kc·32
    f.get(b0, jj, kc).op('i32.mul').op('i32.add').set(pb);
    f.i32(0).set(k);
    f.forUp(k, kc, 1, () => {
      f.get(pb).op('v128.load', 0).set(bv0);
      f.get(pb).op('v128.load', 16).set(bv1);
      const rowStride = [null, sa, sa2, sa3];
      for (let r = 0; r < 4; r++) {
        f.get(pa);
        if (rowStride[r]) f.get(rowStride[r]!).op('i32.add');
        f.op('v128.load32_splat').set(s);
        for (let v = 0; v < 2; v++)
          if (fma) f.get(s, v ? bv1 : bv0, acc(r, v)).op('f32x4.relaxed_madd').set(acc(r, v));
          else f.get(acc(r, v), s, v ? bv1 : bv0).op('f32x4.mul').op('f32x4.add').set(acc(r, v));
      }
      f.get(pa, ska).op('i32.add').set(pa);
      f.get(pb, ldb).op('i32.add').set(pb);
    });
    // the epilogue: the bias's 8 columns added to each row, then ReLU (x & (x > 0))
    f.get(bias).if();
    f.get(bias, jj).op('i32.add').set(pb);
    f.get(pb).op('v128.load', 0).set(bv0);
    f.get(pb).op('v128.load', 16).set(bv1);
    for (let r = 0; r < 4; r++) for (let v = 0; v < 2; v++) f.get(acc(r, v), v ? bv1 : bv0).op('f32x4.add').set(acc(r, v));
    f.end();
    f.get(relu).if();
    for (const a of accs) f.get(a, a).f32x4(0).op('f32x4.gt').op('v128.and').set(a);
    f.end();
    // store the C tile
    f.get(c0, jj).op('i32.add').set(pc);
    for (let r = 0; r < 4; r++) {
      f.get(pc, acc(r, 0)).op('v128.store', 0);
      f.get(pc, acc(r, 1)).op('v128.store', 16);
      f.get(pc, ldc).op('i32.add').set(pc);
    }
  });
  return f.func();
}

/**
 * gemmRows(a0, sa, ska, b0, c0, ldc, K, NP, i0, i1, KC, NC, strip, epi): rows [i0, i1) of C (a multiple of 4
 * apart) over the whole product, by the blocking `gemm` (gemm.ts) packed B for: column blocks of NC, then
 * K blocks of KC, then rows four at a time, so a packed KC×NC block of B is reused by every row while it
 * is in cache. `panel` is the panel kernel's index in the module. Both threads run their rows with it.
 * Strides sa, ska (A(i,k) = a[i·sa + k·ska]) and K, NP, KC, NC are in elements; ldc in bytes.
 * `strip` (a byte offset of 16·KC bytes of the calling thread's own, or 0) is for a transposed A (sa 1):
 * each k's four values of a row group are then 16 bytes of one row of the array, rows ska·4 bytes apart,
 * so the panel kernel's loads would touch a new cache line, and soon a new page, at every k, for every
 * panel. With a strip, a row group's four values per k are first copied there, one vector per k, and
 * every panel reads them 16 bytes apart. The same multiply-adds in the same order: the same bits.
 * `epi`: 0, or the epilogue the panel kernel applies on the last K block: the byte offset of the bias of
 * C's column 0 (a multiple of 4, padded to NP floats; 0: no bias), or'ed with 1 for ReLU (`epilogue` in gemm.ts).
 */
export function gemmRowsKernel(panel: number): Func {
  const callees: Signature[] = [];
  callees[panel] = { params: i32s(12) }; // the panel kernel, by its index in the module
  const f = new FunctionBuilder('gemmRows', i32s(14), [], callees);
  const [a0, sa, ska, b0, c0, ldc, K, NP, i0, i1, KC, NC, strip, epi] = f.params;
  const [j0, nc, k0, kc, bb, i, pa, k, ska4, as, aks, bias, relu] = f.locals('i32', 13);
  f.get(ska).i32(4).op('i32.mul').set(ska4);
  // x = min(rest, block): select(block, rest, rest > block)
  const min = (rest: () => void, block: typeof K) => {
    f.get(block);
    rest();
    rest();
    f.get(block).op('i32.gt_s').select();
  };
  f.i32(0).set(j0);
  f.forUp(j0, NP, NC, () => {
    min(() => f.get(NP, j0).op('i32.sub'), NC);
    f.set(nc).i32(0).set(k0);
    f.forUp(k0, K, KC, () => {
      min(() => f.get(K, k0).op('i32.sub'), KC);
      f.set(kc);
      // the epilogue on the last K block only: its bias at column j0, its ReLU flag
      f.i32(0).set(bias).i32(0).set(relu);
      f.get(k0, kc).op('i32.add').get(K).op('i32.ge_s').if();
      f.get(epi).i32(1).op('i32.and').set(relu);
      f.get(epi).i32(-4).op('i32.and').set(bias);
      f.get(bias).if().get(bias, j0).i32(4).op('i32.mul').op('i32.add').set(bias).end();
      f.end();
      // the block of packed B: b0 + (k0·NP + j0·kc)·4
      f.get(b0, k0, NP).op('i32.mul').get(j0, kc).op('i32.mul').op('i32.add').i32(4).op('i32.mul').op('i32.add').set(bb);
      f.get(i0).set(i);
      f.forUp(i, i1, 4, () => {
        f.get(a0, i, sa).op('i32.mul').get(k0, ska).op('i32.mul').op('i32.add').i32(4).op('i32.mul').op('i32.add').set(pa); // a
        f.get(strip).if();
        // the row group's four values of each k, one vector of a row of the array, to the strip
        f.i32(0).set(k);
        f.forUp(k, kc, 1, () => {
          f.get(strip, k).i32(4).op('i32.shl').op('i32.add').get(pa).op('v128.load', 0).op('v128.store', 0);
          f.get(pa, ska4).op('i32.add').set(pa);
        });
        f.get(strip).set(pa).i32(4).set(as).i32(16).set(aks);
        f.else();
        f.get(sa).i32(4).op('i32.mul').set(as).get(ska4).set(aks);
        f.end();
        f.get(pa, as, aks, bb).i32(32); // a, sa, ska (bytes), b, ldb
        f.get(c0, i, ldc).op('i32.mul').op('i32.add').get(j0).i32(4).op('i32.mul').op('i32.add').get(ldc); // c, ldc
        f.get(kc, nc, k0).op('i32.eqz').get(bias, relu).call(panel);
      });
    });
  });
  return f.func();
}

/**
 * pack(src, ldb, dst, kc, panels): copies `panels` panels of 8 columns × kc rows of a row-major B
 * (rows ldb bytes apart) to dst, panel after panel, row after row (the layout the panel kernel reads).
 * Two panels a pass (a row's 64 bytes, read once, to two panels), then the last one alone: one panel a
 * pass read each 64-byte line of B twice, the second time after kc other rows, from L2 at best (B's
 * rows are often a power of two of bytes apart, so they share few L1 sets): a 784×256 B packed in about
 * 20% less time, a 1024×1024 one in about 40% less (one thread, CPU time).
 */
export function packKernel(): Func {
  const f = new FunctionBuilder('pack', i32s(5));
  const [src, ldb, dst, kc, np] = f.params;
  const [p, k, s, d2, bytes] = f.locals('i32', 5);
  f.get(kc).i32(32).op('i32.mul').set(bytes); // one panel's bytes
  f.i32(0).set(p);
  f.forUp(p, () => f.get(np).i32(-2).op('i32.and'), 2, () => {
    f.get(src, p).i32(32).op('i32.mul').op('i32.add').set(s);
    f.get(dst, bytes).op('i32.add').set(d2);
    f.i32(0).set(k);
    f.forUp(k, kc, 1, () => {
      f.get(dst, s).op('v128.load', 0).op('v128.store', 0);
      f.get(dst, s).op('v128.load', 16).op('v128.store', 16);
      f.get(d2, s).op('v128.load', 32).op('v128.store', 0);
      f.get(d2, s).op('v128.load', 48).op('v128.store', 16);
      f.get(s, ldb).op('i32.add').set(s);
      f.get(dst).i32(32).op('i32.add').set(dst);
      f.get(d2).i32(32).op('i32.add').set(d2);
    });
    f.get(d2).set(dst);
  });
  // an odd last panel
  f.get(np).i32(1).op('i32.and').if();
  f.get(src, p).i32(32).op('i32.mul').op('i32.add').set(s);
  f.i32(0).set(k);
  f.forUp(k, kc, 1, () => {
    f.get(dst, s).op('v128.load', 0).op('v128.store', 0);
    f.get(dst, s).op('v128.load', 16).op('v128.store', 16);
    f.get(s, ldb).op('i32.add').set(s);
    f.get(dst).i32(32).op('i32.add').set(dst);
  });
  f.end();
  return f.func();
}

/**
 * packT(src, ldb, dst, kc, panels): the same packed layout from a transposed B (stored [N, K]: column j
 * of op(B) is row j of the array, rows ldb bytes apart): for each panel, eight rows of the array, read
 * along k. Four k at a time, each four rows' four values are transposed with shuffles (a 4×4 transpose),
 * so every load and store is a whole vector; the last kc mod 4 values one by one.
 */
export function packTKernel(): Func {
  const f = new FunctionBuilder('packT', i32s(5));
  const [src, ldb, dst, kc, np] = f.params;
  const [p, k, s, kc4, row] = f.locals('i32', 5), r = f.locals('v128', 8), t = f.locals('v128', 4);
  f.get(kc).i32(-4).op('i32.and').set(kc4);
  f.i32(0).set(p);
  f.forUp(p, np, 1, () => {
    // s: the panel's first row (8 rows down per panel)
    f.get(src, p, ldb).op('i32.mul').i32(3).op('i32.shl').op('i32.add').set(s);
    f.i32(0).set(k);
    f.forUp(k, kc4, 4, () => {
      // r[q]: four k of row q
      for (let q = 0; q < 8; q++) {
        f.get(s).i32(q).get(ldb).op('i32.mul').op('i32.add').op('v128.load', 0).set(r[q]);
      }
      for (let half = 0; half < 2; half++) {
        const [a, b, c, d] = r.slice(half * 4, half * 4 + 4);
        f.get(a, b).lanes([0, 4, 1, 5]).set(t[0]);
        f.get(a, b).lanes([2, 6, 3, 7]).set(t[1]);
        f.get(c, d).lanes([0, 4, 1, 5]).set(t[2]);
        f.get(c, d).lanes([2, 6, 3, 7]).set(t[3]);
        // row k + i of the panel: columns 0–3 at +0, 4–7 at +16
        f.get(dst).get(t[0], t[2]).lanes([0, 1, 4, 5]).op('v128.store', half * 16);
        f.get(dst).get(t[0], t[2]).lanes([2, 3, 6, 7]).op('v128.store', 32 + half * 16);
        f.get(dst).get(t[1], t[3]).lanes([0, 1, 4, 5]).op('v128.store', 64 + half * 16);
        f.get(dst).get(t[1], t[3]).lanes([2, 3, 6, 7]).op('v128.store', 96 + half * 16);
      }
      f.get(s).i32(16).op('i32.add').set(s);
      f.get(dst).i32(128).op('i32.add').set(dst);
    });
    f.forUp(k, kc, 1, () => {
      f.get(s).set(row);
      for (let q = 0; q < 8; q++) {
        f.get(dst, row).op('f32.load', 0).op('f32.store', 4 * q);
        if (q < 7) f.get(row, ldb).op('i32.add').set(row);
      }
      f.get(s).i32(4).op('i32.add').set(s);
      f.get(dst).i32(32).op('i32.add').set(dst);
    });
  });
  return f.func();
}

/**
 * packTail(src, ldb, dst, kc, bytes): the last, partial panel of a row-major B (N mod 8 columns, `bytes`
 * of each row, rows ldb bytes apart): each of its kc rows of 8 values is the row's last columns, then
 * zeros (the padding columns, which add nothing to C's real columns).
 */
export function packTailKernel(): Func {
  const f = new FunctionBuilder('packTail', i32s(5));
  const [src, ldb, dst, kc, bytes] = f.params;
  const [k, j] = f.locals('i32', 2);
  f.i32(0).set(k);
  f.forUp(k, kc, 1, () => {
    f.get(dst).f32x4(0).op('v128.store', 0);
    f.get(dst).f32x4(0).op('v128.store', 16);
    f.i32(0).set(j);
    f.forUp(j, bytes, 4, () => f.get(dst, j).op('i32.add').get(src, j).op('i32.add').op('f32.load').op('f32.store'));
    f.get(src, ldb).op('i32.add').set(src);
    f.get(dst).i32(32).op('i32.add').set(dst);
  });
  return f.func();
}

/**
 * copyRows(src, lds, dst, ldd, rows, bytes): `bytes` (a multiple of 4) of each of `rows` rows, rows lds
 * bytes apart at src and ldd at dst: a padded C's real columns into C (whole vectors, then the last
 * values one by one, so that nothing past a row's bytes is written).
 */
export function copyRowsKernel(): Func {
  const f = new FunctionBuilder('copyRows', i32s(6));
  const [src, lds, dst, ldd, rows, bytes] = f.params;
  const [i, j, b16] = f.locals('i32', 3);
  f.get(bytes).i32(-16).op('i32.and').set(b16);
  f.i32(0).set(i);
  f.forUp(i, rows, 1, () => {
    f.i32(0).set(j);
    f.forUp(j, b16, 16, () => f.get(dst, j).op('i32.add').get(src, j).op('i32.add').op('v128.load').op('v128.store'));
    f.forUp(j, bytes, 4, () => f.get(dst, j).op('i32.add').get(src, j).op('i32.add').op('f32.load').op('f32.store'));
    f.get(src, lds).op('i32.add').set(src);
    f.get(dst, ldd).op('i32.add').set(dst);
  });
  return f.func();
}
