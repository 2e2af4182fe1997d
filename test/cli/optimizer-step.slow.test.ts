/**
 * The model's own optimizer in what `graphc compile` and `graphc inspect` show and export: a model whose
 * config trains with Adam has Adam's step in the printed training graph and in `--onnx-train`, run here in
 * onnxruntime-node for three steps (each step's outputs fed to the next) against torch.optim.Adam.
 */
import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { graphc } from '../support/cli.ts';
import { hasTorch, python, sayIfMissing } from '../support/peers.ts';
import { scratchFolders } from '../support/scratch.ts';

sayIfMissing('python3-torch', hasTorch, 'optimizer-step.slow.test');
// model files live inside the repo (they import 'graphc' by its name), in a scratch folder
const { scratch } = scratchFolders();

const model = join(scratch, 'adam.ts');
writeFileSync(
  model,
  `import { defineModel, input, param, zeros, binaryCrossEntropy } from 'graphc';
export default defineModel({
  name: 'adam-step',
  train: { epochs: 3, lr: 0.1, logEvery: 1, logAccuracy: false, optimizer: { kind: 'adam', betas: [0.8, 0.9] } },
  build() {
    const W = param('W', [3, 1], zeros());
    const b = param('b', [1], zeros());
    const h = input('x', ['N', 3]).matmul(W).add(b).sigmoid();
    return { loss: binaryCrossEntropy(h, input('y', ['N', 1])), predict: h };
  },
});
`,
);

const x = [0.5, -1.2, 2.0, -0.3, 0.8, -1.5, 1.1, 0.4, -0.7, -2.0, 0.1, 0.9];
const y = [1, 0, 1, 0];

describe('a model that trains with Adam', () => {
  it('compile --print and inspect show Adam\'s step, with its state', async () => {
    for (const args of [['compile', model, '--no-check', '--print'], ['inspect', model]]) {
      const r = await graphc(args);
      expect(r.stderr).toBe('');
      expect(r.stdout).toMatch(/param W\.exp_avg_sq : \[3, 1\]/);
      expect(r.stdout).toMatch(/return next:optimizer\.step = /);
    }
  });

  it.runIf(hasTorch)('--onnx-train is Adam\'s step: three steps in onnxruntime as torch.optim.Adam takes them', async () => {
    const file = join(scratch, 'step.onnx');
    const r = await graphc(['compile', model, '--no-check', '--onnx-train', file]);
    expect(r.stderr).toBe('');
    const session = await ort.InferenceSession.create(file);
    const t = (v: number[], dims: number[]) => new ort.Tensor('float32', Float32Array.from(v), dims);
    let state: Record<string, ort.Tensor> = {
      W: t([0, 0, 0], [3, 1]), b: t([0], [1]), 'W.exp_avg': t([0, 0, 0], [3, 1]), 'W.exp_avg_sq': t([0, 0, 0], [3, 1]),
      'b.exp_avg': t([0], [1]), 'b.exp_avg_sq': t([0], [1]), 'optimizer.step': t([0], []),
    };
    const losses: number[] = [];
    for (let s = 0; s < 3; s++) {
      const out = await session.run({ ...state, x: t(x, [4, 3]), y: t(y, [4, 1]), 'optimizer.lr': t([0.1], []) });
      losses.push((out.loss.data as Float32Array)[0]);
      state = Object.fromEntries(Object.keys(state).map((k) => [k, out[`${k}.next`]]));
    }
    const torch = JSON.parse(
      python(
        `
import torch, json, sys
x = torch.tensor(json.loads(sys.argv[1])).reshape(4, 3); y = torch.tensor(json.loads(sys.argv[2]), dtype=torch.float32).reshape(4, 1)
W = torch.zeros(3, 1, requires_grad=True); b = torch.zeros(1, requires_grad=True)
opt = torch.optim.Adam([W, b], lr=0.1, betas=(0.8, 0.9))
losses = []
for _ in range(3):
    loss = torch.nn.functional.binary_cross_entropy(torch.sigmoid(x @ W + b), y)
    opt.zero_grad(); loss.backward(); opt.step(); losses.append(loss.item())
print(json.dumps({'losses': losses, 'W': W.detach().flatten().tolist(), 'b': b.detach().tolist()}))`,
        [JSON.stringify(x), JSON.stringify(y)],
      ),
    ) as { losses: number[]; W: number[]; b: number[] };
    losses.forEach((l, i) => expect(l).toBeCloseTo(torch.losses[i], 6));
    [...(state.W.data as Float32Array)].forEach((w, i) => expect(w).toBeCloseTo(torch.W[i], 6));
    expect((state.b.data as Float32Array)[0]).toBeCloseTo(torch.b[0], 6);
    expect((state['optimizer.step'].data as Float32Array)[0]).toBe(3);
  });
});
