/**
 * A plan as one WebAssembly call. Where every kernel of a plan has a WebAssembly entry (`WasmEntry`,
 * compiler/ir/op.ts), a generated function imports those kernels and calls each in the plan's order,
 * reading their arguments from an argument block in the heap; running the plan is then one call from JS.
 * For a small plan (W2's step: four kernels, a few microseconds in all) the JS loop over kernels and
 * their wrappers cost as much as the kernels until V8 has optimized them, which for a training loop
 * of a hundred steps is most of the loop; in WebAssembly the calls cost the same from the first step.
 *
 * The function depends only on the kernels' kinds and arities (modules are cached by them); the buffers'
 * offsets are in the argument block, written again only when a plan's leaves move (`ready`).
 */
import type { WasmEntry } from '../kernel.ts';
import { module, type Func, type Import } from './asm.ts';
import { FunctionBuilder, type Local } from './builder.ts';
import { TYPE_CODE } from './opcodes.ts';
import { MAX_PAGES, type Heap } from '../heap.ts';
import { helperEpoch } from '../threads.ts';
import { splitTimer, type SplitTimer } from '../split.ts';
import { noteFallback } from '../fallbacks.ts';

type Call = (block: number, times: number, inner: number) => void;

/** The buffers entry i of a sequence reads, as they are now (its `args` are computed from them). */
export type Buffers = (i: number) => { ins: readonly Float32Array[]; out: Float32Array };

/**
 * An entry of a sequence: a kernel's (`WasmEntry`), or a copy of bytes (`copy`: its arguments are the
 * destination, the source and the byte count), or a copy to consecutive places (`emit`: the same
 * arguments, the destination advancing by the byte count at each run: a value kept from every run).
 */
export type Entry = WasmEntry & { readonly copy?: boolean; readonly emit?: boolean };

const modules = new Map<string, WebAssembly.Module | null>();
const kind = (e: Entry) => (e.fn ? String(e.arity) : e.emit ? 'e' : e.copy ? 'c' : 's');

/**
 * The module of `run(block, times, inner)`: `times` times, `inner` runs of the inner entries, then the
 * outer entries; null where it does not compile.
 */
function sequenceModule(outer: readonly Entry[], inner: readonly Entry[]): WebAssembly.Module | null {
  const key = `${outer.map(kind).join(',')}|${inner.map(kind).join(',')}`;
  let m = modules.get(key);
  if (m !== undefined) return m;
  try {
    const { run, imports } = sequenceFunc(outer, inner);
    m = new WebAssembly.Module(module([run], { shared: true, maxPages: MAX_PAGES }, imports) as Uint8Array<ArrayBuffer>);
  } catch (e) {
    noteFallback(`a plan as one WebAssembly call (${outer.length} kernels)`, e);
    m = null;
  }
  modules.set(key, m);
  return m;
}

/** The function `run` of a sequence, and the kernels it imports. */
export function sequenceFunc(outer: readonly Entry[], inner: readonly Entry[]): { run: Func; imports: Import[] } {
  // by position in [...outer, ...inner] (the block's order): each entry's first argument (in i32s from
  // the block's start), each kernel's import, each emit's destination local
  const all = [...outer, ...inner];
  const first: number[] = [], importOf: number[] = [];
  const imports: Import[] = [];
  let at = 0;
  for (const [i, e] of all.entries()) {
    first.push(at);
    at += e.arity;
    if (e.fn) {
      importOf[i] = imports.length;
      imports.push({ name: `k${imports.length}`, params: Array(e.arity).fill(TYPE_CODE.i32) });
    }
  }
  const f = new FunctionBuilder('run', ['i32', 'i32', 'i32'], [], imports.map((im) => ({ params: im.params.map(() => 'i32' as const) })));
  const [block, times, innerRuns] = f.params;
  const count = f.local('i32'); // the inner loop's counter
  const emitLocal: Local[] = [];
  for (const [i, e] of all.entries()) if (e.emit) emitLocal[i] = f.local('i32');
  const emit = (i: number) => {
    const e = all[i];
    const arg = (j: number) => f.get(block).op('i32.load', 4 * (first[i] + j));
    if (e.fn) {
      for (let j = 0; j < e.arity; j++) arg(j);
      f.call(importOf[i]);
    } else if (e.emit) {
      const d = emitLocal[i];
      f.get(d);
      arg(1);
      arg(2).op('memory.copy'); // destination, source, bytes (bulk memory)
      f.get(d);
      arg(2).op('i32.add').set(d);
    } else if (e.copy) {
      arg(0);
      arg(1);
      arg(2).op('memory.copy');
    } else {
      arg(0);
      arg(1).op('i32.store');
    }
  };
  // the emits' first destinations
  for (const [i, e] of all.entries()) if (e.emit) f.get(block).op('i32.load', 4 * first[i]).set(emitLocal[i]);
  // while (times != 0) { for (c = inner; c != 0; c--) { inner } outer; times -= 1 }
  f.block().loop().get(times).op('i32.eqz').brIf(1);
  if (inner.length) {
    f.get(innerRuns).set(count).block().loop().get(count).op('i32.eqz').brIf(1);
    for (let i = outer.length; i < all.length; i++) emit(i);
    f.get(count).i32(1).op('i32.sub').set(count).br(0).end().end();
  }
  for (let i = 0; i < outer.length; i++) emit(i);
  f.get(times).i32(1).op('i32.sub').set(times).br(0).end().end();
  return { run: f.func(), imports };
}

