/**
 * fuse-sigmoid-bce: binary cross-entropy of a sigmoid, however it is written, becomes one BCEWithLogits
 * on the logits. Two forms are recognized:
 *   - the BCE op on sigmoid(z):                 BCE(sigmoid(z), y)
 *   - the formula, up to algebra:               -(y·log(h) + (1 - y)·log(1 - h)) averaged, h = sigmoid(z)
 * The formula is matched semantically rather than by shape of tree: the average may be a mean, a sum
 * divided by the element count (a constant or the count itself), a sum times 1/count, or the sum of two
 * such averages (one per term); the minus may
 * sit outside or inside the average, on either term or on a factor; `1 - y` may be `-y + 1` or `1 + -y`;
 * terms and factors may come in either order. Anything else is left alone, with the reason.
 */
import type { Node } from '../../ir/node.ts';
import { isStatic, sameShape, sizeOf, shapeStr } from '../../ir/shape.ts';
import * as B from '../../ir/build.ts';
import { consumers, mapNodes } from '../rewrite.ts';
import type { Pass, Rewrite } from '../pass.ts';

type Match = { z: Node; y: Node } | { miss: string };

const constValue = (n: Node): number | undefined => {
  if (n.op !== 'Const') return undefined;
  const v = n.attrs.value as Float32Array;
  return v.length === 1 ? v[0] : undefined;
};
const isConst = (n: Node, v: number) => constValue(n) === v;

/** `1 - x` in any of its spellings; returns x. */
export function oneMinus(n: Node): Node | undefined {
  if (n.op === 'Sub' && isConst(n.inputs[0], 1)) return n.inputs[1];
  if (n.op === 'Add') {
    const [a, b] = n.inputs;
    if (isConst(b, 1) && a.op === 'Neg') return a.inputs[0];
    if (isConst(a, 1) && b.op === 'Neg') return b.inputs[0];
  }
  return undefined;
}

/** Strips negations (Neg, multiplication by -1) off `n`, counting them in the sign. */
function peel(n: Node, sign = 1): { n: Node; sign: number } {
  if (n.op === 'Neg') return peel(n.inputs[0], -sign);
  if (n.op === 'Mul' && isConst(n.inputs[1], -1)) return peel(n.inputs[0], -sign);
  if (n.op === 'Mul' && isConst(n.inputs[0], -1)) return peel(n.inputs[1], -sign);
  return { n, sign };
}

type Average = { e: Node; sign: number } | { miss: string } | undefined;

/** The ops an average (below) can be written with: its negations, and the forms of the average itself. */
const AVERAGE_OPS = new Set(['Neg', 'Mul', 'Add', 'Sub', 'Mean', 'Div']);

/** ±(the sum of all of x's elements): that sum's argument and the sign. */
const sumAll = (x: Node) => {
  const p = peel(x);
  return p.n.op === 'Sum' && p.n.attrs.axes === null ? { e: p.n.inputs[0], sign: p.sign } : undefined;
};

/** If `n` is ±(the average of E over all its elements), returns E and the sign. */
function averageOf(root: Node): Average {
  if (!AVERAGE_OPS.has(root.op)) return undefined;
  const { n, sign } = peel(root);
  // a sum or difference of two averages over one shape is the average of the sum (linearity)
  if (n.op === 'Add' || n.op === 'Sub') {
    const [l, r] = n.inputs.map(averageOf);
    if (l && r && 'e' in l && 'e' in r && sameShape(l.e.shape, r.e.shape)) {
      const rs = n.op === 'Sub' ? -r.sign : r.sign;
      const e = B.add(l.sign > 0 ? l.e : B.neg(l.e), rs > 0 ? r.e : B.neg(r.e));
      return { e, sign };
    }
    return undefined;
  }
  if (n.op === 'Mean') return n.attrs.axes === null ? { e: n.inputs[0], sign } : { miss: 'the mean is over some axes only' };
  if (n.op === 'Div') {
    const s = sumAll(n.inputs[0]);
    if (!s) return undefined;
    const d = n.inputs[1];
    if (d.op === 'SizeOf' && d.inputs[0] === s.e && d.attrs.axes === null) return { e: s.e, sign: sign * s.sign };
    const c = constValue(d);
    if (c === undefined) return { miss: 'the sum is divided by something other than the element count' };
    if (!isStatic(s.e.shape)) return { miss: `the sum is divided by ${c}, but the element count of ${shapeStr(s.e.shape)} is only known at run time` };
    return sizeOf(s.e.shape) === c ? { e: s.e, sign: sign * s.sign } : { miss: `the sum is divided by ${c}, not by its ${sizeOf(s.e.shape)} elements` };
  }
  if (n.op === 'Mul') {
    for (const [x, k] of [n.inputs, [...n.inputs].reverse()]) {
      const s = sumAll(x);
      const c = constValue(k);
      if (!s || c === undefined) continue;
      if (!isStatic(s.e.shape)) return { miss: `the sum is scaled by ${c}, but the element count of ${shapeStr(s.e.shape)} is only known at run time` };
      // the constant is stored in float32: 1/N to float32 precision
      if (Math.abs(c * sizeOf(s.e.shape) - 1) < 1e-6) return { e: s.e, sign: sign * s.sign };
      return { miss: `the sum is scaled by ${c}, not by 1/${sizeOf(s.e.shape)}` };
    }
  }
  return undefined;
}

