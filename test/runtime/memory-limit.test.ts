/**
 * A model needing more memory than WebAssembly can grow to is the user's error, saying how much it
 * needs, not an internal error from WebAssembly.Memory.grow().
 */
import { describe, expect, it } from 'vitest';
import { Heap, MemoryLimitError, heap } from '../../runtime/kernels/heap.ts';
import { Plan } from '../../runtime/plan.ts';
import { importOnnx } from '../../export/index.ts';
import { isUserError } from '../../cli/errors.ts';
import { model } from '../fuzz/build.ts';

describe('memory limits', () => {
  it('a region past 4 GiB is a MemoryLimitError naming what is needed', () => {
    const h = new Heap(new WebAssembly.Memory({ initial: 1, maximum: 65536, shared: true }));
    let err: unknown;
    try {
      h.alloc(2 ** 31);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(MemoryLimitError);
    expect((err as Error).message).toMatch(/^this model needs 8\.0 GiB of memory, more than the 4 GiB WebAssembly memory can hold$/);
    expect(isUserError(err)).toBe(true);
  });
  it('a growth the memory refuses is one too', () => {
    const h = new Heap(new WebAssembly.Memory({ initial: 1, maximum: 4, shared: true }));
    expect(() => h.alloc(2 ** 20)).toThrow(MemoryLimitError);
    expect(h.alloc(16)).toHaveLength(16); // and the heap still works
  });
  it('planning a model whose values need more than 4 GiB', () => {
    const bytes = model({
      inputs: [{ name: 'x', dims: ['N', 16384] }],
      nodes: [{ op: 'Relu', inputs: ['x'] }, { op: 'Neg', inputs: ['x'] }, { op: 'Exp', inputs: ['x'] }, { op: 'Tanh', inputs: ['x'] }, { op: 'Add', inputs: ['t0', 't1'] }, { op: 'Add', inputs: ['t2', 't3'] }],
      outputs: ['t4', 't5', 't0', 't1', 't2', 't3'],
    });
    const m = importOnnx(bytes);
    expect(heap()).not.toBeNull();
    expect(() => new Plan(m.graph, new Map([['x', [16384, 16384]]]))).toThrow(/^this model needs \d+\.\d GiB of memory/);
  });
});
