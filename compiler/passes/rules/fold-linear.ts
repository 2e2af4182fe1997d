/**
 * fold-linear: a linear layer's product, its bias and its ReLU become one `Linear` node
 * (compiler/ops/linear.ts), whose GEMM adds the bias and applies ReLU in registers as it stores C, so
 * that no elementwise pass rereads C. It applies to
 *   MatMul(A, W)            2-D, any transposes, its product read by nothing else (nor a graph output)
 *   then Add(P, b)          b broadcast along the rows ([N] or [1, N]), either operand order
 *   then, optionally, Relu  when the Add's sum is read by nothing else: the pre-activation is not needed
 * the Add and the Relu as ops, or as a Fused loop (group-elementwise) whose body is exactly Add or
 * Add·Relu over the product and the bias. In a training step the ReLU's gradient reads the pre-activation
 * (GreaterEqual(0, z)), so there only MatMul·Add folds and the Relu stays; the product itself is read by
 * no gradient (the weight gradient reads A and the output gradient), so the fold drops no value a
 * gradient needs. It runs last, after row-regions: a narrow layer's product heads a row region instead.
 */
import { Node } from '../../ir/node.ts';
import { shapeStr, sameShape } from '../../ir/shape.ts';
import { bodyOf } from '../../ops/fused.ts';
import { isRowBias } from '../../ops/linear.ts';
import { consumers, rebuild } from '../rewrite.ts';
import type { Pass, Rewrite } from '../pass.ts';

interface Fold {
  readonly product: Node;
  readonly bias: Node;
  readonly relu: boolean;
  /** The nodes the Linear node replaces, the last its root (the Relu, the Add, or the Fused loop). */
  readonly nodes: readonly Node[];
}

/** Whether a Fused loop's body is exactly Add (then Relu) of its two inputs: null if not, else whether it has the Relu. */
function fusedFold(n: Node): { relu: boolean } | null {
  const body = bodyOf(n), [op, args] = body[0];
  if (n.inputs.length !== 2 || op !== 'Add' || args.length !== 2 || !args.includes(-1) || !args.includes(-2)) return null;
  if (body.length === 1) return { relu: false };
  if (body.length === 2 && body[1][0] === 'Relu' && body[1][1].length === 1 && body[1][1][0] === 0) return { relu: true };
  return null;
}

/** An op as --explain names it: a Fused loop with its body's ops. */
const opName = (n: Node) => (n.op === 'Fused' ? `Fused{${bodyOf(n).map(([op]) => op).join('·')}}` : n.op);

export const foldLinear: Pass = {
  name: 'fold-linear',
  description: "a product's bias and ReLU are applied by its GEMM as it stores C",
  run(g) {
    const nodes = g.nodes;
    if (!nodes.some((n) => n.op === 'MatMul')) return { graph: g, rewrites: [], misses: [] };
    const users = consumers(g);
    const outputs = new Set(g.outputs.map((o) => o.node));
    const soleUser = (n: Node): Node | null => {
      const us = users.get(n);
      return !outputs.has(n) && us?.length === 1 ? us[0] : null;
    };
    const misses: Rewrite[] = [];
    const rewrites: Rewrite[] = [];
    const folds = new Map<Node, Fold>();
    for (const m of nodes) {
      if (m.op !== 'MatMul') continue;
      const miss = (why: string) => misses.push({ what: `MatMul ${shapeStr(m.shape)} folds no bias: ${why}`, src: m.src });
      const us = users.get(m) ?? [];
      if (outputs.has(m)) { miss('the product is a graph output'); continue; }
      if (us.length !== 1) { miss(`the product is read by ${us.length} ops (${us.map(opName).join(', ')}): a fold would drop it`); continue; }
      const u = us[0];
      const bias = u.inputs.length === 2 && (u.inputs[0] === m) !== (u.inputs[1] === m) ? u.inputs[u.inputs[0] === m ? 1 : 0] : null;
      let relu = false, what: string;
      if (u.op === 'Add') {
        what = 'MatMul·Add';
        const r = soleUser(u);
        if (r?.op === 'Relu') relu = true;
      } else if (u.op === 'Fused') {
        const f = fusedFold(u), ops = bodyOf(u).map(([op]) => op).join('·');
        if (!f) { miss(`the product is read by a fused loop ${ops}, not exactly Add or Add·Relu of it and a bias`); continue; }
        relu = f.relu, what = `MatMul·Fused{${ops}}`;
      } else { miss(`the product is read by ${u.op}, not by an Add of a bias`); continue; }
      if (!bias || !isRowBias(bias.shape, m.shape[1]) || !sameShape(u.shape, m.shape)) {
        miss(`the Add's other operand is ${bias ? shapeStr(bias.shape) : 'the product too'}, not a bias [${m.shape[1]}] or [1, ${m.shape[1]}] along the rows`);
        continue;
      }
      if (bias.op === 'MatMul' && soleUser(bias) === u) { miss('the bias is another product read only by the Add'); continue; }
      const root = u.op === 'Add' && relu ? soleUser(u)! : u;
      folds.set(root, { product: m, bias, relu, nodes: root === u ? [m, u] : [m, u, root] });
      const reluNote = u.op === 'Add' && !relu && users.get(u)?.some((x) => x.op === 'Relu') ? `; the Relu stays: the pre-activation is also read by ${users.get(u)!.filter((x) => x.op !== 'Relu').map(opName).join(', ') || 'a graph output'}` : '';
      rewrites.push({ what: `${what}${root !== u ? '·Relu' : ''} ${shapeStr(m.shape)} -> Linear${relu ? ' (relu)' : ''}${reluNote}`, src: m.src, why: `the bias${relu ? ' and ReLU' : ''} applied as the GEMM stores C: no pass over C after it` });
    }
    if (folds.size === 0) return { graph: g, rewrites, misses };
    const taken = new Set<Node>();
    for (const f of folds.values()) for (const n of f.nodes.slice(0, -1)) taken.add(n);
    // rebuild bottom-up: each root becomes a Linear node over the images of A, W and the bias; the
    // product and the Add under a Relu are no longer reached
    const map = new Map<Node, Node>();
    const image = (n: Node) => map.get(n) ?? n;
    for (const n of nodes) {
      const f = folds.get(n);
      if (f) {
        const [a, w] = f.product.inputs, { transA, transB } = f.product.attrs;
        map.set(n, Node.mk('Linear', [image(a), image(w), image(f.bias)], { transA: transA === true, transB: transB === true, relu: f.relu }, f.product.src));
      } else if (!taken.has(n)) {
        const r = rebuild(n, map);
        if (r !== n) map.set(n, r);
      }
    }
    return { graph: g.withOutputs(g.outputs.map((o) => ({ name: o.name, node: image(o.node) }))), rewrites, misses };
  },
};
