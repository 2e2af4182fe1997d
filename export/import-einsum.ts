/**
 * ONNX Einsum (opset 12) read as graphc's ops. The equation (spaces ignored) gives each operand a label per
 * dim: letters, case-sensitive, and for an ellipsis labels of its own, right-aligned across the operands as
 * numpy broadcasts them. The implicit output (no `->`) is the ellipsis's dims, then the letters appearing
 * once, in character order (upper case first, as numpy and PyTorch order them).
 *
 * Each operand first loses what only it holds: a label repeated within it becomes its diagonal (a product
 * with a 0/1 mask, summed over the repeats), a dim of 1 broadcast against a larger one is dropped, and a
 * label no other term holds is summed. The operands are then contracted pairwise, left to right: labels both
 * hold that a later term reads are batch dims, the other shared ones are summed, each side's own are its rows
 * or columns. With no batch label the pair is one 2-D MatMul ([M, K]·[K, N] after a transpose and a reshape,
 * the GEMM kernel); with batch labels a BatchMatMul; a pair with nothing to sum is a broadcast Mul, and so is
 * a pair whose grouped dims would multiply symbolic sizes (no reshape can name them). The result is
 * transposed to the output's order. Every step is an op with a gradient rule, so an import differentiates.
 */
import type { Node } from '../compiler/ir/node.ts';
import * as B from '../compiler/ir/build.ts';
import { shapeStr, type Dim } from '../compiler/ir/shape.ts';
import { needStatic, onnxOperand as need, onnxRule as rule, type OnnxImporter as Importer } from '../compiler/ops/op.ts';
import { raise } from '../compiler/ops/onnx-read.ts';

/** A tensor and the label of each of its dims. */
interface Term {
  readonly x: Node;
  readonly labels: readonly string[];
}

const ELL = '...';
const isLetter = (ch: string) => /^[A-Za-z]$/.test(ch);

/** A term's letters and where its ellipsis stands among them (-1: none). */
function parseTerm(t: string, fail: (what: string) => never): { letters: string[]; ell: number } {
  const letters: string[] = [];
  let ell = -1;
  for (let i = 0; i < t.length; ) {
    if (t.startsWith(ELL, i)) {
      if (ell >= 0) fail(`term '${t}' holds two ellipses`);
      ell = letters.length;
      i += ELL.length;
    } else if (isLetter(t[i])) letters.push(t[i++]);
    else fail(`'${t[i]}' in term '${t}' is not a letter or an ellipsis`);
  }
  return { letters, ell };
}

const ellLabel = (i: number) => `.${i}`;
const withEllipsis = (p: { letters: string[]; ell: number }, count: number, total: number) =>
  p.ell < 0 ? p.letters : [...p.letters.slice(0, p.ell), ...Array.from({ length: count }, (_, i) => ellLabel(total - count + i)), ...p.letters.slice(p.ell)];

const perm = (from: readonly string[], to: readonly string[]) => to.map((l) => from.indexOf(l));
const isIdentity = (p: readonly number[]) => p.every((v, i) => v === i);
const transposeTo = (t: Term, order: readonly string[]): Node => {
  const p = perm(t.labels, order);
  return isIdentity(p) ? t.x : B.transpose(t.x, p);
};
const dimsOf = (t: Term, labels: readonly string[]) => labels.map((l) => t.x.shape[t.labels.indexOf(l)]);

/** One dim for a group of dims (a reshape's), or undefined where it would multiply a symbolic size. */
function groupDim(dims: readonly Dim[]): Dim | undefined {
  const big = dims.filter((d) => d !== 1);
  if (big.every((d) => typeof d === 'number')) return (big as number[]).reduce((p, d) => p * d, 1);
  return big.length === 1 ? big[0] : undefined;
}

/** Sums the labels `drop` says, keeping the others in order. */
function sumOut(t: Term, drop: (l: string) => boolean): Term {
  const axes = t.labels.flatMap((l, i) => (drop(l) ? [i] : []));
  return axes.length ? { x: B.sum(t.x, axes, false), labels: t.labels.filter((l) => !drop(l)) } : t;
}

