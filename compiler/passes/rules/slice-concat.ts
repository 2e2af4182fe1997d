/**
 * slice-concat: a slice that takes whole parts of a Concat is those parts, not a copy out of a copy:
 *   Slice(Concat(x1..xn, axis a))  ->  xi                       it takes exactly part i
 *                                  ->  Concat(xi..xj, axis a)   it takes a contiguous run of whole parts
 * where the slice steps by 1 along a and takes every element of every other axis. The slice may read the
 * Concat through a Reshape that only drops or inserts axes of size 1: ONNX's Squeeze between an unrolled
 * RNN's layers (export/import-rnn.ts), where the second layer slices the first's output Y, [S, 1, N, H]
 * squeezed to [S, N, H], once per step. The part is then reshaped to the slice's shape, and a Reshape or
 * Unsqueeze under that reshape, or a Reshape over it, is folded into it (reshapes keep the elements in
 * their order: one is enough, and none where the shapes agree), so the step reads the part as computed.
 * It runs on the forward graph, before autodiff (pipeline.ts): the gradient then has neither the Concat's
 * slices nor each slice's zero-padded scatter of the whole Concat (SliceGrad, or the SliceGradSum that
 * sum-slice-grads makes of them). A Concat that something else still reads stays, for that reader.
 */
import type { Node } from '../../ir/node.ts';
import * as B from '../../ir/build.ts';
import { shapeStr, type Dim } from '../../ir/shape.ts';
import { atSource } from '../../ir/source.ts';
import { mapNodes } from '../rewrite.ts';
import type { Pass, Rewrite } from '../pass.ts';

/** The axis of `to` that is axis `a` of `from` when a reshape between them only drops or inserts axes of size 1. */
function unitReshapeAxis(from: readonly Dim[], to: readonly Dim[], a: number): number | undefined {
  const kept = (s: readonly Dim[]) => [...s.keys()].filter((i) => s[i] !== 1);
  const [f, t] = [kept(from), kept(to)];
  if (f.length !== t.length || f.some((i, k) => from[i] !== to[t[k]])) return undefined;
  const k = f.indexOf(a);
  return k < 0 ? undefined : t[k];
}

/** A reshape of `x` to `shape` over what `x` reshapes, if it is a Reshape or an Unsqueeze (no node where the shapes agree). */
const reshapeOf = (x: Node, shape: readonly Dim[]) => B.reshape(x.op === 'Reshape' || x.op === 'Unsqueeze' ? x.inputs[0] : x, shape);

type Found = { concat: Node; label: string; image?: Node; run?: number; miss?: string };

