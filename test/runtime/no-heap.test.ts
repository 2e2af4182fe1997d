/**
 * Without shared WebAssembly memory (a browser page without cross-origin isolation), the runtime uses
 * ordinary arrays and copying kernels: the same training gives the same numbers.
 */
import { describe, expect, it } from 'vitest';

describe('runtime without the heap', () => {
  it('trains W4 batches to the same losses as with the heap', async () => {
    const { heap } = await import('../../runtime/kernels/heap.ts');
    const { syntheticData } = await import('../../graphs/mlp-w4.ts');
    const mlp = (await import('../../graphs/mlp-w4.ts')).default;
    const { fitModel: fit } = await import('../../runtime/train.ts');
    const cfg = { ...mlp.train, epochs: 0, logEvery: 1, batchSize: 128 };
    const data = syntheticData(512);
    const withHeap = fit(mlp.build(), data, cfg, { metrics: null });
    expect(heap()).not.toBeNull();
    // the same modules, reloaded with the heap turned off
    process.env.GRAPHC_NO_HEAP = '1';
    const { vi } = await import('vitest');
    vi.resetModules();
    try {
      const h2 = await import('../../runtime/kernels/heap.ts');
      const fit2 = (await import('../../runtime/train.ts')).fitModel;
      const mlp2 = (await import('../../graphs/mlp-w4.ts')).default;
      expect(h2.heap()).toBeNull();
      const without = fit2(mlp2.build(), data, cfg, { metrics: null });
      expect(without.log[0].cost).toBeCloseTo(withHeap.log[0].cost, 5);
      const W = [...without.params.values.values()][0], W0 = [...withHeap.params.values.values()][0];
      expect(W instanceof Float32Array && !(W.buffer instanceof SharedArrayBuffer)).toBe(true);
      for (let i = 0; i < W.length; i += 97) expect(Math.abs(W[i] - W0[i])).toBeLessThanOrEqual(1e-6);
    } finally {
      delete process.env.GRAPHC_NO_HEAP;
    }
  });
});
