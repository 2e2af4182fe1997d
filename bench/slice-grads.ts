/**
 * `node --import tsx --conditions=graphc-source bench/slice-grads.ts [--layers L] [--seq 16,64] [--batch N]
 * [--input I] [--hidden H] [--steps K]`: the training step of an nn.LSTM(I, H, num_layers=L) then a
 * Linear(H, 1) on the last step, MSE, written by torch.onnx.export (PyTorch at /usr/bin/python3) and
 * imported (unrolled per step, export/import-rnn.ts). For each sequence length, the step compiled by the
 * pipeline without `sum-slice-grads` and `slice-concat`, with the first, and with both: the SliceGrad,
 * SliceGradSum and Concat nodes, the plan's arena (bytes of its intermediate buffers) and the median time
 * of K steps after 3 untimed ones (ms a step), on the shared heap with the helper thread installed as the
 * CLI installs it. A layer's input is sliced per step: the first layer's is a graph input (no gradient),
 * each later layer's is the layer before's output, a Concat of its steps, whose gradient is the sum of one
 * slice gradient per step (one SliceGradSum with `sum-slice-grads`); `slice-concat` has each step read the
 * layer before's step as computed, so that Concat and its gradient are gone.
 */
import '../compiler/ops/index.ts';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inScopeOf } from '../compiler/ir/node.ts';
import { graphPasses, forwardPasses, runPasses } from '../compiler/passes/pipeline.ts';
import { sumSliceGrads } from '../compiler/passes/rules/sum-slice-grads.ts';
import { sliceConcat } from '../compiler/passes/rules/slice-concat.ts';
import type { Pass } from '../compiler/passes/pass.ts';
import { trainStepGraph } from '../compiler/train/step.ts';
import type { OptimizerConfig } from '../compiler/train/optimizers.ts';
import { attachLoss, importOnnx } from '../export/index.ts';
import { Plan } from '../runtime/plan.ts';
import { heap } from '../runtime/kernels/heap.ts';
import { useNodeHelperThread } from '../runtime/node.ts';

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const L = Number(arg('--layers', '2')), N = Number(arg('--batch', '32')), I = Number(arg('--input', '64')), H = Number(arg('--hidden', '128'));
const seqs = arg('--seq', '16,64').split(',').map(Number), K = Number(arg('--steps', '10'));
useNodeHelperThread();
const h = heap()!;
const dir = mkdtempSync(join(tmpdir(), 'graphc-slice-grads-'));

const EXPORT = `
import torch, sys
torch.manual_seed(0)
I, H, L, S, N = map(int, sys.argv[1:6]); path = sys.argv[6]
class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = torch.nn.LSTM(I, H, num_layers=L)
        self.fc = torch.nn.Linear(H, 1)
    def forward(self, x):
        return self.fc(self.rnn(x)[0][-1])
torch.onnx.export(Net(), (torch.randn(S, N, I),), path, input_names=['x'], output_names=['p'], opset_version=17)
`;

/** The passes each configuration leaves out, by its label. */
const CONFIGS: readonly (readonly [string, readonly Pass[]])[] = [
  ['neither pass', [sumSliceGrads, sliceConcat]],
  ['sum-slice-grads', [sliceConcat]],
  ['both (slice-concat)', []],
];

function stepOf(S: number, without: readonly Pass[]) {
  const file = join(dir, `lstm-${L}-${S}.onnx`);
  const r = spawnSync('/usr/bin/python3', ['-c', EXPORT, String(I), String(H), String(L), String(S), String(N), file], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`torch.onnx.export failed: ${r.stderr}`);
  const built = attachLoss(importOnnx(new Uint8Array(readFileSync(file))), 'mse');
  return inScopeOf(built.forward.nodes, () => {
    const kept = (p: Pass) => !without.includes(p);
    const forward = runPasses(built.forward, forwardPasses().filter(kept));
    const raw = trainStepGraph({ ...built, forward }, { lr: 0.01 } as OptimizerConfig);
    return runPasses(raw, graphPasses().filter(kept));
  });
}

console.log(`LSTM(${I}, ${H}, num_layers=${L}) + Linear(${H}, 1), MSE; batch ${N}; median of ${K} steps`);
for (const S of seqs)
  for (const [label, without] of CONFIGS) {
    const step = stepOf(S, without);
    const count = (op: string) => step.nodes.filter((n) => n.op === op).length;
    const shapes = new Map([['x', [S, N, I]], ['y', [N, 1]]]);
    const plan = new Plan(step, shapes);
    const values = new Map<string, Float32Array>();
    for (const n of step.nodes) {
      const name = String(n.attrs.name);
      if (n.op === 'Param') values.set(name, h.copyOf(Float32Array.from(n.attrs.init as Float32Array)));
      else if (n.op === 'Input') values.set(name, h.copyOf(Float32Array.from({ length: shapes.get(name)!.reduce((p, d) => p * d, 1) }, (_, i) => Math.sin(i))));
    }
    const times: number[] = [];
    for (let k = 0; k < K + 3; k++) {
      const t0 = performance.now();
      plan.run(values);
      if (k >= 3) times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    const mb = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;
    console.log(`S=${S} ${label.padEnd(19)}: ${count('SliceGrad')} SliceGrad, ${count('SliceGradSum')} SliceGradSum, ${count('Concat')} Concat; arena ${mb(plan.memory.arenaBytes)} (liveness bound ${mb(plan.memory.livenessBound)}); ${times[K >> 1].toFixed(1)} ms a step (min ${times[0].toFixed(1)})`);
    plan.dispose();
  }
process.exit(0);
