/**
 * Elementwise kernels generated as code: one loop over the output, each input read through the cheapest
 * index that its broadcast allows (same position, a scalar, a repeating tile, a repeated element, or a
 * precomputed index map). The same generator runs single ops and fused elementwise chains.
 */
import type { Kernel } from './kernel.ts';
import { sizeOf } from '../../compiler/ir/shape.ts';
import { offsetMap, rowMajorStrides } from './strides.ts';

type Access = { kind: 'same' } | { kind: 'scalar' } | { kind: 'tile'; len: number } | { kind: 'rep'; rep: number } | { kind: 'map'; map: Int32Array };

/** How an input of `inShape` is read while looping over `outShape` (numpy broadcasting). */
export function accessFor(inShape: readonly number[], outShape: readonly number[]): Access {
  const n = sizeOf(outShape);
  const m = sizeOf(inShape);
  if (m === n) return { kind: 'same' };
  if (m === 1) return { kind: 'scalar' };
  const r = outShape.length;
  const padded = [...Array(r - inShape.length).fill(1), ...inShape];
  // tile: input equals a trailing block of the output (leading dims broadcast)
  let k = 0;
  while (k < r && padded[k] === 1) k++;
  if (padded.slice(k).every((d, i) => d === outShape[k + i])) return { kind: 'tile', len: m };
  // rep: input equals a leading block of the output, trailing dims broadcast
  let e = r;
  while (e > 0 && padded[e - 1] === 1) e--;
  if (padded.slice(0, e).every((d, i) => d === outShape[i])) return { kind: 'rep', rep: n / m };
  return { kind: 'map', map: broadcastIndexMap(padded, outShape) };
}

export function broadcastIndexMap(padded: readonly number[], outShape: readonly number[]): Int32Array {
  // a broadcast axis (size 1 in the input) does not move through the input
  const strides = rowMajorStrides(padded).map((st, d) => (padded[d] === 1 ? 0 : st));
  return offsetMap(outShape, strides);
}

const cache = new Map<string, (maps: (Int32Array | null)[], lens: number[]) => Kernel>();

/** Whether this context may generate code from strings (a page's content security policy may forbid it). */
let generates: boolean | undefined;
function canGenerate(): boolean {
  if (generates === undefined) {
    try {
      generates = new Function('return 1')() === 1;
    } catch {
      generates = false;
    }
  }
  return generates;
}

/** The value of input j at output position i, read through its access pattern. */
function reader(a: Access): (x: Float32Array, i: number) => number {
  switch (a.kind) {
    case 'same': return (x, i) => x[i];
    case 'scalar': return (x) => x[0];
    case 'tile': { const len = a.len; return (x, i) => x[i % len]; }
    case 'rep': { const rep = a.rep; return (x, i) => x[(i / rep) | 0]; }
    case 'map': { const map = a.map; return (x, i) => x[map[i]]; }
  }
}

/**
 * The kernel without generated code, where generating it is forbidden: `scalar` applied to each
 * element's inputs (the same values as the generated loop, more slowly).
 */
function interpretedKernel(scalar: (xs: number[]) => number, acc: readonly Access[]): Kernel {
  const reads = acc.map(reader);
  const xs: number[] = new Array(acc.length).fill(0);
  return (ins, out) => {
    const n = out.length;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < reads.length; j++) xs[j] = reads[j](ins[j], i);
      out[i] = scalar(xs);
    }
  };
}

/**
 * A kernel computing `expr` (a JS expression over `x0..xk`) elementwise. `expr` may use `Math.*`;
 * `statements` (run per element before it) may define temporaries for it. `scalar` computes the same
 * value from the inputs `[x0, .., xk]`; it serves where generating code is forbidden.
 * Generated code is cached by expression and access pattern.
 */
export function elementwiseKernel(expr: string, inShapes: readonly (readonly number[])[], outShape: readonly number[], scalar: (xs: number[]) => number, statements = ''): Kernel {
  const acc = inShapes.map((s) => accessFor(s, outShape));
  if (!canGenerate()) return interpretedKernel(scalar, acc);
  const sig = statements + '|' + expr + '|' + acc.map((a) => a.kind).join(',');
  let make = cache.get(sig);
  if (!make) {
    const pre: string[] = [];
    const body: string[] = [];
    acc.forEach((a, j) => {
      pre.push(`const a${j} = ins[${j}];`);
      switch (a.kind) {
        case 'same': body.push(`const x${j} = a${j}[i];`); break;
        case 'scalar': pre.push(`const x${j} = a${j}[0];`); break;
        case 'tile': body.push(`const x${j} = a${j}[i % L${j}];`); break;
        case 'rep': body.push(`const x${j} = a${j}[(i / L${j}) | 0];`); break;
        case 'map': body.push(`const x${j} = a${j}[M${j}[i]];`); break;
      }
    });
    const src = `return function (ins, out) {\n${pre.join('\n')}\nconst n = out.length;\nfor (let i = 0; i < n; i++) {\n${body.join('\n')}\n${statements}\nout[i] = ${expr};\n}\n};`;
    const factory = new Function(...acc.flatMap((_, j) => [`M${j}`, `L${j}`]), src) as (...a: unknown[]) => Kernel;
    make = (maps, lens) => factory(...maps.flatMap((m, j) => [m, lens[j]]));
    cache.set(sig, make);
  }
  const maps = acc.map((a) => (a.kind === 'map' ? a.map : null));
  const lens = acc.map((a) => (a.kind === 'tile' ? a.len : a.kind === 'rep' ? a.rep : 0));
  return make(maps, lens);
}
