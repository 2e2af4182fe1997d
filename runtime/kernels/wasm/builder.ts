/**
 * A WebAssembly function builder: typed locals, every instruction by its name in the opcode table
 * (opcodes.ts), and an operand stack checked as each instruction is emitted, by the validation rules of
 * the core specification (operand types, block, loop and if results, branch depths, the unreachable
 * code after a branch). An ill-typed instruction throws where it is emitted, naming the function, the
 * instruction and the stack, instead of failing later when the module is compiled.
 */
import { OPCODES, TYPE_CODE, opInfo, type OpInfo, type ValType } from './opcodes.ts';
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

type Slot = ValType | 'unknown';
interface Frame {
  kind: 'function' | 'block' | 'loop' | 'if' | 'else';
  readonly result: readonly ValType[];
  readonly height: number;
  unreachable: boolean;
}

const byCode = new Map<string, OpInfo>([...OPCODES.values()].map((o) => [o.code.join(','), o]));
const show = (ts: readonly Slot[]) => `[${ts.join(' ')}]`;

export class FunctionBuilder {
  readonly params: readonly Local[];
  private readonly types: ValType[] = [];
  private readonly body: number[] = [];
  private readonly stack: Slot[] = [];
  private readonly frames: Frame[];
  private count = 0;

  constructor(
    readonly name: string,
    params: readonly ValType[],
    readonly results: readonly ValType[] = [],
    /** Functions `call` may call, by index (imports first, as in the module). */
    private readonly callees: readonly Signature[] = [],
  ) {
    this.params = params.map((t) => this.local(t));
    this.frames = [{ kind: 'function', result: results, height: 0, unreachable: false }];
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

  private fail(what: string, msg: string): never {
    throw new Error(`WebAssembly function ${this.name}, instruction ${this.count} (${what}): ${msg}`);
  }

  private get frame(): Frame {
    return this.frames[this.frames.length - 1];
  }

  /** The operands above the current frame's base. */
  private operands(): Slot[] {
    return this.stack.slice(this.frame.height);
  }

  /** Pops `types` (the last on top), checking each. */
  private pop(types: readonly ValType[], what: string): Slot[] {
    const f = this.frame, got: Slot[] = [];
    const before = this.operands();
    for (let i = types.length - 1; i >= 0; i--) {
      if (this.stack.length === f.height) {
        if (f.unreachable) {
          got.unshift('unknown');
          continue;
        }
        this.fail(what, `needs ${show(types)} on the stack, which holds ${show(before)}`);
      }
      const t = this.stack.pop()!;
      if (t !== 'unknown' && t !== types[i]) this.fail(what, `needs ${show(types)} on the stack, which holds ${show(before)}`);
      got.unshift(t);
    }
    return got;
  }

  private push(types: readonly ValType[]): void {
    this.stack.push(...types);
  }

  /** Code after br, return or unreachable: the stack is anything until the frame ends. */
  private unreachableRest(): void {
    this.stack.length = this.frame.height;
    this.frame.unreachable = true;
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
    this.pop(info.pops, name);
    this.push(info.pushes);
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
      this.push([l.type]);
      this.put(opInfo('local.get'), uleb(l.index));
    }
    return this;
  }
  set(l: Local): this {
    this.count++;
    this.own(l, 'local.set');
    this.pop([l.type], `local.set ${l.index}`);
    return this.put(opInfo('local.set'), uleb(l.index));
  }
  tee(l: Local): this {
    this.count++;
    this.own(l, 'local.tee');
    this.pop([l.type], `local.tee ${l.index}`);
    this.push([l.type]);
    return this.put(opInfo('local.tee'), uleb(l.index));
  }

