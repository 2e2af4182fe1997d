/**
 * PyTorch 1.13's CPU random streams for float32 tensors, reproduced bit for bit, so graphc initializes
 * parameters exactly as PyTorch does after `torch.manual_seed(seed)`. Plain TypeScript (runs in a browser).
 *
 * Facts relied on (PyTorch 1.13 ATen; checked against Debian's python3-torch 1.13 by test/init.test.ts):
 * - `at::uniform_real_distribution<float>(from, to)` takes one `random()` per value, keeps its low 24 bits
 *   (float's digits), scales them by 2^-24 into x ∈ [0, 1), and returns x·(to − from) + from computed in
 *   float (`dist_acctype<float>` is float on the CPU), with from and to first rounded to float.
 *   `<double>` takes `random64()` instead, keeps 53 bits and scales by 2^-53.
 * - The CPU `uniform_` kernel runs serially (`cpu_serial_kernel`): one draw per element, in memory order,
 *   whatever the size. Where x·(to − from) + from is rounded depends on the kernel that ran (DispatchStub
 *   picks one per CPU, ATEN_CPU_CAPABILITY overrides): the AVX2 build fuses it into one float FMA, the
 *   baseline ("default") build rounds the product and then the sum.
 * - `normal_(mean, std)` on a contiguous float32 tensor of ≥ 16 elements (`normal_fill` /
 *   `normal_fill_AVX2` in native/cpu/DistributionTemplates.h): first one float uniform [0, 1) per element,
 *   in order; then every full block of 16 becomes 16 normals by Box-Muller, pairing element j (u1 = 1 − u,
 *   the radius √(−2 ln u1)) with element j + 8 (the angle θ = 2π·u): out[j] = r·cos θ·std + mean,
 *   out[j + 8] = r·sin θ·std + mean. If n is not a multiple of 16, 16 more uniforms overwrite the LAST 16
 *   elements (overlapping the previous block) and that block is transformed again.
 *   The AVX2 kernel evaluates ln, sin and cos with `log256_ps` and `sincos256_ps` of avx_mathfun.h
 *   (Cephes' single-precision polynomials, reproduced in normal-fill.ts in float arithmetic with the FMAs GCC
 *   contracts them into: every Horner step, y·z + e·q1 in ln, c·z − z/2 in cos, s·x + x in sin, each
 *   told apart from its unfused variant by comparison with torch; the fused last step of the angle
 *   reduction never changed a result in 6M samples), 2π as the float nearest 2·π, and a final FMA
 *   n·std + mean; the default kernel uses the C library's logf, cosf and sinf on floats.
 * - Smaller (or non-contiguous) tensors use `at::normal_distribution<double>` per element: u1, u2 = two
 *   double uniforms (random64 each), r = √(−2 ln(1 − u2)), θ = 2π·u1; returns r·cos θ·std + mean and
 *   keeps r·sin θ in the generator (CPUGeneratorImpl's next_double_normal_sample), which the next such
 *   element (in this call or a later one) returns without drawing. manual_seed clears it.
 * - int64 `random_()` (`uniform_int_distribution<int64_t>`) is random64() mod 2^63.
 * - `randperm(n)` (TensorFactories.cpp, randperm_cpu): start from 0 .. n−1; for i = 0 .. n−2 swap
 *   element i with element i + random() mod (n − i). 1.13 does this for every n (checked at
 *   n = 214748365; the random64 path for n ≥ 2^32/20 came in later versions).
 * - `nn.Linear(in, out)` (`reset_parameters`): `kaiming_uniform_(weight, a=√5)`, i.e. uniform in ±bound with
 *   gain = √(2/(1 + a²)), bound = √3·gain/√fan_in (fan_in = in; computed in double as Python does), then
 *   the bias uniform in ±1/√fan_in (0 if fan_in is 0).
 *
 * Reproducing a DataLoader's shuffle (torch 1.13, torch/utils/data): with `DataLoader(ds, shuffle=True)`
 * and no `generator=`, each `iter(loader)` (each epoch) first draws `_base_seed` =
 * `torch.empty((), dtype=torch.int64).random_()` from the global generator, then, at the first batch,
 * RandomSampler draws a second int64 the same way, seeds a fresh `torch.Generator` with it and yields
 * `torch.randperm(n, generator=that)`. So after `torch.manual_seed(s)` (and the same draws as PyTorch in
 * between, e.g. the model's construction), `g = new TorchGenerator(s)` … then per epoch
 * `g.randomInt64(); new TorchGenerator(g.randomInt64()).randperm(n)`, which is `g.dataLoaderOrder(n)`.
 * With `DataLoader(..., generator=G)`, everything comes from G: `G.randomInt64()`, then the order
 * `G.randperm(n)`, and, once the epoch is read to its end, one more `G.randperm(n)` whose result is
 * dropped (RandomSampler's `__iter__` always ends with a randperm for the `num_samples % n` remainder,
 * even when that remainder is 0; with the global generator that last one uses the sampler's own).
 *
 * Limits: with capability 'default', normal_ on ≥ 16 elements differs from PyTorch in about 1% of values
 * by an ulp or so (glibc's logf/cosf/sinf are not correctly rounded; Math.log/cos/sin rounded to float
 * are used). The double path of small normal_ uses Math.log/sin/cos and rounds r·cos θ·std + mean
 * twice where the AVX2 build may fuse it: a last-bit difference in double, visible in the float result
 * only if it straddles a rounding boundary (about 2^-29 per value). AVX512 and ARM builds of PyTorch
 * (other kernels, other FMA contractions) are not reproduced.
 */