export class Sequence {
  private readonly run: Call;
  private readonly block: Int32Array;
  private readonly at: number[];
  /**
   * The placement and the helper thread's epoch the block was written for (-1: not yet), and whether
   * every entry took its buffers.
   */
  private boundAt = -1;
  private boundEpoch = -1;
  private bound = false;
  /** Where each entry's own cells begin in the block (after every entry's arguments). */
  private readonly cellAt: number[];
  /**
   * The block's indices of the entries' cells holding the helper's control block (`WasmEntry.split`), the
   * values `args` wrote there, and the timer that says whether a call lets them post.
   */
  private readonly splitWords: number[];
  private readonly controls: number[];
  private readonly timer: SplitTimer | null;

  private constructor(
    private readonly entries: readonly Entry[],
    private readonly buffers: Buffers,
    mod: WebAssembly.Module,
    h: Heap,
    owner: object,
  ) {
    const env: Record<string, unknown> = { memory: h.memory };
    let k = 0;
    for (const e of entries) if (e.fn) env[`k${k++}`] = e.fn;
    this.run = new WebAssembly.Instance(mod, { env: env as WebAssembly.ModuleImports }).exports.run as Call;
    this.at = [];
    this.cellAt = [];
    let total = 0;
    for (const e of entries) {
      this.at.push(total);
      total += e.arity;
    }
    for (const e of entries) {
      this.cellAt.push(total);
      total += e.cells ?? 0;
    }
    this.splitWords = entries.flatMap((e, i) => (e.split ? [this.cellAt[i] + e.split.word] : []));
    this.controls = this.splitWords.map(() => 0);
    const splits = entries.flatMap((e) => (e.split ? [e.split.what] : []));
    this.timer = splits.length ? splitTimer(`a plan's one call with its ${splits.join(', ')}`) : null;
    const cells = h.alloc(Math.max(total, 1), owner);
    this.block = new Int32Array(cells.buffer, cells.byteOffset, Math.max(total, 1));
  }

  /**
   * The sequence of these entries (`outer`, and `inner`, which `call` repeats before each run of the
   * outer ones), reading `buffers` (outer entries, then inner); null where an entry is missing (a kernel
   * without one) or the module does not compile.
   */
  static of(outer: readonly (Entry | undefined)[], buffers: Buffers, h: Heap, owner: object, inner: readonly (Entry | undefined)[] = []): Sequence | null {
    const all = [...outer, ...inner];
    if (outer.length === 0 || all.some((e) => e === undefined)) return null;
    const mod = sequenceModule(outer as Entry[], inner as Entry[]);
    return mod ? new Sequence(all as Entry[], buffers, mod, h, owner) : null;
  }

  /**
   * Whether the call can run on the buffers as they are at `placement` (a count that changes whenever
   * the buffers move, `Plan.placements`): the argument block is written again when it changed, or when
   * the helper thread did (`helperEpoch`: an entry may split its work with the helper), and false where
   * an entry cannot take its buffers (one outside the heap) or waits for a helper that is starting.
   */
  ready(placement: number): boolean {
    const epoch = helperEpoch();
    if (placement === this.boundAt && epoch === this.boundEpoch) return this.bound;
    this.boundAt = placement;
    this.boundEpoch = epoch;
    this.bound = false;
    for (let i = 0; i < this.entries.length; i++) {
      const { ins, out } = this.buffers(i);
      const a = this.entries[i].args(ins, out, this.block, this.cellAt[i]);
      if (a === null) return false;
      this.block.set(a, this.at[i]);
    }
    for (let j = 0; j < this.splitWords.length; j++) this.controls[j] = this.block[this.splitWords[j]];
    return (this.bound = true);
  }

  /**
   * `times` times: `inner` runs of the inner entries, then the outer ones (after `ready` said true). Where
   * entries may post the helper a share, a single run is timed both ways now and then as a kernel's calls
   * are, and posts only where that was measured to pay (split.ts); repeated runs take the latest choice.
   */
  call(times = 1, inner = 0): void {
    const t = this.timer;
    if (t === null) return this.run(this.block.byteOffset, times, inner);
    const timed = times === 1 && inner === 0, on = timed ? t.split() : t.splitting;
    for (let j = 0; j < this.splitWords.length; j++) this.block[this.splitWords[j]] = on ? this.controls[j] : 0;
    if (!timed) return this.run(this.block.byteOffset, times, inner);
    const t0 = performance.now();
    this.run(this.block.byteOffset, 1, 0);
    t.record(on, performance.now() - t0);
  }
}
