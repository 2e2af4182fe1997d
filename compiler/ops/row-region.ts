/**
 * RowRegion: one output of a row region, made by the row-regions pass (compiler/passes/rules/row-regions.ts).
 * A region is a narrow linear layer z = X·w, the elementwise ops after it row by row, and the gradients
 * that reduce them over the rows (Xᵀ·g, Σ g); a plan runs it as one kernel (runtime/rows.ts). A region
 * has several outputs (its gradients, and the members read outside it), so each is a node of its own:
 * the region's nodes share their inputs (X, w, then the operands the chain reads) and their body, and
 * differ in `out`, the instruction they give.
 *
 * The body is a list of instructions `[op, args]` or `[op, args, attrs]`, as a Fused node's: an argument
 * k >= 0 is instruction k's value, -(j+1) the node's input j. Instruction 0 is the product X·w; the last
 * `exits` instructions are the reductions over the rows. Expanded (`expandRegion`), a node is the ops it
 * was formed from, which is how float64 plans, plans without the heap, and the ONNX export see it; its
 * kernel is that expansion too, each op by its own kernel, so anything that evaluates a node by its
 * record (constant folding, a direct call) gets the values of the ops it replaced.
 */
import { defineOp, getOp } from './op.ts';
import { Node, inScopeOf } from '../ir/node.ts';
import type { Graph } from '../ir/graph.ts';
import { GraphError } from '../ir/errors.ts';
import { atSource } from '../ir/source.ts';
import { bodyOf, type Instruction } from './fused.ts';
import { bindShape, resolveShape } from '../ir/shape.ts';
import { pathOf, withPath, type Kernel, type KernelCtx } from '../../runtime/kernels/kernel.ts';

/** The region a RowRegion node belongs to: the same for all of its outputs. */
export const regionKey = (n: Node): string => `${n.inputs.map((i) => i.id).join(',')}|${String(n.attrs.body)}`;

/** An instruction's name, as printed: a Fused member with its chain. */
const instructionName = ([op, , attrs]: Instruction) => (op === 'Fused' && attrs ? `Fused{${(JSON.parse(String(attrs.body)) as Instruction[]).map((i) => i[0]).join('·')}}` : op);

/** A body's instructions' names, as printed: the chain, then the reductions over the rows (`numbered`: each after its index). */
function bodyNames(body: readonly Instruction[], exits: number, numbered = false): string {
  const name = (ins: Instruction) => (numbered ? `[${body.indexOf(ins)}] ` : '') + instructionName(ins);
  const head = body.slice(0, body.length - exits).map(name), tail = body.slice(body.length - exits).map(name);
  return `${head.join(numbered ? ' · ' : '·')} → ${tail.join(', ')}`;
}

/** The original nodes of a region node's instructions up to its own, over its inputs; the last is its value. */
function regionNodes(n: Node, inputs: readonly Node[]): Node[] {
  const vals: Node[] = [];
  const out = n.attrs.out as number;
  atSource(n.src, () => {
    for (const [op, args, attrs] of bodyOf(n).slice(0, out + 1)) vals.push(Node.mk(op, args.map((k) => (k < 0 ? inputs[-k - 1] : vals[k])), attrs ?? {}));
  });
  return vals;
}

/**
 * A region node's kernel outside a plan's row executor (a float64 plan's, constant folding's, a direct
 * call): its expansion, each op by its own kernel in body order, the instructions its value does not read
 * skipped, intermediates in buffers of its own (made once, here). Symbolic dims are bound from its inputs.
 */
