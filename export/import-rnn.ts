/**
 * ONNX's recurrent ops, RNN, GRU and LSTM, read as graphc's own ops unrolled over the sequence, which must
 * be static at import: per step and direction, products with the gate's rows of W and R (MatMul), biases,
 * Sigmoid, Tanh or Relu, Mul and Add; the outputs Y, Y_h (and LSTM's Y_c) joined by Concat. Their gradients,
 * training and export are those ops'. Gate order as ONNX's: LSTM i o f c, GRU z r h.
 *   RNN:  Ht = f(Xt·Wᵀ + Ht-1·Rᵀ + Wb + Rb)
 *   GRU:  z = f(..z), r = f(..r), h = g(Xt·Whᵀ + (r ⊙ Ht-1)·Rhᵀ + Rbh + Wbh), or with linear_before_reset
 *         g(Xt·Whᵀ + r ⊙ (Ht-1·Rhᵀ + Rbh) + Wbh);  Ht = (1 − z) ⊙ h + z ⊙ Ht-1
 *   LSTM: i = f(..i + Pi ⊙ Ct-1), f = f(..f + Pf ⊙ Ct-1), c = g(..c), Ct = f ⊙ Ct-1 + i ⊙ c,
 *         o = f(..o + Po ⊙ Ct), Ht = o ⊙ h(Ct)
 * A state not given is zero, and its terms are left out of the first step. `sequence_lens` (known at import)
 * gives each sequence its own length l: steps 0..l-1 (a reverse direction starts at l-1); past it a 0/1 mask
 * per step, built at import, makes Y zero and holds the state, so Y_h (Y_c) is the state at the sequence's
 * last step (zero for l = 0, as onnxruntime has it); a step past every length is no node at all. Refused by
 * name: activations other than Sigmoid, Tanh and Relu, their alpha and beta, `clip`, LSTM's `input_forget` 1,
 * lengths outside 0..S, and lengths shorter than S over a batch that is not static or not theirs.
 * The input products stay one per gate and step: X·Wᵀ for every step (or every gate) as one product, cut per
 * step and gate, was measured slower in inference (each cut is a Slice, a copy). Its training step was slower
 * still then, but the sum-slice-grads pass has since put the cuts' gradients into one buffer (no longer one
 * zero-padded product per cut, quadratic in S), and that form has not been measured again.
 */
import type { Node } from '../compiler/ir/node.ts';
import * as B from '../compiler/ir/build.ts';
import { shapeStr, type Dim } from '../compiler/ir/shape.ts';
import { needStatic, onnxOperand as need, onnxRule as rule, type OnnxImportCtx as OpContext, type OnnxImporter as Importer } from '../compiler/ops/op.ts';
import { raise } from '../compiler/ops/onnx-read.ts';

/** The longest sequence unrolled: the graph holds each step's nodes, so a file cannot claim millions of them. */
export const MAX_SEQUENCE = 4096;

type Act = (x: Node) => Node;
const ACTS: Readonly<Record<string, Act>> = { sigmoid: B.sigmoid, tanh: B.tanh, relu: B.relu };

/** The sum of the terms present (a state not given contributes none). */
const plus = (...xs: (Node | undefined)[]): Node | undefined => xs.reduce<Node | undefined>((a, x) => (!x ? a : a ? B.add(a, x) : x), undefined);
const times = (a: Node, b: Node | undefined) => (b ? B.mul(a, b) : undefined);

/** One direction's weights: gate k's rows of W and R, the bias sums and peepholes (each [H]). */
interface Dir { w: Node[]; r: Node[]; wb: (Node | undefined)[]; rb: (Node | undefined)[]; p: Node[]; acts: Act[]; h0?: Node; c0?: Node }
type Step = (d: Dir, xt: Node, h: Node | undefined, c: Node | undefined) => { h: Node; c?: Node };

/** Xt·Wkᵀ + Ht-1·Rkᵀ + Wbk + Rbk for gate k (the recurrent product left out while the state is zero). */
const gate = (d: Dir, k: number, xt: Node, h: Node | undefined) => plus(B.matmul(xt, d.w[k], false, true), h && B.matmul(h, d.r[k], false, true), d.wb[k], d.rb[k])!;

const rnnStep: Step = (d, xt, h) => ({ h: d.acts[0](gate(d, 0, xt, h)) });

const gruStep = (linearBeforeReset: boolean): Step => (d, xt, h) => {
  const [f, g] = d.acts;
  const z = f(gate(d, 0, xt, h)), r = f(gate(d, 1, xt, h));
  const xh = plus(B.matmul(xt, d.w[2], false, true), d.wb[2])!;
  const rec = linearBeforeReset ? times(r, plus(h && B.matmul(h, d.r[2], false, true), d.rb[2])) : plus(h && B.matmul(B.mul(r, h), d.r[2], false, true), d.rb[2]);
  const hh = g(plus(xh, rec)!);
  return { h: plus(B.mul(B.sub(1, z), hh), times(z, h))! };
};

