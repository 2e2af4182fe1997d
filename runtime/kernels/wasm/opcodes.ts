/**
 * The WebAssembly instructions the function builder (builder.ts) emits: the core specification's (MVP,
 * sign extension, saturating truncation, bulk memory's copy and fill), the fixed-width SIMD proposal's
 * (0xFD prefix), relaxed SIMD's and the threads proposal's atomics (0xFE). Each entry: its encoding, the
 * kind of its immediates, and its stack signature (the types it pops, first operand first, and pushes).
 * Instructions whose signature depends on their immediates or on the frame (control, locals, calls,
 * drop, select) are listed with `special` and checked by the builder itself.
 */
import { uleb } from './asm.ts';
export type ValType = 'i32' | 'i64' | 'f32' | 'f64' | 'v128';

/** WebAssembly's byte for each value type. */
export const TYPE_CODE: Readonly<Record<ValType, number>> = { i32: 0x7f, i64: 0x7e, f32: 0x7d, f64: 0x7c, v128: 0x7b };

/**
 * Immediates: none; a memory argument (alignment exponent, offset); a memory argument and a lane; a
 * lane; sixteen lane indices (i8x16.shuffle); a memory index (0) once or twice; a block type; an index
 * (local, global, function, label); a label table; a constant.
 */
export type Imm = 'none' | 'mem' | 'memLane' | 'lane' | 'shuffle' | 'mem0' | 'mem00' | 'block' | 'index' | 'table' | 'i32' | 'i64' | 'f32' | 'f64' | 'v128';

export interface OpInfo {
  readonly name: string;
  /** The opcode's bytes (a prefix and its LEB128 sub-opcode for prefixed ones). */
  readonly code: readonly number[];
  readonly imm: Imm;
  /** mem, memLane: the natural alignment exponent (the access's bytes, log2); lane, memLane: lane count. */
  readonly align?: number;
  readonly lanes?: number;
  readonly pops: readonly ValType[];
  readonly pushes: readonly ValType[];
  /** Signature worked out by the builder (control, locals, calls, drop, select). */
  readonly special?: true;
}


const table = new Map<string, OpInfo>();
const sig = (s: string): [ValType[], ValType[]] => {
  const [a, b] = s.split('>').map((x) => x.trim().split(/\s+/).filter(Boolean) as ValType[]);
  return [a, b];
};
function def(name: string, code: number[], s: string, imm: Imm = 'none', extra: { align?: number; lanes?: number; special?: true } = {}): void {
  if (table.has(name)) throw new Error(`opcode table: ${name} defined twice`);
  const [pops, pushes] = sig(s);
  table.set(name, { name, code, imm, pops, pushes, ...extra });
}
const simd = (n: number) => [0xfd, ...uleb(n)];

// control, locals, calls, parametric (signatures from the frame, the locals or the callee)
for (const [name, code, imm] of [
  ['unreachable', 0x00, 'none'], ['nop', 0x01, 'none'], ['block', 0x02, 'block'], ['loop', 0x03, 'block'], ['if', 0x04, 'block'],
  ['else', 0x05, 'none'], ['end', 0x0b, 'none'], ['br', 0x0c, 'index'], ['br_if', 0x0d, 'index'], ['br_table', 0x0e, 'table'],
  ['return', 0x0f, 'none'], ['call', 0x10, 'index'], ['drop', 0x1a, 'none'], ['select', 0x1b, 'none'],
  ['local.get', 0x20, 'index'], ['local.set', 0x21, 'index'], ['local.tee', 0x22, 'index'], ['global.get', 0x23, 'index'], ['global.set', 0x24, 'index'],
] as const) def(name, [code], '>', imm, { special: true });

// constants
def('i32.const', [0x41], '> i32', 'i32');
def('i64.const', [0x42], '> i64', 'i64');
def('f32.const', [0x43], '> f32', 'f32');
def('f64.const', [0x44], '> f64', 'f64');
def('v128.const', simd(0x0c), '> v128', 'v128');

