/**
 * The WebAssembly function builder and its opcode table: every instruction of the table, emitted by its
 * signature, is a module V8 validates (the encoding and the signature are right, or the engine says
 * not); a sample of lane-wise ops computes what JavaScript computes (the name matches the encoding among
 * ops of one signature); and ill-typed sequences are refused where they are emitted, each with its error.
 */
import { describe, expect, it } from 'vitest';
import { FunctionBuilder, type ValType } from '../../runtime/kernels/wasm/builder.ts';
import { OPCODES } from '../../runtime/kernels/wasm/opcodes.ts';
import { module } from '../../runtime/kernels/wasm/asm.ts';
import { useRelaxedSimd } from '../../runtime/node.ts';

const valid = (f: FunctionBuilder) => WebAssembly.validate(module([f.func()], { shared: true, maxPages: 16 }) as Uint8Array<ArrayBuffer>);

describe('the opcode table', () => {
  it('holds the MVP, SIMD and the atomics the kernels use', () => {
    expect(OPCODES.size).toBeGreaterThan(450);
    for (const n of ['i32.add', 'f64.promote_f32', 'i64.trunc_sat_f64_u', 'memory.copy', 'v128.load32_splat', 'f32x4.pmax', 'i32x4.dot_i16x8_s', 'f64x2.convert_low_i32x4_u', 'i32.atomic.rmw.cmpxchg']) expect(OPCODES.has(n), n).toBe(true);
  });

  it('every instruction, with operands of its signature, validates in V8', () => {
    const relaxed = useRelaxedSimd();
    const bad: string[] = [];
    let checked = 0;
    for (const info of OPCODES.values()) {
      if (info.special || ['i32', 'i64', 'f32', 'f64', 'v128'].includes(info.imm)) continue;
      if (info.name.includes('relaxed') && !relaxed) continue;
      const f = new FunctionBuilder('t', info.pops as ValType[]);
      f.get(...f.params);
      const imm = info.imm === 'mem' ? [8] : info.imm === 'memLane' ? [0, info.lanes! - 1] : info.imm === 'lane' ? [info.lanes! - 1] : info.imm === 'shuffle' ? [31, 0, 17, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15] : [];
      f.op(info.name, ...imm);
      for (let i = 0; i < info.pushes.length; i++) f.drop();
      if (!valid(f)) bad.push(info.name);
      checked++;
    }
    expect(bad).toEqual([]);
    expect(checked).toBeGreaterThan(400);
  });

  it('lane-wise ops compute what JavaScript computes, lane by lane', () => {
    const a = Float32Array.of(1.5, -2, 3, 0.25), b = Float32Array.of(-0.5, 4, 3, 8);
    const ia = Int32Array.of(7, -9, 1 << 20, 3), ib = Int32Array.of(2, 5, -3, 3);
    const f32 = (x: number) => Math.fround(x);
    const cases: [string, 'f' | 'i', (x: number, y: number) => number][] = [
      ['f32x4.add', 'f', (x, y) => f32(x + y)], ['f32x4.sub', 'f', (x, y) => f32(x - y)], ['f32x4.mul', 'f', (x, y) => f32(x * y)], ['f32x4.div', 'f', (x, y) => f32(x / y)],
      ['f32x4.min', 'f', Math.min], ['f32x4.max', 'f', Math.max], ['f32x4.pmin', 'f', (x, y) => (y < x ? y : x)], ['f32x4.pmax', 'f', (x, y) => (x < y ? y : x)],
      ['f32x4.eq', 'f', (x, y) => (x === y ? -1 : 0)], ['f32x4.ne', 'f', (x, y) => (x !== y ? -1 : 0)], ['f32x4.lt', 'f', (x, y) => (x < y ? -1 : 0)],
      ['f32x4.gt', 'f', (x, y) => (x > y ? -1 : 0)], ['f32x4.le', 'f', (x, y) => (x <= y ? -1 : 0)], ['f32x4.ge', 'f', (x, y) => (x >= y ? -1 : 0)],
      ['i32x4.add', 'i', (x, y) => (x + y) | 0], ['i32x4.sub', 'i', (x, y) => (x - y) | 0], ['i32x4.mul', 'i', (x, y) => Math.imul(x, y)],
      ['i32x4.min_s', 'i', Math.min], ['i32x4.max_s', 'i', Math.max], ['i32x4.eq', 'i', (x, y) => (x === y ? -1 : 0)], ['i32x4.gt_s', 'i', (x, y) => (x > y ? -1 : 0)],
      ['v128.and', 'i', (x, y) => x & y], ['v128.or', 'i', (x, y) => x | y], ['v128.xor', 'i', (x, y) => x ^ y], ['v128.andnot', 'i', (x, y) => x & ~y],
    ];
    const memory = new WebAssembly.Memory({ initial: 1 });
    for (const [name, kind, ref] of cases) {
      const f = new FunctionBuilder('run', ['i32']);
      const [p] = f.params;
      f.get(p).get(p).op('v128.load', 0).get(p).op('v128.load', 16).op(name).op('v128.store', 32);
      const inst = new WebAssembly.Instance(new WebAssembly.Module(module([f.func()]) as Uint8Array<ArrayBuffer>), { env: { memory } });
      const [x, y] = kind === 'f' ? [a, b] : [ia, ib];
      new Uint8Array(memory.buffer).set(new Uint8Array(x.buffer), 0);
      new Uint8Array(memory.buffer).set(new Uint8Array(y.buffer), 16);
      (inst.exports.run as (p: number) => void)(0);
      const comparison = /\.(eq|ne|lt|gt|le|ge)/.test(name);
      const out = kind === 'f' && !comparison ? new Float32Array(memory.buffer, 32, 4) : new Int32Array(memory.buffer, 32, 4);
      expect([...out], name).toEqual([0, 1, 2, 3].map((l) => ref(x[l], y[l])));
    }
  });
});

