/**
 * GridSample's gradients (GridSampleGrad, for x and for the grid) export as standard ops
 * (compiler/ops/grid-sample-onnx.ts): an imported GridSample whose image and grid offset are parameters,
 * its training step written by `exportModel(c, 'train')` and run in onnxruntime-node, its loss and next
 * parameters against graphc's own run of the step and against an SGD step from PyTorch's float64
 * gradients of F.grid_sample, for bilinear and nearest, zeros and border padding, with and without
 * align_corners; points inside and outside [-1, 1].
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { importOnnx, attachLoss, exportModel } from '../../export/index.ts';
import { compileModel } from '../../compiler/passes/index.ts';
import { hasTorch, python } from '../support/peers.ts';
import { runGraph } from '../support/run.ts';
import { maxDiff, ortTensor, type Feed } from '../support/imported-step.ts';

const dir = mkdtempSync(join(tmpdir(), 'graphc-grid-grad-export-'));

/** out = GridSample(img, grid0 + off): img [2, 2, 5, 6] and off [1, 3, 4, 2] initializers, grid0 [2, 3, 4, 2] fed. */
const WRITE = `
import json, sys
import numpy as np, onnx, torch
import torch.nn.functional as F
from onnx import helper as h, numpy_helper as nh, TensorProto as T
file, mode, padding, align = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
rng = np.random.default_rng(5)
img, off = rng.standard_normal((2, 2, 5, 6)).astype(np.float32), (0.1 * rng.standard_normal((1, 3, 4, 2))).astype(np.float32)
grid0, t = rng.uniform(-1.2, 1.2, (2, 3, 4, 2)).astype(np.float32), rng.standard_normal((2, 2, 3, 4)).astype(np.float32)
nodes = [h.make_node('Add', ['grid0', 'off'], ['grid']), h.make_node('GridSample', ['img', 'grid'], ['out'], mode=mode, padding_mode=padding, align_corners=align)]
g = h.make_graph(nodes, 'gs', [h.make_tensor_value_info('grid0', T.FLOAT, [2, 3, 4, 2])], [h.make_tensor_value_info('out', T.FLOAT, [2, 2, 3, 4])], [nh.from_array(img, 'img'), nh.from_array(off, 'off')])
m = h.make_model(g, opset_imports=[h.make_opsetid('', 16)]); m.ir_version = 8
onnx.save(m, file)
I, O = torch.tensor(img, dtype=torch.float64, requires_grad=True), torch.tensor(off, dtype=torch.float64, requires_grad=True)
out = F.grid_sample(I, torch.tensor(grid0, dtype=torch.float64) + O, mode=mode, padding_mode=padding, align_corners=bool(align))
loss = torch.mean((out - torch.tensor(t, dtype=torch.float64)) ** 2); loss.backward()
print(json.dumps({'grid0': grid0.reshape(-1).tolist(), 't': t.reshape(-1).tolist(), 'img': img.reshape(-1).tolist(), 'off': off.reshape(-1).tolist(),
                  'loss': loss.item(), 'gimg': I.grad.reshape(-1).tolist(), 'goff': O.grad.reshape(-1).tolist()}))
`;

describe.skipIf(!hasTorch)("GridSample's gradients export as standard ops", () => {
  for (const mode of ['bilinear', 'nearest'])
    for (const padding of ['zeros', 'border'])
      for (const align of [0, 1])
        it(`${mode}, ${padding}${align ? ', align_corners' : ''}: onnxruntime-node against graphc and PyTorch`, async () => {
          const file = join(dir, `gs-${mode}-${padding}-${align}.onnx`);
          const ref = JSON.parse(python(WRITE, [file, mode, padding, String(align)])) as Record<'grid0' | 't' | 'img' | 'off' | 'gimg' | 'goff', number[]> & { loss: number };
          const lr = 0.5;
          const c = compileModel(attachLoss(importOnnx(new Uint8Array(readFileSync(file))), 'mse'), { lr });
          expect(c.trainStep.nodes.filter((n) => n.op === 'GridSampleGrad').length).toBe(mode === 'nearest' ? 1 : 2);
          const feeds: Record<string, Feed> = {
            grid0: { data: ref.grid0, shape: [2, 3, 4, 2] }, y: { data: ref.t, shape: [2, 2, 3, 4] },
            img: { data: ref.img, shape: [2, 2, 5, 6] }, off: { data: ref.off, shape: [1, 3, 4, 2] }, 'optimizer.lr': { data: [lr], shape: [] },
          };
          const ours = runGraph(c.trainStep, feeds);
          const s = await ort.InferenceSession.create(exportModel(c, 'train'));
          const theirs = await s.run(Object.fromEntries(s.inputNames.map((k) => [k, ortTensor(feeds[k])])));
          expect(Math.abs((theirs.loss.data as Float32Array)[0] - ref.loss)).toBeLessThanOrEqual(1e-5 * Math.max(1, ref.loss));
          for (const [p, grad, v] of [['img', ref.gimg, ref.img], ['off', ref.goff, ref.off]] as const) {
            const next = theirs[`${p}.next`].data as Float32Array;
            expect(maxDiff(next, ours[`next:${p}`]), `${p}.next: onnxruntime against graphc`).toBeLessThanOrEqual(1e-5);
            expect(maxDiff(next, v.map((x, i) => x - lr * grad[i])), `${p}.next: onnxruntime against PyTorch's SGD step`).toBeLessThanOrEqual(1e-5);
          }
        });
});
