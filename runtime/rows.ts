/**
 * Row regions, as a plan runs them: the row-regions pass (compiler/passes/rules/row-regions.ts) forms
 * them as RowRegion nodes (compiler/ops/row-region.ts); here a region's nodes become one kernel
 * (wasm/rows.ts), generated for its program: the chain's SIMD steps after z = X·w, the members it stores,
 * the gradients Xᵀ·g and the sums of g over the rows. The region runs where its first node is scheduled
 * and writes every output a reader needs; its other members have no node and no buffer. The kernel a
 * region runs as, and its chunks the helper thread may share, are row-kernel.ts's.
 */
import type { Node } from '../compiler/ir/node.ts';
import { getOp } from '../compiler/ir/registry.ts';
import { elementwiseRule } from '../compiler/ir/op.ts';
import { bodyOf, instruction, stepName, type Instruction } from '../compiler/ops/fused.ts';
import { normAxes, resolveShape } from '../compiler/ir/shape.ts';
import type { Graph } from '../compiler/ir/graph.ts';
import { expandRegions, regionKey } from '../compiler/ops/row-region.ts';
import { simdRuleOf, type SimdStep } from './kernels/wasm/elementwise.ts';
import type { Heap } from './kernels/heap.ts';
import type { Kernel } from './kernels/kernel.ts';
import type { RowProgram } from './kernels/wasm/rows.ts';
import { regionKernel, type RowRegion } from './row-kernel.ts';

export type { RowRegion } from './row-kernel.ts';

/** A region's nodes that a plan could not run as one kernel, and why (for `graphc compile --explain`). */
export interface RegionMiss {
  readonly node: Node;
  readonly why: string;
}

/** The SIMD steps of one instruction (a Fused chain's body, or the op itself); args as the instruction's. */
function stepsOf([op, args, attrs]: Instruction): { name: string; rule: SimdStep['rule']; args: number[] }[] {
  const body: Instruction[] = op === 'Fused' ? (JSON.parse(String(attrs!.body)) as Instruction[]) : [instruction(op, args.map((_, j) => -(j + 1)), attrs ?? {})];
  return body.map(([o, a, at]) => ({ name: stepName(o, at), rule: simdRuleOf(elementwiseRule(getOp(o), at ?? {}))!, args: [...a] }));
}

/**
 * The region of `nodes` (RowRegion nodes of one region, in schedule order) for these concrete shapes;
 * `needed(n)` says whether a reader needs n's values (not only its shape).
 */
export function regionOf(nodes: readonly Node[], shapes: ReadonlyMap<Node, readonly number[]>, needed: (n: Node) => boolean): RowRegion {
  const first = nodes[0];
  const body = bodyOf(first);
  const nExits = first.attrs.exits as number;
  const ins = first.inputs;
  const [x, w] = ins;
  const rowShape = [shapes.get(x)![0], 1];
  const operands: (Node | number)[] = [];
  const vals: number[] = [-1];
  const operandOf = new Map<Node, number>();
  const inputValue = (j: number): number => {
    let v = operandOf.get(ins[j]);
    if (v === undefined) operandOf.set(ins[j], (v = -(operands.push(ins[j]) + 1)));
    return v;
  };
  const argValue = (a: number) => (a >= 0 ? vals[a] : inputValue(-a - 1));
  const shapeOf = (a: number) => (a >= 0 ? rowShape : shapes.get(ins[-a - 1])!);
  const steps: SimdStep[] = [];
  for (let k = 1; k < body.length - nExits; k++) {
    const [op, args, attrs] = body[k];
    if (op === 'ExpandAs') vals[k] = argValue(args[0]); // one value expanded to every row: read as that value
    else if (op === 'SizeOf') {
      const s = shapeOf(args[0]);
      vals[k] = -(operands.push(normAxes((attrs?.axes ?? null) as number[] | null, s.length).reduce((p, a) => p * s[a], 1)) + 1);
    } else {
      const base = steps.length;
      for (const st of stepsOf(body[k])) steps.push({ name: st.name, rule: st.rule, args: st.args.map((a) => (a >= 0 ? base + a : argValue(args[-a - 1]))) });
      vals[k] = steps.length - 1;
    }
  }
  const out = (n: Node) => n.attrs.out as number;
  const isExit = (n: Node) => out(n) >= body.length - nExits;
  const stores = nodes.filter((n) => !isExit(n) && needed(n));
  const grads = nodes.filter((n) => isExit(n) && body[out(n)][0] === 'MatMul');
  const sums = nodes.filter((n) => isExit(n) && body[out(n)][0] === 'Sum');
  const size = (o: Node | number) => (typeof o === 'number' ? 1 : shapes.get(o)!.reduce((p, d) => p * d, 1));
  const program: RowProgram = {
    K: shapes.get(x)![1],
    operands: operands.map((o) => (size(o) === 1 ? 'scalar' : 'row')),
    steps,
    stores: stores.map((n) => vals[out(n)]),
    // Xᵀ·g (args X, g) or, for a weight held as a row, gᵀ·X (args g, X): the same K sums
    grads: grads.map((n) => {
      const [a, b] = body[out(n)][1];
      return vals[a === -1 ? b : a];
    }),
    sums: sums.map((n) => vals[body[out(n)][1][0]]),
  };
  const members = body.slice(1, body.length - nExits).filter(([op]) => op !== 'ExpandAs' && op !== 'SizeOf').length;
  return { x, w, members, operands, stores, exits: [...grads, ...sums], program };
}