/** The diagonal of every label a term repeats: x times the mask of equal indices, summed over the repeats. */
function diagonal(t: Term, fail: (what: string) => never, eq: string): Term {
  for (;;) {
    const l = t.labels.find((v, i) => t.labels.indexOf(v) !== i);
    if (l === undefined) return t;
    const at = t.labels.flatMap((v, i) => (v === l ? [i] : []));
    const n = t.x.shape[at[0]];
    if (at.some((i) => t.x.shape[i] !== n)) fail(`the label '${l}' repeated over dims of sizes ${at.map((i) => t.x.shape[i]).join(', ')}`);
    if (typeof n !== 'number') needStatic(`Einsum '${eq}': the label '${l}' repeated over the symbolic dim ${n}`, [n]);
    let x = t.x;
    if (n > 1) {
      const mask = new Float32Array(n ** at.length);
      const step = at.reduce((s, _, j) => s + n ** j, 0);
      for (let i = 0; i < n; i++) mask[i * step] = 1;
      x = B.mul(x, B.constant(mask, t.x.shape.map((d, i) => (at.includes(i) ? n : 1))));
    }
    t = { x: B.sum(x, at.slice(1), false), labels: t.labels.filter((v, i) => v !== l || i === at[0]) };
  }
}

/** a·b broadcast over every label either holds, summed over `sum`: the form any pair takes. */
function mulSum(a: Term, b: Term, sum: readonly string[], size: ReadonlyMap<string, Dim>): Term {
  const order = [...a.labels, ...b.labels.filter((l) => !a.labels.includes(l))];
  const align = (t: Term) => B.reshape(transposeTo(t, order.filter((l) => t.labels.includes(l))), order.map((l) => (t.labels.includes(l) ? size.get(l)! : 1)));
  return sumOut({ x: B.mul(align(a), align(b)), labels: order }, (l) => sum.includes(l));
}

/** A pair contracted: labels neither `keep` (read later) nor the other holds summed first, then a product. */
function contract(a: Term, b: Term, keep: ReadonlySet<string>, size: ReadonlyMap<string, Dim>): Term {
  const [a0, b0] = [a, b];
  a = sumOut(a0, (l) => !b0.labels.includes(l) && !keep.has(l));
  b = sumOut(b0, (l) => !a0.labels.includes(l) && !keep.has(l));
  const shared = a.labels.filter((l) => b.labels.includes(l));
  const con = shared.filter((l) => !keep.has(l));
  if (!con.length) return mulSum(a, b, [], size);
  // batch: labels both keep, and a side's own of symbolic size (broadcast against a 1 on the other side)
  const symbolic = (l: string) => typeof size.get(l) === 'string';
  const batch = [...a.labels, ...b.labels.filter((l) => !a.labels.includes(l))].filter((l) => (shared.includes(l) && keep.has(l)) || (!shared.includes(l) && symbolic(l)));
  const rows = a.labels.filter((l) => !shared.includes(l) && !batch.includes(l));
  const cols = b.labels.filter((l) => !shared.includes(l) && !batch.includes(l));
  const [m, k, n] = [rows, con, cols].map((g) => groupDim(g.map((l) => size.get(l)!)));
  if (m === undefined || k === undefined || n === undefined) return mulSum(a, b, con, size);
  let y: Node;
  if (!batch.length) {
    // one GEMM; a side already in [K, M] or [N, K] order is read transposed rather than moved
    const transA = !isIdentity(perm(a.labels, [...rows, ...con])) && isIdentity(perm(a.labels, [...con, ...rows]));
    const transB = !isIdentity(perm(b.labels, [...con, ...cols])) && isIdentity(perm(b.labels, [...cols, ...con]));
    const x = B.reshape(transposeTo(a, transA ? [...con, ...rows] : [...rows, ...con]), transA ? [k, m] : [m, k]);
    const w = B.reshape(transposeTo(b, transB ? [...cols, ...con] : [...con, ...cols]), transB ? [n, k] : [k, n]);
    y = B.matmul(x, w, transA, transB);
  } else {
    const side = (t: Term, inner: readonly string[], last: readonly string[], dims: [Dim, Dim]) => {
      const own = batch.filter((l) => t.labels.includes(l));
      return B.reshape(transposeTo(t, [...own, ...inner, ...last]), [...batch.map((l) => (t.labels.includes(l) ? size.get(l)! : 1)), ...dims]);
    };
    y = B.mk('BatchMatMul', [side(a, rows, con, [m, k]), side(b, con, cols, [k, n])]);
  }
  const labels = [...batch, ...rows, ...cols];
  return { x: B.reshape(y, labels.map((l) => size.get(l)!)), labels };
}

