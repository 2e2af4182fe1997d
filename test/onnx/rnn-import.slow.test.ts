/**
 * RNN, GRU and LSTM imported (unrolled into graphc's ops, export/import-rnn.ts) against the references:
 * nn.RNN, a 2-layer bidirectional nn.GRU and a batch-first nn.LSTM written by torch.onnx.export (PyTorch
 * 1.13, opset 17, the batch symbolic), whose outputs graphc matches to PyTorch's and onnxruntime-node's,
 * as does onnxruntime on the file graphc exports from the import;
 * one-node models of the forms PyTorch does not write (reverse, layout 1, peepholes, linear_before_reset
 * 0, Relu, initial states, sequence_lens full and of different lengths, one of them 0) against
 * onnxruntime-node; and an imported GRU, LSTM and 2-layer LSTM (the second layer reading the first's steps
 * as computed: slice-concat) trained (attachLoss): gradients against central differences, and SGD steps'
 * losses against PyTorch's.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { importOnnx, attachLoss, exportGraph } from '../../export/index.ts';
import { compileModel } from '../../compiler/passes/index.ts';
import { grad } from '../../compiler/autodiff/grad.ts';
import { Graph } from '../../compiler/ir/graph.ts';
import { inScopeOf } from '../../compiler/ir/node.ts';
import { Plan } from '../../runtime/plan.ts';
import { randoms, runGraph, type Feeds } from '../support/run.ts';
import { hasOnnx, hasTorch, python, sayIfMissing } from '../support/peers.ts';

sayIfMissing('PyTorch (python3-torch)', hasTorch, 'rnn-import.slow.test');
sayIfMissing('python3-onnx (helper)', hasOnnx, 'rnn-import.slow.test');
const dir = mkdtempSync(join(tmpdir(), 'graphc-rnn-'));
type Tensors = Record<string, { data: number[]; shape: number[] }>;

const EXPORT = `
import torch, json, sys
torch.manual_seed(0)
kind, path = sys.argv[1], sys.argv[2]
def flat(t): return {'data': t.detach().reshape(-1).tolist(), 'shape': list(t.shape)}
if kind == 'rnn':
    m = torch.nn.RNN(4, 5); x = torch.randn(6, 3, 4); h0 = torch.randn(1, 3, 5)
    args, ins, outs, batch = (x, h0), ['x', 'h0'], ['y', 'h'], {'x': {1: 'N'}, 'h0': {1: 'N'}}
elif kind == 'gru':
    m = torch.nn.GRU(4, 5, num_layers=2, bidirectional=True); x = torch.randn(6, 3, 4)
    args, ins, outs, batch = (x,), ['x'], ['y', 'h'], {'x': {1: 'N'}}
else:
    m = torch.nn.LSTM(4, 5, batch_first=True); x = torch.randn(3, 6, 4); h0 = torch.randn(1, 3, 5); c0 = torch.randn(1, 3, 5)
    args, ins, outs, batch = (x, (h0, c0)), ['x', 'h0', 'c0'], ['y', 'h', 'c'], {'x': {0: 'N'}, 'h0': {1: 'N'}, 'c0': {1: 'N'}}
torch.onnx.export(m, args, path, input_names=ins, output_names=outs, dynamic_axes=batch, opset_version=17)
with torch.no_grad():
    y = m(*args)
got = [y[0]] + (list(y[1]) if kind == 'lstm' else [y[1]])
feeds = [x] + ([h0] if kind != 'gru' else []) + ([c0] if kind == 'lstm' else [])
print(json.dumps({'feeds': {n: flat(t) for n, t in zip(ins, feeds)}, 'outs': {n: flat(t) for n, t in zip(outs, got)}}))
`;

type Out = { data: number[]; dims: number[] };
/** A row-major tensor with its axes permuted: output axis i is input axis perm[i]. */
function permute(t: Out, perm: number[]): Out {
  const dims = perm.map((p) => t.dims[p]);
  const strides = t.dims.map((_, i) => t.dims.slice(i + 1).reduce((p, d) => p * d, 1));
  const data = new Array<number>(t.data.length);
  const idx = dims.map(() => 0);
  for (let k = 0; k < data.length; k++) {
    data[k] = t.data[idx.reduce((o, v, i) => o + v * strides[perm[i]], 0)];
    for (let i = dims.length - 1; i >= 0 && ++idx[i] === dims[i]; i--) idx[i] = 0;
  }
  return { data, dims };
}

