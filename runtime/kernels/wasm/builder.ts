/**
 * A WebAssembly function builder: typed locals, every instruction by its name in the opcode table
 * (opcodes.ts), and an operand stack checked as each instruction is emitted, by the validation rules of
 * the core specification (operand types, block, loop and if results, branch depths, the unreachable
 * code after a branch). An ill-typed instruction throws where it is emitted, naming the function, the
 * instruction and the stack, instead of failing later when the module is compiled.
 */
import { TYPE_CODE, opInfo, type OpInfo, type ValType } from './opcodes.ts';
import { OperandStack } from './stack.ts';
import { sleb, uleb, type Func } from './asm.ts';

export type { ValType } from './opcodes.ts';

/** A local (or parameter) of one function. */
export interface Local {
  readonly index: number;
  readonly type: ValType;
  readonly owner: FunctionBuilder;
}

/** A function `call` may name, by index: its parameters and results. */
export interface Signature {
  readonly params: readonly ValType[];
  readonly results?: readonly ValType[];
}

export class FunctionBuilder {
  readonly params: readonly Local[];
  private readonly types: ValType[] = [];
  private readonly body: number[] = [];
  private readonly stack: OperandStack;
  private count = 0;

  constructor(
    readonly name: string,
    params: readonly ValType[],
    readonly results: readonly ValType[] = [],
    /** Functions `call` may call, by index (imports first, as in the module). */
    private readonly callees: readonly Signature[] = [],
  ) {
    this.params = params.map((t) => this.local(t));
    this.stack = new OperandStack((what, msg) => this.fail(what, msg), results);
  }

  /** A new local of type t (declared in the order made). */
  local(t: ValType): Local {
    this.types.push(t);
    return { index: this.types.length - 1, type: t, owner: this };
  }

  /** n new locals of type t. */
  locals(t: ValType, n: number): Local[] {
    return Array.from({ length: n }, () => this.local(t));
  }

  /** Throws an error naming the function, the instruction count and `what`. */
  private fail(what: string, msg: string): never {
    throw new Error(`WebAssembly function ${this.name}, instruction ${this.count} (${what}): ${msg}`);
  }

  private put(info: OpInfo, imm: readonly number[]): this {
    this.body.push(...info.code, ...imm);
    return this;
  }

  /** Any instruction of the table with plain operands, and its immediates (see `immediates`). */
  op(name: string, ...args: number[]): this {
    this.count++;
    const info = opInfo(name);
    if (info.special) this.fail(name, 'has a method of its own (get, set, block, br, call, …)');
    if (['i32', 'i64', 'f32', 'f64', 'v128'].includes(info.imm)) this.fail(name, 'is a constant: use i32(), f32(), v128() …');
    const imm = this.immediates(info, args);
    this.stack.pop(info.pops, name);
    this.stack.push(info.pushes);
    return this.put(info, imm);
  }

  /** Memory: op(name, offset); lanes: op(name, lane) or op(name, offset, lane); shuffle: op(name, ...16 lanes). */
  private immediates(info: OpInfo, a: readonly number[]): number[] {
    const n = info.name;
    const count = { none: 0, mem0: 0, mem00: 0, mem: 1, memLane: 2, lane: 1, shuffle: 16 }[info.imm as 'none'] ?? 0;
    const optional = info.imm === 'mem' ? 1 : 0;
    if (a.length > count || a.length < count - optional) this.fail(n, `takes ${count} immediate(s), given ${a.length}`);
    for (const x of a) if (!Number.isInteger(x) || x < 0) this.fail(n, `immediate ${x} is not a non-negative integer`);
    const mem = (offset: number) => [info.align!, ...uleb(offset)];
    const lane = (l: number) => (l < info.lanes! ? [l] : this.fail(n, `lane ${l} is out of range (${info.lanes} lanes)`));
    switch (info.imm) {
      case 'mem': return mem(a[0] ?? 0);
      case 'memLane': return [...mem(a[0]), ...lane(a[1])];
      case 'lane': return lane(a[0]);
      case 'shuffle': return a.map((l) => (l < 32 ? l : this.fail(n, `shuffle lane ${l} is out of range (32 bytes)`)));
      case 'mem0': return [0];
      case 'mem00': return [0, 0];
      default: return [];
    }
  }

