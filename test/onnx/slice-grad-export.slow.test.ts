/**
 * The training step of an imported model whose parameters are sliced (an RNN's weights cut per gate, a
 * tensor cut into pieces) holds SliceGrad and, after the sum-slice-grads pass, SliceGradSum: they export as
 * Pad (steps of 1), Gather (other steps, backward too) and Add. The step written by `exportModel(c,
 * 'train')` runs in onnxruntime-node: its loss and next parameters against graphc's own run of the step,
 * and the next parameters against an SGD step from PyTorch's float64 autograd of the same slices. An LSTM
 * exported by PyTorch (its weights sliced per gate and step) writes its step too, run in onnxruntime-node
 * against graphc's, for a static batch and a symbolic one.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasTorch, python } from '../support/peers.ts';
import { bothSteps, maxDiff } from '../support/imported-step.ts';

const dir = mkdtempSync(join(tmpdir(), 'graphc-slice-grad-export-'));

/**
 * W [6, 3] sliced twice (rows 0..2; rows 5, 3, 1 stepping back by 2) and V [4, 5] once (rows 1..2, every
 * other column): out = (x·W[0:3] + x·W[5::-2]) · V[1:3, ::2]ᵀ. Writes the model, and PyTorch's float64
 * gradients of the mean squared error against t.
 */
const WRITE = `
import json, sys
import numpy as np, onnx, torch
from onnx import helper as h, numpy_helper as nh, TensorProto as T
rng = np.random.default_rng(3)
W, V = rng.standard_normal((6, 3)).astype(np.float32), rng.standard_normal((4, 5)).astype(np.float32)
x, t = rng.standard_normal((4, 3)).astype(np.float32), rng.standard_normal((4, 2)).astype(np.float32)
i64 = lambda n, v: nh.from_array(np.array(v, dtype=np.int64), n)
inits = [nh.from_array(W, 'W'), nh.from_array(V, 'V'), i64('s0', [0]), i64('e0', [3]), i64('ax0', [0]), i64('s1', [5]), i64('e1', [-2**63]), i64('st1', [-2]),
         i64('s2', [1, 0]), i64('e2', [3, 5]), i64('ax2', [0, 1]), i64('st2', [1, 2])]
nodes = [h.make_node('Slice', ['W', 's0', 'e0', 'ax0'], ['a']), h.make_node('Slice', ['W', 's1', 'e1', 'ax0', 'st1'], ['b']),
         h.make_node('MatMul', ['x', 'a'], ['xa']), h.make_node('MatMul', ['x', 'b'], ['xb']), h.make_node('Add', ['xa', 'xb'], ['hh']),
         h.make_node('Slice', ['V', 's2', 'e2', 'ax2', 'st2'], ['c']), h.make_node('Transpose', ['c'], ['ct']), h.make_node('MatMul', ['hh', 'ct'], ['out'])]
g = h.make_graph(nodes, 'sliced', [h.make_tensor_value_info('x', T.FLOAT, ['N', 3])], [h.make_tensor_value_info('out', T.FLOAT, ['N', 2])], inits)
m = h.make_model(g, opset_imports=[h.make_opsetid('', 13)]); m.ir_version = 8
onnx.save(m, sys.argv[1])
Wt, Vt = torch.tensor(W, dtype=torch.float64, requires_grad=True), torch.tensor(V, dtype=torch.float64, requires_grad=True)
xt, tt = torch.tensor(x, dtype=torch.float64), torch.tensor(t, dtype=torch.float64)
out = (xt @ Wt[0:3] + xt @ Wt.flip(0)[0::2]) @ Vt[1:3, 0::2].T
loss = torch.mean((out - tt) ** 2); loss.backward()
print(json.dumps({'x': x.reshape(-1).tolist(), 't': t.reshape(-1).tolist(), 'W': W.reshape(-1).tolist(), 'V': V.reshape(-1).tolist(),
                  'loss': loss.item(), 'gW': Wt.grad.reshape(-1).tolist(), 'gV': Vt.grad.reshape(-1).tolist()}))
`;

/** nn.LSTM(3, 4, batch_first) and a Linear on every step's output, exported by PyTorch at opset 13 (a symbolic batch with an argument). */
const LSTM = `
import sys, torch
torch.manual_seed(0)
class Net(torch.nn.Module):
    def __init__(s):
        super().__init__(); s.rnn = torch.nn.LSTM(3, 4, batch_first=True); s.fc = torch.nn.Linear(4, 1)
    def forward(s, x):
        return s.fc(s.rnn(x)[0])
dyn = {'dynamic_axes': {'x': {0: 'N'}, 'out': {0: 'N'}}} if len(sys.argv) > 2 else {}
torch.onnx.export(Net().eval(), torch.randn(2, 5, 3), sys.argv[1], opset_version=13, input_names=['x'], output_names=['out'], **dyn)
`;

describe.skipIf(!hasTorch)('SliceGrad and SliceGradSum export as Pad, Gather and Add', () => {
  it('a parameter sliced twice (one slice backward, stepping 2) and another strided: onnxruntime-node against graphc and PyTorch', async () => {
    const file = join(dir, 'sliced.onnx');
    const ref = JSON.parse(python(WRITE, [file])) as Record<'x' | 't' | 'W' | 'V' | 'gW' | 'gV', number[]> & { loss: number };
    const lr = 0.1;
    const { ops, ours, theirs } = await bothSteps(file, { x: { data: ref.x, shape: [4, 3] }, y: { data: ref.t, shape: [4, 2] } }, lr);
    expect(ops.has('SliceGradSum') && ops.has('SliceGrad')).toBe(true);
    expect(Math.abs((theirs.loss.data as Float32Array)[0] - ref.loss)).toBeLessThanOrEqual(1e-5 * Math.max(1, ref.loss));
    for (const [p, g, w] of [['W', ref.gW, ref.W], ['V', ref.gV, ref.V]] as const) {
      const next = theirs[`${p}.next`].data as Float32Array;
      expect(maxDiff(next, ours[`next:${p}`]), `${p}.next: onnxruntime against graphc`).toBeLessThanOrEqual(1e-6);
      expect(maxDiff(next, w.map((v, i) => v - lr * g[i])), `${p}.next: onnxruntime against PyTorch's SGD step`).toBeLessThanOrEqual(1e-5);
    }
  });

  it.each([['a batch of 2', false], ['a symbolic batch (its zero initial state Expanded to it)', true]])("an LSTM from PyTorch, %s: its step's loss and next parameters in onnxruntime-node against graphc's", async (_what, dynamic) => {
    const file = join(dir, `lstm${dynamic ? '-dynamic' : ''}.onnx`);
    python(LSTM, dynamic ? [file, 'dynamic'] : [file]);
    const x = Array.from({ length: 2 * 5 * 3 }, (_, i) => Math.sin(i * 0.7)), t = Array.from({ length: 2 * 5 }, (_, i) => Math.cos(i));
    const { ops, ours, theirs, params } = await bothSteps(file, { x: { data: x, shape: [2, 5, 3] }, y: { data: t, shape: [2, 5, 1] } }, 0.1);
    expect(ops.has('SliceGradSum')).toBe(true);
    expect(Math.abs((theirs.loss.data as Float32Array)[0] - ours.loss[0])).toBeLessThanOrEqual(1e-6);
    for (const p of params.keys()) expect(maxDiff(theirs[`${p}.next`].data as Float32Array, ours[`next:${p}`]), p).toBeLessThanOrEqual(1e-6);
  });
});