const lstmStep: Step = (d, xt, h, c) => {
  const [f, g, hf] = d.acts;
  const peep = (k: number, s: Node | undefined) => (d.p.length ? times(d.p[k], s) : undefined);
  const i = f(plus(gate(d, 0, xt, h), peep(0, c))!);
  const fg = f(plus(gate(d, 2, xt, h), peep(2, c))!);
  const cc = plus(times(fg, c), B.mul(i, g(gate(d, 3, xt, h))))!;
  const o = f(plus(gate(d, 1, xt, h), peep(1, cc))!);
  return { h: B.mul(o, hf(cc)), c: cc };
};

/** The activations of each direction: `activations` as given (names read case-insensitively), else the op's defaults. */
function activations(c: OpContext, op: string, defaults: string[], dirs: number): Act[][] {
  const given = c.attrStrings('activations');
  for (const a of ['activation_alpha', 'activation_beta']) if (c.attrFloats(a)?.length) raise(`attribute '${a}' not supported (graphc reads the activations Sigmoid, Tanh and Relu, which take none)`);
  const names = given ?? Array.from({ length: dirs }, () => defaults).flat();
  if (names.length !== defaults.length * dirs) raise(`${op} with ${names.length} activations (expected ${defaults.length * dirs}: ${defaults.length} per direction)`);
  const acts = names.map((n) => ACTS[n.toLowerCase()] ?? raise(`activation '${n}' not supported (graphc reads Sigmoid, Tanh and Relu)`));
  return Array.from({ length: dirs }, (_, k) => acts.slice(k * defaults.length, (k + 1) * defaults.length));
}