  private own(l: Local, what: string): void {
    if (l.owner !== this) this.fail(what, `local ${l.index} belongs to another function (${l.owner.name})`);
  }
  get(...ls: Local[]): this {
    for (const l of ls) {
      this.count++;
      this.own(l, 'local.get');
      this.stack.push([l.type]);
      this.put(opInfo('local.get'), uleb(l.index));
    }
    return this;
  }
  set(l: Local): this {
    this.count++;
    this.own(l, 'local.set');
    this.stack.pop([l.type], `local.set ${l.index}`);
    return this.put(opInfo('local.set'), uleb(l.index));
  }
  tee(l: Local): this {
    this.count++;
    this.own(l, 'local.tee');
    this.stack.pop([l.type], `local.tee ${l.index}`);
    this.stack.push([l.type]);
    return this.put(opInfo('local.tee'), uleb(l.index));
  }

  private constant(name: string, t: ValType, imm: number[]): this {
    this.count++;
    this.stack.push([t]);
    return this.put(opInfo(name), imm);
  }
  i32(v: number): this {
    if (!Number.isInteger(v) || v < -(2 ** 31) || v >= 2 ** 32) this.fail('i32.const', `${v} is not a 32-bit integer`);
    return this.constant('i32.const', 'i32', sleb(v | 0));
  }
  i64(v: bigint): this {
    if (v < -(2n ** 63n) || v >= 2n ** 64n) this.fail('i64.const', `${v} is not a 64-bit integer`);
    const out: number[] = [];
    for (let x = BigInt.asIntN(64, v); ; ) {
      const b = Number(x & 0x7fn);
      x >>= 7n;
      const last = (x === 0n && !(b & 0x40)) || (x === -1n && (b & 0x40) !== 0);
      out.push(last ? b : b | 0x80);
      if (last) break;
    }
    return this.constant('i64.const', 'i64', out);
  }
  f32(x: number): this {
    return this.constant('f32.const', 'f32', [...new Uint8Array(Float32Array.of(x).buffer)]);
  }
  f64(x: number): this {
    return this.constant('f64.const', 'f64', [...new Uint8Array(Float64Array.of(x).buffer)]);
  }
  /** v128.const of the 16 bytes of a typed array (four f32 or i32 lanes, two f64 lanes, …). */
  v128(lanes: Float32Array | Int32Array | Float64Array | Uint8Array): this {
    if (lanes.byteLength !== 16) this.fail('v128.const', `needs 16 bytes, given ${lanes.byteLength}`);
    return this.constant('v128.const', 'v128', [...new Uint8Array(lanes.buffer, lanes.byteOffset, 16)]);
  }
  /** f32x4 lanes all x, as a v128.const. */
  f32x4(x: number): this {
    return this.v128(new Float32Array([x, x, x, x]));
  }
  /** i32x4 lanes all x, as a v128.const. */
  i32x4(x: number): this {
    return this.v128(new Int32Array([x, x, x, x]));
  }
  /** i8x16.shuffle picking f32 lanes: 0–3 from the first operand, 4–7 from the second. */
  lanes(l: readonly number[]): this {
    if (l.length !== 4) this.fail('i8x16.shuffle', `picks 4 f32 lanes, given ${l.length}`);
    return this.op('i8x16.shuffle', ...l.flatMap((x) => [4 * x, 4 * x + 1, 4 * x + 2, 4 * x + 3]));
  }