/** A region a plan runs as one kernel: its nodes (the first is its step's), the kernel and the buffers it takes. */
export interface PlannedRegion {
  readonly nodes: readonly Node[];
  readonly kernel: Kernel;
  readonly buffers: readonly Node[];
  /** The product and the elementwise instructions after it. */
  readonly members: number;
  readonly exits: number;
}

/** The RowRegion nodes of a graph by region, each in schedule order. */
export function regionGroups(graph: Graph): Map<string, Node[]> {
  const groups = new Map<string, Node[]>();
  for (const n of graph.nodes) if (n.op === 'RowRegion') (groups.get(regionKey(n)) ?? groups.set(regionKey(n), []).get(regionKey(n))!).push(n);
  return groups;
}

/** Whether a reader of a region's node needs its values: a graph output, or read by more than an element count (which reads only a shape). */
export function neededIn(graph: Graph): (n: Node) => boolean {
  const readers = new Map<Node, Node[]>();
  for (const n of graph.nodes) for (const i of n.inputs) if (i.op === 'RowRegion') (readers.get(i) ?? readers.set(i, []).get(i)!).push(n);
  const outputs = new Set(graph.outputs.map((o) => o.node));
  return (n) => outputs.has(n) || (readers.get(n) ?? []).some((c) => c.op !== 'SizeOf');
}

/**
 * The graph's row regions, each as one kernel keyed by its first node, over the graph with the others
 * expanded into their ops (all of them without a heap or with `enabled` false; a region of no rows, or
 * whose kernel does not compile, is listed in `misses`).
 */
export function lowerRegions(graph: Graph, env: ReadonlyMap<string, number>, h: Heap | null, enabled: boolean, misses: RegionMiss[]): { graph: Graph; regions: Map<Node, PlannedRegion> } {
  if (!h || !enabled) return { graph: expandRegions(graph), regions: new Map() };
  for (;;) {
    const groups = regionGroups(graph);
    const needed = neededIn(graph);
    const shapes = new Map<Node, readonly number[]>();
    const shapeOf = (n: Node) => shapes.get(n) ?? shapes.set(n, resolveShape(n.shape, env)).get(n)!;
    const regions = new Map<Node, PlannedRegion>();
    const failed = new Set<string>();
    for (const [key, nodes] of groups) {
      const first = nodes[0];
      for (const n of [...first.inputs, ...nodes]) shapeOf(n);
      const N = shapeOf(first.inputs[0])[0];
      const why = N === 0 ? 'X has no rows: the region runs as its ops' : null;
      const r = why ? null : regionOf(nodes, shapes, needed);
      const k = r && r.exits.length > 0 ? regionKernel(r, N, h) : null;
      if (!r || !k) {
        misses.push({ node: first, why: why ?? 'its row kernel could not be generated (see the fallbacks): the region runs as its ops' });
        failed.add(key);
      } else regions.set(first, { nodes, kernel: k.kernel, buffers: k.buffers, members: r.members + 1, exits: r.exits.length });
    }
    if (failed.size === 0) return { graph, regions };
    graph = expandRegions(graph, (n) => failed.has(regionKey(n)));
  }
}
