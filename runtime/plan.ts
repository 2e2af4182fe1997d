/**
 * The plan: a graph compiled for concrete input shapes. Planning (planning.ts) resolves every symbolic
 * dim from the inputs, gives every node an output buffer, and prepares each kernel once; running it then
 * only calls the prepared kernels in order, reading and writing those buffers: nothing is allocated per run.
 */
import type { Graph } from '../compiler/ir/graph.ts';
import type { Node } from '../compiler/ir/node.ts';
import { sizeOf } from '../compiler/ir/shape.ts';
import { GraphError } from '../compiler/ir/errors.ts';
import { pathOf } from './kernels/kernel.ts';
import { fallbacks } from './kernels/fallbacks.ts';
import { Sequence, type Buffers, type Entry } from './kernels/wasm/sequence.ts';
import { EMPTY, planGraph, type Planned, type Step } from './planning.ts';
import type { Copy, MemoryReport, PlanOptions, PlanReport, TensorValue } from './plan-types.ts';

export type { Copy, MemoryReport, PlanOptions, PlanReport, TensorValue } from './plan-types.ts';

export class Plan {
  /**
   * What planning decided (planning.ts `Planned`): the plan's buffers (slots), steps, leaves, in-place
   * updates, regions, heap and memory, held as planning made them.
   */
  private readonly p: Planned;
  private disposed = false;
  /** Where every kernel has a WebAssembly entry: the plan as one call (wasm/sequence.ts). */
  private readonly sequence: Sequence | null;
  /** Counts the runs (and `place` calls) whose leaves moved: a call made over this plan's buffers is written again when it changes (`Sequence.ready`). */
  placements = 0;
  /** The plan run repeatedly with copies after each run (`runTimes`), and for which copies. */
  private loop: { copies: readonly Copy[]; seq: Sequence | null } | null = null;

  constructor(
    given: Graph,
    leafShapes: ReadonlyMap<string, readonly number[]>,
    options: PlanOptions | 'f32' | 'f64' = {},
  ) {
    const opts: PlanOptions = typeof options === 'string' ? { precision: options } : options;
    const p = (this.p = planGraph(given, leafShapes, opts, this));
    // one call pays for small plans (the JS loop's overhead is per kernel and matters there); a module of
    // tens of thousands of calls costs more to generate and compile than the loop it replaces
    this.sequence = p.heap && opts.oneCall !== false && p.steps.length <= ONE_CALL_MAX_KERNELS ? Sequence.of(p.steps.map((st) => st.kernel.wasm), (i) => this.buffersOf(p.steps[i]), p.heap, this) : null;
  }

  /** Every node's concrete shape. */
  get shapes(): Map<Node, number[]> {
    return this.p.shapes;
  }

  /** The symbolic dims' values, bound from the inputs' shapes. */
  get env(): Map<string, number> {
    return this.p.env;
  }

  /** The arena's bytes, beside the liveness bound and the unshared total. */
  get memory(): MemoryReport {
    return this.p.memory;
  }

  /** Float32 (the runtime's) or float64 (the reference plans). */
  get precision(): 'f32' | 'f64' {
    return this.p.precision;
  }

  /** The graph planned: the one given, with the row regions it does not run as one kernel expanded. */
  get graph(): Graph {
    return this.p.graph;
  }

  /**
   * What the plan decided, for `graphc compile --explain`: its row regions and the products that did not
   * head one (why), whether it runs as one WebAssembly call (else the kernels without an entry), each
   * kernel's path, and the fallbacks the runtime has taken.
   */
  report(): PlanReport {
    const p = this.p;
    const kernels = p.steps.map((st, i) => ({ node: p.stepNodes[i], path: pathOf(st.kernel), entry: st.kernel.wasm !== undefined }));
    return {
      precision: p.precision,
      env: new Map(p.env),
      regions: p.regionInfo.map((r) => ({ ...r, path: kernels.find((k) => k.node === r.head)!.path })),
      regionMisses: [...p.regionMisses],
      inPlace: p.inPlace.map((u) => ({ node: u.node, leaf: String(u.leaf.attrs.name) })),
      inPlaceMisses: [...p.inPlaceMisses],
      oneCall: this.sequence !== null,
      heap: p.heap !== null,
      kernels,
      arenaBytes: p.memory.arenaBytes,
      fallbacks: fallbacks(),
    };
  }