/** The error a builder sequence throws (the test fails if it throws none). */
const refusal = (emit: (f: FunctionBuilder) => unknown) => {
  const f = new FunctionBuilder('k', ['i32', 'f32']);
  try {
    emit(f);
  } catch (e) {
    return (e as Error).message;
  }
  return expect.fail('the builder took an ill-typed sequence');
};

describe('the builder refuses ill-typed code where it is emitted', () => {
  it('operands of the wrong type', () => {
    expect(refusal((f) => f.get(f.params[0]).get(f.params[1]).op('i32.add'))).toBe('WebAssembly function k, instruction 3 (i32.add): needs [i32 i32] on the stack, which holds [i32 f32]');
    expect(refusal((f) => f.get(f.params[1]).f32x4(1).op('f32x4.mul'))).toBe('WebAssembly function k, instruction 3 (f32x4.mul): needs [v128 v128] on the stack, which holds [f32 v128]');
    expect(refusal((f) => f.i32(0).f32(1).op('v128.store'))).toBe('WebAssembly function k, instruction 3 (v128.store): needs [i32 v128] on the stack, which holds [i32 f32]');
  });
  it('too few operands, and a local set from the wrong type', () => {
    expect(refusal((f) => f.i32(1).op('i32.sub'))).toBe('WebAssembly function k, instruction 2 (i32.sub): needs [i32 i32] on the stack, which holds [i32]');
    expect(refusal((f) => f.f32(1).set(f.params[0]))).toBe('WebAssembly function k, instruction 2 (local.set 0): needs [i32] on the stack, which holds [f32]');
  });
  it('a block that leaves values, or lacks its result', () => {
    expect(refusal((f) => f.block().i32(1).end())).toBe('WebAssembly function k, instruction 3 (end): leaves [i32] on the stack beyond its result []');
    expect(refusal((f) => f.block('f32').i32(1).end())).toBe('WebAssembly function k, instruction 3 (end): needs [f32] on the stack, which holds [i32]');
    expect(refusal((f) => f.i32(1).if('i32').i32(2).end())).toBe('WebAssembly function k, instruction 4 (end): an if with result [i32] needs an else');
    expect(refusal((f) => f.i32(1).block().op('i32.eqz'))).toBe('WebAssembly function k, instruction 3 (i32.eqz): needs [i32] on the stack, which holds []');
  });
  it('branches: depths past the open labels, a branch without its label\'s value, a condition not i32', () => {
    expect(refusal((f) => f.block().loop().br(3))).toBe('WebAssembly function k, instruction 3 (br 3): depth 3 is not an enclosing label (3 open)');
    expect(refusal((f) => f.block('i32').br(0))).toBe('WebAssembly function k, instruction 2 (br 0): needs [i32] on the stack, which holds []');
    expect(refusal((f) => f.block().f32(0).brIf(0))).toBe('WebAssembly function k, instruction 3 (br_if 0): needs [i32] on the stack, which holds [f32]');
  });
  it('else outside an if, end with nothing open, an unfinished function', () => {
    expect(refusal((f) => f.block().else())).toBe('WebAssembly function k, instruction 2 (else): is not inside an if (inside a block)');
    expect(refusal((f) => f.end())).toBe('WebAssembly function k, instruction 1 (end): has no block, loop or if to end');
    expect(refusal((f) => f.block().func())).toBe('WebAssembly function k, instruction 1 (the function\'s end): 1 block(s) are not ended');
    expect(refusal((f) => f.i32(1).func())).toBe('WebAssembly function k, instruction 1 (the function\'s end): leaves [i32] on the stack beyond its result []');
  });
  it('immediates: a lane out of range, a missing one, a local of another function, a call of no function', () => {
    expect(refusal((f) => f.f32x4(0).op('f32x4.extract_lane', 4))).toBe('WebAssembly function k, instruction 2 (f32x4.extract_lane): lane 4 is out of range (4 lanes)');
    expect(refusal((f) => f.i32(0).f32x4(0).op('v128.store32_lane', 0))).toBe('WebAssembly function k, instruction 3 (v128.store32_lane): takes 2 immediate(s), given 1');
    expect(refusal((f) => f.get(new FunctionBuilder('other', ['i32']).params[0]))).toBe('WebAssembly function k, instruction 1 (local.get): local 0 belongs to another function (other)');
    expect(refusal((f) => f.call(0))).toBe('WebAssembly function k, instruction 1 (call 0): function 0 is not one this function may call (0 given)');
    expect(refusal((f) => f.op('i32.bogus'))).toBe('unknown WebAssembly instruction i32.bogus');
  });
  it('constants of every type, an i64 among them, compute their values', () => {
    const f = new FunctionBuilder('c', [], ['i64']);
    f.i64(-(2n ** 40n) - 3n).i64(5n).op('i64.mul').f64(2.5).op('f64.nearest').op('i64.trunc_f64_s').op('i64.add');
    const mod = new WebAssembly.Module(module([f.func()]) as Uint8Array<ArrayBuffer>);
    const c = new WebAssembly.Instance(mod, { env: { memory: new WebAssembly.Memory({ initial: 1 }) } }).exports.c as () => bigint;
    expect(c()).toBe((-(2n ** 40n) - 3n) * 5n + 2n);
    expect(refusal((g) => g.i64(2n ** 64n))).toBe('WebAssembly function k, instruction 0 (i64.const): 18446744073709551616 is not a 64-bit integer');
  });
  it('code after a branch is unreachable: any operands, as the specification says', () => {
    const f = new FunctionBuilder('k', []);
    f.block('f32').f32(1).br(0).op('i32.add').op('f32.convert_i32_s').end().drop();
    expect(valid(f)).toBe(true);
  });
});
