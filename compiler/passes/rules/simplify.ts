/**
 * simplify: algebraic identities that hold for every float input, as a table of rules. A rule applies only
 * when the result has the node's exact shape (a multiplication by 1 that broadcasts is not a no-op).
 *   x*1, 1*x, x/1, x+0, 0+x, x-0  → x          -(-x) → x          0 - x → -x
 *   x*(-1), (-1)*x → -x                           log(exp(x)) → x     (-a)*(-b) → a*b
 *   ExpandAs(x, like) with x already of like's shape → x
 *   MatMul(Transpose(a), b) → MatMul{transA}(a, b) (and for b);  Transpose(MatMul(a, b)) → MatMul(b, a) with flipped flags
 *   BatchMatMul(Transpose(a) of the last two axes, b) → BatchMatMul{transA}(a, b) (and for b)
 */
import type { Node } from '../../ir/node.ts';
import { sameShape } from '../../ir/shape.ts';
import * as B from '../../ir/build.ts';
import { atSource } from '../../ir/source.ts';
import { mapNodes } from '../rewrite.ts';
import type { Pass, Rewrite } from '../pass.ts';

const c = (n: Node): number | undefined => (n.op === 'Const' && (n.attrs.value as Float32Array).length === 1 ? (n.attrs.value as Float32Array)[0] : undefined);

interface Rule {
  readonly name: string;
  readonly op: string;
  readonly apply: (n: Node) => Node | undefined;
}

type Args = readonly Node[];
const rules: { name: string; op: string; apply: (x: Args) => Node | undefined }[] = [
  { name: 'x*1 -> x', op: 'Mul', apply: ([a, b]) => (c(b) === 1 ? a : c(a) === 1 ? b : undefined) },
  { name: 'x/1 -> x', op: 'Div', apply: ([a, b]) => (c(b) === 1 ? a : undefined) },
  { name: 'x+0 -> x', op: 'Add', apply: ([a, b]) => (c(b) === 0 ? a : c(a) === 0 ? b : undefined) },
  { name: 'x-0 -> x', op: 'Sub', apply: ([a, b]) => (c(b) === 0 ? a : undefined) },
  { name: '0-x -> -x', op: 'Sub', apply: ([a, b]) => (c(a) === 0 ? B.neg(b) : undefined) },
  { name: 'x*(-1) -> -x', op: 'Mul', apply: ([a, b]) => (c(b) === -1 ? B.neg(a) : c(a) === -1 ? B.neg(b) : undefined) },
  { name: '-(-x) -> x', op: 'Neg', apply: ([a]) => (a.op === 'Neg' ? a.inputs[0] : undefined) },
  { name: '(-a)*(-b) -> a*b', op: 'Mul', apply: ([a, b]) => (a.op === 'Neg' && b.op === 'Neg' ? B.mul(a.inputs[0], b.inputs[0]) : undefined) },
  { name: 'log(exp(x)) -> x', op: 'Log', apply: ([a]) => (a.op === 'Exp' ? a.inputs[0] : undefined) },
  { name: 'ExpandAs(x, like) -> x', op: 'ExpandAs', apply: ([a, like]) => (sameShape(a.shape, like.shape) ? a : undefined) },
];

/** Transposes folded into MatMul's transA/transB (no copy: A·Bᵀ reads B as stored). */
const isT2 = (n: Node) => n.op === 'Transpose' && n.shape.length === 2;
const tr = (n: Node) => n.attrs.transA === true;
const tb = (n: Node) => n.attrs.transB === true;
/** A Transpose that swaps the last two axes and keeps the others (a batch of matrices, each transposed). */
const isTLast = (n: Node) => {
  if (n.op !== 'Transpose') return false;
  const p = n.attrs.perm as number[], r = p.length;
  return r >= 2 && p[r - 2] === r - 1 && p[r - 1] === r - 2 && p.slice(0, -2).every((d, i) => d === i);
};
export const simplifyRules: readonly Rule[] = [
  ...rules.map((r) => ({ name: r.name, op: r.op, apply: (n: Node) => r.apply(n.inputs) })),
  {
    name: 'MatMul(Transpose(a), b) -> MatMul{transA}',
    op: 'MatMul',
    apply: (n) => {
      const [a, b] = n.inputs;
      if (isT2(a)) return B.matmul(a.inputs[0], b, !tr(n), tb(n));
      if (isT2(b)) return B.matmul(a, b.inputs[0], tr(n), !tb(n));
      return undefined;
    },
  },
  {
    name: 'Transpose(MatMul(a, b)) -> MatMul(b, a) transposed flags',
    op: 'Transpose',
    // (op(A)·op(B))ᵀ = op(B)ᵀ·op(A)ᵀ
    apply: (n) => (n.shape.length === 2 && n.inputs[0].op === 'MatMul' ? B.matmul(n.inputs[0].inputs[1], n.inputs[0].inputs[0], !tb(n.inputs[0]), !tr(n.inputs[0])) : undefined),
  },
  {
    name: 'BatchMatMul(Transpose(a), b) -> BatchMatMul{transA}',
    op: 'BatchMatMul',
    apply: (n) => {
      const [a, b] = n.inputs;
      if (isTLast(a)) return B.batchMatmul(a.inputs[0], b, !tr(n), tb(n));
      if (isTLast(b)) return B.batchMatmul(a, b.inputs[0], tr(n), !tb(n));
      return undefined;
    },
  },
];

/** The rules of each op, in the table's order (a node is tried against its own op's rules only). */
const rulesOf = new Map<string, Rule[]>();
for (const r of simplifyRules) (rulesOf.get(r.op) ?? rulesOf.set(r.op, []).get(r.op)!).push(r);

/** The first of `rules` that rewrites `n` to another node of its shape and dtype, and that node. */
function firstRule(n: Node, rules: readonly Rule[]): { rule: Rule; out: Node } | undefined {
  for (const rule of rules) {
    const out = rule.apply(n);
    if (out && out !== n && sameShape(out.shape, n.shape) && out.dtype === n.dtype) return { rule, out };
  }
  return undefined;
}

export const simplify: Pass = {
  name: 'simplify',
  description: 'algebraic identities: x*1, x+0, -(-x), log(exp(x)), ...',
  // a node's rules see it and its inputs only, and each node is rewritten until none applies (its inputs
  // first): on its own result, no rule applies
  idempotent: true,
  run(g) {
    const rewrites: Rewrite[] = [];
    const graph = mapNodes(g, (n) => {
      let cur = n;
      // until none of its op's rules applies (the rules build at the node's position)
      for (let rules = rulesOf.get(cur.op); rules !== undefined; rules = rulesOf.get(cur.op)) {
        const at = cur, tried = rules;
        const hit = atSource(at.src, () => firstRule(at, tried));
        if (!hit) break;
        rewrites.push({ what: hit.rule.name, src: at.src });
        cur = hit.out;
      }
      return cur === n ? undefined : cur;
    });
    return { graph, rewrites };
  },
};