function expansionKernel(ctx: KernelCtx): Kernel {
  const n = ctx.node;
  const env = new Map<string, number>();
  n.inputs.forEach((x, j) => bindShape(x.shape, ctx.inShapes[j], env, `RowRegion input ${j}`));
  const vals = regionNodes(n, n.inputs);
  const read = new Set<Node>([vals.at(-1)!]);
  for (let k = vals.length - 1; k >= 0; k--) if (read.has(vals[k])) vals[k].inputs.forEach((i) => read.add(i));
  const Buf = (ctx.precision === 'f64' ? Float64Array : Float32Array) as unknown as Float32ArrayConstructor;
  const shapes = new Map<Node, readonly number[]>(n.inputs.map((x, j) => [x, ctx.inShapes[j]]));
  const inputIndex = new Map<Node, number>(n.inputs.map((x, j) => [x, j]));
  const scratch = new Map<Node, Float32Array>();
  const steps = vals.filter((m) => read.has(m)).map((m, k, all) => {
    const outShape = resolveShape(m.shape, env);
    shapes.set(m, outShape);
    const last = k === all.length - 1;
    if (!last) scratch.set(m, new Buf(outShape.reduce((p, d) => p * d, 1)));
    const kernel = getOp(m.op).kernel!({ node: m, inShapes: m.inputs.map((i) => shapes.get(i)!), outShape, attrs: m.attrs, precision: ctx.precision });
    // each argument: the region's input j (>= 0), or an intermediate's buffer
    const from = m.inputs.map((i) => (scratch.has(i) ? scratch.get(i)! : inputIndex.get(i)!));
    return { kernel, from, ins: new Array<Float32Array>(from.length), out: last ? null : scratch.get(m)! };
  });
  const run = (ins: readonly Float32Array[], out: Float32Array) => {
    for (const st of steps) {
      for (let a = 0; a < st.from.length; a++) {
        const f = st.from[a];
        st.ins[a] = typeof f === 'number' ? ins[f] : f;
      }
      st.kernel(st.ins, st.out ?? out);
    }
  };
  return withPath(run, `its ops in turn (${steps.map((st) => pathOf(st.kernel)).join('; ')})`);
}

/** A region node as the ops it was formed from, over `inputs` (its own by default). */
export const expandRegion = (n: Node, inputs: readonly Node[] = n.inputs): Node => regionNodes(n, inputs).at(-1)!;

/** The graph with every RowRegion node (or those `which` picks) expanded into the ops it was formed from. */
export function expandRegions(g: Graph, which: (n: Node) => boolean = () => true): Graph {
  if (!g.nodes.some((n) => n.op === 'RowRegion' && which(n))) return g;
  return inScopeOf(g.nodes, () => {
    const map = new Map<Node, Node>();
    for (const n of g.nodes) {
      const ins = n.inputs.map((i) => map.get(i)!);
      if (n.op === 'RowRegion' && which(n)) map.set(n, expandRegion(n, ins));
      else map.set(n, ins.every((x, i) => x === n.inputs[i]) ? n : Node.mk(n.op, ins, n.attrs, n.src));
    }
    return g.withOutputs(g.outputs.map((o) => ({ name: o.name, node: map.get(o.node)! })));
  });
}

defineOp({
  name: 'RowRegion',
  dsl: { internal: 'made by the row-regions pass after differentiation' },
  arity: 'variadic',
  traits: { fused: true },
  infer(inputs, attrs) {
    return { shape: attrs.shape as (number | string)[], dtype: 'f32' };
  },
  kernel: expansionKernel,
  grad(n) {
    throw new GraphError('RowRegion: row regions are formed after differentiation; differentiate the graph before the row-regions pass', n.src);
  },
  // the ops it was formed from, each by its own mapping (an export expands regions first: expandRegions)
  onnx(e, n, ins) {
    const names = new Map<Node, string>(n.inputs.map((x, j) => [x, ins[j]]));
    let last = '';
    for (const node of regionNodes(n, n.inputs)) names.set(node, (last = getOp(node.op).onnx!(e, node, node.inputs.map((i) => names.get(i)!))));
    return last;
  },
  showAttrs: (a) => `${bodyNames(JSON.parse(String(a.body)) as Instruction[], a.exits as number)} [${a.out}]`,
  // printouts show a region's body once and each output as the instruction it gives: R0 [5] MatMul
  showShared: (n) => ({ kind: 'region', key: regionKey(n), shared: bodyNames(bodyOf(n), n.attrs.exits as number, true), own: `[${n.attrs.out}] ${instructionName(bodyOf(n)[n.attrs.out as number])}` }),
});
