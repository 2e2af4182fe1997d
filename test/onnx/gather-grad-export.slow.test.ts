/**
 * Gather's gradient (GatherGrad) exports as a ScatterElements adding into zeros (compiler/ops/slicing.ts):
 * an imported embedding lookup (indices repeated and negative) and a Gather along a later axis, their
 * training step written by `exportModel(c, 'train')` and run in onnxruntime-node, its loss and next
 * parameters against graphc's run of the step and an SGD step from PyTorch's float64 gradients; and an
 * nn.LSTM read at its last step (`y[:, -1]`, a Gather), its step in onnxruntime-node against graphc's.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasTorch, python } from '../support/peers.ts';
import { bothSteps, maxDiff } from '../support/imported-step.ts';

const dir = mkdtempSync(join(tmpdir(), 'graphc-gather-grad-export-'));

/** out = Gather(E, ids) · Gather(M, [2, -1, 2], axis 1): E [5, 3], M [3, 4] initializers; ids [N, 3] int64 fed. */
const WRITE = `
import json, sys
import numpy as np, onnx, torch
from onnx import helper as h, numpy_helper as nh, TensorProto as T
rng = np.random.default_rng(7)
E, M = rng.standard_normal((5, 3)).astype(np.float32), rng.standard_normal((3, 4)).astype(np.float32)
ids, t = np.array([[0, 4, -1], [2, 2, -5]], dtype=np.int64), rng.standard_normal((2, 3, 3)).astype(np.float32)
nodes = [h.make_node('Gather', ['E', 'ids'], ['e']), h.make_node('Gather', ['M', 'cols'], ['m'], axis=1), h.make_node('MatMul', ['e', 'm'], ['out'])]
g = h.make_graph(nodes, 'gather', [h.make_tensor_value_info('ids', T.INT64, ['N', 3])], [h.make_tensor_value_info('out', T.FLOAT, ['N', 3, 3])],
                 [nh.from_array(E, 'E'), nh.from_array(M, 'M'), nh.from_array(np.array([2, -1, 2], dtype=np.int64), 'cols')])
m = h.make_model(g, opset_imports=[h.make_opsetid('', 13)]); m.ir_version = 8
onnx.save(m, sys.argv[1])
Et, Mt = torch.tensor(E, dtype=torch.float64, requires_grad=True), torch.tensor(M, dtype=torch.float64, requires_grad=True)
out = Et[torch.tensor(ids)] @ Mt[:, torch.tensor([2, -1, 2])]
loss = torch.mean((out - torch.tensor(t, dtype=torch.float64)) ** 2); loss.backward()
print(json.dumps({'ids': ids.reshape(-1).tolist(), 't': t.reshape(-1).tolist(), 'E': E.reshape(-1).tolist(), 'M': M.reshape(-1).tolist(),
                  'loss': loss.item(), 'gE': Et.grad.reshape(-1).tolist(), 'gM': Mt.grad.reshape(-1).tolist()}))
`;

/** nn.LSTM(3, 4, batch_first) read at its last step by a Linear, exported by PyTorch with a dynamic batch. */
const LSTM = `
import sys, torch
torch.manual_seed(0)
class Net(torch.nn.Module):
    def __init__(s):
        super().__init__(); s.rnn = torch.nn.LSTM(3, 4, batch_first=True); s.fc = torch.nn.Linear(4, 1)
    def forward(s, x):
        return s.fc(s.rnn(x)[0][:, -1])
torch.onnx.export(Net().eval(), torch.randn(2, 5, 3), sys.argv[1], opset_version=13, input_names=['x'], output_names=['out'], dynamic_axes={'x': {0: 'N'}, 'out': {0: 'N'}})
`;

describe.skipIf(!hasTorch)("Gather's gradient exports as ScatterElements", () => {
  it('an embedding (indices repeated, negative) and a Gather along axis 1: onnxruntime-node against graphc and PyTorch', async () => {
    const file = join(dir, 'gather.onnx');
    const ref = JSON.parse(python(WRITE, [file])) as Record<'ids' | 't' | 'E' | 'M' | 'gE' | 'gM', number[]> & { loss: number };
    const lr = 0.5;
    const { ops, ours, theirs } = await bothSteps(file, { ids: { data: ref.ids, shape: [2, 3], int: true }, y: { data: ref.t, shape: [2, 3, 3] } }, lr);
    expect(ops.has('GatherGrad')).toBe(true);
    expect(Math.abs((theirs.loss.data as Float32Array)[0] - ref.loss)).toBeLessThanOrEqual(1e-5 * Math.max(1, ref.loss));
    for (const [p, grad, v] of [['E', ref.gE, ref.E], ['M', ref.gM, ref.M]] as const) {
      const next = theirs[`${p}.next`].data as Float32Array;
      expect(maxDiff(next, ours[`next:${p}`]), `${p}.next: onnxruntime against graphc`).toBeLessThanOrEqual(1e-6);
      expect(maxDiff(next, v.map((x, i) => x - lr * grad[i])), `${p}.next: onnxruntime against PyTorch's SGD step`).toBeLessThanOrEqual(1e-5);
    }
  });

  it("an LSTM read at its last step, dynamic batch: its step in onnxruntime-node against graphc's", async () => {
    const file = join(dir, 'lstm-last.onnx');
    python(LSTM, [file]);
    const x = Array.from({ length: 3 * 5 * 3 }, (_, i) => Math.sin(i * 0.7)), t = [0.5, -1, 2];
    const { ops, ours, theirs, params } = await bothSteps(file, { x: { data: x, shape: [3, 5, 3] }, y: { data: t, shape: [3, 1] } }, 0.1);
    expect(ops.has('GatherGrad')).toBe(true);
    expect(Math.abs((theirs.loss.data as Float32Array)[0] - ours.loss[0])).toBeLessThanOrEqual(1e-6);
    for (const p of params.keys()) expect(maxDiff(theirs[`${p}.next`].data as Float32Array, ours[`next:${p}`]), p).toBeLessThanOrEqual(1e-6);
  });
});