/**
 * graphc's outputs on `file` and onnxruntime's, fed the same; with `layout0`, onnxruntime runs that twin
 * of a layout-1 model (it reads layout 0 only), fed X [S, N, I], and its outputs are permuted to layout 1.
 */
async function both(file: string, feeds: Tensors, layout0?: string): Promise<{ ours: Record<string, Float64Array>; theirs: Record<string, Out>; shapes: Record<string, unknown[]> }> {
  const m = importOnnx(new Uint8Array(readFileSync(file)));
  const ours = runGraph(m.graph, feeds as Feeds);
  const s = await ort.InferenceSession.create(layout0 ?? file);
  const fed = layout0 ? { X: permute({ data: feeds.X.data, dims: feeds.X.shape }, [1, 0, 2]) } : Object.fromEntries(Object.entries(feeds).map(([k, f]) => [k, { data: f.data, dims: f.shape }]));
  const res = await s.run(Object.fromEntries(Object.entries(fed).map(([k, f]) => [k, new ort.Tensor('float32', Float32Array.from(f.data), f.dims)])));
  const toLayout1 = (k: string, t: Out) => (!layout0 ? t : permute(t, k === 'Y' ? [2, 0, 1, 3] : [1, 0, 2]));
  const theirs = Object.fromEntries(Object.entries(res).map(([k, t]) => [k, toLayout1(k, { data: Array.from(t.data as Float32Array, Number), dims: [...t.dims] })]));
  return { ours, theirs, shapes: Object.fromEntries(m.graph.outputs.map((o) => [o.name, [...o.node.shape]])) };
}
const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  expect(a.length).toBe(b.length);
  return Array.from(a).reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
};

describe.skipIf(!hasTorch)('recurrent models written by torch.onnx.export', () => {
  for (const kind of ['rnn', 'gru', 'lstm'])
    it(`${kind}: outputs within 1e-5 of PyTorch and onnxruntime`, async () => {
      const file = join(dir, `${kind}.onnx`);
      const ref = JSON.parse(python(EXPORT, [kind, file])) as { feeds: Tensors; outs: Tensors };
      const { ours, theirs } = await both(file, ref.feeds);
      // exported again by graphc (the unrolled ops, standard ONNX), the file runs in onnxruntime too
      const again = join(dir, `${kind}-again.onnx`);
      writeFileSync(again, exportGraph(importOnnx(new Uint8Array(readFileSync(file))).graph, { mode: 'inference', name: kind }));
      const { theirs: exported } = await both(again, ref.feeds);
      for (const [name, want] of Object.entries(ref.outs)) {
        expect(maxDiff(exported[name].data, want.data), `${name} exported again`).toBeLessThanOrEqual(1e-5);
        const [dTorch, dOrt] = [maxDiff(ours[name], want.data), maxDiff(ours[name], theirs[name].data)];
        console.log(`rnn-import: ${kind} ${name} ${JSON.stringify(want.shape)}: max |graphc − PyTorch| ${dTorch.toExponential(2)}, max |graphc − onnxruntime| ${dOrt.toExponential(2)}`);
        expect(theirs[name].dims).toEqual(want.shape);
        expect(dTorch).toBeLessThanOrEqual(1e-5);
        expect(dOrt).toBeLessThanOrEqual(1e-5);
      }
    });
});

