/**
 * PyTorch's CPU random streams: mt19937 against the standard's published check value, nn.Linear's
 * initialization against the seed's published Linear(8, 1) values. (Against PyTorch run at test time,
 * bit for bit: torch-random.slow.test.ts, in the slow tier.)
 */
import { describe, expect, it } from 'vitest';
import { MT19937 } from '../../compiler/init/mt19937.ts';
import { TorchGenerator } from '../../compiler/init/torch-random.ts';

describe('mt19937 and PyTorch\'s generator', () => {
  it('the 10000th output for the default seed 5489 is 4123659995 (C++ std::mt19937\'s check)', () => {
    const g = new MT19937(5489);
    let v = 0;
    for (let i = 0; i < 10000; i++) v = g.nextUint32();
    expect(v).toBe(4123659995);
  });
  it('fill, in bulk (states twisted in WebAssembly SIMD, mt19937-wasm.ts) and in pieces: the draws one by one', () => {
    // counts around a state (624) and a call's states (16·624), after a partly used state
    for (const seed of [5489, 0, 2 ** 32 - 1]) {
      const one = new MT19937(seed), bulk = new MT19937(seed);
      for (const count of [3, 5000, 624, 1, 623, 9984, 9985, 20000, 7, 100000, 625]) {
        const want = Uint32Array.from({ length: count }, () => one.random());
        const got = new Uint32Array(count + 2);
        bulk.fill(got, 1, count);
        expect(got[0]).toBe(0);
        expect(got[count + 1]).toBe(0);
        for (let i = 0; i < count; i++) if (got[i + 1] !== want[i]) expect.fail(`seed ${seed}, count ${count}: draw ${i} is ${got[i + 1]}, not ${want[i]}`);
        expect(bulk.random()).toBe(one.random());
      }
    }
  });
  it('nn.Linear(8, 1) after manual_seed(1): the values seed-tables.md publishes', () => {
    const { weight, bias } = new TorchGenerator(1).linearInit(8, 1);
    const W = [0.182173, -0.156051, -0.06854, 0.165947, -0.332848, 0.212032, -0.072735, 0.179868];
    weight.forEach((w, i) => expect(Math.abs(w - W[i])).toBeLessThan(1e-6));
    expect(Math.abs(bias[0] - 0.04915)).toBeLessThan(1e-6);
  });
});
