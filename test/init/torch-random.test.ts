/**
 * PyTorch's CPU random streams reproduced bit for bit: mt19937 (the standard's published check value),
 * float32 uniform_, nn.Linear's initialization, randperm and DataLoader(shuffle=True)'s order, against
 * PyTorch run at test time (and, without it, against the seed's published Linear(8, 1) values).
 */
import { describe, expect, it } from 'vitest';
import { MT19937 } from '../../compiler/init/mt19937.ts';
import { TorchGenerator } from '../../compiler/init/torch-random.ts';
import { hasTorch, python, sayIfMissing } from '../support/peers.ts';

sayIfMissing('PyTorch (python3-torch)', hasTorch, 'init/torch-random.test');

describe('mt19937 and PyTorch\'s generator', () => {
  it('the 10000th output for the default seed 5489 is 4123659995 (C++ std::mt19937\'s check)', () => {
    const g = new MT19937(5489);
    let v = 0;
    for (let i = 0; i < 10000; i++) v = g.nextUint32();
    expect(v).toBe(4123659995);
  });
  it('nn.Linear(8, 1) after manual_seed(1): the values seed-tables.md publishes', () => {
    const { weight, bias } = new TorchGenerator(1).linearInit(8, 1);
    const W = [0.182173, -0.156051, -0.06854, 0.165947, -0.332848, 0.212032, -0.072735, 0.179868];
    weight.forEach((w, i) => expect(Math.abs(w - W[i])).toBeLessThan(1e-6));
    expect(Math.abs(bias[0] - 0.04915)).toBeLessThan(1e-6);
  });
});

describe.skipIf(!hasTorch)('against PyTorch, bit for bit', () => {
  it('uniform_, Linear init, randperm and DataLoader order, in one stream', () => {
    const ref = JSON.parse(python(`
import torch, json
torch.manual_seed(7)
u = torch.empty(37).uniform_(-2, 3).tolist()
lin = torch.nn.Linear(5, 3)
g = torch.Generator(); g.manual_seed(11)
perm = torch.randperm(50, generator=g).tolist()
dl = torch.utils.data.DataLoader(list(range(20)), batch_size=20, shuffle=True)
orders = [[int(v) for b in dl for v in b] for _ in range(2)]
print(json.dumps({'u': u, 'w': lin.weight.flatten().tolist(), 'b': lin.bias.tolist(), 'perm': perm, 'orders': orders}))`)) as { u: number[]; w: number[]; b: number[]; perm: number[]; orders: number[][] };
    const g = new TorchGenerator(7);
    expect(Array.from(g.uniform(37, -2, 3))).toEqual(ref.u.map(Math.fround));
    const { weight, bias } = g.linearInit(5, 3);
    expect(Array.from(weight)).toEqual(ref.w.map(Math.fround));
    expect(Array.from(bias)).toEqual(ref.b.map(Math.fround));
    expect(Array.from(new TorchGenerator(11).randperm(50))).toEqual(ref.perm);
    expect([Array.from(g.dataLoaderOrder(20)), Array.from(g.dataLoaderOrder(20))]).toEqual(ref.orders);
  });
});
