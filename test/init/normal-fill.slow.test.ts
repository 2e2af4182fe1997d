/**
 * normal_'s Box-Muller kernels (compiler/init/normal-fill.ts): the fast AVX2 kernel, in WebAssembly SIMD
 * (normal-fill-wasm.ts) and in JS, against the one that rounds every FMA with fmaf, for every one of the 2^24 uniforms a radius or an angle can see; its fallback
 * where the last step's double sum lands halfway between two floats; and large normal_ calls (the W4
 * model's 784·256 weights, a size that is no multiple of 16) against PyTorch run at test time, bit for bit.
 */
import { describe, expect, it } from 'vitest';
import { boxMullerAvx2, boxMullerAvx2Exact, boxMullerAvx2Js, fmaf } from '../../compiler/init/normal-fill.ts';
import { TorchGenerator, type CpuCapability } from '../../compiler/init/torch-random.ts';
import { hasTorch, pythonAsync, sayIfMissing } from '../support/peers.ts';

/** The draw whose radius √(−2 ln(1 − u)) the AVX2 kernel computes as exactly 1 (found by search). */
const RADIUS_ONE = 6601320;
/** The draw whose radius is exactly 1 + 2^-12. */
const RADIUS_A = 6603804;

/**
 * The fast kernels (WebAssembly SIMD, JS) and the fmaf one on blocks whose pairs are (first(u), second(u))
 * for u = 0 .. 2^24 − 1; the u where either fast kernel differs.
 */
function compareAll(first: (u: number) => number, second: (u: number) => number): number[] {
  const chunk = 1 << 16; // pairs per pass
  const w = new Uint32Array(2 * chunk), fast = new Float32Array(2 * chunk), js = new Float32Array(2 * chunk), exact = new Float32Array(2 * chunk);
  const bad: number[] = [];
  for (let base = 0; base < 1 << 24; base += chunk) {
    for (let p = 0; p < chunk; p++) {
      const j = (p >> 3) * 16 + (p & 7);
      w[j] = first(base + p);
      w[j + 8] = second(base + p);
    }
    boxMullerAvx2(w, 0, fast, 0, w.length, 0, 1);
    boxMullerAvx2Js(w, 0, js, 0, w.length, 0, 1);
    boxMullerAvx2Exact(w, 0, exact, 0, w.length, 0, 1);
    for (let i = 0; i < w.length; i++) if (!Object.is(fast[i], exact[i]) || !Object.is(js[i], exact[i])) bad.push(base + (i >> 4) * 8 + (i & 7));
  }
  return bad;
}

describe('the fast AVX2 Box-Muller kernel', () => {
  it('radius: for every uniform u (the angle 0, where cos = 1), the same radius as with fmaf', () => {
    const exact = new Float32Array(16);
    boxMullerAvx2Exact(Uint32Array.of(RADIUS_ONE, ...Array(15).fill(0)), 0, exact, 0, 16, 0, 1);
    expect(exact[0]).toBe(1);
    const bad = compareAll((u) => u, () => 0);
    expect({ differ: bad.length, first: bad.slice(0, 5) }).toEqual({ differ: 0, first: [] });
  });

  it('angle: for every uniform u (the radius 1), the same cosine and sine as with fmaf', () => {
    const bad = compareAll(() => RADIUS_ONE, (u) => u);
    expect({ differ: bad.length, first: bad.slice(0, 5) }).toEqual({ differ: 0, first: [] });
  });

  it('the last step v·std + mean: fmaf where the double sum is halfway between two floats', () => {
    const w = Uint32Array.of(RADIUS_A, ...Array(15).fill(0));
    const probe = new Float32Array(16);
    boxMullerAvx2Exact(w, 0, probe, 0, 16, 0, 1);
    const v = 1 + 2 ** -12;
    expect(probe[0]).toBe(v); // the radius, times cos 0
    const [std, mean] = [v, 2 ** -60]; // v·std = 1 + 2^-11 + 2^-24, a tie the tiny mean breaks upward
    expect(Math.fround(v * std + mean)).toBe(1 + 2 ** -11); // what the double sum rounds to
    for (const kernel of [boxMullerAvx2, boxMullerAvx2Js]) {
      const out = new Float32Array(16);
      kernel(w, 0, out, 0, 16, mean, std);
      expect(out[0]).toBe(fmaf(v, std, mean));
      expect(out[0]).toBe(1 + 2 ** -11 + 2 ** -23);
    }
  });
});

sayIfMissing('PyTorch (python3-torch)', hasTorch, 'init/normal-fill.slow.test');

// normal_ of n float32 values after manual_seed(seed), as the float32 bits in hex; the CPU kernels in use
const SCRIPT = String.raw`
import re, sys, torch
torch.manual_seed(int(sys.argv[2]))
t = torch.empty(int(sys.argv[1])).normal_(float(sys.argv[3]), float(sys.argv[4]))
print(re.search(r'CPU capability usage: (\w+)', torch.__config__.show()).group(1), torch.__version__)
print(t.numpy().tobytes().hex())
`;

/** PyTorch's normal_, with ATEN_CPU_CAPABILITY=kernel; its values and the capability it reports. */
async function torchNormal(kernel: CpuCapability, n: number, seed: number, mean: number, std: number) {
  const out = await pythonAsync(SCRIPT, [String(n), String(seed), String(mean), String(std)], { ATEN_CPU_CAPABILITY: kernel });
  const [head, hex] = out.trim().split('\n');
  const [capability, version] = head.split(' ');
  const bytes = Uint8Array.from(hex.match(/../g)!.map((h) => parseInt(h, 16)));
  return { capability, version, values: new Float32Array(bytes.buffer) };
}

const CASES: [n: number, seed: number, mean: number, std: number][] = [
  [784 * 256, 2, 0, 0.05], // mlp-w4's first weight, another seed
  [200_960, 3, 0, 0.05],
  [100_003, 17, -0.5, 1.25], // 100,003 = 16·6250 + 3: the last 16 drawn again
];

describe.skipIf(!hasTorch)('large normal_ against PyTorch', () => {
  it.each(CASES)('%i values, seed %i, mean %s, std %s: the AVX2 kernel bit for bit', async (n, seed, mean, std) => {
    const ref = await torchNormal('avx2', n, seed, mean, std);
    if (!ref.version.startsWith('1.13') || ref.capability !== 'AVX2') return void console.log(`skipped: torch ${ref.version}, ${ref.capability}`);
    const mine = new TorchGenerator(seed, { capability: 'avx2' }).normal(n, mean, std);
    let differ = 0;
    for (let i = 0; i < n; i++) if (!Object.is(mine[i], ref.values[i])) differ++;
    expect(differ).toBe(0);
  });

  it.each(CASES)('%i values, seed %i, mean %s, std %s: the baseline kernel within a few ulps', async (n, seed, mean, std) => {
    const ref = await torchNormal('default', n, seed, mean, std);
    if (!ref.version.startsWith('1.13')) return void console.log(`skipped: torch ${ref.version}`);
    const mine = new TorchGenerator(seed, { capability: 'default' }).normal(n, mean, std);
    let exact = 0;
    for (let i = 0; i < n; i++) {
      expect(Math.abs(mine[i] - ref.values[i])).toBeLessThanOrEqual(4e-7 * (Math.abs(ref.values[i]) + Math.abs(mean) + std));
      if (mine[i] === ref.values[i]) exact++;
    }
    expect(exact / n).toBeGreaterThan(0.95);
  });
});