/** RNN (1 gate), GRU (3) or LSTM (4), with the step each computes and its default activations. */
function recurrent(op: string, gates: number, defaults: string[], step: (c: OpContext) => Step): Importer {
  const lstm = op === 'LSTM';
  return rule([7, 14, 22], (c) => {
    const [x, w, r] = [need(c, 0), need(c, 1), need(c, 2)];
    const direction = c.attrString('direction', 'forward');
    const reverse = direction === 'forward' ? [false] : direction === 'reverse' ? [true] : direction === 'bidirectional' ? [false, true] : raise(`direction '${direction}' (expected forward, reverse or bidirectional)`);
    const D = reverse.length;
    const layout = c.opset >= 14 ? c.attrInt('layout', 0) : 0;
    if (layout !== 0 && layout !== 1) raise(`layout ${layout} (expected 0 or 1)`);
    if (x.shape.length !== 3) raise(`input 0 (X) of shape ${shapeStr(x.shape)} (expected 3-D)`);
    const [S, N, I] = layout ? [x.shape[1], x.shape[0], x.shape[2]] : x.shape;
    if (typeof S !== 'number') return needStatic(`${op} over the symbolic sequence length ${S} of input 0 (X) ${shapeStr(x.shape)}: graphc unrolls the sequence at import, so its length must be known`, [S]);
    if (S < 1) raise(`${op} over an empty sequence`);
    if (S > MAX_SEQUENCE) raise(`${op} over a sequence of ${S} steps, more than graphc unrolls (${MAX_SEQUENCE})`);
    if (typeof I !== 'number') return needStatic(`input 0 (X) of shape ${shapeStr(x.shape)}: its input size must be known`, [I]);
    const H = r.shape[2];
    if (typeof H !== 'number' || c.attrInt('hidden_size', H) !== H) return raise(`hidden_size ${c.attrInt('hidden_size', 0)} against R of shape ${shapeStr(r.shape)}`);
    const check = (t: Node, k: number, what: string, shape: readonly Dim[]) => {
      if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) raise(`input ${k} (${what}) of shape ${shapeStr(t.shape)} (expected ${shapeStr(shape)})`);
      return t;
    };
    check(w, 1, 'W', [D, gates * H, I]);
    check(r, 2, 'R', [D, gates * H, H]);
    const lens = c.has(4) ? c.known(4, `sequence_lens decides where each sequence of the ${op} ends`) : undefined;
    if (lens && lens.some((l) => !Number.isInteger(l) || l < 0 || l > S)) raise(`sequence_lens [${lens.join(', ')}] (expected lengths from 0 to the sequence's ${S})`);
    const short = lens?.some((l) => l !== S) ? lens : undefined;
    if (short && short.length !== N) raise(`sequence_lens of ${short.length} values for a batch of ${N} (input 0, X of shape ${shapeStr(x.shape)}): graphc masks each step at import, so the batch must be static and match`);
    if (c.attrFloat('clip', Infinity) !== Infinity) raise('attribute \'clip\' not supported (cell clipping)');
    if (lstm && c.attrInt('input_forget', 0) !== 0) raise('input_forget 1 not supported (coupled input and forget gates)');
    const acts = activations(c, op, defaults, D);
    const bias = c.has(3) ? check(need(c, 3), 3, 'B', [D, 2 * gates * H]) : undefined;
    const peep = lstm && c.has(7) ? check(need(c, 7), 7, 'P', [D, 3 * H]) : undefined;
    const stateShape = layout ? [N, D, H] : [D, N, H];
    const state = (k: number, what: string) => (c.has(k) ? check(need(c, k), k, what, stateShape) : undefined);
    const [h0, c0] = [state(5, 'initial_h'), lstm ? state(6, 'initial_c') : undefined];
    const flat = (t: Node, shape: Dim[]) => B.reshape(t, shape);
    const rows = (m: Node, d: number, k: number, cols: number) => flat(B.sliceAxis(B.sliceAxis(m, 0, d, 1), 1, k * H, H), [H, cols]);
    const part = (v: Node | undefined, d: number, k: number) => v && flat(B.sliceAxis(B.sliceAxis(v, 0, d, 1), 1, k * H, H), [H]);
    const ofDir = (s: Node | undefined, d: number) => s && flat(B.sliceAxis(s, layout, d, 1), [N, H]);
    const run = step(c);
    const zeros = () => B.constant(new Float32Array(short!.length * H), [short!.length, H]);
    const ys: Node[][] = [], last: Node[] = [], lastC: Node[] = [];
    reverse.forEach((rev, d) => {
      const dir: Dir = {
        w: [...Array(gates).keys()].map((k) => rows(w, d, k, I)),
        r: [...Array(gates).keys()].map((k) => rows(r, d, k, H)),
        wb: [...Array(gates).keys()].map((k) => part(bias, d, k)),
        rb: [...Array(gates).keys()].map((k) => part(bias, d, gates + k)),
        p: peep ? [0, 1, 2].map((k) => part(peep, d, k)!) : [],
        acts: acts[d],
      };
      let [h, cell] = [ofDir(h0, d), ofDir(c0, d)];
      ys[d] = [];
      for (let i = 0; i < S; i++) {
        const t = rev ? S - 1 - i : i;
        // a sequence of length l takes steps 0..l-1 (a reverse one from l-1 down); past it, Y is zero and the state held
        const m = short?.map((l) => (t < l ? 1 : 0));
        if (m && !m.includes(1)) {
          ys[d][t] = zeros();
          continue;
        }
        const next = run(dir, flat(B.sliceAxis(x, layout, t, 1), [N, I]), h, cell);
        if (m && m.includes(0)) {
          const [on, off] = [B.constant(m, [m.length, 1]), B.constant(m.map((v) => 1 - v), [m.length, 1])];
          ys[d][t] = B.mul(on, next.h);
          [h, cell] = [plus(ys[d][t], times(off, h)), next.c && plus(B.mul(on, next.c), times(off, cell))];
        } else [h, cell, ys[d][t]] = [next.h, next.c, next.h];
      }
      // a sequence of length 0 ends in a zero state, as onnxruntime has it (not its initial one)
      const ended = (s: Node | undefined) => (!s ? zeros() : short?.includes(0) ? B.mul(B.constant(short.map((l) => (l ? 1 : 0)), [N as number, 1]), s) : s);
      last[d] = ended(h);
      if (lstm) lastC[d] = ended(cell);
    });
    const cat = (xs: Node[], axis: number) => (xs.length === 1 ? xs[0] : B.mk('Concat', xs, { axis }));
    // Y: [S, D, N, H] (layout 0) or [N, S, D, H] (layout 1); Y_h and Y_c: [D, N, H] or [N, D, H]
    const y = cat([...Array(S).keys()].map((t) => cat(ys.map((yd) => B.unsqueeze(yd[t], layout ? [1, 2] : [0, 1])), layout ? 2 : 1)), layout ? 1 : 0);
    const final = (hs: Node[]) => cat(hs.map((s) => B.unsqueeze(s, [layout])), layout);
    return lstm ? [y, final(last), final(lastC)] : [y, final(last)];
  });
}

export const rnnImporters: Readonly<Record<string, Importer>> = {
  RNN: recurrent('RNN', 1, ['Tanh'], () => rnnStep),
  GRU: recurrent('GRU', 3, ['Sigmoid', 'Tanh'], (c) => gruStep(c.attrInt('linear_before_reset', 0) !== 0)),
  LSTM: recurrent('LSTM', 4, ['Sigmoid', 'Tanh', 'Tanh'], () => lstmStep),
};
