/**
 * Interning tables: one per build (scope, see node.ts). A node is found by a numeric hash of its op, its
 * inputs' ids and its attributes, and a hit is confirmed by comparing op, inputs (by identity) and
 * attributes (by value: numbers by value with NaN equal to NaN, array payloads element by element, a
 * Float32Array's elements with `Object.is`). No key strings are built.
 *
 * A build's table holds its nodes strongly and each node holds its table, so a build's nodes live and go
 * together. The table of nodes built outside any build holds them weakly (it is never dropped), and a
 * collected node's entry is removed after it.
 */
import type { Attrs, AttrValue } from './node.ts';

/** What a table stores: an interned node's identity-defining parts. */
export interface Interned {
  readonly id: number;
  readonly op: string;
  readonly inputs: readonly Interned[];
  readonly attrs: Attrs;
}

type Bucket<T> = T | T[];

export class InternTable<T extends Interned> {
  private readonly strong = new Map<number, Bucket<T>>();
  private readonly weakRefs = new Map<number, Bucket<WeakRef<T>>>();
  /** Removes the collected nodes of a hash's entry (weak tables). */
  private readonly cleanup = new FinalizationRegistry<number>((h) => this.sweep(h));

  /** `id` orders builds: a node belongs to the latest among its inputs' and the current one. */
  constructor(readonly id: number, private readonly weak = false) {}

  /** The node `op(inputs; attrs)` with hash `h`, if the table holds one. */
  find(h: number, op: string, inputs: readonly Interned[], attrs: Attrs): T | undefined {
    if (this.weak) {
      const b = this.weakRefs.get(h);
      if (b === undefined) return undefined;
      if (!Array.isArray(b)) {
        const n = b.deref();
        return n && same(n, op, inputs, attrs) ? n : undefined;
      }
      for (const r of b) {
        const n = r.deref();
        if (n && same(n, op, inputs, attrs)) return n;
      }
      return undefined;
    }
    const b = this.strong.get(h);
    if (b === undefined) return undefined;
    if (!Array.isArray(b)) return same(b, op, inputs, attrs) ? b : undefined;
    for (const n of b) if (same(n, op, inputs, attrs)) return n;
    return undefined;
  }

  add(h: number, n: T): void {
    if (!this.weak) return put(this.strong, h, n);
    put(this.weakRefs, h, new WeakRef(n));
    this.cleanup.register(n, h);
  }

  private sweep(h: number): void {
    const b = this.weakRefs.get(h);
    if (b === undefined) return;
    const live = (Array.isArray(b) ? b : [b]).filter((r) => r.deref() !== undefined);
    if (live.length === 0) this.weakRefs.delete(h);
    else this.weakRefs.set(h, live.length === 1 ? live[0] : live);
  }
}

function put<V>(m: Map<number, Bucket<V>>, h: number, v: V): void {
  const b = m.get(h);
  if (b === undefined) m.set(h, v);
  else if (Array.isArray(b)) b.push(v);
  else m.set(h, [b, v]);
}

function same(n: Interned, op: string, inputs: readonly Interned[], attrs: Attrs): boolean {
  if (n.op !== op || n.inputs.length !== inputs.length) return false;
  for (let i = 0; i < inputs.length; i++) if (n.inputs[i] !== inputs[i]) return false;
  return sameAttrs(n.attrs, attrs);
}

function sameAttrs(a: Attrs, b: Attrs): boolean {
  if (a === b) return true;
  let count = 0;
  for (const k in b) {
    count++;
    if (!Object.prototype.hasOwnProperty.call(a, k) || !sameValue(a[k], b[k])) return false;
  }
  for (const _ in a) count--;
  return count === 0;
}

function sameValue(x: AttrValue | undefined, y: AttrValue | undefined): boolean {
  if (x === y) return true;
  if (typeof x === 'number') return typeof y === 'number' && x !== x && y !== y;
  if (typeof x !== 'object' || typeof y !== 'object' || x === null || y === null) return false;
  if (x instanceof Float32Array) {
    if (!(y instanceof Float32Array) || x.length !== y.length) return false;
    for (let i = 0; i < x.length; i++) if (!Object.is(x[i], y[i])) return false;
    return true;
  }
  if (y instanceof Float32Array) return false;
  if (Array.isArray(x) !== Array.isArray(y)) return false;
  if (Array.isArray(x)) {
    const ys = y as readonly (number | string)[];
    if (x.length !== ys.length) return false;
    for (let i = 0; i < x.length; i++) if (!sameValue(x[i], ys[i])) return false;
    return true;
  }
  // a plain object (not an attribute type, but hashed and compared as one would expect)
  return sameAttrs(x as unknown as Attrs, y as unknown as Attrs);
}

/** The hash of `op(inputs; attrs)`: op and inputs in order, attributes in any order. */
export function nodeHash(op: string, inputs: readonly Interned[], attrs: Attrs): number {
  let h = strHash(op, 0x9e3779b9);
  for (let i = 0; i < inputs.length; i++) h = mix(h, inputs[i].id);
  return mix(h, attrsHash(attrs));
}

function attrsHash(attrs: Attrs): number {
  let s = 0;
  for (const k in attrs) s = (s + mix(strHash(k, 0x85ebca6b), valueHash(attrs[k]))) | 0;
  return s;
}

/** The most words of a Float32Array payload its hash reads (and its last one). */
const SAMPLED = 256;
const f64 = new Float64Array(1);
const f64Words = new Int32Array(f64.buffer);

function valueHash(v: AttrValue | undefined): number {
  switch (typeof v) {
    case 'number':
      if (v === 0) return 0x1234567; // 0 and -0 are equal
      if (v !== v) return 0x7654321; // so are NaNs
      f64[0] = v;
      return mix(f64Words[0], f64Words[1]);
    case 'string':
      return strHash(v, 0x27d4eb2f);
    case 'boolean':
      return v ? 0x3c6ef372 : 0x3c6ef373;
    case 'undefined':
      return 0x5bd1e995;
    default:
      break;
  }
  if (v === null) return 0x1b873593;
  if (v instanceof Float32Array) {
    // the payload's bits, a word at a time (a Float32Array's offset is a multiple of 4); of a long payload
    // (a parameter's initial values) only SAMPLED words spread over it: equal payloads still hash equal,
    // and a hit is confirmed by comparing every element (sameValue), so a payload need not be read whole
    // to be built
    const w = new Int32Array(v.buffer, v.byteOffset, v.length);
    let h = 0x165667b1 ^ v.length;
    const step = w.length <= SAMPLED ? 1 : w.length / SAMPLED;
    for (let k = 0, n = Math.min(w.length, SAMPLED); k < n; k++) h = Math.imul(h ^ w[Math.floor(k * step)], 0x01000193) ^ (h >>> 15);
    return w.length > SAMPLED ? Math.imul(h ^ w[w.length - 1], 0x01000193) ^ (h >>> 15) : h;
  }
  if (Array.isArray(v)) {
    let h = 0x68e31da4 ^ v.length;
    for (let i = 0; i < v.length; i++) h = mix(h, valueHash(v[i] as AttrValue));
    return h;
  }
  return attrsHash(v as unknown as Attrs);
}

function strHash(s: string, seed: number): number {
  let h = seed ^ s.length;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h;
}

function mix(h: number, x: number): number {
  h = Math.imul(h ^ x, 0xcc9e2d51);
  h = (h << 15) | (h >>> 17);
  return Math.imul(h, 0x1b873593) ^ (h >>> 13);
}
