/**
 * onnxruntime-node's side of graphc's benchmark: W5 (the W4 MLP with a softmax output, batch 1 x 1,000
 * calls and batch 4,096) and MM (1024³), with 1 and 2 intra-op threads. The models are standard ONNX
 * written by graphc's exporter (random weights), passed to onnxruntime as bytes.
 */
import * as ort from 'onnxruntime-node';
import '../../compiler/ops/index.ts';
import { Graph } from '../../compiler/ir/graph.ts';
import * as B from '../../compiler/ir/build.ts';
import { inLeafScope } from '../../compiler/ir/node.ts';
import { exportGraph } from '../../export/export.ts';
import mlp from '../../graphs/mlp-w4.ts';
import { compileModel } from '../../compiler/passes/compile.ts';
import { bestCall, bestOf } from '../timing.ts';

const best = (fn: () => unknown, repeats = 3) => bestOf(repeats, fn);
const rand = (n: number) => Float32Array.from({ length: n }, () => Math.random() * 2 - 1);

const mlpBytes = exportGraph(compileModel(mlp.build(), { lr: 0.05 }).inference, { mode: 'inference', name: 'mlp' });
const mmBytes = inLeafScope(() => {
  const a = B.mk('Input', [], { name: 'a', shape: [1024, 1024], dtype: 'f32' });
  const b = B.mk('Input', [], { name: 'b', shape: [1024, 1024], dtype: 'f32' });
  return exportGraph(new Graph([{ name: 'c', node: B.matmul(a, b) }]), { mode: 'inference', name: 'mm' });
});

const out: Record<string, unknown>[] = [];
for (const threads of [1, 2]) {
  const opts = { intraOpNumThreads: threads, interOpNumThreads: 1 };
  const results: Record<string, unknown> = {};
  const s = await ort.InferenceSession.create(mlpBytes, opts);
  const one = new ort.Tensor('float32', rand(784), [1, 784]);
  const many = new ort.Tensor('float32', rand(4096 * 784), [4096, 784]);
  const r1 = await best(async () => { for (let i = 0; i < 1000; i++) await s.run({ x: one }); });
  results.W5b1 = { seconds: r1.seconds / 1000, all: r1.all.map((t) => t / 1000) };
  results.W5b4096 = await bestCall(async () => { await s.run({ x: many }); });
  const m = await ort.InferenceSession.create(mmBytes, opts);
  const a = new ort.Tensor('float32', rand(1024 * 1024), [1024, 1024]), b = new ort.Tensor('float32', rand(1024 * 1024), [1024, 1024]);
  const rm = await bestCall(async () => { await m.run({ a, b }); });
  results.MM = { ...rm, gflops: (2 * 1024 ** 3) / rm.seconds / 1e9 };
  out.push({ peer: `onnxruntime-${threads}t`, version: '1.30', threads, results });
}
console.log(JSON.stringify(out));