  private constant(name: string, t: ValType, imm: number[]): this {
    this.count++;
    this.push([t]);
    return this.put(opInfo(name), imm);
  }
  i32(v: number): this {
    if (!Number.isInteger(v) || v < -(2 ** 31) || v >= 2 ** 32) this.fail('i32.const', `${v} is not a 32-bit integer`);
    return this.constant('i32.const', 'i32', sleb(v | 0));
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

  private open(kind: 'block' | 'loop' | 'if', t: ValType | null): this {
    this.count++;
    if (kind === 'if') this.pop(['i32'], 'if');
    this.frames.push({ kind, result: t ? [t] : [], height: this.stack.length, unreachable: false });
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
  /** Ends the frame's operands: exactly its results must be on the stack. */
  private close(what: string): void {
    const f = this.frame;
    this.pop(f.result, what);
    if (this.stack.length !== f.height) this.fail(what, `leaves ${show(this.operands())} on the stack beyond its result ${show(f.result)}`);
  }
  else(): this {
    this.count++;
    if (this.frame.kind !== 'if') this.fail('else', `is not inside an if (inside a ${this.frame.kind})`);
    this.close('else');
    this.frame.kind = 'else';
    this.frame.unreachable = false;
    return this.put(opInfo('else'), []);
  }
  end(): this {
    this.count++;
    const f = this.frame;
    if (f.kind === 'function') this.fail('end', 'has no block, loop or if to end');
    this.close('end');
    if (f.kind === 'if' && f.result.length) this.fail('end', `an if with result ${show(f.result)} needs an else`);
    this.frames.pop();
    this.push(f.result);
    return this.put(opInfo('end'), []);
  }

  /** The types a branch to depth d carries (a loop's label takes none: its block has no parameters). */
  private label(d: number, what: string): readonly ValType[] {
    if (!Number.isInteger(d) || d < 0 || d >= this.frames.length) this.fail(what, `depth ${d} is not an enclosing label (${this.frames.length} open)`);
    const f = this.frames[this.frames.length - 1 - d];
    return f.kind === 'loop' ? [] : f.result;
  }
  br(d: number): this {
    this.count++;
    this.pop(this.label(d, `br ${d}`), `br ${d}`);
    this.unreachableRest();
    return this.put(opInfo('br'), uleb(d));
  }
  brIf(d: number): this {
    this.count++;
    const types = this.label(d, `br_if ${d}`);
    this.pop(['i32'], `br_if ${d}`);
    this.pop(types, `br_if ${d}`);
    this.push(types);
    return this.put(opInfo('br_if'), uleb(d));
  }
  brTable(depths: readonly number[], fallback: number): this {
    this.count++;
    const types = this.label(fallback, 'br_table');
    for (const d of depths) if (this.label(d, 'br_table').join() !== types.join()) this.fail('br_table', `label ${d} carries other types than label ${fallback}`);
    this.pop(['i32'], 'br_table');
    this.pop(types, 'br_table');
    this.unreachableRest();
    return this.put(opInfo('br_table'), [...uleb(depths.length), ...depths.flatMap((d) => uleb(d)), ...uleb(fallback)]);
  }
  return(): this {
    this.count++;
    this.pop(this.results, 'return');
    this.unreachableRest();
    return this.put(opInfo('return'), []);
  }
  unreachable(): this {
    this.count++;
    this.unreachableRest();
    return this.put(opInfo('unreachable'), []);
  }
  call(f: number): this {
    this.count++;
    const s = this.callees[f];
    if (!s) this.fail(`call ${f}`, `function ${f} is not one this function may call (${this.callees.length} given)`);
    this.pop(s.params, `call ${f}`);
    this.push(s.results ?? []);
    return this.put(opInfo('call'), uleb(f));
  }
  drop(): this {
    this.count++;
    if (this.stack.length > this.frame.height) this.stack.pop();
    else if (!this.frame.unreachable) this.fail('drop', 'the stack is empty');
    return this.put(opInfo('drop'), []);
  }
  select(): this {
    this.count++;
    this.pop(['i32'], 'select');
    const t = this.operands().slice(-2).find((x): x is ValType => x !== 'unknown') ?? 'i32';
    const [a, b] = this.pop([t, t], 'select');
    this.stack.push(a === 'unknown' && b === 'unknown' ? 'unknown' : t);
    return this.put(opInfo('select'), []);
  }

  /**
   * Instructions given as bytes (a fragment written elsewhere), decoded by the opcode table and each
   * checked as if emitted by name.
   */
  code(bytes: readonly number[]): this {
    let p = 0;
    const u = () => {
      let v = 0, shift = 0, b;
      do {
        b = bytes[p++];
        v += (b & 0x7f) * 2 ** shift;
        shift += 7;
      } while (b & 0x80);
      return v;
    };
    const s = () => {
      let v = 0, shift = 0, b;
      do {
        b = bytes[p++];
        v += (b & 0x7f) * 2 ** shift;
        shift += 7;
      } while (b & 0x80);
      return b & 0x40 ? v - 2 ** shift : v;
    };
    const raw = (n: number) => bytes.slice(p, (p += n));
    const types = Object.entries(TYPE_CODE);
    while (p < bytes.length) {
      const b0 = bytes[p++];
      const key = b0 === 0xfc || b0 === 0xfd || b0 === 0xfe ? [b0, ...uleb(u())].join(',') : String(b0);
      const info = byCode.get(key);
      if (!info) this.fail(`byte ${p - 1}`, `no instruction has the opcode ${key}`);
      switch (info.name) {
        case 'local.get': case 'local.set': case 'local.tee': {
          const i = u();
          if (i >= this.types.length) this.fail(info.name, `local ${i} is not declared (${this.types.length} locals)`);
          const l: Local = { index: i, type: this.types[i], owner: this };
          if (info.name === 'local.get') this.get(l);
          else if (info.name === 'local.set') this.set(l);
          else this.tee(l);
          continue;
        }
        case 'block': case 'loop': case 'if': {
          const t = bytes[p++];
          this.open(info.name, t === 0x40 ? null : ((types.find(([, c]) => c === t) ?? this.fail(info.name, `block type ${t}`))[0] as ValType));
          continue;
        }
        case 'br': this.br(u()); continue;
        case 'br_if': this.brIf(u()); continue;
        case 'call': this.call(u()); continue;
        case 'i32.const': this.i32(s()); continue;
        case 'f32.const': this.f32(new Float32Array(Uint8Array.from(raw(4)).buffer)[0]); continue;
        case 'f64.const': this.f64(new Float64Array(Uint8Array.from(raw(8)).buffer)[0]); continue;
        case 'v128.const': this.v128(Uint8Array.from(raw(16))); continue;
        case 'else': this.else(); continue;
        case 'end': this.end(); continue;
        case 'drop': this.drop(); continue;
        case 'select': this.select(); continue;
        case 'return': this.return(); continue;
        case 'unreachable': this.unreachable(); continue;
      }
      if (info.special || info.imm === 'i64') this.fail(info.name, 'is not decoded from bytes here: emit it by name');
      if (info.imm === 'mem' || info.imm === 'memLane') {
        const align = u();
        if (align !== info.align) this.fail(info.name, `alignment 2^${align} is not its natural 2^${info.align}`);
      }
      const args = info.imm === 'mem' ? [u()] : info.imm === 'memLane' ? [u(), bytes[p++]] : info.imm === 'lane' ? [bytes[p++]] : info.imm === 'shuffle' ? raw(16) : [];
      if (info.imm === 'mem0') p += 1;
      if (info.imm === 'mem00') p += 2;
      this.op(info.name, ...args);
    }
    return this;
  }

  /** The function: every block ended, exactly its results on the stack. */
  func(): Func {
    if (this.frames.length > 1) this.fail('the function\'s end', `${this.frames.length - 1} block(s) are not ended`);
    this.close('the function\'s end');
    const nParams = this.params.length;
    const codes = (ts: readonly ValType[]) => ts.map((t) => TYPE_CODE[t]);
    return { name: this.name, params: codes(this.types.slice(0, nParams)), locals: codes(this.types.slice(nParams)), results: codes(this.results), body: [...this.body] };
  }
}
