/**
 * Elu and HardSigmoid, elementwise ops with attributes, held to PyTorch 1.13 (run at test time): values
 * and vector-Jacobian products over a grid that crosses every branch, alone and fused into one loop with
 * other ops; exported to ONNX with their attributes (onnxruntime gives PyTorch's values) and imported back
 * as the same ops with the same attributes.
 */
import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import '../../compiler/ops/index.ts';
import * as B from '../../compiler/ir/build.ts';
import { Graph } from '../../compiler/ir/graph.ts';
import { inLeafScope, type Node } from '../../compiler/ir/node.ts';
import { printGraph } from '../../compiler/ir/print.ts';
import { grad } from '../../compiler/autodiff/grad.ts';
import { graphPasses, runPasses } from '../../compiler/passes/pipeline.ts';
import { exportGraph, importOnnx } from '../../export/index.ts';
import { elu, hardSigmoid, input } from '../../index.ts';
import { runGraph, randoms } from '../support/run.ts';
import { hasTorch, python, sayIfMissing } from '../support/peers.ts';

sayIfMissing('PyTorch (python3-torch)', hasTorch, 'elu-hardsigmoid.slow.test');

const X = Array.from({ length: 41 }, (_, i) => Math.fround(-6 + 0.3 * i));
const W = randoms(X.length, 9, -1, 1).map(Math.fround);

interface Case { name: string; torch: string; build: (x: Node) => Node; op: string; attrs: Record<string, number> }
const cases: Case[] = [
  { name: 'Elu alpha 1', torch: 'F.elu(x)', build: (x) => B.mk('Elu', [x], { alpha: 1 }), op: 'Elu', attrs: { alpha: 1 } },
  { name: 'Elu alpha 0.5', torch: 'F.elu(x, alpha=0.5)', build: (x) => B.mk('Elu', [x], { alpha: 0.5 }), op: 'Elu', attrs: { alpha: 0.5 } },
  { name: 'HardSigmoid alpha 1/6 (F.hardsigmoid)', torch: 'F.hardsigmoid(x)', build: (x) => B.mk('HardSigmoid', [x], { alpha: 1 / 6, beta: 0.5 }), op: 'HardSigmoid', attrs: { alpha: 1 / 6, beta: 0.5 } },
  { name: 'HardSigmoid alpha 0.2 beta 0.35', torch: 'torch.clamp(0.2 * x + 0.35, 0, 1)', build: (x) => B.mk('HardSigmoid', [x], { alpha: 0.2, beta: 0.35 }), op: 'HardSigmoid', attrs: { alpha: 0.2, beta: 0.35 } },
];

/** PyTorch's values and x.grad for y.backward(w), each case in float32. */
function torchRef(): { y: number[]; dx: number[] }[] {
  return JSON.parse(python(`
import torch, json, sys
import torch.nn.functional as F
X, W = json.loads(sys.argv[1]), json.loads(sys.argv[2])
out = []
for expr in json.loads(sys.argv[3]):
    x = torch.tensor(X, dtype=torch.float32, requires_grad=True)
    y = eval(expr)
    y.backward(torch.tensor(W, dtype=torch.float32))
    out.append({'y': y.tolist(), 'dx': x.grad.tolist()})
print(json.dumps(out))
`, [JSON.stringify(X), JSON.stringify(W), JSON.stringify(cases.map((c) => c.torch))]));
}

const near = (got: ArrayLike<number>, want: readonly number[], tol: number, what: string) => {
  expect(got.length, what).toBe(want.length);
  for (let i = 0; i < want.length; i++) expect(Math.abs(got[i] - want[i]), `${what}[${i}] at x = ${X[i]}: ${got[i]} vs ${want[i]}`).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(want[i])));
};

const feeds = { x: { data: X, shape: [X.length] }, w: { data: W, shape: [X.length] } };
const graphOf = (c: Case) =>
  inLeafScope(() => {
    const x = B.mk('Input', [], { name: 'x', shape: [X.length], dtype: 'f32' }), w = B.mk('Input', [], { name: 'w', shape: [X.length], dtype: 'f32' });
    const y = c.build(x);
    return new Graph([{ name: 'y', node: y }, { name: 'dx', node: grad(B.sum(B.mul(y, w)), [x])[0] }], c.op);
  });

describe.skipIf(!hasTorch)('Elu and HardSigmoid against PyTorch', () => {
  const ref = hasTorch ? torchRef() : [];
  cases.forEach((c, k) => {
    it(`${c.name}: values and gradients, unfused and fused; ONNX export and import keep the attributes`, async () => {
      const g = graphOf(c);
      const ours = runGraph(g, feeds);
      near(ours.y, ref[k].y, 1e-6, 'y');
      near(ours.dx, ref[k].dx, 1e-6, 'dx');
      // in a chain (here s·op(x·s) with s = 1): one fused loop that keeps the attributes
      const chain = inLeafScope(() => {
        const x = B.mk('Input', [], { name: 'x', shape: [X.length], dtype: 'f32' }), one = B.mk('Input', [], { name: 's', shape: [X.length], dtype: 'f32' });
        return new Graph([{ name: 'y', node: B.mul(c.build(B.mul(x, one)), one) }], 'chain');
      });
      const opt = runPasses(chain, graphPasses());
      expect(opt.nodes.filter((n) => n.op !== 'Input').map((n) => n.op)).toEqual(['Fused']);
      expect(printGraph(opt)).toContain(`${c.op}(alpha=${c.attrs.alpha}`);
      near(runGraph(opt, { x: feeds.x, s: { data: X.map(() => 1), shape: [X.length] } }).y, ref[k].y, 1e-6, 'fused y');
      // ONNX: the values graph alone, with its attributes
      const bytes = exportGraph(inLeafScope(() => new Graph([{ name: 'y', node: c.build(B.mk('Input', [], { name: 'x', shape: ['N'] as unknown as number[], dtype: 'f32' })) }])), { mode: 'inference', name: c.op });
      const session = await ort.InferenceSession.create(bytes);
      near((await session.run({ x: new ort.Tensor('float32', Float32Array.from(X), [X.length]) })).y.data as Float32Array, ref[k].y, 1e-6, 'onnxruntime y');
      const back = importOnnx(bytes).graph.nodes.find((n) => n.op === c.op)!;
      expect(back, `${c.op} imported as itself`).toBeDefined();
      for (const [a, v] of Object.entries(c.attrs)) expect(back.attrs[a]).toBeCloseTo(v, 7);
    });
  });

  it('the DSL builds them with their defaults (ONNX\'s)', () => {
    const x = input('x', ['N', 3]);
    expect(elu(x).node.attrs).toEqual({ alpha: 1 });
    expect(x.hardSigmoid().node.attrs).toEqual({ alpha: 0.2, beta: 0.5 });
    expect(hardSigmoid(x, 1 / 6).node.attrs).toEqual({ alpha: 1 / 6, beta: 0.5 });
  });
});