// one-node models: X fed; W, R, B, initial states, P and sequence_lens initializers ('' leaves one out)
const WRITE = `
import json, sys
import numpy as np, onnx
from onnx import helper as h, TensorProto as T, numpy_helper as nh
rng = np.random.default_rng(0)
for c in json.loads(sys.argv[1]):
    inits = [nh.from_array((rng.standard_normal(s) * 0.5).astype(np.float32), n) for n, s in c['inits'] if s]
    if c.get('lens'): inits.append(nh.from_array(np.array(c['lens'], dtype=np.int32), 'L'))
    names = ['X'] + [n if s else '' for n, s in c['inits']]
    if c.get('lens') or len(names) > 4: names = names[:4] + ['L' if c.get('lens') else ''] + names[4:]
    outs = c['outputs']
    node = h.make_node(c['op'], names, outs, name='n0', **c['attrs'])
    g = h.make_graph([node], 'g', [h.make_tensor_value_info('X', T.FLOAT, c['x'])], [h.make_empty_tensor_value_info(o) for o in outs if o], inits)
    m = h.make_model(g, opset_imports=[h.make_opsetid('', 17)]); m.ir_version = 8
    onnx.save(m, c['file'])
    if c['attrs'].get('layout') == 1:
        # onnxruntime reads layout 0 only: the same node in layout 0, its states [D, N, H]
        twin = [nh.from_array(nh.to_array(t).transpose(1, 0, 2).copy(), t.name) if t.name in ('h0', 'c0') else t for t in inits]
        del node.attribute[[a.name for a in node.attribute].index('layout')]
        x0 = [c['x'][1], c['x'][0], c['x'][2]]
        g = h.make_graph([node], 'g', [h.make_tensor_value_info('X', T.FLOAT, x0)], [h.make_empty_tensor_value_info(o) for o in outs if o], twin)
        m = h.make_model(g, opset_imports=[h.make_opsetid('', 17)]); m.ir_version = 8
        onnx.save(m, c['file'] + '.layout0.onnx')
`;
interface Case { op: string; attrs: Record<string, unknown>; x: number[]; inits: [string, number[] | null][]; outputs: string[]; lens?: number[] }
function rnnCase(op: string, dirs: number, layout: number, extra: { attrs?: Record<string, unknown>; init?: boolean; bias?: boolean; peep?: boolean; lens?: true | number[]; outputs?: string[] } = {}): Case {
  const [S, N, I, H, G] = [4, 3, 2, 5, { RNN: 1, GRU: 3, LSTM: 4 }[op]!];
  const state = extra.init ? (layout ? [N, dirs, H] : [dirs, N, H]) : null;
  const inits: [string, number[] | null][] = [['W', [dirs, G * H, I]], ['R', [dirs, G * H, H]], ['B', extra.bias === false ? null : [dirs, 2 * G * H]], ['h0', state]];
  if (op === 'LSTM') inits.push(['c0', state], ['P', extra.peep ? [dirs, 3 * H] : null]);
  while (inits.length && !inits[inits.length - 1][1]) inits.pop();
  const direction = ['forward', 'bidirectional', 'reverse'][dirs === 2 ? 1 : extra.attrs?.reverse ? 2 : 0];
  const { reverse: _r, ...attrs } = extra.attrs ?? {};
  return { op, x: layout ? [N, S, I] : [S, N, I], inits, lens: extra.lens === true ? Array(N).fill(S) : extra.lens, outputs: extra.outputs ?? (op === 'LSTM' ? ['Y', 'Y_h', 'Y_c'] : ['Y', 'Y_h']), attrs: { hidden_size: H, direction, ...(layout ? { layout } : {}), ...attrs } };
}
const cases: Case[] = [
  rnnCase('RNN', 1, 0, { attrs: { reverse: 1 }, init: true }),
  rnnCase('RNN', 2, 1, { attrs: { activations: ['Relu', 'Tanh'] }, init: true }),
  rnnCase('GRU', 1, 1, { attrs: { reverse: 1, linear_before_reset: 1 }, init: true }),
  rnnCase('GRU', 2, 0, { attrs: { linear_before_reset: 0 }, lens: true }),
  rnnCase('GRU', 2, 1, { attrs: { linear_before_reset: 1, activations: ['Sigmoid', 'Relu', 'Sigmoid', 'Tanh'] }, bias: false, outputs: ['', 'Y_h'] }),
  rnnCase('LSTM', 1, 0, { attrs: { reverse: 1 }, init: true, peep: true }),
  rnnCase('LSTM', 2, 1, { init: true, peep: true, lens: true }),
  rnnCase('LSTM', 2, 0, { bias: false, outputs: ['Y', '', 'Y_c'] }),
  // sequences shorter than X: each of its own length, Y zero past it, Y_h (Y_c) its state at its last step
  rnnCase('RNN', 1, 0, { init: true, lens: [4, 1, 3] }),
  rnnCase('RNN', 1, 0, { attrs: { reverse: 1 }, init: true, lens: [2, 4, 3] }),
  rnnCase('RNN', 2, 1, { lens: [3, 1, 4] }),
  rnnCase('GRU', 1, 0, { attrs: { linear_before_reset: 0 }, init: true, lens: [1, 4, 2] }),
  rnnCase('GRU', 2, 0, { attrs: { linear_before_reset: 1 }, lens: [4, 2, 3] }),
  rnnCase('GRU', 1, 1, { attrs: { reverse: 1, linear_before_reset: 0 }, init: true, lens: [3, 4, 1] }),
  rnnCase('GRU', 2, 1, { attrs: { linear_before_reset: 1 }, init: true, lens: [2, 3, 2] }),
  rnnCase('LSTM', 1, 0, { init: true, peep: true, lens: [2, 4, 3] }),
  rnnCase('LSTM', 2, 0, { init: true, peep: true, lens: [3, 1, 2] }),
  rnnCase('LSTM', 1, 1, { attrs: { reverse: 1 }, lens: [1, 3, 4] }),
  // a sequence of length 0: Y zero, and Y_h (Y_c) zero too, not the initial state (onnxruntime's reading)
  rnnCase('GRU', 2, 0, { init: true, lens: [0, 2, 4] }),
  rnnCase('LSTM', 1, 1, { attrs: { reverse: 1 }, init: true, peep: true, lens: [3, 0, 2] }),
];