import { MT19937 } from './mt19937.ts';
import { boxMullerAvx2, boxMullerDefault, fmaf } from './normal-fill.ts';

export { fmaf };

/** How many draws normal_ takes from the stream before transforming them (a multiple of 16). */
const CHUNK = 4096;

/** Which CPU kernel PyTorch ran (`ATEN_CPU_CAPABILITY`): 'avx2' on x86-64 CPUs with AVX2 and FMA. */
export type CpuCapability = 'avx2' | 'default';

/** Seed of PyTorch's default generator before any manual_seed (c10 default_rng_seed_val). */
export const DEFAULT_TORCH_SEED = 67280421310721n;

const f = Math.fround;

export interface TorchGeneratorOptions {
  /** The PyTorch CPU kernel to match (default 'avx2'; see CpuCapability). */
  capability?: CpuCapability;
}

export class TorchGenerator {
  readonly capability: CpuCapability;
  private readonly mt: MT19937;
  private nextNormal: number | null = null; // CPUGeneratorImpl's next_double_normal_sample

  /** The state after `torch.manual_seed(seed)` (or `torch.Generator().manual_seed(seed)`). */
  constructor(readonly seed: number | bigint = DEFAULT_TORCH_SEED, options: TorchGeneratorOptions = {}) {
    this.mt = new MT19937(seed);
    this.capability = options.capability ?? 'avx2';
  }

  /** One 32-bit draw (`generator->random()`). */
  random(): number {
    return this.mt.random();
  }

  /** Two draws as one unsigned 64-bit value, the first one high (`generator->random64()`). */
  random64(): bigint {
    return this.mt.random64();
  }

  /** `torch.empty((), dtype=torch.int64).random_().item()`: random64() mod 2^63. */
  randomInt64(): bigint {
    return BigInt.asUintN(63, this.random64());
  }

  /** One float uniform in [from, to) as `at::uniform_real_distribution<float>` computes it. */
  private uniformFloat(from: number, span: number): number {
    const x = (this.random() & 0xffffff) * 2 ** -24;
    return this.capability === 'avx2' ? fmaf(x, span, from) : f(f(x * span) + from);
  }

  /** A double uniform in [0, 1): 53 low bits of random64() times 2^-53. */
  private uniformDouble(): number {
    const hi = this.random();
    const lo = this.random();
    return ((hi & 0x1fffff) * 2 ** 32 + lo) * 2 ** -53;
  }

  /** `torch.empty(n).uniform_(from, to)` (float32). */
  uniform(n: number, from = 0, to = 1): Float32Array {
    if (!(from <= to)) throw new RangeError(`uniform_ expects from <= to, got [${from}, ${to})`);
    const lo = f(from);
    const span = f(f(to) - lo);
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = this.uniformFloat(lo, span);
    return out;
  }

