/**
 * row-regions: a narrow linear layer, the elementwise chain after it and the gradients that reduce that
 * chain over the rows become one region (compiler/ops/row-region.ts), which a plan runs as one kernel: one
 * pass over X with the chain in registers (runtime/rows.ts). Scanning the graph in order:
 *   head     z = MatMul(X, w)            X [N, K] (K known, at most 16), w [K, 1]; or X·Wᵀ, W [1, K]
 *                                        (a Linear layer with one output: the same K floats in memory)
 *   members  the elementwise ops of shape [N, 1] (each with a SIMD rule) that read z or another member,
 *            and otherwise only values the region can read when it runs (leaves, constants, element
 *            counts, nodes before the head, one such scalar expanded to every row): per-row ones [N, 1]
 *            and scalars
 *   exits    MatMul(X, g, transA) ([K, 1], the weights' gradient; for W [1, K] MatMul(g, X, transA),
 *            [1, K], the same floats) and sums of g over the rows (the bias's), g a member
 * The region's outputs are its exits and the members read outside it (or graph outputs); each becomes a
 * RowRegion node, and the other members are no longer in the graph. It runs last, after group-elementwise.
 */
import { Node, type Attrs } from '../../ir/node.ts';
import { getOp } from '../../ir/registry.ts';
import { elementwiseRule } from '../../ir/op.ts';
import { sameShape, shapeStr, type Shape } from '../../ir/shape.ts';
import { bodyOf, instruction, type Instruction } from '../../ops/fused.ts';
import { simdRuleOf } from '../../../runtime/kernels/wasm/elementwise.ts';
import { rebuild } from '../rewrite.ts';
import type { Pass, Rewrite } from '../pass.ts';

/** The most features a region holds in registers. */
export const REGION_MAX_FEATURES = 16;

const isLeaf = (n: Node) => n.op === 'Input' || n.op === 'Param' || n.op === 'Const';
const isScalar = (s: Shape) => s.every((d) => d === 1);

/** Whether `n` reads a node of `set`. */
function readsOneOf(n: Node, set: ReadonlySet<Node>): boolean {
  for (const i of n.inputs) if (set.has(i)) return true;
  return false;
}

/** Whether every step of an elementwise node (a Fused chain's body, or the op itself) has a SIMD rule. */
function simdChain(n: Node): boolean {
  const body: Instruction[] = n.op === 'Fused' ? bodyOf(n) : [instruction(n.op, [], n.attrs)];
  return body.every(([op, , attrs]) => getOp(op).traits?.elementwise !== undefined && simdRuleOf(elementwiseRule(getOp(op), attrs ?? {})) !== undefined);
}

interface Region {
  readonly head: Node;
  readonly inputs: readonly Node[];
  readonly attrs: Attrs;
  /** The nodes it replaces (stored members and exits) and the instruction each is. */
  readonly outs: ReadonlyMap<Node, number>;
  readonly what: string;
}

