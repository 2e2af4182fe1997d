/**
 * fuse-sigmoid-bce: binary cross-entropy of a sigmoid, however it is written, becomes one BCEWithLogits
 * on the logits. Two forms are recognized:
 *   - the BCE op on sigmoid(z):                 BCE(sigmoid(z), y)
 *   - the formula, up to algebra:               -(y·log(h) + (1 - y)·log(1 - h)) averaged, h = sigmoid(z)
 * The formula is matched semantically rather than by shape of tree: the average may be a mean, a sum
 * divided by the element count (a constant or the count itself), or a sum times 1/count; the minus may
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

/** The average of E over all its elements, if `n` computes one: returns E. */
function averageOf(n: Node): Node | { miss: string } | undefined {
  if (n.op === 'Mean') return n.attrs.axes === null ? n.inputs[0] : { miss: 'the mean is over some axes only' };
  const sumAll = (s: Node) => s.op === 'Sum' && s.attrs.axes === null;
  if (n.op === 'Div' && sumAll(n.inputs[0])) {
    const e = n.inputs[0].inputs[0];
    const d = n.inputs[1];
    if (d.op === 'SizeOf' && d.inputs[0] === e && d.attrs.axes === null) return e;
    const c = constValue(d);
    if (c === undefined) return { miss: 'the sum is divided by something other than the element count' };
    if (!isStatic(e.shape)) return { miss: `the sum is divided by ${c}, but the element count of ${shapeStr(e.shape)} is only known at run time` };
    return sizeOf(e.shape) === c ? e : { miss: `the sum is divided by ${c}, not by its ${sizeOf(e.shape)} elements` };
  }
  if (n.op === 'Mul') {
    for (const [s, k] of [n.inputs, [...n.inputs].reverse()]) {
      if (!sumAll(s)) continue;
      const c = constValue(k);
      const e = s.inputs[0];
      if (c !== undefined && isStatic(e.shape) && Math.abs(c * sizeOf(e.shape) - 1) < 1e-6) return e;
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
  return n.inputs.some((i) => mentionsLogSigmoid(i, depth + 1));
}

export const fuseSigmoidBce: Pass = {
  name: 'fuse-sigmoid-bce',
  description: 'BCE of sigmoid(z), as the op or written out, becomes the stable BCEWithLogits(z, y)',
  run(g) {
    const rewrites: Rewrite[] = [];
    const misses: Rewrite[] = [];
    const users = consumers(g);
    const negated = (n: Node) => (users.get(n) ?? []).some((u) => u.op === 'Neg' || (u.op === 'Mul' && u.inputs.some((i) => isConst(i, -1))));
    const graph = mapNodes(g, (n, original) => {
      if (n.op === 'BCE') {
        const [h, y] = n.inputs;
        if (h.op !== 'Sigmoid') return undefined;
        rewrites.push({ what: 'BCE(sigmoid(z), y) -> BCEWithLogits(z, y)', src: n.src });
        return B.mk('BCEWithLogits', [h.inputs[0], y], {}, n.src);
      }
      let sign = 1;
      let core = n;
      if (n.op === 'Neg') { sign = -1; core = n.inputs[0]; }
      else if (n.op === 'Mul' && (isConst(n.inputs[1], -1) || isConst(n.inputs[0], -1))) { sign = -1; core = isConst(n.inputs[1], -1) ? n.inputs[0] : n.inputs[1]; }
      const avg = averageOf(core);
      if (avg === undefined) return undefined;
      if (!('op' in avg)) {
        if (mentionsLogSigmoid(core) && !(sign === 1 && negated(original))) misses.push({ what: avg.miss, src: n.src });
        return undefined;
      }
      if (!mentionsLogSigmoid(avg)) return undefined;
      const m = matchFormula(avg, sign);
      if ('miss' in m) {
        // an average under a negation is judged when its Neg parent is visited
        if (!(sign === 1 && negated(original))) misses.push({ what: m.miss, src: n.src });
        return undefined;
      }
      rewrites.push({ what: '-(y*log(h) + (1-y)*log(1-h)) averaged, h = sigmoid(z) -> BCEWithLogits(z, y)', src: n.src });
      return B.mk('BCEWithLogits', [m.z, m.y], {}, n.src);
    });
    return { graph, rewrites, misses };
  },
};
