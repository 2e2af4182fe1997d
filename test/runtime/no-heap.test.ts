/**
 * Without shared WebAssembly memory (a browser page without cross-origin isolation), the runtime uses
 * ordinary arrays and copying kernels: the same training gives the same numbers, and `threads: 2`
 * runs on one thread and says why.
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
      // threads: 2 where no memory can be shared: one thread, the same numbers, and one warning that says why
      const { train } = await import('../../index.ts');
      const toy = (await import('../../graphs/toy.ts')).default;
      const toyData = { x: [[1, 2], [2, 3], [3, 1], [4, 3], [5, 3], [6, 2]], y: [0, 0, 0, 1, 1, 1] };
      const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
      try {
        const two = await train(toy, { data: toyData, epochs: 20, threads: 2 });
        await train(toy, { data: toyData, epochs: 20, threads: 2 });
        const one = await train(toy, { data: toyData, epochs: 20, threads: 1 });
        expect(two.log).toEqual(one.log);
        expect(warn.mock.calls).toEqual([[expect.stringMatching(/^graphc: threads: 2 runs on one thread: .*cross-origin isolated.*Cross-Origin-Embedder-Policy: require-corp/)]]);
      } finally {
        warn.mockRestore();
      }
    } finally {
      delete process.env.GRAPHC_NO_HEAP;
    }
  });
});