  /** `torch.empty(n).normal_(mean, std)` (float32, contiguous). */
  normal(n: number, mean = 0, std = 1): Float32Array {
    if (!(std >= 0)) throw new RangeError(`normal_ expects std >= 0, got ${std}`);
    const out = new Float32Array(n);
    if (n < 16) {
      for (let i = 0; i < n; i++) out[i] = this.normalDouble() * std + mean;
      return out;
    }
    const m = f(mean);
    const s = f(std);
    // PyTorch draws all n uniforms first, then transforms them: the same draws, a chunk at a time, each
    // transformed once drawn (see normal-fill.ts)
    const blocks = n - (n % 16);
    const draws = new Uint32Array(Math.min(blocks, CHUNK));
    for (let at = 0; at < blocks; at += draws.length) {
      const len = Math.min(draws.length, blocks - at);
      this.mt.fill(draws, 0, len);
      this.boxMuller(draws, out, at, len, m, s);
    }
    if (n % 16 !== 0) {
      // the last n % 16 uniforms of the first pass are drawn and overwritten: 16 more for the last 16 elements
      this.mt.fill(draws, 0, n % 16);
      this.mt.fill(draws, 0, 16);
      this.boxMuller(draws, out, n - 16, 16, m, s);
    }
    return out;
  }

  /** One standard normal from `at::normal_distribution<double>`, using and refilling the cache. */
  private normalDouble(): number {
    if (this.nextNormal !== null) {
      const v = this.nextNormal;
      this.nextNormal = null;
      return v;
    }
    const u1 = this.uniformDouble();
    const u2 = this.uniformDouble();
    const r = Math.sqrt(-2 * Math.log(1 - u2));
    const theta = 2 * Math.PI * u1;
    this.nextNormal = r * Math.sin(theta);
    return r * Math.cos(theta);
  }

  /** Box-Muller on len draws (a multiple of 16) into out[to ..], by this generator's kernel. */
  private boxMuller(draws: Uint32Array, out: Float32Array, to: number, len: number, mean: number, std: number): void {
    if (this.capability === 'avx2') boxMullerAvx2(draws, 0, out, to, len, mean, std);
    else boxMullerDefault(draws, 0, out, to, len, mean, std);
  }

  /** `torch.randperm(n, generator=g)` on the CPU, as int32. */
  randperm(n: number): Int32Array {
    const r = new Int32Array(n);
    for (let i = 0; i < n; i++) r[i] = i;
    for (let i = 0; i < n - 1; i++) {
      const k = i + (this.random() % (n - i));
      const t = r[i];
      r[i] = r[k];
      r[k] = t;
    }
    return r;
  }

  /**
   * The order in which `DataLoader(dataset_of_n, shuffle=True)` (no generator given) visits the examples
   * in the next epoch, drawing from this generator as torch's global one (see the note at the top).
   */
  dataLoaderOrder(n: number): Int32Array {
    this.randomInt64(); // _BaseDataLoaderIter's _base_seed
    return new TorchGenerator(this.randomInt64(), { capability: this.capability }).randperm(n);
  }

  /** What `nn.Linear(inFeatures, outFeatures)` draws: weight [out, in] row-major, then bias [out]. */
  linearInit(inFeatures: number, outFeatures: number): { weight: Float32Array; bias: Float32Array } {
    return this.kaimingInit(inFeatures, inFeatures * outFeatures, outFeatures);
  }

  /** What nn.Conv2d draws: weight [out, in/groups, kh, kw] as Linear's (fan-in in/groups·kh·kw), then bias. */
  conv2dInit(inChannels: number, outChannels: number, kernel: readonly [number, number], groups = 1, bias = true): { weight: Float32Array; bias?: Float32Array } {
    const fanIn = (inChannels / groups) * kernel[0] * kernel[1];
    const r = this.kaimingInit(fanIn, fanIn * outChannels, bias ? outChannels : -1);
    return bias ? r : { weight: r.weight };
  }

  /** kaiming_uniform_(a=√5) of `count` weights, then `biasCount` biases in ±1/√fanIn (none when negative). */
  private kaimingInit(fanIn: number, count: number, biasCount: number): { weight: Float32Array; bias: Float32Array } {
    const a = Math.sqrt(5);
    const gain = Math.sqrt(2 / (1 + a * a)); // calculate_gain('leaky_relu', √5)
    // kaiming_uniform_ returns without drawing for a zero-element weight
    const wBound = count > 0 ? Math.sqrt(3) * (gain / Math.sqrt(fanIn)) : 0;
    const weight = count > 0 ? this.uniform(count, -wBound, wBound) : new Float32Array(0);
    const bBound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
    const bias = biasCount >= 0 ? this.uniform(biasCount, -bBound, bBound) : new Float32Array(0);
    return { weight, bias };
  }
}