export const rowRegions: Pass = {
  name: 'row-regions',
  description: 'a narrow linear layer, its elementwise chain and their gradients over the rows become one row region',
  run(g) {
    const nodes = g.nodes;
    // a region's head is a product whose X is not transposed: without one, nothing here applies
    if (!nodes.some((n) => n.op === 'MatMul' && !n.attrs.transA)) return { graph: g, rewrites: [], misses: [] };
    const taken = new Set<Node>();
    const regions: Region[] = [];
    const misses: Rewrite[] = [];
    let outputs: Set<Node> | undefined;
    for (let h = 0; h < nodes.length; h++) {
      const head = nodes[h];
      if (head.op !== 'MatMul' || taken.has(head)) continue;
      const miss = (why: string) => misses.push({ what: `MatMul ${shapeStr(head.shape)} heads no row region: ${why}`, src: head.src });
      // products with a transposed X are gradients' (Xᵀ·g: a region's exit where one forms); a transposed
      // weight is a Linear layer's X·Wᵀ (or a gradient's g·Wᵀ), which heads one when W is one row [1, K]:
      // its K floats are the column w's
      const [X, w] = head.inputs;
      if (head.attrs.transA) continue;
      const rowW = head.attrs.transB === true;
      const sx = X.shape, K = sx[1];
      if (sx.length !== 2 || sx[0] === 0) { miss(`X is ${shapeStr(sx)}: a region needs rows of a 2-D X`); continue; }
      if (typeof K !== 'number') { miss(`X has ${K} features, unknown when compiling: a region's kernel is generated for its width`); continue; }
      if (K > REGION_MAX_FEATURES) { miss(`X has ${K} features: a region holds at most ${REGION_MAX_FEATURES} in registers`); continue; }
      if (!sameShape(w.shape, rowW ? [1, K] : [K, 1])) { miss(`${rowW ? 'Wᵀ' : 'w'} is ${rowW ? shapeStr([w.shape[1], w.shape[0]]) : shapeStr(w.shape)}: a region computes one output column`); continue; }
      const rowShape = [sx[0], 1];
      // a leaf, or a node the graph's order places before the head
      const before = (n: Node) => isLeaf(n) || g.indexOf(n)! < h;
      // an element count, or one value expanded to every row (a mean's gradient is ExpandAs(1, ·) / N), of
      // a member's shape or of a value before the head: instructions of the body, which the kernel reads
      // as a number and as that value
      const known = (n: Node) => isMember.has(n) || before(n);
      const shapeOnly = (n: Node) => (n.op === 'SizeOf' && known(n.inputs[0])) || (n.op === 'ExpandAs' && isScalar(n.inputs[0].shape) && before(n.inputs[0]) && known(n.inputs[1]));
      const members = [head];
      const isMember = new Set<Node>([head]);
      for (let k = h + 1; k < nodes.length; k++) {
        const n = nodes[k];
        if (isLeaf(n) || taken.has(n) || n.dtype !== 'f32' || !sameShape(n.shape, rowShape) || !readsOneOf(n, isMember) || !getOp(n.op).traits?.elementwise && n.op !== 'Fused' || !simdChain(n)) continue;
        let readable = true;
        for (const i of n.inputs) if (!(isMember.has(i) || shapeOnly(i) || (before(i) && (sameShape(i.shape, rowShape) || isScalar(i.shape))))) readable = false;
        if (!readable) continue;
        members.push(n);
        isMember.add(n);
      }
      // the weights' gradient as w's shape: Xᵀ·g [K, 1] for a column, gᵀ·X [1, K] for a row; a sum over the rows
      const exits: Node[] = [];
      for (let k = h + 1; k < nodes.length; k++) {
        const n = nodes[k];
        if (isMember.has(n) || taken.has(n)) continue;
        const weightGrad = n.op === 'MatMul' && n.attrs.transA && !n.attrs.transB &&
          (rowW ? n.inputs[1] === X && isMember.has(n.inputs[0]) : n.inputs[0] === X && isMember.has(n.inputs[1]));
        if (weightGrad || (n.op === 'Sum' && isMember.has(n.inputs[0]) && isScalar(n.shape))) exits.push(n);
      }
      if (exits.length === 0) { miss('no gradient reduces the chain over the rows (an inference graph): separate kernels'); continue; }
      const isExit = new Set(exits);
      // the members something outside the region reads (an element count outside reads only the shape,
      // but must read it from a node: a plan gives such an output no buffer), and graph outputs; a
      // member's readers come after it, so after the head
      const readOutside = new Set<Node>();
      for (let k = h + 1; k < nodes.length; k++) {
        const c = nodes[k];
        if (isMember.has(c) || isExit.has(c)) continue;
        for (const i of c.inputs) if (isMember.has(i)) readOutside.add(i);
      }
      outputs ??= new Set(g.outputs.map((o) => o.node));
      const stored = members.filter((m) => outputs!.has(m) || readOutside.has(m));

      // the body: instruction 0 is the head; inputs X, w, then the operands by first use
      const inputs: Node[] = [X, w];
      const body: Instruction[] = [instruction('MatMul', [-1, -2], head.attrs)];
      const at = new Map<Node, number>([[head, 0]]);
      const ref = (n: Node): number => {
        const k = at.get(n);
        if (k !== undefined) return k;
        if (shapeOnly(n)) {
          const args = n.inputs.map(ref);
          at.set(n, body.push(instruction(n.op, args, n.attrs)) - 1);
          return at.get(n)!;
        }
        let j = inputs.indexOf(n);
        if (j < 0) j = inputs.push(n) - 1;
        return -(j + 1);
      };
      for (const m of members.slice(1)) {
        const args = m.inputs.map(ref);
        at.set(m, body.push(instruction(m.op, args, m.attrs)) - 1);
      }
      for (const e of exits) {
        const args = e.op !== 'MatMul' ? [ref(e.inputs[0])] : rowW ? [ref(e.inputs[0]), -1] : [-1, ref(e.inputs[1])];
        at.set(e, body.push(instruction(e.op, args, e.attrs)) - 1);
      }
      for (const n of [...members, ...exits]) taken.add(n);
      const outs = new Map([...stored, ...exits].map((n) => [n, at.get(n)!] as const));
      const attrs = { body: JSON.stringify(body), exits: exits.length, shape: [] as number[] };
      const what = `MatMul and ${members.length - 1} elementwise op${members.length === 2 ? '' : 's'} over ${shapeStr(rowShape)}, ${exits.length} reduction${exits.length === 1 ? '' : 's'} over the rows -> one row region (${outs.size} outputs)`;
      regions.push({ head, inputs, attrs, outs, what });
    }
    if (regions.length === 0) return { graph: g, rewrites: [], misses };

    // rebuild: each stored member and exit becomes its region's node; consumers read them
    const replaced = new Map<Node, { region: Region; out: number }>();
    for (const r of regions) for (const [n, out] of r.outs) replaced.set(n, { region: r, out });
    // the nodes rebuilt (a node not in `map` is itself): a region reads its inputs as rebuilt, and they
    // come before its members (leaves, and nodes before its head)
    const map = new Map<Node, Node>();
    for (const n of nodes) {
      const rep = replaced.get(n);
      if (rep) {
        const r = rep.region;
        map.set(n, Node.mk('RowRegion', r.inputs.map((i) => map.get(i) ?? i), { ...r.attrs, out: rep.out, shape: [...n.shape] as number[] }, n.src));
      } else if (!taken.has(n)) { // (a member not replaced is inside its region: no longer reached)
        const r = rebuild(n, map);
        if (r !== n) map.set(n, r);
      }
    }
    const rewrites = regions.map((r) => ({ what: r.what, src: r.head.src, why: 'one pass over X with the chain in registers; the members no one else reads get no buffer' }));
    return { graph: g.withOutputs(g.outputs.map((o) => ({ name: o.name, node: map.get(o.node) ?? o.node }))), rewrites, misses };
  },
};