  /** True when runs are one WebAssembly call (every kernel has a WebAssembly entry). */
  get oneCall(): boolean {
    return this.sequence !== null;
  }

  /** Bytes of the arena. */
  get bytes(): number {
    return this.memory.arenaBytes;
  }

  /** Names of the leaves (inputs and parameters), in the order `runWith` takes their buffers. */
  get leafNames(): string[] {
    return this.p.leafSlots.map((l) => l.key);
  }

  /** Runs the plan; `leaves` gives the buffer of every input and parameter by name. */
  run(leaves: ReadonlyMap<string, Float32Array>): void {
    const bufs = this.p.leafSlots.map((l) => {
      const buf = leaves.get(l.key);
      if (buf === undefined) throw new GraphError(`no value given for '${l.key}'`, l.node.src);
      return buf;
    });
    this.runWith(bufs);
  }

  /** Runs the plan with the leaves' buffers in `leafNames` order (the allocation-free path). */
  runWith(leafBufs: readonly Float32Array[]): void {
    this.place(leafBufs);
    const seq = this.sequence;
    if (seq !== null && seq.ready(this.placements)) return seq.call();
    const { slots, steps } = this.p;
    for (let s = 0; s < steps.length; s++) {
      const st = steps[s];
      const ins = st.ins;
      for (let j = 0; j < ins.length; j++) ins[j] = slots[st.inSlots[j]];
      st.kernel(ins, st.out);
    }
  }

  /**
   * Puts the leaves' buffers (in `leafNames` order) in their slots without running: what a run does
   * first, and, done before the first run (`Executable.prepare`), what makes that run as fast as the next.
   */
  place(leafBufs: readonly Float32Array[]): void {
    if (this.disposed) throw new Error('a plan was used after its dispose()');
    const p = this.p;
    const slots = p.slots, leafSlots = p.leafSlots, unstaged = p.unstaged;
    const h = p.heap;
    let moved = false;
    for (let i = 0; i < leafSlots.length; i++) {
      const buf = leafBufs[i];
      // the same view as in the last run, used in place: already in its slot
      if (buf === unstaged[i]) continue;
      // a leaf outside the heap is copied into it, so that every kernel can work in place
      const outside = h !== null && !h.owns(buf);
      const b = outside ? this.stage(i, buf) : buf;
      const slot = leafSlots[i].slot;
      const was = slots[slot];
      // a new view of the same memory (a data set's rows taken again) moves nothing
      if (was !== b && !(was.buffer === b.buffer && was.byteOffset === b.byteOffset && was.length === b.length)) moved = true;
      slots[slot] = b;
      unstaged[i] = outside ? null : buf;
    }
    // an update written in place: its node's buffer, and its step's output, are its leaf's buffer of this run
    for (const u of p.inPlace) slots[u.slot] = p.steps[u.step].out = slots[u.leafSlot];
    if (moved) this.placements++;
    this.sequence?.ready(this.placements);
  }

  /**
   * Runs the plan `times` times, copying after each run the values of `copies` (nodes of the plan) into
   * their buffers (a training step's parameters, which are leaves of the plan, so the next run reads
   * them): all of it one WebAssembly call, where the plan runs as one. Returns false, having run nothing,
   * where it does not (the caller then runs and copies itself). `copies` is kept: pass the same array.
   */
  runTimes(leafBufs: readonly Float32Array[], times: number, copies: readonly Copy[]): boolean {
    const seq = this.placeTimes(leafBufs, copies);
    if (seq === null) return false;
    seq.call(times);
    return true;
  }