describe.skipIf(!hasOnnx)('one-node RNN, GRU and LSTM against onnxruntime', () => {
  const named = hasOnnx ? cases.map((c, i) => ({ ...c, file: join(dir, `case${i}-${c.op}.onnx`) })) : [];
  if (hasOnnx) python(WRITE, [JSON.stringify(named)]);
  for (const c of named)
    it(`${c.op} ${JSON.stringify(c.attrs)}, inputs ${c.inits.map(([n, s]) => (s ? n : '-')).join(' ')}${c.lens ? `, sequence_lens [${c.lens}]` : ''}, outputs ${c.outputs.map((o) => o || '-').join(' ')}`, async () => {
      const X = { data: randoms(c.x.reduce((p, d) => p * d, 1), 11, -2, 2), shape: c.x };
      const { ours, theirs, shapes } = await both(c.file, { X }, c.attrs.layout === 1 ? `${c.file}.layout0.onnx` : undefined);
      expect(Object.keys(theirs).sort()).toEqual(c.outputs.filter(Boolean).sort());
      for (const [name, t] of Object.entries(theirs)) {
        expect(shapes[name], name).toEqual(t.dims);
        expect(maxDiff(ours[name], t.data), name).toBeLessThanOrEqual(1e-5);
      }
    });
});

// a GRU (bidirectional) or an LSTM (of 1 or 2 layers), batch first, then a linear layer on the last step:
// one input, one output
const TRAIN = `
import torch, json, sys
torch.manual_seed(1)
kind, path = sys.argv[1], sys.argv[2]
class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = torch.nn.GRU(3, 4, batch_first=True, bidirectional=True) if kind == 'gru' else torch.nn.LSTM(3, 4, batch_first=True, num_layers=2 if kind == 'lstm2' else 1)
        self.fc = torch.nn.Linear(8 if kind == 'gru' else 4, 1)
    def forward(self, x):
        return self.fc(self.rnn(x)[0][:, -1])
net = Net(); x = torch.randn(5, 6, 3); y = torch.randn(5, 1)
torch.onnx.export(net, (x,), path, input_names=['x'], output_names=['p'], dynamic_axes={'x': {0: 'N'}, 'p': {0: 'N'}}, opset_version=17)
opt = torch.optim.SGD(net.parameters(), lr=0.1)
losses = []
for _ in range(4):
    opt.zero_grad(); loss = torch.mean((net(x) - y) ** 2); loss.backward(); opt.step(); losses.append(loss.item())
print(json.dumps({'x': x.reshape(-1).tolist(), 'y': y.reshape(-1).tolist(), 'losses': losses}))
`;