const einsum = rule([12], (c) => {
  const xs = c.inputs.map((_, k) => need(c, k));
  const eq = c.attrString('equation', '');
  const fail = (what: string): never => raise(`Einsum '${eq}': ${what}`);
  if (!xs.length) fail('no inputs');
  xs.forEach((x, k) => x.dtype !== 'f32' && fail(`input ${k} is ${x.dtype} (graphc computes Einsum on floats)`));
  const [lhs, rhs, ...more] = eq.replaceAll(' ', '').split('->');
  if (more.length) fail('more than one \'->\'');
  const terms = lhs.split(',').map((t) => parseTerm(t, fail));
  if (terms.length !== xs.length) fail(`${terms.length} terms for ${xs.length} inputs`);
  const counts = terms.map((p, k) => {
    const e = xs[k].shape.length - p.letters.length;
    if (e < 0 || (p.ell < 0 && e > 0)) fail(`term ${k} has ${p.letters.length} letters for input ${k} of shape ${shapeStr(xs[k].shape)}`);
    return p.ell < 0 ? 0 : e;
  });
  const total = Math.max(0, ...counts);
  let ts: Term[] = terms.map((p, k) => ({ x: xs[k], labels: withEllipsis(p, counts[k], total) }));
  const letters = terms.flatMap((p) => p.letters);
  const ellLabels = Array.from({ length: total }, (_, i) => ellLabel(i));
  let out: string[];
  if (rhs === undefined) out = [...ellLabels, ...[...new Set(letters)].filter((l) => letters.indexOf(l) === letters.lastIndexOf(l)).sort()];
  else {
    const p = parseTerm(rhs, fail);
    if (p.ell < 0 && total > 0) fail('the inputs\' ellipsis covers dims the output (no \'...\') does not hold');
    out = withEllipsis(p, total, total);
    p.letters.forEach((l, i) => p.letters.indexOf(l) !== i && fail(`the output repeats '${l}'`));
    p.letters.forEach((l) => !letters.includes(l) && fail(`the output's '${l}' is in no input`));
  }
  // each label's size: equal across operands, or 1 broadcast against it
  ts = ts.map((t) => diagonal(t, fail, eq));
  const size = new Map<string, Dim>();
  for (const [k, t] of ts.entries())
    t.labels.forEach((l, i) => {
      const d = t.x.shape[i], s = size.get(l);
      if (s === undefined || s === 1) size.set(l, d);
      else if (d !== 1 && d !== s) fail(`'${l.startsWith('.') ? ELL : l}' is ${s} in an earlier input and ${d} in input ${k}`);
    });
  ts = ts.map((t) => {
    const keep = t.labels.map((l, i) => t.x.shape[i] !== 1 || size.get(l) === 1);
    return keep.every(Boolean) ? t : { x: B.reshape(t.x, t.x.shape.filter((_, i) => keep[i])), labels: t.labels.filter((_, i) => keep[i]) };
  });
  const needed = (from: number) => new Set([...out, ...ts.slice(from).flatMap((t) => t.labels)]);
  let acc = ts[0];
  for (let k = 1; k < ts.length; k++) acc = contract(acc, ts[k], needed(k + 1), size);
  acc = sumOut(acc, (l) => !out.includes(l));
  return transposeTo(acc, out);
});

export const einsumImporters: Readonly<Record<string, Importer>> = { Einsum: einsum };