/** Signed terms of a sum: Add, Sub, Neg and multiplication by -1 flattened. */
function terms(n: Node, sign: number, out: [number, Node][]): void {
  if (n.op === 'Add') { terms(n.inputs[0], sign, out); terms(n.inputs[1], sign, out); }
  else if (n.op === 'Sub' && !isConst(n.inputs[0], 1)) { terms(n.inputs[0], sign, out); terms(n.inputs[1], -sign, out); }
  else if (n.op === 'Neg') terms(n.inputs[0], -sign, out);
  else if (n.op === 'Mul' && isConst(n.inputs[1], -1)) terms(n.inputs[0], -sign, out);
  else if (n.op === 'Mul' && isConst(n.inputs[0], -1)) terms(n.inputs[1], -sign, out);
  else out.push([sign, n]);
}

/** Factors of a product, with negations pulled out into the sign. */
function factors(n: Node, acc: { sign: number; fs: Node[] }): void {
  if (n.op === 'Mul') { factors(n.inputs[0], acc); factors(n.inputs[1], acc); }
  else if (n.op === 'Neg') { acc.sign = -acc.sign; factors(n.inputs[0], acc); }
  else acc.fs.push(n);
}

/** Matches E (the per-element loss, with sign) against -(y·log(s) + (1 - y)·log(1 - s)), s = sigmoid(z). */
function matchFormula(e: Node, outerSign: number): Match {
  const ts: [number, Node][] = [];
  terms(e, outerSign, ts);
  if (ts.length !== 2) return { miss: `the averaged expression has ${ts.length} terms, not the two of binary cross-entropy` };
  let pos: { w: Node; s: Node } | undefined, neg: { w: Node; s: Node } | undefined;
  for (const [sign, t] of ts) {
    const acc = { sign, fs: [] as Node[] };
    factors(t, acc);
    const logs = acc.fs.filter((f) => f.op === 'Log');
    if (logs.length !== 1 || acc.fs.length !== 2) return { miss: 'a term is not a weight times one log' };
    if (acc.sign !== -1) return { miss: 'a log term enters with a plus sign (cross-entropy negates both)' };
    const w = acc.fs.find((f) => f !== logs[0])!;
    const arg = logs[0].inputs[0];
    if (arg.op === 'Sigmoid') pos = { w, s: arg };
    else {
      const s = oneMinus(arg);
      if (!s || s.op !== 'Sigmoid') return { miss: 'a log is of neither sigmoid(z) nor 1 - sigmoid(z)' };
      neg = { w, s };
    }
  }
  if (!pos || !neg) return { miss: 'both terms take the log of the same side (need log(h) and log(1 - h))' };
  if (pos.s !== neg.s) return { miss: 'the two logs are of different sigmoids' };
  if (oneMinus(neg.w) !== pos.w) return { miss: 'the weight of log(1 - h) is not 1 minus the weight of log(h)' };
  const z = pos.s.inputs[0];
  const y = pos.w;
  if (!sameShape(z.shape, y.shape) || !sameShape(e.shape, z.shape))
    return { miss: `shapes differ: logits ${shapeStr(z.shape)}, target ${shapeStr(y.shape)}` };
  return { z, y };
}

function mentionsLogSigmoid(n: Node, depth = 0): boolean {
  if (depth > 8) return false;
  if (n.op === 'Log' && (n.inputs[0].op === 'Sigmoid' || oneMinus(n.inputs[0])?.op === 'Sigmoid')) return true;
  for (const i of n.inputs) if (mentionsLogSigmoid(i, depth + 1)) return true;
  return false;
}

/** What the fusion buys, as --explain says it. */
const WHY =
  'in float32 sigmoid(z) rounds to exactly 1 above about z = 17 and to 0 below about z = -103, so log(h) or log(1-h) is log 0 = -inf ' +
  '(and 0 * -inf is NaN); BCEWithLogits computes max(z, 0) - z*y + log(1 + exp(-|z|)), finite for every z, with the gradient (sigmoid(z) - y)/N';

export const fuseSigmoidBce: Pass = {
  name: 'fuse-sigmoid-bce',
  description: 'BCE of sigmoid(z), as the op or written out, becomes the stable BCEWithLogits(z, y)',
  run(g) {
    const rewrites: Rewrite[] = [];
    const misses: Rewrite[] = [];
    // both forms (and every miss) need a Sigmoid: without one, nothing here can match
    if (!g.nodes.some((n) => n.op === 'Sigmoid')) return { graph: g, rewrites, misses };
    let users: Map<Node, Node[]> | undefined;
    // a node all of whose consumers are themselves averages (its negation, or a sum's division) is
    // judged as part of them
    const negated = (n: Node) => {
      const us = (users ??= consumers(g)).get(n) ?? [];
      return us.length > 0 && us.every((u) => averageOf(u) !== undefined) && !g.outputs.some((o) => o.node === n);
    };
    const graph = mapNodes(g, (n, original) => {
      if (n.op === 'BCE') {
        const [h, y] = n.inputs;
        if (h.op !== 'Sigmoid') return undefined;
        rewrites.push({ what: 'BCE(sigmoid(z), y) -> BCEWithLogits(z, y)', src: n.src, why: WHY });
        return B.mk('BCEWithLogits', [h.inputs[0], y], {}, n.src);
      }
      const avg = averageOf(n);
      if (avg === undefined || !mentionsLogSigmoid(n)) return undefined;
      // an expression under a negation is judged when its negation is visited
      if (negated(original)) return undefined;
      if ('miss' in avg) {
        misses.push({ what: avg.miss, src: n.src });
        return undefined;
      }
      const m = matchFormula(avg.e, avg.sign);
      if ('miss' in m) {
        misses.push({ what: m.miss, src: n.src });
        return undefined;
      }
      rewrites.push({ what: '-(y*log(h) + (1-y)*log(1-h)) averaged, h = sigmoid(z) -> BCEWithLogits(z, y)', src: n.src, why: WHY });
      return B.mk('BCEWithLogits', [m.z, m.y], {}, n.src);
    });
    return { graph, rewrites, misses };
  },
};