// memory: loads and stores (natural alignment), size, grow, copy, fill
const loads: [string, number, ValType, number][] = [
  ['i32.load', 0x28, 'i32', 2], ['i64.load', 0x29, 'i64', 3], ['f32.load', 0x2a, 'f32', 2], ['f64.load', 0x2b, 'f64', 3],
  ['i32.load8_s', 0x2c, 'i32', 0], ['i32.load8_u', 0x2d, 'i32', 0], ['i32.load16_s', 0x2e, 'i32', 1], ['i32.load16_u', 0x2f, 'i32', 1],
  ['i64.load8_s', 0x30, 'i64', 0], ['i64.load8_u', 0x31, 'i64', 0], ['i64.load16_s', 0x32, 'i64', 1], ['i64.load16_u', 0x33, 'i64', 1],
  ['i64.load32_s', 0x34, 'i64', 2], ['i64.load32_u', 0x35, 'i64', 2],
];
for (const [name, code, t, align] of loads) def(name, [code], `i32 > ${t}`, 'mem', { align });
const stores: [string, number, ValType, number][] = [
  ['i32.store', 0x36, 'i32', 2], ['i64.store', 0x37, 'i64', 3], ['f32.store', 0x38, 'f32', 2], ['f64.store', 0x39, 'f64', 3],
  ['i32.store8', 0x3a, 'i32', 0], ['i32.store16', 0x3b, 'i32', 1], ['i64.store8', 0x3c, 'i64', 0], ['i64.store16', 0x3d, 'i64', 1], ['i64.store32', 0x3e, 'i64', 2],
];
for (const [name, code, t, align] of stores) def(name, [code], `i32 ${t} >`, 'mem', { align });
def('memory.size', [0x3f], '> i32', 'mem0');
def('memory.grow', [0x40], 'i32 > i32', 'mem0');
def('memory.copy', [0xfc, 0x0a], 'i32 i32 i32 >', 'mem00');
def('memory.fill', [0xfc, 0x0b], 'i32 i32 i32 >', 'mem0');

// numeric: comparisons, then arithmetic, integer and float, in the specification's order
const run = (first: number, t: ValType, names: string, s: (n: string) => string) =>
  names.split(' ').forEach((n, i) => n !== '-' && def(`${t}.${n}`, [first + i], s(n)));
run(0x45, 'i32', 'eqz', () => 'i32 > i32');
run(0x46, 'i32', 'eq ne lt_s lt_u gt_s gt_u le_s le_u ge_s ge_u', () => 'i32 i32 > i32');
run(0x50, 'i64', 'eqz', () => 'i64 > i32');
run(0x51, 'i64', 'eq ne lt_s lt_u gt_s gt_u le_s le_u ge_s ge_u', () => 'i64 i64 > i32');
run(0x5b, 'f32', 'eq ne lt gt le ge', () => 'f32 f32 > i32');
run(0x61, 'f64', 'eq ne lt gt le ge', () => 'f64 f64 > i32');
const intUnary = new Set(['clz', 'ctz', 'popcnt']);
const intOps = 'clz ctz popcnt add sub mul div_s div_u rem_s rem_u and or xor shl shr_s shr_u rotl rotr';
run(0x67, 'i32', intOps, (n) => (intUnary.has(n) ? 'i32 > i32' : 'i32 i32 > i32'));
run(0x79, 'i64', intOps, (n) => (intUnary.has(n) ? 'i64 > i64' : 'i64 i64 > i64'));
const floatOps = 'abs neg ceil floor trunc nearest sqrt add sub mul div min max copysign';
const floatUnary = new Set(floatOps.split(' ').slice(0, 7));
run(0x8b, 'f32', floatOps, (n) => (floatUnary.has(n) ? 'f32 > f32' : 'f32 f32 > f32'));
run(0x99, 'f64', floatOps, (n) => (floatUnary.has(n) ? 'f64 > f64' : 'f64 f64 > f64'));
const conversions: [string, string][] = [
  ['i32.wrap_i64', 'i64 > i32'], ['i32.trunc_f32_s', 'f32 > i32'], ['i32.trunc_f32_u', 'f32 > i32'], ['i32.trunc_f64_s', 'f64 > i32'], ['i32.trunc_f64_u', 'f64 > i32'],
  ['i64.extend_i32_s', 'i32 > i64'], ['i64.extend_i32_u', 'i32 > i64'], ['i64.trunc_f32_s', 'f32 > i64'], ['i64.trunc_f32_u', 'f32 > i64'], ['i64.trunc_f64_s', 'f64 > i64'], ['i64.trunc_f64_u', 'f64 > i64'],
  ['f32.convert_i32_s', 'i32 > f32'], ['f32.convert_i32_u', 'i32 > f32'], ['f32.convert_i64_s', 'i64 > f32'], ['f32.convert_i64_u', 'i64 > f32'], ['f32.demote_f64', 'f64 > f32'],
  ['f64.convert_i32_s', 'i32 > f64'], ['f64.convert_i32_u', 'i32 > f64'], ['f64.convert_i64_s', 'i64 > f64'], ['f64.convert_i64_u', 'i64 > f64'], ['f64.promote_f32', 'f32 > f64'],
  ['i32.reinterpret_f32', 'f32 > i32'], ['i64.reinterpret_f64', 'f64 > i64'], ['f32.reinterpret_i32', 'i32 > f32'], ['f64.reinterpret_i64', 'i64 > f64'],
  ['i32.extend8_s', 'i32 > i32'], ['i32.extend16_s', 'i32 > i32'], ['i64.extend8_s', 'i64 > i64'], ['i64.extend16_s', 'i64 > i64'], ['i64.extend32_s', 'i64 > i64'],
];
conversions.forEach(([n, s], i) => def(n, [0xa7 + i], s));
const saturating: [string, string][] = [
  ['i32.trunc_sat_f32_s', 'f32 > i32'], ['i32.trunc_sat_f32_u', 'f32 > i32'], ['i32.trunc_sat_f64_s', 'f64 > i32'], ['i32.trunc_sat_f64_u', 'f64 > i32'],
  ['i64.trunc_sat_f32_s', 'f32 > i64'], ['i64.trunc_sat_f32_u', 'f32 > i64'], ['i64.trunc_sat_f64_s', 'f64 > i64'], ['i64.trunc_sat_f64_u', 'f64 > i64'],
];
saturating.forEach(([n, s], i) => def(n, [0xfc, i], s));

