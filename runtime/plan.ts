/**
 * The plan: a graph compiled for concrete input shapes. Planning resolves every symbolic dim from the
 * inputs, gives every node an output buffer, and prepares each kernel once; running it then only calls
 * the prepared kernels in order, reading and writing those buffers: nothing is allocated per run.
 */
import type { Graph } from '../compiler/ir/graph.ts';
import type { Node } from '../compiler/ir/node.ts';
import type { Kernel } from './kernels/kernel.ts';
import { bindShape, resolveShape, sizeOf } from '../compiler/ir/shape.ts';
import { GraphError } from '../compiler/ir/errors.ts';
import { heap, type Heap } from './kernels/heap.ts';
import { lowerRegions, type RegionMiss } from './rows.ts';
import { expandLinears } from '../compiler/ops/linear.ts';
import { pathOf } from './kernels/kernel.ts';
import { fallbacks } from './kernels/fallbacks.ts';
import { Sequence, type Buffers, type Entry } from './kernels/wasm/sequence.ts';
import { ALIGN, align, lifetimes, livenessBound, ordinaryArena, placeBuffers, prefixOffsets } from './placement.ts';
import { preparedKernel } from './prepared.ts';
import { inPlaceUpdates, verifyInPlace, type InPlaceMiss, type ScheduledStep } from './in-place.ts';
import type { Copy, MemoryReport, PlanOptions, PlanReport, TensorValue } from './plan-types.ts';

export type { Copy, MemoryReport, PlanOptions, PlanReport, TensorValue } from './plan-types.ts';

interface Step {
  readonly kernel: Kernel;
  readonly ins: Float32Array[];
  readonly inSlots: Int32Array;
  /** Its output buffer (an update written in place: its leaf's, set when the leaves are placed). */
  out: Float32Array;
}

export class Plan {
  readonly shapes = new Map<Node, number[]>();
  /** Buffer of each node (leaves: set per run). */
  private readonly slots: Float32Array[] = [];
  private readonly slotOf = new Map<Node, number>();
  private readonly steps: Step[] = [];
  /** The node each step computes (a region's head for a region's step). */
  private readonly stepNodes: Node[] = [];
  /** The row regions run as one kernel each (their first nodes and sizes), and those expanded, with why. */
  private readonly regionInfo: { head: Node; members: number; exits: number }[] = [];
  private readonly regionMisses: RegionMiss[] = [];
  /** Updates written into their leaves' buffers (in-place.ts): the node's slot, its leaf's slot, the step writing it. */
  private readonly inPlace: { node: Node; leaf: Node; slot: number; leafSlot: number; step: number }[] = [];
  private readonly inPlaceMisses: InPlaceMiss[] = [];
  private readonly leafSlots: { node: Node; slot: number; key: string }[] = [];
  /** Float32 plans with a heap: where leaves given outside the heap are copied before a run (made on first use). */
  private readonly staging: (Float32Array | null)[] = [];
  /** Leaves used in place in the last run (null: staged, or not run yet). */
  private readonly unstaged: (Float32Array | null)[] = [];
  private readonly heap: Heap | null;
  /** The plan's regions of the heap (its arena, constants, staging), which `dispose` frees. */
  private readonly owned: Float32Array[] = [];
  private disposed = false;
  /** Where every kernel has a WebAssembly entry: the plan as one call (wasm/sequence.ts). */
  private readonly sequence: Sequence | null;
  /** Counts the runs (and `place` calls) whose leaves moved: a call made over this plan's buffers is written again when it changes (`Sequence.ready`). */
  placements = 0;
  /** The plan run repeatedly with copies after each run (`runTimes`), and for which copies. */
  private loop: { copies: readonly Copy[]; seq: Sequence | null } | null = null;
  readonly env = new Map<string, number>();
  readonly memory: MemoryReport;
  readonly precision: 'f32' | 'f64';

  /** The graph planned: the one given, with the row regions it does not run as one kernel expanded. */
  readonly graph: Graph;
  /** The given graph's output nodes that are other nodes in the graph planned (an expanded region's). */
  private readonly alias = new Map<Node, Node>();

