/**
 * The operand stack of a function being built, checked by the validation rules of the WebAssembly core
 * specification: each instruction pops the types it needs (the last on top) and pushes its results;
 * blocks, loops and ifs open frames that must end with exactly their result types above their base;
 * a branch names an enclosing label and carries that label's types; after a branch, return or
 * unreachable, the rest of the frame is unreachable and its operands may be anything.
 */
import type { ValType } from './opcodes.ts';

export type Slot = ValType | 'unknown';
export type FrameKind = 'function' | 'block' | 'loop' | 'if' | 'else';
interface Frame {
  kind: FrameKind;
  readonly result: readonly ValType[];
  readonly height: number;
  unreachable: boolean;
}

export const show = (ts: readonly Slot[]) => `[${ts.join(' ')}]`;

export class OperandStack {
  private readonly stack: Slot[] = [];
  private readonly frames: Frame[];

  constructor(
    /** Throws the builder's error for the instruction being emitted. */
    private readonly fail: (what: string, msg: string) => never,
    results: readonly ValType[],
  ) {
    this.frames = [{ kind: 'function', result: results, height: 0, unreachable: false }];
  }

  private get frame(): Frame {
    return this.frames[this.frames.length - 1];
  }

  /** Frames open, the function's own included. */
  get depth(): number {
    return this.frames.length;
  }

  /** The operands above the current frame's base. */
  operands(): Slot[] {
    return this.stack.slice(this.frame.height);
  }

  /** Pops `types` (the last on top), checking each; unknown where the frame is unreachable. */
  pop(types: readonly ValType[], what: string): Slot[] {
    const f = this.frame, got: Slot[] = [];
    const before = this.operands();
    const refuse = () => this.fail(what, `needs ${show(types)} on the stack, which holds ${show(before)}`);
    for (let i = types.length - 1; i >= 0; i--) {
      if (this.stack.length === f.height) {
        if (!f.unreachable) refuse();
        got.unshift('unknown');
        continue;
      }
      const t = this.stack.pop()!;
      if (t !== 'unknown' && t !== types[i]) refuse();
      got.unshift(t);
    }
    return got;
  }

  push(types: readonly Slot[]): void {
    this.stack.push(...types);
  }

  /** Code after br, return or unreachable: the stack is anything until the frame ends. */
  unreachable(): void {
    this.stack.length = this.frame.height;
    this.frame.unreachable = true;
  }

  open(kind: 'block' | 'loop' | 'if', result: readonly ValType[]): void {
    if (kind === 'if') this.pop(['i32'], 'if');
    this.frames.push({ kind, result, height: this.stack.length, unreachable: false });
  }

  /** Checks the frame's end: exactly its results above its base. */
  close(what: string): void {
    const f = this.frame;
    this.pop(f.result, what);
    if (this.stack.length !== f.height) this.fail(what, `leaves ${show(this.operands())} on the stack beyond its result ${show(f.result)}`);
  }

  else(): void {
    if (this.frame.kind !== 'if') this.fail('else', `is not inside an if (inside a ${this.frame.kind})`);
    this.close('else');
    this.frame.kind = 'else';
    this.frame.unreachable = false;
  }

  end(): void {
    const f = this.frame;
    if (f.kind === 'function') this.fail('end', 'has no block, loop or if to end');
    this.close('end');
    if (f.kind === 'if' && f.result.length) this.fail('end', `an if with result ${show(f.result)} needs an else`);
    this.frames.pop();
    this.push(f.result);
  }

  /** The types a branch to depth d carries (a loop's label takes none: its block has no parameters). */
  label(d: number, what: string): readonly ValType[] {
    if (!Number.isInteger(d) || d < 0 || d >= this.frames.length) this.fail(what, `depth ${d} is not an enclosing label (${this.frames.length} open)`);
    const f = this.frames[this.frames.length - 1 - d];
    return f.kind === 'loop' ? [] : f.result;
  }

  drop(): void {
    if (this.stack.length > this.frame.height) this.stack.pop();
    else if (!this.frame.unreachable) this.fail('drop', 'the stack is empty');
  }

  /** select: two operands of one type and an i32; pushes that type. */
  select(): void {
    this.pop(['i32'], 'select');
    const t = this.operands().slice(-2).find((x): x is ValType => x !== 'unknown') ?? 'i32';
    const [a, b] = this.pop([t, t], 'select');
    this.push([a === 'unknown' && b === 'unknown' ? 'unknown' : t]);
  }
}