// SIMD: memory
const vloads: [string, number][] = [
  ['v128.load', 4], ['v128.load8x8_s', 3], ['v128.load8x8_u', 3], ['v128.load16x4_s', 3], ['v128.load16x4_u', 3], ['v128.load32x2_s', 3], ['v128.load32x2_u', 3],
  ['v128.load8_splat', 0], ['v128.load16_splat', 1], ['v128.load32_splat', 2], ['v128.load64_splat', 3],
];
vloads.forEach(([n, align], i) => def(n, simd(i), 'i32 > v128', 'mem', { align }));
def('v128.store', simd(0x0b), 'i32 v128 >', 'mem', { align: 4 });
def('i8x16.shuffle', simd(0x0d), 'v128 v128 > v128', 'shuffle');
def('i8x16.swizzle', simd(0x0e), 'v128 v128 > v128');
(['i8x16', 'i16x8', 'i32x4', 'i64x2', 'f32x4', 'f64x2'] as const).forEach((s, i) => def(`${s}.splat`, simd(0x0f + i), `${scalarOf(s)} > v128`));
function scalarOf(shape: string): ValType {
  return shape.startsWith('f32') ? 'f32' : shape.startsWith('f64') ? 'f64' : shape.startsWith('i64') ? 'i64' : 'i32';
}
const laneCount = (shape: string) => 128 / Number(shape.slice(1, shape.indexOf('x')));
const extracts = ['i8x16.extract_lane_s', 'i8x16.extract_lane_u', 'i8x16.replace_lane', 'i16x8.extract_lane_s', 'i16x8.extract_lane_u', 'i16x8.replace_lane',
  'i32x4.extract_lane', 'i32x4.replace_lane', 'i64x2.extract_lane', 'i64x2.replace_lane', 'f32x4.extract_lane', 'f32x4.replace_lane', 'f64x2.extract_lane', 'f64x2.replace_lane'];