/** What `s`, a Slice, takes of the Concat it reads (directly or through a Reshape), or undefined where it reads none. */
function look(s: Node): Found | undefined {
  const via = s.inputs[0].op === 'Reshape' && s.inputs[0].inputs[0].op === 'Concat' ? s.inputs[0] : undefined;
  const c = via ? via.inputs[0] : s.inputs[0];
  if (c.op !== 'Concat') return undefined;
  const a = c.attrs.axis as number, parts = c.inputs;
  const label = `Concat ${shapeStr(c.shape)} (${parts.length} parts along axis ${a}${via ? `, read through a Reshape to ${shapeStr(via.shape)}` : ''})`;
  const miss = (why: string): Found => ({ concat: c, label, miss: `Slice ${shapeStr(s.shape)} of ${label} stays a copy: ${why}` });
  const sa = via ? unitReshapeAxis(c.shape, via.shape, a) : a;
  if (sa === undefined) return miss(`the Reshape of ${shapeStr(c.shape)} to ${shapeStr(via!.shape)} does more than drop or insert axes of size 1`);
  const from = s.inputs[0].shape, begin = s.attrs.begin as number[], step = s.attrs.step as number[], out = s.shape;
  const other = from.findIndex((d, k) => k !== sa && (begin[k] !== 0 || out[k] !== d || (step[k] !== 1 && d !== 1)));
  if (other >= 0) return miss(`it slices axis ${other} too (begin ${begin[other]}, step ${step[other]}: ${out[other]} of ${from[other]})`);
  if (step[sa] !== 1) return miss(`it steps by ${step[sa]} along axis ${sa}`);
  const sizes = parts.map((x) => x.shape[a]), len = out[sa];
  if (sizes.some((d) => typeof d !== 'number') || typeof len !== 'number') return miss(`a part's size along axis ${a} is symbolic`);
  if (len === 0) return miss('it takes nothing');
  const ends: number[] = [];
  (sizes as number[]).reduce((at, d) => (ends.push(at + d), at + d), 0);
  const [b, e] = [begin[sa], begin[sa] + len];
  const i = parts.findIndex((_, k) => ends[k] - (sizes[k] as number) === b && ends[k] > b);
  const j = ends.findIndex((end, k) => k >= i && end === e);
  if (i < 0 || j < 0) {
    // the part a bound of the slice falls inside
    const k = i < 0 ? ends.findIndex((end) => end > b) : ends.findIndex((end) => end > e - 1);
    const span = `[${ends[k] - (sizes[k] as number)}, ${ends[k]})`;
    const crosses = ends.findIndex((end) => end > b) !== ends.findIndex((end) => end > e - 1);
    return miss(`it takes [${b}, ${e}) along axis ${sa}, ${crosses ? 'across parts, ' : ''}cutting part ${k} ${span}`);
  }
  const run = parts.slice(i, j + 1);
  if (run.some((x) => x.dtype !== s.dtype)) return miss(`the Concat is ${s.dtype}, of parts of another dtype`);
  const whole = run.length === 1 ? run[0] : B.mk('Concat', run, { axis: a });
  return { concat: c, label, image: via ? reshapeOf(whole, s.shape) : whole, run: run.length };
}

export const sliceConcat: Pass = {
  name: 'slice-concat',
  description: 'a slice that takes whole parts of a Concat is those parts (an unrolled RNN layer reading the one before it)',
  run(g) {
    const misses: Rewrite[] = [];
    if (!g.nodes.some((n) => n.op === 'Concat')) return { graph: g, rewrites: [], misses };
    // per Concat, in the order first met: its slices rewritten, how many to one part, and where
    const hits = new Map<Node, { label: string; src: Node['src']; parts: number; runs: number }>();
    const made = new Set<Node>();
    const graph = mapNodes(g, (n) => {
      if (n.op === 'Reshape' && made.has(n.inputs[0])) return atSource(n.src, () => reshapeOf(n.inputs[0], n.shape));
      if (n.op !== 'Slice') return undefined;
      const f = atSource(n.src, () => look(n));
      if (!f) return undefined;
      if (f.miss !== undefined) {
        misses.push({ what: f.miss, src: n.src });
        return undefined;
      }
      const h = hits.get(f.concat) ?? hits.set(f.concat, { label: f.label, src: n.src, parts: 0, runs: 0 }).get(f.concat)!;
      if (f.run === 1) h.parts++;
      else h.runs++;
      if (f.image!.op === 'Reshape') made.add(f.image!);
      return f.image;
    });
    const plural = (k: number, one: string, many: string) => `${k} ${k === 1 ? one : many}`;
    const rewrites = [...hits.values()].map((h): Rewrite => ({
      what: `${plural(h.parts + h.runs, 'Slice', 'Slices')} of ${h.label} -> ${[h.parts ? plural(h.parts, 'whole part', 'whole parts') : '', h.runs ? plural(h.runs, 'Concat of fewer parts', 'Concats of fewer parts') : ''].filter(Boolean).join(' and ')}`,
      src: h.src,
      why: 'no copy into the Concat and back out, and in the gradient no zero-padded scatter of the whole Concat per slice',
    }));
    return { graph, rewrites, misses };
  },
};
