/**
 * PyTorch's CPU random streams reproduced bit for bit, against PyTorch run at test time (Debian's
 * python3-torch): uniform_, nn.Linear's initialization, randperm and DataLoader(shuffle=True)'s order.
 */
import { describe, expect, it } from 'vitest';
import { TorchGenerator } from '../../compiler/init/torch-random.ts';
import { hasTorch, python, sayIfMissing } from '../support/peers.ts';

sayIfMissing('PyTorch (python3-torch)', hasTorch, 'init/torch-random.slow.test');

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

describe.skipIf(!hasTorch)('nn.Conv2d against PyTorch, bit for bit', () => {
  it('with and without bias, grouped, after the same manual_seed', () => {
    const ref = JSON.parse(python(`
import torch, json
torch.manual_seed(5)
a = torch.nn.Conv2d(2, 4, 3)
b = torch.nn.Conv2d(4, 6, (2, 3), groups=2, bias=False)
print(json.dumps({'aw': a.weight.flatten().tolist(), 'ab': a.bias.tolist(), 'bw': b.weight.flatten().tolist()}))`)) as { aw: number[]; ab: number[]; bw: number[] };
    const g = new TorchGenerator(5);
    const a = g.conv2dInit(2, 4, [3, 3]);
    expect(Array.from(a.weight)).toEqual(ref.aw.map(Math.fround));
    expect(Array.from(a.bias!)).toEqual(ref.ab.map(Math.fround));
    const b = g.conv2dInit(4, 6, [2, 3], 2, false);
    expect(Array.from(b.weight)).toEqual(ref.bw.map(Math.fround));
    expect(b.bias).toBeUndefined();
  });
});
