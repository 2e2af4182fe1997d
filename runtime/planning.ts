/**
 * Planning: a graph made concrete for its inputs' shapes. Every symbolic dim is resolved, row regions
 * lowered (rows.ts), updates written in place where safe (in-place.ts), every computed node given its
 * buffer in one arena (placement.ts) and every kernel prepared once, in execution order. The plan
 * (plan.ts) runs what this decides.
 */
import type { Graph } from '../compiler/ir/graph.ts';
import type { Node } from '../compiler/ir/node.ts';
import type { Kernel } from './kernels/kernel.ts';
import { bindShape, resolveShape, sizeOf } from '../compiler/ir/shape.ts';
import { GraphError } from '../compiler/ir/errors.ts';
import { heap, type Heap } from './kernels/heap.ts';
import { lowerRegions, type RegionMiss } from './rows.ts';
import { expandLinears } from '../compiler/ops/linear.ts';
import { ALIGN, align, lifetimes, livenessBound, ordinaryArena, placeBuffers, prefixOffsets } from './placement.ts';
import { preparedKernel } from './prepared.ts';
import { inPlaceUpdates, verifyInPlace, type InPlaceMiss, type ScheduledStep } from './in-place.ts';
import type { MemoryReport, PlanOptions } from './plan-types.ts';

/** A kernel to call with its inputs' buffers (slots) and its output buffer. */
export interface Step {
  readonly kernel: Kernel;
  readonly ins: Float32Array[];
  readonly inSlots: Int32Array;
  /** Its output buffer (an update written in place: its leaf's, set when the leaves are placed). */
  out: Float32Array;
}

/** An update written into its leaf's buffer (in-place.ts): the node's slot, its leaf's slot, the step writing it. */
export interface InPlaceUpdate {
  readonly node: Node;
  readonly leaf: Node;
  readonly slot: number;
  readonly leafSlot: number;
  step: number;
}

/** What planning decided (the plan's state; `Plan` holds it). */
export interface Planned {
  readonly precision: 'f32' | 'f64';
  readonly env: Map<string, number>;
  readonly shapes: Map<Node, number[]>;
  /** The float32 plan's heap (its buffers' memory), or null. */
  readonly heap: Heap | null;
  /** The graph planned: the one given, with the row regions it does not run as one kernel expanded. */
  readonly graph: Graph;
  /** The given graph's output nodes that are other nodes in the graph planned (an expanded region's). */
  readonly alias: Map<Node, Node>;
  /** Buffer of each node (leaves: set per run). */
  readonly slots: Float32Array[];
  readonly slotOf: Map<Node, number>;
  readonly steps: Step[];
  /** The node each step computes (a region's head for a region's step). */
  readonly stepNodes: Node[];
  /** The row regions run as one kernel each (their first nodes and sizes), and those expanded, with why. */
  readonly regionInfo: { head: Node; members: number; exits: number }[];
  readonly regionMisses: RegionMiss[];
  readonly inPlace: InPlaceUpdate[];
  readonly inPlaceMisses: InPlaceMiss[];
  readonly leafSlots: { node: Node; slot: number; key: string }[];
  /** Float32 plans with a heap: where leaves given outside the heap are copied before a run (made on first use). */
  readonly staging: (Float32Array | null)[];
  /** Leaves used in place in the last run (null: staged, or not run yet). */
  readonly unstaged: (Float32Array | null)[];
  /** The plan's regions of the heap (its arena, constants, staging), which its `dispose` frees. */
  readonly owned: Float32Array[];
  readonly memory: MemoryReport;
}

/** A buffer of no values: a leaf's slot before a run, an unstored node's. */
export const EMPTY = new Float32Array(0);

