/**
 * PyTorch 1.13's CPU random streams in compiler/init: mt19937 against the C++ standard's check values and
 * Linear(8, 1) against the published reference (always), then bit-for-bit against the installed PyTorch
 * (/usr/bin/python3 with torch; skipped, with one line saying so, when it is missing): uniform_, normal_,
 * randperm, random_() on int64, nn.Linear's initialization, DataLoader's shuffle, and several calls in a
 * row from one seed. Floats travel as JSON numbers (Python's repr round-trips a double exactly).
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { MT19937 } from '../compiler/init/mt19937.ts';
import { TorchGenerator, fmaf, type CpuCapability } from '../compiler/init/torch-random.ts';
import { PYTHON, hasTorch, sayIfMissing } from './support/peers.ts';

const SIZES = [1, 5, 15, 16, 17, 100, 1000];
const UNIFORM_RANGES: [number, number][] = [[0, 1], [-2.5, 0.7], [-1 / 3, 1 / 3]];
const NORMAL_PARAMS: [number, number][] = [[0, 1], [0.5, 2], [-1.25, 0.3]];
const PERM_SIZES = [6, 10, 100, 759, 8192];
const LINEAR: [number, number, number | string][] = [[8, 1, 1], [1, 1, 0], [3, 5, 42], [20, 7, 7], [784, 128, 3], [6, 4, -5], [5, 2, '4294967303'], [0, 3, 2], [4, 0, 2]];

// One Python run computes every reference; the seeds follow the case's index so the two sides agree.
const SCRIPT = String.raw`
import json, re, sys, warnings
import torch
warnings.simplefilter('ignore')
spec = json.loads(sys.argv[1])
def fl(t): return t.flatten().tolist()
out = {'version': torch.__version__,
       'capability': re.search(r'CPU capability usage: (\w+)', torch.__config__.show()).group(1)}
out['uniform'] = []
for i, n in enumerate(spec['sizes']):
    for j, (a, b) in enumerate(spec['uniform']):
        torch.manual_seed(100 + 10 * i + j)
        out['uniform'].append(fl(torch.empty(n).uniform_(a, b)))
out['normal'] = []
for i, n in enumerate(spec['sizes']):
    for j, (m, s) in enumerate(spec['normal']):
        torch.manual_seed(200 + 10 * i + j)
        out['normal'].append(fl(torch.empty(n).normal_(m, s)))
out['randperm'] = []
for i, n in enumerate(spec['perm']):
    g = torch.Generator(); g.manual_seed(300 + i)
    out['randperm'].append(torch.randperm(n, generator=g).tolist())
out['linear'] = []
for fin, fout, seed in spec['linear']:
    torch.manual_seed(int(seed))
    lin = torch.nn.Linear(fin, fout)
    out['linear'].append({'w': fl(lin.weight.detach()), 'b': fl(lin.bias.detach())})
torch.manual_seed(7)
out['int64'] = [str(v) for v in torch.empty(6, dtype=torch.int64).random_().tolist()]
# Several calls in a row from one seed: the generator state (and the cached normal) carries over.
torch.manual_seed(1234)
seq = {'u': fl(torch.empty(17).uniform_(-1, 1)), 'n5': fl(torch.empty(5).normal_(0.1, 2)),
       'n3': fl(torch.empty(3).normal_()), 'n33': fl(torch.empty(33).normal_(1, 0.5)),
       'perm': torch.randperm(10).tolist()}
lin = torch.nn.Linear(6, 4)
seq['w'], seq['b'] = fl(lin.weight.detach()), fl(lin.bias.detach())
seq['r'] = str(torch.empty((), dtype=torch.int64).random_().item())
dl = torch.utils.data.DataLoader(list(range(13)), batch_size=4, shuffle=True)
seq['epochs'] = [[int(v) for b in dl for v in b] for _ in range(2)]
seq['n1'] = fl(torch.empty(1).normal_())
seq['tail'] = fl(torch.empty(5).uniform_())
G = torch.Generator(); G.manual_seed(99)
dlg = torch.utils.data.DataLoader(list(range(11)), batch_size=3, shuffle=True, generator=G)
seq['gEpochs'] = [[int(v) for b in dlg for v in b] for _ in range(2)]
seq['gNext'] = torch.randint(0, 1000, (3,), generator=G).tolist()
out['seq'] = seq
print(json.dumps(out))
`;

interface Reference {
  version: string;
  capability: string;
  uniform: number[][];
  normal: number[][];
  randperm: number[][];
  linear: { w: number[]; b: number[] }[];
  int64: string[];
  seq: Record<'u' | 'n5' | 'n3' | 'n33' | 'w' | 'b' | 'n1' | 'tail', number[]> & {
    perm: number[]; r: string; epochs: number[][]; gEpochs: number[][]; gNext: number[];
  };
}

/** The references from the installed PyTorch, with ATEN_CPU_CAPABILITY set when `kernel` is given. */
function reference(kernel?: CpuCapability): Reference {
  const env = { ...process.env };
  delete env.ATEN_CPU_CAPABILITY;
  if (kernel) env.ATEN_CPU_CAPABILITY = kernel;
  const spec = { sizes: SIZES, uniform: UNIFORM_RANGES, normal: NORMAL_PARAMS, perm: PERM_SIZES, linear: LINEAR };
  const r = spawnSync(PYTHON, ['-c', SCRIPT, JSON.stringify(spec)], { encoding: 'utf8', env, maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`PyTorch reference failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as Reference;
}

sayIfMissing('PyTorch (python3-torch)', hasTorch, 'init.test');
const native = hasTorch ? reference() : null;
const is113 = native?.version.startsWith('1.13') ?? false;
if (native && !is113) console.log(`init.test: found torch ${native.version}, not 1.13: its checks are skipped`);
// The AVX2 kernels: those torch uses on this CPU, or (on an AVX512 CPU) the ones it can be told to use.
const avx2Ref = !is113 || !native ? null
  : native.capability === 'AVX2' ? native : native.capability === 'AVX512' ? reference('avx2') : null;
const defaultRef = is113 ? reference('default') : null;
const why = !hasTorch ? ' (skipped: torch not found)' : !is113 ? ' (skipped: torch is not 1.13)' : '';

const arr = (a: ArrayLike<number>) => Array.from(a);
const seedOf = (s: number | string) => (typeof s === 'string' ? BigInt(s) : s);

describe('mt19937 and the generator, without PyTorch', () => {
  it('std::mt19937 check values for the default seed 5489: first outputs, and the 10000th is 4123659995', () => {
    const g = new MT19937(5489);
    expect([g.random(), g.random()]).toEqual([3499211612, 581869302]);
    for (let i = 3; i < 10000; i++) g.random();
    expect(g.random()).toBe(4123659995);
  });

  it('random64() joins two draws, the first one high; a seed counts modulo 2^32', () => {
    const a = new MT19937(42);
    const b = new MT19937(42n + (1n << 32n));
    const [hi, lo] = [a.random(), a.random()];
    expect(b.random64()).toBe((BigInt(hi) << 32n) | BigInt(lo));
    expect(new MT19937(-1).random()).toBe(new MT19937(0xffffffff).random());
  });

  it('nn.Linear(8, 1) after manual_seed(1): the reference values', () => {
    const { weight, bias } = new TorchGenerator(1).linearInit(8, 1);
    const W = [0.182173, -0.156051, -0.06854, 0.165947, -0.332848, 0.212032, -0.072735, 0.179868];
    expect(weight).toHaveLength(8);
    weight.forEach((w, i) => expect(Math.abs(w - W[i])).toBeLessThan(1e-6));
    expect(bias).toHaveLength(1);
    expect(Math.abs(bias[0] - 0.04915)).toBeLessThan(1e-6);
  });

  it('fmaf rounds a·b + c once, also where the double sum a·b + c would round to a tie between floats', () => {
    const a = 1 + 2 ** -12; // a² = 1 + 2^-11 + 2^-24: halfway between two floats
    expect(Math.fround(a * a + 2 ** -60)).toBe(1 + 2 ** -11); // the double rounding: ties to even
    expect(fmaf(a, a, 2 ** -60)).toBe(1 + 2 ** -11 + 2 ** -23); // once: just above the tie
    expect(fmaf(a, a, -(2 ** -60))).toBe(1 + 2 ** -11);
    expect(fmaf(a, a, 0)).toBe(1 + 2 ** -11); // an exact tie stays ties-to-even
  });
});

describe.skipIf(!avx2Ref)(`against PyTorch 1.13's AVX2 kernels, bit for bit${why || (avx2Ref ? '' : ' (skipped: no AVX2 kernels on this CPU)')}`, () => {
  const ref = avx2Ref!;
  const gen = (seed: number | bigint) => new TorchGenerator(seed, { capability: 'avx2' });

  it.each(SIZES.map((n, i) => [n, i]))('uniform_ on %i elements', (n, i) => {
    UNIFORM_RANGES.forEach(([a, b], j) => {
      expect(arr(gen(100 + 10 * i + j).uniform(n, a, b))).toEqual(ref.uniform[i * UNIFORM_RANGES.length + j]);
    });
  });

  it.each(SIZES.map((n, i) => [n, i]))('normal_ on %i elements', (n, i) => {
    NORMAL_PARAMS.forEach(([m, s], j) => {
      expect(arr(gen(200 + 10 * i + j).normal(n, m, s))).toEqual(ref.normal[i * NORMAL_PARAMS.length + j]);
    });
  });

  it.each(PERM_SIZES.map((n, i) => [n, i]))('randperm(%i)', (n, i) => {
    expect(arr(gen(300 + i).randperm(n))).toEqual(ref.randperm[i]);
  });

  it.each(LINEAR.map((c, i) => [...c, i] as const))('nn.Linear(%i, %i) after manual_seed(%s)', (fin, fout, seed, i) => {
    const { weight, bias } = gen(seedOf(seed)).linearInit(fin, fout);
    expect(arr(weight)).toEqual(ref.linear[i].w);
    expect(arr(bias)).toEqual(ref.linear[i].b);
  });

  it('random_() on int64 tensors', () => {
    const g = gen(7);
    expect(ref.int64.map(() => g.randomInt64().toString())).toEqual(ref.int64);
  });

  it('several calls in a row from one seed, DataLoader shuffles included', () => {
    const s = ref.seq;
    const g = gen(1234);
    expect(arr(g.uniform(17, -1, 1))).toEqual(s.u);
    expect(arr(g.normal(5, 0.1, 2))).toEqual(s.n5); // leaves one normal cached
    expect(arr(g.normal(3))).toEqual(s.n3); // starts with the cached one
    expect(arr(g.normal(33, 1, 0.5))).toEqual(s.n33);
    expect(arr(g.randperm(10))).toEqual(s.perm);
    const { weight, bias } = g.linearInit(6, 4);
    expect([arr(weight), arr(bias)]).toEqual([s.w, s.b]);
    expect(g.randomInt64().toString()).toBe(s.r);
    expect([arr(g.dataLoaderOrder(13)), arr(g.dataLoaderOrder(13))]).toEqual(s.epochs);
    expect(arr(g.normal(1))).toEqual(s.n1);
    expect(arr(g.uniform(5))).toEqual(s.tail);
    // DataLoader(..., generator=G): base seed, order, and the sampler's trailing randperm all come from G
    const G = gen(99);
    const epochs = [0, 1].map(() => {
      G.randomInt64();
      const order = arr(G.randperm(11));
      G.randperm(11);
      return order;
    });
    expect(epochs).toEqual(s.gEpochs);
    expect([0, 1, 2].map(() => G.random() % 1000)).toEqual(s.gNext); // randint(0, 1000): random() mod 1000
  });
});

describe.skipIf(!defaultRef)(`against PyTorch 1.13's baseline kernels (ATEN_CPU_CAPABILITY=default)${why}`, () => {
  const ref = defaultRef!;
  const gen = (seed: number | bigint) => new TorchGenerator(seed, { capability: 'default' });

  it('uniform_, randperm and nn.Linear bit for bit', () => {
    SIZES.forEach((n, i) => UNIFORM_RANGES.forEach(([a, b], j) => {
      expect(arr(gen(100 + 10 * i + j).uniform(n, a, b))).toEqual(ref.uniform[i * UNIFORM_RANGES.length + j]);
    }));
    PERM_SIZES.forEach((n, i) => expect(arr(gen(300 + i).randperm(n))).toEqual(ref.randperm[i]));
    LINEAR.forEach(([fin, fout, seed], i) => {
      const { weight, bias } = gen(seedOf(seed)).linearInit(fin, fout);
      expect([arr(weight), arr(bias)]).toEqual([ref.linear[i].w, ref.linear[i].b]);
    });
  });

  it('normal_: bit for bit below 16 elements; from 16 on, within a few ulps (glibc logf/sinf/cosf not reproduced)', () => {
    let exact = 0;
    let total = 0;
    SIZES.forEach((n, i) => NORMAL_PARAMS.forEach(([m, s], j) => {
      const mine = gen(200 + 10 * i + j).normal(n, m, s);
      const theirs = ref.normal[i * NORMAL_PARAMS.length + j];
      if (n < 16) expect(arr(mine)).toEqual(theirs);
      mine.forEach((v, k) => {
        expect(Math.abs(v - theirs[k])).toBeLessThanOrEqual(4e-7 * (Math.abs(theirs[k]) + Math.abs(m) + s));
        total++;
        if (v === theirs[k]) exact++;
      });
    }));
    expect(exact / total).toBeGreaterThan(0.95);
  });
});
