/**
 * PyTorch 1.13's CPU random streams, reproduced bit for bit, so graphc initializes parameters exactly as
 * PyTorch does after `torch.manual_seed(seed)`.
 *
 * Facts relied on (PyTorch's ATen, CPUGeneratorImpl and DistributionsHelper / TransformationHelper):
 * - `random()` is one mt19937 output.
 * - float32 `uniform_(from, to)` draws one `random()` per element, in order (a serial CPU kernel), keeps
 *   its low 24 bits (float's digits), scales by 2^-24, and computes `x * (to - from) + from` in the CPU
 *   accumulation type of float, which is double, with `from` and `to` first rounded to float; the result
 *   is rounded to float.
 * - `nn.Linear(in, out)` runs `kaiming_uniform_(weight, a=√5)`, whose bound is gain·√(3/fan_in) with
 *   gain = √(2/(1+a²)) = √(1/3), i.e. 1/√in; then `uniform_(bias, -1/√in, 1/√in)`.
 */
import { MT19937 } from './mt19937.ts';

const f = Math.fround;

export class TorchGenerator {
  private readonly mt: MT19937;
  constructor(readonly seed: number) {
    this.mt = new MT19937(seed);
  }

  /** One 32-bit draw (PyTorch's `generator->random()`). */
  random(): number {
    return this.mt.nextUint32();
  }

  /** `torch.empty(n).uniform_(from, to)` for float32. */
  uniform(n: number, from: number, to: number): Float32Array {
    const lo = f(from);
    const span = f(to) - lo;
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = ((this.random() & 0xffffff) * 2 ** -24) * span + lo;
    return out;
  }

  /** What `nn.Linear(inFeatures, outFeatures)` draws: weight [out, in] row-major, then bias [out]. */
  linearInit(inFeatures: number, outFeatures: number): { weight: Float32Array; bias: Float32Array } {
    const bound = inFeatures > 0 ? 1 / Math.sqrt(inFeatures) : 0;
    // kaiming_uniform_(a=√5): gain = √(2 / (1 + 5)), std = gain / √fan_in, bound = √3·std
    const gain = Math.sqrt(2 / (1 + 5));
    const wBound = Math.sqrt(3) * (gain / Math.sqrt(inFeatures));
    const weight = this.uniform(inFeatures * outFeatures, -wBound, wBound);
    const bias = this.uniform(outFeatures, -bound, bound);
    return { weight, bias };
  }

  /** Two 32-bit draws as one 64-bit value, the first draw high (PyTorch's `random64()`), as a BigInt. */
  random64(): bigint {
    const hi = BigInt(this.random());
    const lo = BigInt(this.random());
    return (hi << 32n) | lo;
  }

  /** `torch.empty((), dtype=torch.int64).random_().item()`: random64() modulo 2^63. */
  randomInt64(): bigint {
    return this.random64() % (1n << 63n);
  }

  /**
   * `torch.randperm(n, generator=g)` on the CPU: the identity permutation shuffled by swapping position i
   * with i + (random() mod (n - i)), for i = 0 .. n-2 (the path PyTorch takes for n below 2^32 / 20).
   */
  randperm(n: number): Int32Array {
    const r = Int32Array.from({ length: n }, (_, i) => i);
    for (let i = 0; i < n - 1; i++) {
      const z = this.random() % (n - i);
      const t = r[i];
      r[i] = r[z + i];
      r[z + i] = t;
    }
    return r;
  }

  /**
   * The order in which `DataLoader(dataset, shuffle=True)` visits n examples in one epoch, drawing from
   * this (global) generator: the loader's iterator first draws its base seed (one int64), then
   * RandomSampler seeds a fresh generator with another int64 and takes randperm(n) from it. (The fresh
   * generator's mt19937 uses the seed's low 32 bits.)
   */
  dataLoaderOrder(n: number): Int32Array {
    this.randomInt64(); // _BaseDataLoaderIter's base seed
    const seed = this.randomInt64();
    return new TorchGenerator(Number(seed & 0xffffffffn)).randperm(n);
  }

  /** `tensor.normal_(mean, std)`: not reproduced bit for bit yet (Box-Muller on this stream). */
  normal(n: number, mean = 0, std = 1): Float32Array {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i += 2) {
      const u1 = 1 - (this.random() & 0xffffff) * 2 ** -24;
      const u2 = (this.random() & 0xffffff) * 2 ** -24;
      const r = Math.sqrt(-2 * Math.log(u1));
      out[i] = r * Math.cos(2 * Math.PI * u2) * std + mean;
      if (i + 1 < n) out[i + 1] = r * Math.sin(2 * Math.PI * u2) * std + mean;
    }
    return out;
  }
}
