/**
 * PyTorch's minibatch reference for the diabetes data (the seed's data-03): Linear(8, 1) + Sigmoid after
 * manual_seed(5), binary cross-entropy, SGD lr 0.5, batches of 64 from a DataLoader, 3 epochs. Used by
 * the library's test (test/train/torch.test.ts) and the command line's (test/cli/shuffle.test.ts).
 */
import { python } from './peers.ts';
import { diabetesCsv } from './seed.ts';

/** The mean batch cost of each of the 3 epochs, the batches in DataLoader(shuffle=`shuffle`)'s order. */
export const torchMinibatchCosts = (shuffle: boolean): number[] =>
  JSON.parse(
    python(
      `
import torch, numpy as np, json, sys
xy = np.loadtxt(sys.argv[1], delimiter=',', dtype=np.float32)
ds = torch.utils.data.TensorDataset(torch.FloatTensor(xy[:, 0:-1]), torch.FloatTensor(xy[:, [-1]]))
torch.manual_seed(5)
model = torch.nn.Sequential(torch.nn.Linear(8, 1), torch.nn.Sigmoid())
opt = torch.optim.SGD(model.parameters(), lr=0.5)
loader = torch.utils.data.DataLoader(ds, batch_size=64, shuffle=sys.argv[2] == '1')
costs = []
for epoch in range(3):
    total, n = 0.0, 0
    for xb, yb in loader:
        cost = torch.nn.functional.binary_cross_entropy(model(xb), yb)
        opt.zero_grad(); cost.backward(); opt.step()
        total += cost.item(); n += 1
    costs.append(total / n)
print(json.dumps(costs))`,
      [diabetesCsv, shuffle ? '1' : '0'],
    ),
  ) as number[];
