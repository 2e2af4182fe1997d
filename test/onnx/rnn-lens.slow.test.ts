/**
 * RNN, GRU and LSTM over a batch of sequences of different lengths (sequence_lens shorter than X, masked
 * at import: export/import-rnn.ts) against PyTorch 1.13's packed sequences (pack_padded_sequence, unsorted
 * lengths, pad_packed_sequence): nn.RNN, nn.GRU (ONNX's linear_before_reset 1) and nn.LSTM, one direction
 * and both, with initial states, their weights written into one-node ONNX models in ONNX's gate order.
 * Outputs against PyTorch and onnxruntime-node; in float64, the gradient of a weighted sum of Y, Y_h (and
 * Y_c) with respect to X against PyTorch's autograd (float64), and with respect to X and every initializer
 * against central differences. The forms PyTorch has no module for (reverse alone, GRU's
 * linear_before_reset 0, layout 1, peepholes, a length 0) are against onnxruntime in rnn-import.slow.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { importOnnx } from '../../export/index.ts';
import { grad } from '../../compiler/autodiff/grad.ts';
import { Graph } from '../../compiler/ir/graph.ts';
import { inScopeOf, type Node } from '../../compiler/ir/node.ts';
import * as B from '../../compiler/ir/build.ts';
import { Plan } from '../../runtime/plan.ts';
import { runGraph } from '../support/run.ts';
import { hasOnnx, hasTorch, python, sayIfMissing } from '../support/peers.ts';

sayIfMissing('PyTorch (python3-torch)', hasTorch && hasOnnx, 'rnn-lens.slow.test');
const dir = mkdtempSync(join(tmpdir(), 'graphc-rnn-lens-'));

// kind, bidirectional, lengths: the one-node ONNX model written, PyTorch's outputs and gradient
const REFERENCE = `
import json, sys
import numpy as np, onnx, torch
from onnx import helper as h, TensorProto as T, numpy_helper as nh
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence
kind, bi, lens, path = sys.argv[1], sys.argv[2] == '1', json.loads(sys.argv[3]), sys.argv[4]
torch.manual_seed(3)
S, N, I, H, D = 6, len(lens), 3, 4, 2 if bi else 1
m = {'rnn': torch.nn.RNN, 'gru': torch.nn.GRU, 'lstm': torch.nn.LSTM}[kind](I, H, bidirectional=bi).double()
# PyTorch's gate order to ONNX's: GRU r z n -> z r h, LSTM i f g o -> i o f c
order = {'rnn': [0], 'gru': [1, 0, 2], 'lstm': [0, 3, 1, 2]}[kind]
def gates(t): return torch.cat([t[k * H:(k + 1) * H] for k in order])
sfx = ['', '_reverse'][:D]
W = torch.stack([gates(getattr(m, 'weight_ih_l0' + s)) for s in sfx])
R = torch.stack([gates(getattr(m, 'weight_hh_l0' + s)) for s in sfx])
Bias = torch.stack([torch.cat([gates(getattr(m, 'bias_ih_l0' + s)), gates(getattr(m, 'bias_hh_l0' + s))]) for s in sfx])
x = torch.randn(S, N, I, dtype=torch.float64).float().double().requires_grad_()
h0 = torch.randn(D, N, H, dtype=torch.float64).float().double()
c0 = torch.randn(D, N, H, dtype=torch.float64).float().double()
state = (h0, c0) if kind == 'lstm' else h0
y, hn = m(pack_padded_sequence(x, torch.tensor(lens), enforce_sorted=False), state)
y = pad_packed_sequence(y, total_length=S)[0].reshape(S, N, D, H).transpose(1, 2)
outs = {'Y': y, 'Y_h': hn[0] if kind == 'lstm' else hn}
if kind == 'lstm': outs['Y_c'] = hn[1]
g = torch.Generator().manual_seed(5)
weights = {k: torch.randn(v.shape, generator=g).double() for k, v in outs.items()}
sum(((v * weights[k]).sum() for k, v in outs.items())).backward()
f32 = lambda n, t: nh.from_array(t.detach().numpy().astype(np.float32), n)
inits = [f32('W', W), f32('R', R), f32('B', Bias), nh.from_array(np.array(lens, dtype=np.int32), 'L'), f32('h0', h0)] + ([f32('c0', c0)] if kind == 'lstm' else [])
node = h.make_node(kind.upper() if kind != 'rnn' else 'RNN', ['X', 'W', 'R', 'B', 'L'] + [t.name for t in inits[4:]], list(outs), hidden_size=H, direction='bidirectional' if bi else 'forward', **({'linear_before_reset': 1} if kind == 'gru' else {}))
graph = h.make_graph([node], 'g', [h.make_tensor_value_info('X', T.FLOAT, [S, N, I])], [h.make_tensor_value_info(o, T.FLOAT, list(v.shape)) for o, v in outs.items()], inits)
model = h.make_model(graph, opset_imports=[h.make_opsetid('', 17)]); model.ir_version = 8
onnx.checker.check_model(model, full_check=True)
onnx.save(model, path)
flat = lambda t: t.detach().reshape(-1).tolist()
print(json.dumps({'x': flat(x), 'shape': [S, N, I], 'outs': {k: flat(v) for k, v in outs.items()}, 'weights': {k: flat(v) for k, v in weights.items()}, 'dx': flat(x.grad)}))
`;

interface Ref { x: number[]; shape: number[]; outs: Record<string, number[]>; weights: Record<string, number[]>; dx: number[] }
const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  expect(a.length).toBe(b.length);
  return Array.from(a).reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
};

const cases: [string, boolean, number[]][] = [
  ['rnn', false, [6, 2, 5, 1]],
  ['rnn', true, [3, 6, 1, 4]],
  ['gru', false, [2, 6, 4, 3]],
  ['gru', true, [5, 1, 6, 2]],
  ['lstm', false, [4, 6, 1, 5]],
  ['lstm', true, [2, 3, 6, 4]],
  ['lstm', true, [4, 1, 3, 2]], // every sequence shorter than X: the last steps are no sequence's
];

describe.skipIf(!hasTorch || !hasOnnx)('sequences of their own lengths against PyTorch packed sequences', () => {
  for (const [kind, bi, lens] of cases)
    it(`${kind}${bi ? ' bidirectional' : ''}, lengths [${lens}]: outputs, and gradients against PyTorch and central differences`, async () => {
      const file = join(dir, `${kind}-${bi ? 2 : 1}-${lens.join('')}.onnx`);
      const ref = JSON.parse(python(REFERENCE, [kind, bi ? '1' : '0', JSON.stringify(lens), file])) as Ref;
      const m = importOnnx(new Uint8Array(readFileSync(file)));
      const ours = runGraph(m.graph, { X: { data: ref.x, shape: ref.shape } });
      const s = await ort.InferenceSession.create(file);
      const theirs = await s.run({ X: new ort.Tensor('float32', Float32Array.from(ref.x), ref.shape) });
      const fmt = (v: number) => v.toExponential(2);
      for (const [name, want] of Object.entries(ref.outs)) {
        const [dTorch, dOrt] = [maxDiff(ours[name], want), maxDiff(ours[name], theirs[name].data as Float32Array)];
        console.log(`rnn-lens: ${kind}${bi ? ' bidirectional' : ''} [${lens}] ${name}: max |graphc − PyTorch| ${fmt(dTorch)}, max |graphc − onnxruntime| ${fmt(dOrt)}`);
        expect(dTorch, name).toBeLessThanOrEqual(1e-5);
        expect(dOrt, name).toBeLessThanOrEqual(1e-5);
      }
      // float64: the weighted sum of the outputs, its gradient with respect to X and every initializer
      const g0 = m.graph;
      const leaves = g0.nodes.filter((n) => n.op === 'Param' || n.op === 'Input');
      const [loss, grads] = inScopeOf(g0.nodes, () => {
        const l = g0.outputs.map((o) => B.sum(B.mul(o.node, B.constant(ref.weights[o.name], o.node.shape as number[])))).reduce((a, b) => B.add(a, b));
        return [l, grad(l, leaves)] as [Node, Node[]];
      });
      const g = new Graph([loss, ...grads].map((node, k) => ({ name: `o${k}`, node })));
      const plan = new Plan(g, new Map([['X', ref.shape]]), { precision: 'f64', reuse: false });
      const values = new Map<string, Float64Array>(leaves.map((n) => [String(n.attrs.name), Float64Array.from(n.op === 'Input' ? ref.x : (n.attrs.init as Float32Array))]));
      const run = () => {
        plan.run(values as unknown as Map<string, Float32Array>);
        return g.outputs.map((o) => Float64Array.from(plan.value(o.node).data));
      };
      const [, ...analytic] = run();
      const dX = analytic[leaves.findIndex((n) => n.op === 'Input')];
      const dTorch = maxDiff(dX, ref.dx);
      expect(dTorch).toBeLessThanOrEqual(1e-10);
      let worst = 0, checked = 0;
      leaves.forEach((n, k) => {
        const v = values.get(String(n.attrs.name))!;
        for (let i = 0; i < v.length; i += Math.max(1, Math.floor(v.length / 12))) {
          const keep = v[i];
          v[i] = keep + 1e-6;
          const fp = run()[0][0];
          v[i] = keep - 1e-6;
          const fm = run()[0][0];
          v[i] = keep;
          const fd = (fp - fm) / 2e-6;
          worst = Math.max(worst, Math.abs(fd - analytic[k][i]));
          checked++;
          expect(Math.abs(fd - analytic[k][i]), `d / d ${String(n.attrs.name)}[${i}]: ${analytic[k][i]} vs ${fd}`).toBeLessThanOrEqual(1e-6 + 1e-5 * Math.abs(fd));
        }
      });
      console.log(`rnn-lens: ${kind}${bi ? ' bidirectional' : ''} [${lens}] gradient: max |dX − PyTorch's| ${fmt(dTorch)}; ${checked} entries of ${leaves.length} leaves, max |analytic − central difference| ${fmt(worst)}`);
    });
});
