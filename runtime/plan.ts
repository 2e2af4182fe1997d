/**
 * The plan: a graph compiled for concrete input shapes. Planning (planning.ts) resolves every symbolic
 * dim from the inputs, gives every node an output buffer, and prepares each kernel once; running it then
 * only calls the prepared kernels in order, reading and writing those buffers: nothing is allocated per run.
 */
import type { Graph } from '../compiler/ir/graph.ts';
import type { Node } from '../compiler/ir/node.ts';
import { sizeOf } from '../compiler/ir/shape.ts';
import { GraphError } from '../compiler/ir/errors.ts';
import type { Heap } from './kernels/heap.ts';
import type { RegionMiss } from './rows.ts';
import { pathOf } from './kernels/kernel.ts';
import { fallbacks } from './kernels/fallbacks.ts';
import { Sequence, type Buffers, type Entry } from './kernels/wasm/sequence.ts';
import type { InPlaceMiss } from './in-place.ts';
import { EMPTY, planGraph, type InPlaceUpdate, type Planned, type Step } from './planning.ts';
import type { Copy, MemoryReport, PlanOptions, PlanReport, TensorValue } from './plan-types.ts';

export type { Copy, MemoryReport, PlanOptions, PlanReport, TensorValue } from './plan-types.ts';

export class Plan {
  readonly shapes: Map<Node, number[]>;
  /** Buffer of each node (leaves: set per run). */
  private readonly slots: Float32Array[];
  private readonly slotOf: Map<Node, number>;
  private readonly steps: Step[];
  /** The node each step computes (a region's head for a region's step). */
  private readonly stepNodes: Node[];
  /** The row regions run as one kernel each, and those expanded, with why (planning.ts). */
  private readonly regionInfo: Planned['regionInfo'];
  private readonly regionMisses: RegionMiss[];
  /** Updates written into their leaves' buffers (in-place.ts). */
  private readonly inPlace: InPlaceUpdate[];
  private readonly inPlaceMisses: InPlaceMiss[];
  private readonly leafSlots: Planned['leafSlots'];
  /** Float32 plans with a heap: where leaves given outside the heap are copied before a run (made on first use). */
  private readonly staging: (Float32Array | null)[];
  /** Leaves used in place in the last run (null: staged, or not run yet). */
  private readonly unstaged: (Float32Array | null)[];
  private readonly heap: Heap | null;
  /** The plan's regions of the heap (its arena, constants, staging), which `dispose` frees. */
  private readonly owned: Float32Array[];
  private disposed = false;
  /** Where every kernel has a WebAssembly entry: the plan as one call (wasm/sequence.ts). */
  private readonly sequence: Sequence | null;
  /** Counts the runs (and `place` calls) whose leaves moved: a call made over this plan's buffers is written again when it changes (`Sequence.ready`). */
  placements = 0;
  /** The plan run repeatedly with copies after each run (`runTimes`), and for which copies. */
  private loop: { copies: readonly Copy[]; seq: Sequence | null } | null = null;
  readonly env: Map<string, number>;
  readonly memory: MemoryReport;
  readonly precision: 'f32' | 'f64';

  /** The graph planned: the one given, with the row regions it does not run as one kernel expanded. */
  readonly graph: Graph;
  /** The given graph's output nodes that are other nodes in the graph planned (an expanded region's). */
  private readonly alias: Map<Node, Node>;

  constructor(
    given: Graph,
    leafShapes: ReadonlyMap<string, readonly number[]>,
    options: PlanOptions | 'f32' | 'f64' = {},
  ) {
    const opts: PlanOptions = typeof options === 'string' ? { precision: options } : options;
    const p = planGraph(given, leafShapes, opts, this);
    this.precision = p.precision;
    this.env = p.env;
    this.shapes = p.shapes;
    this.heap = p.heap;
    this.graph = p.graph;
    this.alias = p.alias;
    this.slots = p.slots;
    this.slotOf = p.slotOf;
    this.steps = p.steps;
    this.stepNodes = p.stepNodes;
    this.regionInfo = p.regionInfo;
    this.regionMisses = p.regionMisses;
    this.inPlace = p.inPlace;
    this.inPlaceMisses = p.inPlaceMisses;
    this.leafSlots = p.leafSlots;
    this.staging = p.staging;
    this.unstaged = p.unstaged;
    this.owned = p.owned;
    this.memory = p.memory;
    // one call pays for small plans (the JS loop's overhead is per kernel and matters there); a module of
    // tens of thousands of calls costs more to generate and compile than the loop it replaces
    this.sequence = this.heap && opts.oneCall !== false && this.steps.length <= ONE_CALL_MAX_KERNELS ? Sequence.of(this.steps.map((st) => st.kernel.wasm), (i) => this.buffersOf(this.steps[i]), this.heap, this) : null;
  }