extracts.forEach((n, i) => {
  const shape = n.slice(0, n.indexOf('.')), t = scalarOf(shape);
  def(n, simd(0x15 + i), n.includes('replace') ? `v128 ${t} > v128` : `v128 > ${t}`, 'lane', { lanes: laneCount(shape) });
});
const intCompare = 'eq ne lt_s lt_u gt_s gt_u le_s le_u ge_s ge_u';
for (const [first, shape] of [[0x23, 'i8x16'], [0x2d, 'i16x8'], [0x37, 'i32x4']] as const) intCompare.split(' ').forEach((n, i) => def(`${shape}.${n}`, simd(first + i), 'v128 v128 > v128'));
'eq ne lt gt le ge'.split(' ').forEach((n, i) => (def(`f32x4.${n}`, simd(0x41 + i), 'v128 v128 > v128'), def(`f64x2.${n}`, simd(0x47 + i), 'v128 v128 > v128')));
def('v128.not', simd(0x4d), 'v128 > v128');
'and andnot or xor'.split(' ').forEach((n, i) => def(`v128.${n}`, simd(0x4e + i), 'v128 v128 > v128'));
def('v128.bitselect', simd(0x52), 'v128 v128 v128 > v128');
def('v128.any_true', simd(0x53), 'v128 > i32');
[8, 16, 32, 64].forEach((w, i) => {
  def(`v128.load${w}_lane`, simd(0x54 + i), 'i32 v128 > v128', 'memLane', { align: i, lanes: 128 / w });
  def(`v128.store${w}_lane`, simd(0x58 + i), 'i32 v128 >', 'memLane', { align: i, lanes: 128 / w });
});
def('v128.load32_zero', simd(0x5c), 'i32 > v128', 'mem', { align: 2 });
def('v128.load64_zero', simd(0x5d), 'i32 > v128', 'mem', { align: 3 });

// SIMD: lane-wise arithmetic, by opcode (0x5e–0xff; "-" are unassigned). Shifts take an i32 count;
// all_true and bitmask give an i32; the rest map vectors to a vector.
const lanewise = [
  'f32x4.demote_f64x2_zero f64x2.promote_low_f32x4',
  'i8x16.abs i8x16.neg i8x16.popcnt i8x16.all_true i8x16.bitmask i8x16.narrow_i16x8_s i8x16.narrow_i16x8_u',
  'f32x4.ceil f32x4.floor f32x4.trunc f32x4.nearest i8x16.shl i8x16.shr_s i8x16.shr_u',
  'i8x16.add i8x16.add_sat_s i8x16.add_sat_u i8x16.sub i8x16.sub_sat_s i8x16.sub_sat_u f64x2.ceil f64x2.floor',
  'i8x16.min_s i8x16.min_u i8x16.max_s i8x16.max_u f64x2.trunc i8x16.avgr_u',
  'i16x8.extadd_pairwise_i8x16_s i16x8.extadd_pairwise_i8x16_u i32x4.extadd_pairwise_i16x8_s i32x4.extadd_pairwise_i16x8_u',
  'i16x8.abs i16x8.neg i16x8.q15mulr_sat_s i16x8.all_true i16x8.bitmask i16x8.narrow_i32x4_s i16x8.narrow_i32x4_u',
  'i16x8.extend_low_i8x16_s i16x8.extend_high_i8x16_s i16x8.extend_low_i8x16_u i16x8.extend_high_i8x16_u',
  'i16x8.shl i16x8.shr_s i16x8.shr_u i16x8.add i16x8.add_sat_s i16x8.add_sat_u i16x8.sub i16x8.sub_sat_s i16x8.sub_sat_u',
  'f64x2.nearest i16x8.mul i16x8.min_s i16x8.min_u i16x8.max_s i16x8.max_u - i16x8.avgr_u',
  'i16x8.extmul_low_i8x16_s i16x8.extmul_high_i8x16_s i16x8.extmul_low_i8x16_u i16x8.extmul_high_i8x16_u',
  'i32x4.abs i32x4.neg - i32x4.all_true i32x4.bitmask - -',
  'i32x4.extend_low_i16x8_s i32x4.extend_high_i16x8_s i32x4.extend_low_i16x8_u i32x4.extend_high_i16x8_u',
  'i32x4.shl i32x4.shr_s i32x4.shr_u i32x4.add - - i32x4.sub - - - i32x4.mul i32x4.min_s i32x4.min_u i32x4.max_s i32x4.max_u i32x4.dot_i16x8_s -',
  'i32x4.extmul_low_i16x8_s i32x4.extmul_high_i16x8_s i32x4.extmul_low_i16x8_u i32x4.extmul_high_i16x8_u',
  'i64x2.abs i64x2.neg - i64x2.all_true i64x2.bitmask - -',
  'i64x2.extend_low_i32x4_s i64x2.extend_high_i32x4_s i64x2.extend_low_i32x4_u i64x2.extend_high_i32x4_u',
  'i64x2.shl i64x2.shr_s i64x2.shr_u i64x2.add - - i64x2.sub - - - i64x2.mul',
  'i64x2.eq i64x2.ne i64x2.lt_s i64x2.gt_s i64x2.le_s i64x2.ge_s',
  'i64x2.extmul_low_i32x4_s i64x2.extmul_high_i32x4_s i64x2.extmul_low_i32x4_u i64x2.extmul_high_i32x4_u',
  'f32x4.abs f32x4.neg - f32x4.sqrt f32x4.add f32x4.sub f32x4.mul f32x4.div f32x4.min f32x4.max f32x4.pmin f32x4.pmax',
  'f64x2.abs f64x2.neg - f64x2.sqrt f64x2.add f64x2.sub f64x2.mul f64x2.div f64x2.min f64x2.max f64x2.pmin f64x2.pmax',
  'i32x4.trunc_sat_f32x4_s i32x4.trunc_sat_f32x4_u f32x4.convert_i32x4_s f32x4.convert_i32x4_u',
  'i32x4.trunc_sat_f64x2_s_zero i32x4.trunc_sat_f64x2_u_zero f64x2.convert_low_i32x4_s f64x2.convert_low_i32x4_u',
  // relaxed SIMD (0x100–0x113)
  'i8x16.relaxed_swizzle i32x4.relaxed_trunc_f32x4_s i32x4.relaxed_trunc_f32x4_u i32x4.relaxed_trunc_f64x2_s_zero i32x4.relaxed_trunc_f64x2_u_zero',
  'f32x4.relaxed_madd f32x4.relaxed_nmadd f64x2.relaxed_madd f64x2.relaxed_nmadd',
  'i8x16.relaxed_laneselect i16x8.relaxed_laneselect i32x4.relaxed_laneselect i64x2.relaxed_laneselect',
  'f32x4.relaxed_min f32x4.relaxed_max f64x2.relaxed_min f64x2.relaxed_max',
  'i16x8.relaxed_q15mulr_s i16x8.relaxed_dot_i8x16_i7x16_s i32x4.relaxed_dot_i8x16_i7x16_add_s',
].join(' ').split(' ');
const ternary = /madd|laneselect|dot_i8x16_i7x16_add/;
const unary = /abs|neg|popcnt|sqrt|ceil|floor|trunc|nearest|extend_|extadd|demote|promote|convert/;
lanewise.forEach((n, i) => {
  if (n === '-') return;
  const rest = n.slice(n.indexOf('.') + 1);
  const s = /all_true|bitmask/.test(rest) ? 'v128 > i32'
    : /^(shl|shr_s|shr_u)$/.test(rest) ? 'v128 i32 > v128'
    : ternary.test(rest) ? 'v128 v128 v128 > v128'
    : unary.test(rest) ? 'v128 > v128' : 'v128 v128 > v128';
  def(n, simd(0x5e + i), s);
});

