/** The runtime's heap: regions, reuse, growth without moving, and plans placing their buffers in it. */
import { describe, expect, it } from 'vitest';
import { Heap, heap } from '../../runtime/kernels/heap.ts';
import { Plan } from '../../runtime/plan.ts';
import { ParamStore } from '../../runtime/executable.ts';
import { trainStepGraph } from '../../compiler/train/step.ts';
import mlp from '../../graphs/mlp-w4.ts';

const fresh = () => new Heap(new WebAssembly.Memory({ initial: 1, maximum: 1024, shared: true }));

describe('heap', () => {
  it('hands out zeroed, aligned, disjoint regions and knows its own views', () => {
    const h = fresh();
    const a = h.alloc(10), b = h.alloc(100), c = h.alloc(3);
    for (const v of [a, b, c]) {
      expect(v.byteOffset % 64).toBe(0);
      expect([...v].every((x) => x === 0)).toBe(true);
      expect(h.owns(v)).toBe(true);
    }
    a.fill(1), b.fill(2), c.fill(3);
    expect([a[9], b[0], b[99], c[0]]).toEqual([1, 2, 2, 3]);
    expect(h.owns(new Float32Array(4))).toBe(false);
  });

  it('clears reused memory for a zeroed region, and leaves a region its writer overwrites as it was', () => {
    const h = fresh();
    const a = h.alloc(100);
    a.fill(9);
    const at = a.byteOffset;
    h.free(a);
    // a's memory again, partly: the part handed out before is cleared, the rest was never written
    const b = h.alloc(200);
    expect(b.byteOffset).toBe(at);
    expect([...b].every((x) => x === 0)).toBe(true);
    b.fill(4);
    h.free(b);
    const c = h.alloc(150, undefined, false);
    expect(c.byteOffset).toBe(at);
    expect(c[0]).toBe(4); // not cleared: a copy's or a staging buffer's writer overwrites it whole
    h.free(c);
    const d = h.copyOf([1, 2, 3]);
    expect([...d]).toEqual([1, 2, 3]);
    const e = h.alloc(300);
    expect([...e].every((x) => x === 0)).toBe(true);
  });

  it('reuses freed regions, coalescing neighbours', () => {
    const h = fresh();
    const a = h.alloc(16), b = h.alloc(16), c = h.alloc(16);
    const keep = h.alloc(16);
    h.free(a), h.free(b), h.free(c);
    // the three freed neighbours make one region large enough for 48 floats, at a's place
    const d = h.alloc(48);
    expect(d.byteOffset).toBe(a.byteOffset);
    expect(h.usedBytes).toBe(48 * 4 + 64);
    h.free(d), h.free(keep);
    expect(h.usedBytes).toBe(0);
  });

  it('grows without moving: views made before a growth keep their values', () => {
    const h = fresh();
    const a = h.alloc(1000);
    a.fill(7);
    const before = h.sizeBytes;
    const big = h.alloc(1_000_000); // grows the memory past 4 MB
    expect(h.sizeBytes).toBeGreaterThan(before);
    expect(a[999]).toBe(7);
    a[0] = 5;
    expect(new Float32Array(h.memory.buffer, a.byteOffset, 1)[0]).toBe(5);
    expect(h.owns(a) && h.owns(big)).toBe(true);
  });

  it('knows its views over every buffer object the memory hands out, a growth or not', () => {
    // a shared memory's buffer is a new SharedArrayBuffer object after any grow call, one of no pages
    // included (the JS API refreshes it); views over each object are views of the same memory
    const h = new Heap(new WebAssembly.Memory({ initial: 1, maximum: 16, shared: true }));
    const before = h.alloc(4);
    const object = h.memory.buffer;
    h.memory.grow(0);
    expect(h.memory.buffer).not.toBe(object);
    const after = h.alloc(4);
    const outside = new Float32Array(h.memory.buffer, 1024, 4); // made by a kernel from the memory itself
    expect(h.owns(before) && h.owns(after) && h.owns(outside)).toBe(true);
    expect(h.owns(new Float32Array(new SharedArrayBuffer(64)))).toBe(false);
    h.free(after);
    h.free(before);
  });

  it('float32 plans place their arenas, parameters and constants in the heap; float64 plans do not', () => {
    const h = heap();
    expect(h).not.toBeNull();
    const m = mlp.build();
    const step = trainStepGraph(m, { lr: 0.05 });
    const plan = new Plan(step, new Map([['x', [4, 784]], ['y', [4]]]));
    const ps = new ParamStore(step.params);
    for (const v of ps.values.values()) expect(h!.owns(v)).toBe(true);
    const computed = step.nodes.filter((n) => n.op !== 'Input' && n.op !== 'Param');
    for (const n of computed) expect(h!.owns(plan.buffer(n))).toBe(true);
    const ref = new Plan(step, new Map([['x', [4, 784]], ['y', [4]]]), 'f64');
    expect(ref.buffer(computed[0]) instanceof Float64Array).toBe(true);
  });
});