  /**
   * What the plan decided, for `graphc compile --explain`: its row regions and the products that did not
   * head one (why), whether it runs as one WebAssembly call (else the kernels without an entry), each
   * kernel's path, and the fallbacks the runtime has taken.
   */
  report(): PlanReport {
    const kernels = this.steps.map((st, i) => ({ node: this.stepNodes[i], path: pathOf(st.kernel), entry: st.kernel.wasm !== undefined }));
    return {
      precision: this.precision,
      env: new Map(this.env),
      regions: this.regionInfo.map((r) => ({ ...r, path: kernels.find((k) => k.node === r.head)!.path })),
      regionMisses: [...this.regionMisses],
      inPlace: this.inPlace.map((u) => ({ node: u.node, leaf: String(u.leaf.attrs.name) })),
      inPlaceMisses: [...this.inPlaceMisses],
      oneCall: this.sequence !== null,
      heap: this.heap !== null,
      kernels,
      arenaBytes: this.memory.arenaBytes,
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
    return this.leafSlots.map((l) => l.key);
  }

  /** Runs the plan; `leaves` gives the buffer of every input and parameter by name. */
  run(leaves: ReadonlyMap<string, Float32Array>): void {
    const bufs = this.leafSlots.map((l) => {
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
    const slots = this.slots;
    const steps = this.steps;
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
    const slots = this.slots;
    const h = this.heap;
    let moved = false;
    for (let i = 0; i < this.leafSlots.length; i++) {
      const buf = leafBufs[i];
      // the same view as in the last run, used in place: already in its slot
      if (buf === this.unstaged[i]) continue;
      // a leaf outside the heap is copied into it, so that every kernel can work in place
      const outside = h !== null && !h.owns(buf);
      const b = outside ? this.stage(i, buf) : buf;
      const slot = this.leafSlots[i].slot;
      const was = slots[slot];
      // a new view of the same memory (a data set's rows taken again) moves nothing
      if (was !== b && !(was.buffer === b.buffer && was.byteOffset === b.byteOffset && was.length === b.length)) moved = true;
      slots[slot] = b;
      this.unstaged[i] = outside ? null : buf;
    }
    // an update written in place: its node's buffer, and its step's output, are its leaf's buffer of this run
    for (const u of this.inPlace) slots[u.slot] = this.steps[u.step].out = slots[u.leafSlot];
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
      loop = this.loop = { copies, seq: program && Sequence.of(program.entries, program.buffers, this.heap!, this) };
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
    const h = this.heap;
    if (this.sequence === null || !h) return null;
    const entries: Entry[] = this.steps.map((st) => st.kernel.wasm!);
    for (const c of copies) {
      const from = this.slotFor(c.from);
      // (no bytes where the value was written in place, into `to` itself)
      entries.push({ copy: true, arity: 3, args: () => (h.owns(c.to) && c.to.length === this.slots[from].length ? [c.to.byteOffset, this.slots[from].byteOffset, sameMemory(c.to, this.slots[from]) ? 0 : 4 * c.to.length] : null) });
    }
    if (emit) {
      const from = this.slotFor(emit.from);
      entries.push({ emit: true, arity: 3, args: () => (h.owns(emit.to) ? [emit.to.byteOffset, this.slots[from].byteOffset, 4 * this.slots[from].length] : null) });
    }
    const none = { ins: [] as Float32Array[], out: EMPTY };
    return { entries, buffers: (i) => (i < this.steps.length ? this.buffersOf(this.steps[i]) : none) };
  }

  /**
   * Frees the plan's buffers in the heap now: their memory is used again by the next allocations (a
   * plan collected frees them too, but only when its owner's collection is noticed, between tasks).
   * The plan must not be used after.
   */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const r of this.owned) this.heap!.free(r);
    this.owned.length = 0;
    this.slots.fill(EMPTY);
  }

  /** A step's buffers in the current slots. */
  private buffersOf(st: Step): { ins: Float32Array[]; out: Float32Array } {
    const ins = st.ins;
    for (let j = 0; j < ins.length; j++) ins[j] = this.slots[st.inSlots[j]];
    return { ins, out: st.out };
  }

  private stage(i: number, buf: Float32Array): Float32Array {
    let st = this.staging[i];
    if (st === null || st.length !== buf.length) {
      if (buf.length !== sizeOf(this.shapes.get(this.leafSlots[i].node)!)) return buf; // the kernels will say what is wrong
      st = this.staging[i] = this.heap!.alloc(buf.length, this, false); // overwritten whole below
      this.owned.push(st);
    }
    st.set(buf);
    return st;
  }

  /** The buffer of a node after `run`, without copying (it is overwritten by the next run). */
  buffer(n: Node): Float32Array {
    return this.slots[this.slotFor(n)];
  }

  /** The buffer holding a node's value after `run` (shared: copy it to keep it). */
  value(n: Node): TensorValue {
    return { data: this.slots[this.slotFor(n)], shape: this.shapes.get(this.alias.get(n) ?? n)! };
  }

  /** The slot of a node of the given graph (an expanded region's output is another node's). */
  private slotFor(n: Node): number {
    const slot = this.slotOf.get(this.alias.get(n) ?? n);
    if (slot === undefined) throw new Error(`node ${n} is not in this plan`);
    return slot;
  }
}


/** Whether two views are the same memory (an update written in place is its leaf's buffer). */
export const sameMemory = (a: Float32Array, b: Float32Array): boolean => a.buffer === b.buffer && a.byteOffset === b.byteOffset && a.length === b.length;

/** Kernels up to which a plan runs as one WebAssembly call. */
const ONE_CALL_MAX_KERNELS = 4096;