  constructor(
    given: Graph,
    leafShapes: ReadonlyMap<string, readonly number[]>,
    options: PlanOptions | 'f32' | 'f64' = {},
  ) {
    const opts: PlanOptions = typeof options === 'string' ? { precision: options } : options;
    const precision = (this.precision = opts.precision ?? 'f32');
    const reuse = opts.reuse ?? precision === 'f32';
    const Buf = (precision === 'f64' ? Float64Array : Float32Array) as unknown as Float32ArrayConstructor;
    for (const n of given.nodes) {
      if (n.op === 'Input') {
        const name = String(n.attrs.name);
        const s = leafShapes.get(name);
        if (!s) throw new GraphError(`no value given for input '${name}'`, n.src);
        bindShape(n.shape, s, this.env, `input '${name}'`);
      }
    }
    // float32 arenas live in the runtime's heap (WebAssembly kernels use them in place), freed with the plan
    this.heap = precision === 'f32' ? heap() : null;
    // row regions (rows.ts): each runs as one kernel where its first node is scheduled and writes the
    // outputs a reader needs
    // (and Linear nodes whose product takes no GEMM here as their ops: compiler/ops/linear.ts)
    const lowered = lowerRegions(expandLinears(given, this.env, precision), this.env, this.heap, opts.regions !== false, this.regionMisses);
    const graph = (this.graph = lowered.graph);
    // the given graph's outputs, where regions were expanded, are other nodes of the graph planned
    given.outputs.forEach((o, i) => o.node !== graph.outputs[i].node && this.alias.set(o.node, graph.outputs[i].node));
    const regions = lowered.regions;
    // Computed nodes in execution order, with their sizes and lifetimes [def, lastUse].
    const computed: Node[] = [];
    const order = new Map<Node, number>();
    for (const n of graph.nodes) {
      this.shapes.set(n, resolveShape(n.shape, this.env));
      if (n.op !== 'Input' && n.op !== 'Param' && n.op !== 'Const') {
        order.set(n, computed.length);
        computed.push(n);
      }
    }
    for (const [first, r] of regions) this.regionInfo.push({ head: first, members: r.members, exits: r.exits });
    const { def, lastUse, inRegion, unstored } = lifetimes(graph, computed, order, regions);
    // updates written into their leaves' buffers where that is safe (in-place.ts): no arena memory, and no copy after a run
    const pairs = new Map<Node, Node>();
    if (opts.updates?.size) {
      const schedule: ScheduledStep[] = [];
      for (const n of computed) {
        const region = regions.get(n);
        if (region) schedule.push({ node: n, reads: region.buffers, region: true });
        else if (!inRegion.has(n)) schedule.push({ node: n, reads: n.inputs, region: false });
      }
      const decided = inPlaceUpdates(graph, opts.updates, schedule, this.shapes);
      verifyInPlace(schedule, decided.pairs, this.shapes);
      decided.pairs.forEach((leaf, n) => pairs.set(n, leaf));
      this.inPlaceMisses.push(...decided.misses);
    }
    const bytesPer = precision === 'f64' ? 8 : 4;
    const sizes = computed.map((n) => (unstored.has(n) || pairs.has(n) ? 0 : sizeOf(this.shapes.get(n)!) * bytesPer));
    const offsets = reuse ? placeBuffers(sizes, def, lastUse) : prefixOffsets(sizes);
    const arenaBytes = computed.reduce((m, _, i) => Math.max(m, offsets[i] + align(sizes[i])), 0);
    // not cleared: every buffer in it is written whole by its kernel before it is read (buffers share
    // memory over their lifetimes, so no kernel may count on zeros there anyway)
    const arena = this.heap ? this.own(this.heap.alloc(Math.max(arenaBytes, ALIGN) / 4, this, false)) : ordinaryArena(Buf, Math.max(arenaBytes, ALIGN), bytesPer);
    this.memory = { arenaBytes, livenessBound: livenessBound(sizes, def, lastUse), unsharedBytes: sizes.reduce((a, b) => a + align(b), 0) };

    // every node's buffer, then the steps (a region's step takes buffers of nodes scheduled after its head)
    for (const n of graph.nodes) {
      const slot = this.slots.length;
      this.slotOf.set(n, slot);
      if (n.op === 'Input' || n.op === 'Param') {
        this.slots.push(EMPTY);
        this.leafSlots.push({ node: n, slot, key: String(n.attrs.name) });
        this.staging.push(null);
        this.unstaged.push(null);
      } else if (n.op === 'Const') {
        const value = n.attrs.value as Float32Array;
        this.slots.push(precision === 'f64' ? (Float64Array.from(value) as unknown as Float32Array) : this.heap ? this.own(this.heap.copyOf(value, this)) : value);
      } else {
        const k = order.get(n)!;
        const leaf = pairs.get(n);
        if (leaf) this.inPlace.push({ node: n, leaf, slot, leafSlot: this.slotOf.get(leaf)!, step: -1 });
        this.slots.push(unstored.has(n) || leaf ? EMPTY : arena.subarray(offsets[k] / bytesPer, offsets[k] / bytesPer + sizeOf(this.shapes.get(n)!)));
      }
    }
    for (const n of computed) {
      const region = regions.get(n);
      if (region) {
        const inSlots = Int32Array.from(region.buffers.map((b) => this.slotOf.get(b)!));
        this.steps.push({ kernel: region.kernel, ins: new Array(inSlots.length), inSlots, out: EMPTY });
        this.stepNodes.push(n);
      } else if (!inRegion.has(n)) {
        const inShapes = n.inputs.map((i) => this.shapes.get(i)!);
        const kernel = preparedKernel(n, inShapes, this.shapes.get(n)!, precision);
        const u = pairs.has(n) ? this.inPlace.find((p) => p.node === n) : undefined;
        if (u) u.step = this.steps.length;
        this.steps.push({ kernel, ins: new Array(n.inputs.length), inSlots: Int32Array.from(n.inputs.map((i) => this.slotOf.get(i)!)), out: this.slots[this.slotOf.get(n)!] });
        this.stepNodes.push(n);
      }
    }
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

  private own(region: Float32Array): Float32Array {
    this.owned.push(region);
    return region;
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
      st = this.staging[i] = this.own(this.heap!.alloc(buf.length, this, false)); // overwritten whole below
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

const EMPTY = new Float32Array(0);

/** Whether two views are the same memory (an update written in place is its leaf's buffer). */
export const sameMemory = (a: Float32Array, b: Float32Array): boolean => a.buffer === b.buffer && a.byteOffset === b.byteOffset && a.length === b.length;

/** Kernels up to which a plan runs as one WebAssembly call. */
const ONE_CALL_MAX_KERNELS = 4096;
