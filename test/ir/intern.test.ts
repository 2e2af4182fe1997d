/** Interning by value: which attributes make two nodes one, builds kept apart, and the tables themselves. */
import { describe, expect, it } from 'vitest';
import '../../compiler/ops/index.ts';
import { Node, inLeafScope, inScopeOf } from '../../compiler/ir/node.ts';
import { InternTable, nodeHash, type Interned } from '../../compiler/ir/intern.ts';

const x = (name = 'x') => Node.mk('Input', [], { name, shape: [4], dtype: 'f32' });
const c = (...v: number[]) => Node.mk('Const', [], { value: Float32Array.from(v), shape: [v.length] });

describe('interning compares attributes by value', () => {
  it('attributes in another order, and equal arrays, give the same node', () => {
    inLeafScope(() => {
      const a = x();
      expect(Node.mk('Sum', [a], { axes: [0], keepdims: false })).toBe(Node.mk('Sum', [a], { keepdims: false, axes: [0] }));
      expect(Node.mk('Transpose', [Node.mk('Reshape', [a], { shape: [2, 2] })], { perm: [1, 0] })).toBe(Node.mk('Transpose', [Node.mk('Reshape', [a], { shape: [2, 2] })], { perm: [1, 0] }));
      expect(Node.mk('Sum', [a], { axes: [0], keepdims: false })).not.toBe(Node.mk('Sum', [a], { axes: [0], keepdims: true }));
      expect(Node.mk('Sum', [a], { axes: [0], keepdims: false })).not.toBe(Node.mk('Sum', [a], { axes: null, keepdims: false }));
    });
  });
  it('constant payloads are compared element by element, -0 apart from 0, NaN with NaN', () => {
    inLeafScope(() => {
      expect(c(1, 2, 3)).toBe(c(1, 2, 3));
      expect(c(1, 2, 3)).not.toBe(c(1, 2, 4));
      expect(c(1, 2)).not.toBe(c(1, 2, 0));
      expect(c(0)).not.toBe(c(-0));
      expect(c(NaN)).toBe(c(NaN));
      // a payload that is a view into a larger buffer
      const buf = Float32Array.of(9, 1, 2, 3);
      expect(Node.mk('Const', [], { value: buf.subarray(1), shape: [3] })).toBe(c(1, 2, 3));
    });
  });
  it('long payloads (hashed from a sample of their words) are still compared whole', () => {
    inLeafScope(() => {
      const a = new Float32Array(100_003).map((_, i) => i);
      const b = a.slice();
      b[1] = -1; // a word the hash does not read: equal hashes, different payloads
      expect(nodeHash('Const', [], { value: a, shape: [a.length] })).toBe(nodeHash('Const', [], { value: b, shape: [b.length] }));
      const ca = Node.mk('Const', [], { value: a, shape: [a.length] });
      expect(Node.mk('Const', [], { value: a.slice(), shape: [a.length] })).toBe(ca);
      expect(Node.mk('Const', [], { value: b, shape: [b.length] })).not.toBe(ca);
      const last = a.slice();
      last[a.length - 1] = 0;
      expect(nodeHash('Const', [], { value: last, shape: [a.length] })).not.toBe(nodeHash('Const', [], { value: a, shape: [a.length] }));
    });
  });
  it('number attributes: 0 and -0 are one value, NaN is NaN, infinity is not null', () => {
    inLeafScope(() => {
      const a = x();
      expect(Node.mk('LeakyRelu', [a], { alpha: 0 })).toBe(Node.mk('LeakyRelu', [a], { alpha: -0 }));
      expect(Node.mk('LeakyRelu', [a], { alpha: NaN })).toBe(Node.mk('LeakyRelu', [a], { alpha: NaN }));
      expect(Node.mk('LeakyRelu', [a], { alpha: Infinity })).not.toBe(Node.mk('LeakyRelu', [a], { alpha: null }));
    });
  });
  it('inputs by identity and order', () => {
    inLeafScope(() => {
      const [a, b] = [x('a'), x('b')];
      expect(Node.mk('Sub', [a, b])).toBe(Node.mk('Sub', [a, b]));
      expect(Node.mk('Sub', [a, b])).not.toBe(Node.mk('Sub', [b, a]));
    });
  });
});

describe('builds are kept apart', () => {
  it('two builds never share a node; a transform of a build interns with it', () => {
    const [a, s1] = inLeafScope(() => [x(), c(2)] as const);
    const [b, s2] = inLeafScope(() => [x(), c(2)] as const);
    expect(a).not.toBe(b);
    expect(s1).not.toBe(s2);
    expect(a.scope).not.toBe(b.scope);
    // outside any build, a node over a build's nodes belongs to that build
    const m = Node.mk('Mul', [a, s1]);
    expect(m.scope).toBe(a.scope);
    expect(inScopeOf([a], () => Node.mk('Mul', [a, c(2)]))).toBe(m);
    // a node built in a later build belongs to the later one
    expect(inLeafScope(() => Node.mk('Mul', [a, s1]))).not.toBe(m);
    expect(inScopeOf([b], () => c(2))).toBe(s2);
  });
});

describe('the tables', () => {
  const node = (id: number, op = 'Neg'): Interned => ({ id, op, inputs: [], attrs: {} });
  it('nodes with one hash are told apart', () => {
    for (const weak of [false, true]) {
      const t = new InternTable<Interned>(1, weak);
      const [p, q, r] = [node(1, 'A'), node(2, 'B'), node(3, 'C')];
      for (const n of [p, q, r]) t.add(7, n);
      expect(t.find(7, 'A', [], {})).toBe(p);
      expect(t.find(7, 'B', [], {})).toBe(q);
      expect(t.find(7, 'C', [], {})).toBe(r);
      expect(t.find(7, 'D', [], {})).toBeUndefined();
      expect(t.find(8, 'A', [], {})).toBeUndefined();
    }
  });
  it('a weak table finds each of its live nodes', () => {
    const t = new InternTable<Interned>(0, true);
    const kept: Interned[] = [];
    for (let i = 0; i < 5000; i++) {
      const n = node(i, `Op${i}`);
      kept.push(n);
      t.add(nodeHash(n.op, [], {}), n);
    }
    expect(kept.every((n) => t.find(nodeHash(n.op, [], {}), n.op, [], {}) === n)).toBe(true);
  });
});