// atomics (shared memory): notify, wait, fence, and the i32 loads, stores and read-modify-writes
def('memory.atomic.notify', [0xfe, 0x00], 'i32 i32 > i32', 'mem', { align: 2 });
def('memory.atomic.wait32', [0xfe, 0x01], 'i32 i32 i64 > i32', 'mem', { align: 2 });
def('memory.atomic.wait64', [0xfe, 0x02], 'i32 i64 i64 > i32', 'mem', { align: 3 });
def('atomic.fence', [0xfe, 0x03], '>', 'mem0');
def('i32.atomic.load', [0xfe, 0x10], 'i32 > i32', 'mem', { align: 2 });
def('i64.atomic.load', [0xfe, 0x11], 'i32 > i64', 'mem', { align: 3 });
def('i32.atomic.store', [0xfe, 0x17], 'i32 i32 >', 'mem', { align: 2 });
def('i64.atomic.store', [0xfe, 0x18], 'i32 i64 >', 'mem', { align: 3 });
'add sub and or xor xchg'.split(' ').forEach((n, i) => def(`i32.atomic.rmw.${n}`, [0xfe, 0x1e + 7 * i], 'i32 i32 > i32', 'mem', { align: 2 }));
def('i32.atomic.rmw.cmpxchg', [0xfe, 0x48], 'i32 i32 i32 > i32', 'mem', { align: 2 });

/** Every instruction, by its text-format name. */
export const OPCODES: ReadonlyMap<string, OpInfo> = table;

/** The entry for a name (throws naming the unknown instruction). */
export function opInfo(name: string): OpInfo {
  const o = table.get(name);
  if (!o) throw new Error(`unknown WebAssembly instruction ${name}`);
  return o;
}