  /** What `runTimes` does before it runs (placing the leaves, making the call and writing its arguments); its call, or null. */
  placeTimes(leafBufs: readonly Float32Array[], copies: readonly Copy[]): Sequence | null {
    let loop = this.loop;
    if (loop === null || loop.copies !== copies) {
      const program = this.program(copies);
      loop = this.loop = { copies, seq: program && Sequence.of(program.entries, program.buffers, this.p.heap!, this) };
    }
    this.place(leafBufs);
    return loop.seq !== null && loop.seq.ready(this.placements) ? loop.seq : null;
  }

  /**
   * The plan as entries of a WebAssembly call (wasm/sequence.ts): its kernels', then a copy of each of
   * `copies`, then, with `emit`, a copy of its node's value to consecutive places from `emit.to` (one
   * per run); with `buffers(i)`, the buffers entry i reads in the current slots. Null where the plan does
   * not run as one call.
   */
  program(copies: readonly Copy[], emit?: Copy): { entries: Entry[]; buffers: Buffers } | null {
    const h = this.p.heap;
    if (this.sequence === null || !h) return null;
    const entries: Entry[] = this.p.steps.map((st) => st.kernel.wasm!);
    for (const c of copies) {
      const from = this.slotFor(c.from);
      // (no bytes where the value was written in place, into `to` itself)
      entries.push({ copy: true, arity: 3, args: () => (h.owns(c.to) && c.to.length === this.p.slots[from].length ? [c.to.byteOffset, this.p.slots[from].byteOffset, sameMemory(c.to, this.p.slots[from]) ? 0 : 4 * c.to.length] : null) });
    }
    if (emit) {
      const from = this.slotFor(emit.from);
      entries.push({ emit: true, arity: 3, args: () => (h.owns(emit.to) ? [emit.to.byteOffset, this.p.slots[from].byteOffset, 4 * this.p.slots[from].length] : null) });
    }
    const none = { ins: [] as Float32Array[], out: EMPTY };
    return { entries, buffers: (i) => (i < this.p.steps.length ? this.buffersOf(this.p.steps[i]) : none) };
  }

  /**
   * Frees the plan's buffers in the heap now: their memory is used again by the next allocations (a
   * plan collected frees them too, but only when its owner's collection is noticed, between tasks).
   * The plan must not be used after.
   */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const r of this.p.owned) this.p.heap!.free(r);
    this.p.owned.length = 0;
    this.p.slots.fill(EMPTY);
  }

  /** A step's buffers in the current slots. */
  private buffersOf(st: Step): { ins: Float32Array[]; out: Float32Array } {
    const ins = st.ins, slots = this.p.slots;
    for (let j = 0; j < ins.length; j++) ins[j] = slots[st.inSlots[j]];
    return { ins, out: st.out };
  }

  private stage(i: number, buf: Float32Array): Float32Array {
    let st = this.p.staging[i];
    if (st === null || st.length !== buf.length) {
      if (buf.length !== sizeOf(this.shapes.get(this.p.leafSlots[i].node)!)) return buf; // the kernels will say what is wrong
      st = this.p.staging[i] = this.p.heap!.alloc(buf.length, this, false); // overwritten whole below
      this.p.owned.push(st);
    }
    st.set(buf);
    return st;
  }

  /** The buffer of a node after `run`, without copying (it is overwritten by the next run). */
  buffer(n: Node): Float32Array {
    return this.p.slots[this.slotFor(n)];
  }

  /** The buffer holding a node's value after `run` (shared: copy it to keep it). */
  value(n: Node): TensorValue {
    return { data: this.p.slots[this.slotFor(n)], shape: this.shapes.get(this.p.alias.get(n) ?? n)! };
  }

  /** The slot of a node of the given graph (an expanded region's output is another node's). */
  private slotFor(n: Node): number {
    const slot = this.p.slotOf.get(this.p.alias.get(n) ?? n);
    if (slot === undefined) throw new Error(`node ${n} is not in this plan`);
    return slot;
  }
}


/** Whether two views are the same memory (an update written in place is its leaf's buffer). */
export const sameMemory = (a: Float32Array, b: Float32Array): boolean => a.buffer === b.buffer && a.byteOffset === b.byteOffset && a.length === b.length;

/** Kernels up to which a plan runs as one WebAssembly call. */
const ONE_CALL_MAX_KERNELS = 4096;
