/**
 * Resize and Upsample against onnxruntime-node: one-node models at opsets 7 to 19 (scales as float
 * initializers, sizes as int64), on inputs of a batch and channels, each also exported by graphc (opset 17)
 * and run again; PyTorch's own export of F.interpolate (sizes from Shape(x), a dynamic batch) against
 * PyTorch; and the forms graphc refuses, each in one line naming the attribute and its value.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { exportGraph, importOnnx } from '../../export/index.ts';
import { hasOnnx, hasTorch, python } from '../support/peers.ts';
import { randoms, runGraph } from '../support/run.ts';
import { refused } from '../support/refused.ts';

type Operand = [name: string, kind: 'f' | 'i', values: number[]] | '';
interface Case { label: string; opset: number; op?: string; x: number[]; ins: Operand[]; attrs?: Record<string, string | number | number[]> }

const WRITE = `
import json, sys
import onnx
from onnx import helper as h, TensorProto as T
for c in json.loads(sys.argv[1]):
    inits = [h.make_tensor(o[0], T.FLOAT if o[1] == 'f' else T.INT64, [len(o[2])], o[2]) for o in c['ins'] if o]
    node = h.make_node(c.get('op', 'Resize'), ['x'] + [o[0] if o else '' for o in c['ins']], ['y'], name='n0', **c.get('attrs', {}))
    g = h.make_graph([node], 'g', [h.make_tensor_value_info('x', T.FLOAT, c['x'])], [h.make_empty_tensor_value_info('y')], inits)
    m = h.make_model(g, opset_imports=[h.make_opsetid('', c['opset'])])
    m.ir_version = 8
    onnx.save(m, c['file'])
`;

const sc = (v: number[]): Operand => ['scales', 'f', v];
const sz = (v: number[]): Operand => ['sizes', 'i', v];
const X = [2, 3, 5, 4];
const cases: Case[] = [
  { label: 'Upsample 7 nearest, scales attribute', opset: 7, op: 'Upsample', x: [1, 2, 2, 3], ins: [], attrs: { mode: 'nearest', scales: [1, 1, 2.5, 1.7] } },
  { label: 'Upsample 9 linear', opset: 9, op: 'Upsample', x: [1, 2, 2, 3], ins: [sc([1, 1, 2.5, 1.7])], attrs: { mode: 'linear' } },
  { label: 'Resize 10 nearest, shrinking and growing', opset: 10, x: X, ins: [sc([1, 1, 0.6, 1.7])], attrs: { mode: 'nearest' } },
  { label: 'Resize 10 linear', opset: 10, x: X, ins: [sc([1, 1, 2.5, 0.5])], attrs: { mode: 'linear' } },
  { label: 'Resize 11 nearest half_pixel (defaults), scales', opset: 11, x: X, ins: [['roi', 'f', []], sc([1, 1, 1.4, 2])] },
  { label: 'Resize 13 linear half_pixel, sizes', opset: 13, x: X, ins: ['', '', sz([2, 3, 7, 3])], attrs: { mode: 'linear' } },
  { label: 'Resize 13 linear align_corners, sizes', opset: 13, x: X, ins: ['', '', sz([2, 3, 9, 2])], attrs: { mode: 'linear', coordinate_transformation_mode: 'align_corners' } },
  { label: 'Resize 13 linear pytorch_half_pixel, sizes with a 1', opset: 13, x: X, ins: ['', '', sz([2, 3, 1, 6])], attrs: { mode: 'linear', coordinate_transformation_mode: 'pytorch_half_pixel' } },
  { label: 'Resize 13 linear asymmetric, scales', opset: 13, x: X, ins: ['', sc([1, 1, 2, 0.75])], attrs: { mode: 'linear', coordinate_transformation_mode: 'asymmetric' } },
  { label: 'Resize 13 nearest round_prefer_ceil asymmetric', opset: 13, x: X, ins: ['', sc([1, 1, 2.2, 0.7])], attrs: { coordinate_transformation_mode: 'asymmetric', nearest_mode: 'round_prefer_ceil' } },
  { label: 'Resize 13 nearest floor align_corners', opset: 13, x: X, ins: ['', '', sz([2, 3, 8, 7])], attrs: { coordinate_transformation_mode: 'align_corners', nearest_mode: 'floor' } },
  { label: 'Resize 13 nearest ceil half_pixel, a channel axis resized', opset: 13, x: X, ins: ['', '', sz([2, 5, 3, 8])], attrs: { nearest_mode: 'ceil' } },
  { label: 'Resize 13 cubic half_pixel', opset: 13, x: X, ins: ['', sc([1, 1, 1.6, 2])], attrs: { mode: 'cubic' } },
  { label: 'Resize 13 cubic a -0.5 exclude_outside, sizes', opset: 13, x: X, ins: ['', '', sz([2, 3, 3, 7])], attrs: { mode: 'cubic', cubic_coeff_a: -0.5, exclude_outside: 1 } },
  { label: 'Resize 18 linear over axes [2, 3]', opset: 18, x: X, ins: ['', '', sz([6, 7])], attrs: { mode: 'linear', axes: [2, 3] } },
  { label: 'Resize at opset 26 (the newest read), cubic over axes [3]', opset: 26, x: X, ins: ['', sc([0.7])], attrs: { mode: 'cubic', axes: [3] } },
  { label: 'Resize 19 nearest half_pixel_symmetric', opset: 19, x: X, ins: ['', sc([1, 1, 1.5, 0.6])], attrs: { coordinate_transformation_mode: 'half_pixel_symmetric' } },
];

describe.skipIf(!hasOnnx)('Resize and Upsample against onnxruntime', () => {
  const dir = mkdtempSync(join(tmpdir(), 'graphc-resize-'));
  const files = cases.map((c, i) => ({ ...c, file: join(dir, `r${i}.onnx`) }));
  python(WRITE, [JSON.stringify(files)]);
  for (const c of files)
    it(c.label, async () => {
      const m = importOnnx(new Uint8Array(readFileSync(c.file)));
      const data = randoms(c.x.reduce((p, d) => p * d, 1), 5, -2, 2);
      const ours = runGraph(m.graph, { x: { data, shape: c.x } }).y;
      const s = await ort.InferenceSession.create(c.file);
      const theirs = (await s.run({ x: new ort.Tensor('float32', Float32Array.from(data), c.x) })).y;
      expect(m.graph.outputs[0].node.shape).toEqual([...theirs.dims]);
      const want = Array.from(theirs.data as Float32Array);
      const close = (got: ArrayLike<number>, what: string) => Array.from(got).forEach((v, i) => expect(Math.abs(v - want[i]), `${what} y[${i}]: ${v} vs ${want[i]}`).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(want[i]))));
      close(ours, 'graphc');
      // graphc's export at opset 17, where the form has one
      if (c.opset >= 19) return;
      const out = join(dir, `e-${c.file.split('/').pop()}`);
      writeFileSync(out, exportGraph(m.graph, { mode: 'inference', name: 'resize' }));
      const again = await (await ort.InferenceSession.create(out)).run({ x: new ort.Tensor('float32', Float32Array.from(data), c.x) });
      close(again.y.data as Float32Array, 'exported');
    });
});

describe.skipIf(!hasOnnx)('Resize forms graphc refuses, by name', () => {
  const bad: [Case, RegExp][] = [
    [{ label: 'antialias', opset: 18, x: X, ins: ['', sc([1, 1, 0.5, 0.5])], attrs: { mode: 'linear', antialias: 1 } }, /^node 'n0' \(Resize, opset 18\): attribute 'antialias' 1 is not supported/],
    [{ label: 'keep_aspect_ratio_policy', opset: 18, x: X, ins: ['', '', sz([4, 4])], attrs: { axes: [2, 3], keep_aspect_ratio_policy: 'not_larger' } }, /attribute 'keep_aspect_ratio_policy' 'not_larger' is not supported/],
    [{ label: 'an unknown mode', opset: 13, x: X, ins: ['', sc([1, 1, 2, 2])], attrs: { mode: 'area' } }, /\(Resize, opset 13\): attribute 'mode' 'area' is not supported/],
    [{ label: 'tf_half_pixel_for_nn after opset 11', opset: 13, x: X, ins: ['', sc([1, 1, 2, 2])], attrs: { coordinate_transformation_mode: 'tf_half_pixel_for_nn' } }, /attribute 'coordinate_transformation_mode' 'tf_half_pixel_for_nn' is not supported/],
    [{ label: 'an unknown nearest_mode', opset: 13, x: X, ins: ['', sc([1, 1, 2, 2])], attrs: { nearest_mode: 'round_half_even' } }, /attribute 'nearest_mode' 'round_half_even' is not supported/],
    [{ label: 'scales and sizes both', opset: 13, x: X, ins: ['', sc([1, 1, 2, 2]), sz([2, 3, 10, 8])] }, /both scales and sizes given/],
    [{ label: 'a cubic Upsample', opset: 9, op: 'Upsample', x: X, ins: [sc([1, 1, 2, 2])], attrs: { mode: 'cubic' } }, /\(Upsample, opset 9\): attribute 'mode' 'cubic' is not supported/],
  ];
  const dir = mkdtempSync(join(tmpdir(), 'graphc-resize-bad-'));
  const files = bad.map(([c], i) => ({ ...c, file: join(dir, `b${i}.onnx`) }));
  python(WRITE, [JSON.stringify(files)]);
  files.forEach((c, i) => it(c.label, () => refused(new Uint8Array(readFileSync(c.file)), bad[i][1])));
});

const TORCH_EXPORT = `
import json, sys, warnings
warnings.filterwarnings('ignore')
import torch, torch.nn.functional as F
class M(torch.nn.Module):
    def forward(self, x):
        return (F.interpolate(x, size=(7, 5), mode='bilinear', align_corners=False),
                F.interpolate(x, scale_factor=2, mode='nearest'),
                F.interpolate(x, size=(6, 9), mode='bilinear', align_corners=True))
torch.manual_seed(0)
out = {}
for opset in (11, 13, 17):
    f = sys.argv[1] + '/t%d.onnx' % opset
    torch.onnx.export(M(), (torch.randn(2, 3, 4, 6),), f, input_names=['x'], output_names=['a', 'b', 'c'], opset_version=opset,
                      dynamic_axes={k: {0: 'N'} for k in ['x', 'a', 'b', 'c']})
x = torch.randn(3, 3, 4, 6)
print(json.dumps({'x': x.flatten().tolist(), 'y': [y.flatten().tolist() for y in M()(x)]}))
`;

describe.skipIf(!hasTorch)("PyTorch's export of F.interpolate, a dynamic batch", () => {
  const dir = mkdtempSync(join(tmpdir(), 'graphc-resize-torch-'));
  const ref = JSON.parse(python(TORCH_EXPORT, [dir]).trim().split('\n').pop()!) as { x: number[]; y: number[][] };
  for (const opset of [11, 13, 17])
    it(`opset ${opset}: sizes Concat(Shape(x)[:2], [h, w]) and a scale factor, run at batch 3`, () => {
      const m = importOnnx(new Uint8Array(readFileSync(join(dir, `t${opset}.onnx`))));
      const ours = runGraph(m.graph, { x: { data: ref.x, shape: [3, 3, 4, 6] } });
      ['a', 'b', 'c'].forEach((name, k) => {
        expect(m.graph.outputs[k].node.shape[0]).toBe('N');
        Array.from(ours[name]).forEach((v, i) => expect(Math.abs(v - ref.y[k][i]), `${name}[${i}]`).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(ref.y[k][i]))));
        expect(ours[name].length).toBe(ref.y[k].length);
      });
    });
});