  /** Opens a block, loop or if (the methods of those names). */
  private open(kind: 'block' | 'loop' | 'if', t: ValType | null): this {
    this.count++;
    this.stack.open(kind, t ? [t] : []);
    return this.put(opInfo(kind), [t ? TYPE_CODE[t] : 0x40]);
  }
  block(t: ValType | null = null): this {
    return this.open('block', t);
  }
  loop(t: ValType | null = null): this {
    return this.open('loop', t);
  }
  if(t: ValType | null = null): this {
    return this.open('if', t);
  }
  else(): this {
    this.count++;
    this.stack.else();
    return this.put(opInfo('else'), []);
  }
  end(): this {
    this.count++;
    this.stack.end();
    return this.put(opInfo('end'), []);
  }

  /**
   * for (; i < end; i += step) body, as WebAssembly loops are written here: block, loop, the exit test
   * first (i32.ge_s, br_if 1), the body, the increment, br 0. `end` is a local or pushes an i32; `step`
   * a constant or a local.
   */
  forUp(i: Local, end: Local | (() => void), step: number | Local, body: () => void): this {
    this.block().loop().get(i);
    if (typeof end === 'function') end();
    else this.get(end);
    this.op('i32.ge_s').brIf(1);
    body();
    this.get(i);
    if (typeof step === 'number') this.i32(step);
    else this.get(step);
    return this.op('i32.add').set(i).br(0).end().end();
  }

  br(d: number): this {
    this.count++;
    this.stack.pop(this.stack.label(d, `br ${d}`), `br ${d}`);
    this.stack.unreachable();
    return this.put(opInfo('br'), uleb(d));
  }
  brIf(d: number): this {
    this.count++;
    const types = this.stack.label(d, `br_if ${d}`);
    this.stack.pop(['i32'], `br_if ${d}`);
    this.stack.push(this.stack.pop(types, `br_if ${d}`));
    return this.put(opInfo('br_if'), uleb(d));
  }
  brTable(depths: readonly number[], fallback: number): this {
    this.count++;
    const types = this.stack.label(fallback, 'br_table');
    for (const d of depths) if (this.stack.label(d, 'br_table').join() !== types.join()) this.fail('br_table', `label ${d} carries other types than label ${fallback}`);
    this.stack.pop(['i32'], 'br_table');
    this.stack.pop(types, 'br_table');
    this.stack.unreachable();
    return this.put(opInfo('br_table'), [...uleb(depths.length), ...depths.flatMap((d) => uleb(d)), ...uleb(fallback)]);
  }
  return(): this {
    this.count++;
    this.stack.pop(this.results, 'return');
    this.stack.unreachable();
    return this.put(opInfo('return'), []);
  }
  unreachable(): this {
    this.count++;
    this.stack.unreachable();
    return this.put(opInfo('unreachable'), []);
  }
  call(f: number): this {
    this.count++;
    const s = this.callees[f];
    if (!s) this.fail(`call ${f}`, `function ${f} is not one this function may call (${this.callees.length} given)`);
    this.stack.pop(s.params, `call ${f}`);
    this.stack.push(s.results ?? []);
    return this.put(opInfo('call'), uleb(f));
  }
  drop(): this {
    this.count++;
    this.stack.drop();
    return this.put(opInfo('drop'), []);
  }
  select(): this {
    this.count++;
    this.stack.select();
    return this.put(opInfo('select'), []);
  }

  /** The function: every block ended, exactly its results on the stack. */
  func(): Func {
    if (this.stack.depth > 1) this.fail('the function\'s end', `${this.stack.depth - 1} block(s) are not ended`);
    this.stack.close('the function\'s end');
    const nParams = this.params.length;
    const codes = (ts: readonly ValType[]) => ts.map((t) => TYPE_CODE[t]);
    return { name: this.name, params: codes(this.types.slice(0, nParams)), locals: codes(this.types.slice(nParams)), results: codes(this.results), body: [...this.body] };
  }
}