describe.skipIf(!hasTorch)('an imported GRU and LSTM trained (attachLoss)', () => {
  for (const kind of ['gru', 'lstm', 'lstm2'])
    it(`${kind}: gradients against central differences, 4 SGD steps' losses against PyTorch's`, () => {
      const file = join(dir, `train-${kind}.onnx`);
      const ref = JSON.parse(python(TRAIN, [kind, file])) as { x: number[]; y: number[]; losses: number[] };
      const built = attachLoss(importOnnx(new Uint8Array(readFileSync(file))), 'mse');
      const fw = built.forward;
      const params = fw.nodes.filter((n) => n.op === 'Param');
      const loss = fw.outputs.find((o) => o.name === 'loss')!.node;
      const grads = inScopeOf(fw.nodes, () => grad(loss, params));
      // float64 plan, built once: the loss and every parameter's gradient, values fed by name
      const g = new Graph([loss, ...grads].map((node, k) => ({ name: `o${k}`, node })));
      const plan = new Plan(g, new Map([['x', [5, 6, 3]], ['y', [5, 1]]]), { precision: 'f64', reuse: false });
      const values = new Map<string, Float64Array>([['x', Float64Array.from(ref.x)], ['y', Float64Array.from(ref.y)], ...params.map((p) => [String(p.attrs.name), Float64Array.from(p.attrs.init as Float32Array)] as [string, Float64Array])]);
      const run = () => {
        plan.run(values as unknown as Map<string, Float32Array>);
        return g.outputs.map((o) => Float64Array.from(plan.value(o.node).data));
      };
      const [, ...analytic] = run();
      const h = 1e-6;
      let worst = 0, checked = 0;
      params.forEach((p, k) => {
        const v = values.get(String(p.attrs.name))!;
        for (let i = 0; i < v.length; i += Math.max(1, Math.floor(v.length / 5))) {
          const keep = v[i];
          v[i] = keep + h;
          const fp = run()[0][0];
          v[i] = keep - h;
          const fm = run()[0][0];
          v[i] = keep;
          const fd = (fp - fm) / (2 * h);
          worst = Math.max(worst, Math.abs(fd - analytic[k][i]));
          checked++;
          expect(Math.abs(fd - analytic[k][i]), `d loss / d ${String(p.attrs.name)}[${i}]: ${analytic[k][i]} vs ${fd}`).toBeLessThanOrEqual(1e-6 + 1e-5 * Math.abs(fd));
        }
      });
      // the train step (float32, the pipeline's passes): SGD steps from the same start as PyTorch's
      const compiled = compileModel(built, { lr: 0.1 }), step = compiled.trainStep;
      // 2 layers: the second reads each step of the first's output as computed (slice-concat), not out of its Concat
      const joined = compiled.report.find((r) => r.pass === 'slice-concat')!.rewrites.map((r) => r.what);
      expect(joined).toEqual(kind === 'lstm2' ? ['6 Slices of Concat [6, 1, N, 4] (6 parts along axis 0, read through a Reshape to [6, N, 4]) -> 6 whole parts'] : []);
      const state = new Map(params.map((p) => [String(p.attrs.name), { data: Array.from(p.attrs.init as Float32Array), shape: p.shape as number[] }]));
      const losses: number[] = [];
      for (let s = 0; s < 4; s++) {
        const out = runGraph(step, { x: { data: ref.x, shape: [5, 6, 3] }, y: { data: ref.y, shape: [5, 1] }, ...Object.fromEntries(state) });
        losses.push(out.loss[0]);
        for (const [name, t] of state) t.data = Array.from(out[`next:${name}`]);
      }
      const dLoss = maxDiff(losses, ref.losses);
      console.log(`rnn-import: ${kind} trained: ${checked} gradient entries of ${params.length} parameters, max |analytic − central difference| ${worst.toExponential(2)}; 4 SGD steps, max |loss − PyTorch's| ${dLoss.toExponential(2)} (losses ${losses.map((l) => l.toFixed(6)).join(', ')})`);
      expect(dLoss).toBeLessThanOrEqual(1e-5);
      expect(losses[3]).toBeLessThan(losses[0]);
    });
});