/** Plans `given` for its leaves' shapes; `owner` owns the heap regions it takes (the plan). */
export function planGraph(given: Graph, leafShapes: ReadonlyMap<string, readonly number[]>, opts: PlanOptions, owner: object): Planned {
  const precision = opts.precision ?? 'f32';
  // float32 arenas live in the runtime's heap (WebAssembly kernels use them in place), freed with the plan
  const p = {
    precision, env: new Map<string, number>(), shapes: new Map<Node, number[]>(), heap: precision === 'f32' ? heap() : null,
    alias: new Map<Node, Node>(), slots: [] as Float32Array[], slotOf: new Map<Node, number>(), steps: [] as Step[], stepNodes: [] as Node[],
    regionInfo: [] as Planned['regionInfo'], regionMisses: [] as RegionMiss[], inPlace: [] as InPlaceUpdate[], inPlaceMisses: [] as InPlaceMiss[],
    leafSlots: [] as Planned['leafSlots'], staging: [] as (Float32Array | null)[], unstaged: [] as (Float32Array | null)[], owned: [] as Float32Array[],
  };
  const own = (region: Float32Array) => (p.owned.push(region), region);
  const reuse = opts.reuse ?? precision === 'f32';
  const Buf = (precision === 'f64' ? Float64Array : Float32Array) as unknown as Float32ArrayConstructor;
  for (const n of given.nodes) {
    if (n.op === 'Input') {
      const name = String(n.attrs.name);
      const s = leafShapes.get(name);
      if (!s) throw new GraphError(`no value given for input '${name}'`, n.src);
      bindShape(n.shape, s, p.env, `input '${name}'`);
    }
  }
  // row regions (rows.ts): each runs as one kernel where its first node is scheduled and writes the
  // outputs a reader needs
  // (and Linear nodes whose product takes no GEMM here as their ops: compiler/ops/linear.ts)
  const lowered = lowerRegions(expandLinears(given, p.env, precision), p.env, p.heap, opts.regions !== false, p.regionMisses);
  const graph = lowered.graph;
  // the given graph's outputs, where regions were expanded, are other nodes of the graph planned
  given.outputs.forEach((o, i) => o.node !== graph.outputs[i].node && p.alias.set(o.node, graph.outputs[i].node));
  const regions = lowered.regions;
  // Computed nodes in execution order, with their sizes and lifetimes [def, lastUse].
  const computed: Node[] = [];
  const order = new Map<Node, number>();
  for (const n of graph.nodes) {
    p.shapes.set(n, resolveShape(n.shape, p.env));
    if (n.op !== 'Input' && n.op !== 'Param' && n.op !== 'Const') {
      order.set(n, computed.length);
      computed.push(n);
    }
  }
  for (const [first, r] of regions) p.regionInfo.push({ head: first, members: r.members, exits: r.exits });
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
    const decided = inPlaceUpdates(graph, opts.updates, schedule, p.shapes);
    verifyInPlace(schedule, decided.pairs, p.shapes);
    decided.pairs.forEach((leaf, n) => pairs.set(n, leaf));
    p.inPlaceMisses.push(...decided.misses);
  }
  const bytesPer = precision === 'f64' ? 8 : 4;
  const sizes = computed.map((n) => (unstored.has(n) || pairs.has(n) ? 0 : sizeOf(p.shapes.get(n)!) * bytesPer));
  const offsets = reuse ? placeBuffers(sizes, def, lastUse) : prefixOffsets(sizes);
  const arenaBytes = computed.reduce((m, _, i) => Math.max(m, offsets[i] + align(sizes[i])), 0);
  // not cleared: every buffer in it is written whole by its kernel before it is read (buffers share
  // memory over their lifetimes, so no kernel may count on zeros there anyway)
  const arena = p.heap ? own(p.heap.alloc(Math.max(arenaBytes, ALIGN) / 4, owner, false)) : ordinaryArena(Buf, Math.max(arenaBytes, ALIGN), bytesPer);
  const memory: MemoryReport = { arenaBytes, livenessBound: livenessBound(sizes, def, lastUse), unsharedBytes: sizes.reduce((a, b) => a + align(b), 0) };

  // every node's buffer, then the steps (a region's step takes buffers of nodes scheduled after its head)
  for (const n of graph.nodes) {
    const slot = p.slots.length;
    p.slotOf.set(n, slot);
    if (n.op === 'Input' || n.op === 'Param') {
      p.slots.push(EMPTY);
      p.leafSlots.push({ node: n, slot, key: String(n.attrs.name) });
      p.staging.push(null);
      p.unstaged.push(null);
    } else if (n.op === 'Const') {
      const value = n.attrs.value as Float32Array;
      p.slots.push(precision === 'f64' ? (Float64Array.from(value) as unknown as Float32Array) : p.heap ? own(p.heap.copyOf(value, owner)) : value);
    } else {
      const k = order.get(n)!;
      const leaf = pairs.get(n);
      if (leaf) p.inPlace.push({ node: n, leaf, slot, leafSlot: p.slotOf.get(leaf)!, step: -1 });
      p.slots.push(unstored.has(n) || leaf ? EMPTY : arena.subarray(offsets[k] / bytesPer, offsets[k] / bytesPer + sizeOf(p.shapes.get(n)!)));
    }
  }
  for (const n of computed) {
    const region = regions.get(n);
    if (region) {
      const inSlots = Int32Array.from(region.buffers.map((b) => p.slotOf.get(b)!));
      p.steps.push({ kernel: region.kernel, ins: new Array(inSlots.length), inSlots, out: EMPTY });
      p.stepNodes.push(n);
    } else if (!inRegion.has(n)) {
      const inShapes = n.inputs.map((i) => p.shapes.get(i)!);
      const kernel = preparedKernel(n, inShapes, p.shapes.get(n)!, precision);
      const u = pairs.has(n) ? p.inPlace.find((p) => p.node === n) : undefined;
      if (u) u.step = p.steps.length;
      p.steps.push({ kernel, ins: new Array(n.inputs.length), inSlots: Int32Array.from(n.inputs.map((i) => p.slotOf.get(i)!)), out: p.slots[p.slotOf.get(n)!] });
      p.stepNodes.push(n);
    }
  }
  return { ...p, graph, memory };
}
