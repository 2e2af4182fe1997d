/**
 * Einsum's test cases: a one-node model, random equations drawn as structures (labels per operand, ellipsis
 * dims, repeats, broadcast 1s, explicit or implicit output) and only then written as text, and the
 * reference computed from the definition: every assignment of every label's index, the operands' product
 * added into the output at its labels (a dim of 1 read at index 0, numpy's broadcast). The reference never
 * parses the equation the importer reads.
 */
import { onnx, DataType } from '../../export/proto.ts';
import { randoms } from './run.ts';

const AT = onnx.AttributeProto.AttributeType;

export function einsumModel(equation: string, shapes: (number | string)[][]): Uint8Array {
  return onnx.ModelProto.encode({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }],
    graph: {
      name: 'g',
      node: [{ name: 'e', opType: 'Einsum', input: shapes.map((_, k) => `x${k}`), output: ['y'], attribute: [{ name: 'equation', type: AT.STRING, s: new TextEncoder().encode(equation) }] }],
      input: shapes.map((s, k) => ({ name: `x${k}`, type: { tensorType: { elemType: DataType.FLOAT, shape: { dim: s.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } } })),
      output: [{ name: 'y', type: { tensorType: { elemType: DataType.FLOAT } } }],
    },
  }).finish();
}

/** An equation as a structure: each operand's labels (ellipsis dims are '.0', '.1'...), dims, the output's labels. */
export interface Case { eq: string; labels: string[][]; shapes: number[][]; out: string[]; size: Record<string, number> }

/** Σ over every assignment of every label of Π operands: the output (in f64) and Σ of |products| (for the tolerance). */
export function reference(c: Case, xs: number[][]): { y: number[]; abs: number[] } {
  const all = Object.keys(c.size);
  const outSize = c.out.reduce((p, l) => p * c.size[l], 1);
  const y = new Array<number>(outSize).fill(0), abs = new Array<number>(outSize).fill(0);
  const idx: Record<string, number> = Object.fromEntries(all.map((l) => [l, 0]));
  const flat = (labels: string[], dims: number[]) => labels.reduce((o, l, i) => o * dims[i] + (dims[i] === 1 ? 0 : idx[l]), 0);
  for (;;) {
    let p = 1;
    c.labels.forEach((ls, k) => (p *= xs[k][flat(ls, c.shapes[k])]));
    const o = flat(c.out, c.out.map((l) => c.size[l]));
    y[o] += p;
    abs[o] += Math.abs(p);
    let j = all.length - 1;
    for (; j >= 0; j--) {
      if (++idx[all[j]] < c.size[all[j]]) break;
      idx[all[j]] = 0;
    }
    if (j < 0) return { y, abs };
  }
}

/** A random equation: 1 to 3 operands of up to 4 letters, letters of both cases, repeats, broadcast 1s, an ellipsis. */
export function randomCase(seed: number): Case {
  // mulberry32: well mixed from the first draw, whatever the seed
  let st = (seed * 0x9e3779b9) >>> 0;
  const rnd = () => {
    st = (st + 0x6d2b79f5) >>> 0;
    let t = Math.imul(st ^ (st >>> 15), 1 | st);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const pick = <T,>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)];
  const pool = [...'abcdijkXY'].slice(0, 2 + Math.floor(rnd() * 6));
  const size: Record<string, number> = Object.fromEntries(pool.map((l) => [l, 1 + Math.floor(rnd() * 3)]));
  const ell = rnd() < 0.3 ? Math.floor(rnd() * 3) : -1;
  for (let i = 0; i < ell; i++) size[`.${i}`] = 1 + Math.floor(rnd() * 3);
  const n = 1 + Math.floor(rnd() * 3);
  const labels: string[][] = [], shapes: number[][] = [], terms: string[] = [];
  for (let k = 0; k < n; k++) {
    const letters: string[] = [];
    const rank = Math.floor(rnd() * 5);
    for (let i = 0; i < rank; i++) letters.push(letters.length && rnd() < 0.1 ? pick(letters) : pick(pool));
    const e = ell < 0 ? -1 : k === 0 ? ell : Math.floor(rnd() * (ell + 1));
    const pos = Math.floor(rnd() * (letters.length + 1));
    const ells = e < 0 ? [] : Array.from({ length: e }, (_, i) => `.${ell - e + i}`);
    const ls = [...letters.slice(0, pos), ...ells, ...letters.slice(pos)];
    labels.push(ls);
    // a dim of 1 against a larger size (not on a repeated label: numpy wants a diagonal's dims equal)
    shapes.push(ls.map((l) => (ls.indexOf(l) === ls.lastIndexOf(l) && rnd() < 0.15 ? 1 : size[l])));
    terms.push(e < 0 ? letters.join('') : `${letters.slice(0, pos).join('')}...${letters.slice(pos).join('')}`);
  }
  const used = [...new Set(labels.flat())];
  for (const l of Object.keys(size)) if (!used.includes(l)) delete size[l];
  // a label all of whose dims are 1 has size 1
  for (const l of used) if (labels.every((ls, k) => ls.every((v, i) => v !== l || shapes[k][i] === 1))) size[l] = 1;
  const ellLabels = Array.from({ length: Math.max(ell, 0) }, (_, i) => `.${i}`);
  const letters = labels.flat().filter((l) => !l.startsWith('.'));
  let out: string[], eq: string;
  if (rnd() < 0.35) {
    out = [...ellLabels, ...[...new Set(letters)].filter((l) => letters.indexOf(l) === letters.lastIndexOf(l)).sort()];
    eq = terms.join(',');
  } else {
    const chosen = [...new Set(letters)].filter(() => rnd() < 0.5).sort(() => rnd() - 0.5);
    const pos = Math.floor(rnd() * (chosen.length + 1));
    out = ell < 0 ? chosen : [...chosen.slice(0, pos), ...ellLabels, ...chosen.slice(pos)];
    eq = `${terms.join(', ')} -> ${ell < 0 ? chosen.join('') : `${chosen.slice(0, pos).join('')}...${chosen.slice(pos).join('')}`}`;
  }
  return { eq, labels, shapes, out, size };
}

export const inputsOf = (c: Case, seed: number) => c.shapes.map((s, k) => randoms(s.reduce((p, d) => p * d, 1), seed + 31 * k, -1, 1));

