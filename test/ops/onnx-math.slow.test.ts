/**
 * The elementwise ops read from ONNX's math and logic sets (compiler/ops/math-unary.ts, logic.ts,
 * thresholds.ts, Mod in math.ts, Hardmax) held to PyTorch 1.13 (run at test time): values and vector-Jacobian
 * products in float32 over grids that cross every jump (the rounding grid holds the ties ±0.5, ±1.5,
 * ±2.5, where half-to-even and half-up differ), in graphc's float32 kernels (WebAssembly where the op
 * has a SIMD rule) and its float64 JavaScript ones; each exported to ONNX (the checker's full check,
 * and onnxruntime's values) and imported back as the same op with the same attributes.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import '../../compiler/ops/index.ts';
import * as B from '../../compiler/ir/build.ts';
import { Graph } from '../../compiler/ir/graph.ts';
import { inLeafScope, type DType, type Node } from '../../compiler/ir/node.ts';
import { grad } from '../../compiler/autodiff/grad.ts';
import { exportGraph, importOnnx } from '../../export/index.ts';
import { runGraph, randoms } from '../support/run.ts';
import { hasOnnx, hasTorch, python, sayIfMissing } from '../support/peers.ts';

sayIfMissing('PyTorch (python3-torch)', hasTorch, 'onnx-math.slow.test');
const dir = mkdtempSync(join(tmpdir(), 'graphc-onnx-math-'));

const grid = (lo: number, hi: number, n = 41) => Array.from({ length: n }, (_, i) => Math.fround(lo + ((hi - lo) * i) / (n - 1)));
const STEPS = grid(-3, 3, 25); // every quarter: the ties of round included
const W = randoms(41, 9, -1, 1).map(Math.fround);

interface Case {
  name: string;
  /** PyTorch's expression of x (and y, for a binary op). */
  torch: string;
  op: string;
  attrs?: Record<string, number>;
  x: number[];
  /** The second operand's values (broadcast [1] or matched), for a binary op. */
  y?: number[];
  /** Whether PyTorch's gradient is compared (off for the logic ops). */
  grads?: boolean;
  dtype?: DType;
}

const unary = (op: string, torch: string, x: number[]): Case => ({ name: op, op, torch, x, grads: true });
const cases: Case[] = [
  unary('Floor', 'torch.floor(x)', STEPS),
  unary('Ceil', 'torch.ceil(x)', STEPS),
  unary('Round', 'torch.round(x)', STEPS),
  unary('Sign', 'torch.sign(x)', STEPS),
  unary('Sin', 'torch.sin(x)', grid(-6, 6)),
  unary('Cos', 'torch.cos(x)', grid(-6, 6)),
  unary('Tan', 'torch.tan(x)', grid(-1.4, 1.4)),
  unary('Asin', 'torch.asin(x)', grid(-0.95, 0.95)),
  unary('Acos', 'torch.acos(x)', grid(-0.95, 0.95)),
  unary('Atan', 'torch.atan(x)', grid(-6, 6)),
  unary('Sinh', 'torch.sinh(x)', grid(-4, 4)),
  unary('Cosh', 'torch.cosh(x)', grid(-4, 4)),
  unary('Asinh', 'torch.asinh(x)', grid(-6, 6)),
  unary('Acosh', 'torch.acosh(x)', grid(1.05, 6)),
  unary('Atanh', 'torch.atanh(x)', grid(-0.95, 0.95)),
  { name: 'ThresholdedRelu alpha 0.5', op: 'ThresholdedRelu', attrs: { alpha: 0.5 }, torch: 'F.threshold(x, 0.5, 0.0)', x: grid(-2, 2), grads: true },
  { name: 'Shrink lambd 0.5 (hardshrink)', op: 'Shrink', attrs: { lambd: 0.5, bias: 0 }, torch: 'F.hardshrink(x, 0.5)', x: grid(-2, 2), grads: true },
  { name: 'Shrink lambd 0.5 bias 0.5 (softshrink)', op: 'Shrink', attrs: { lambd: 0.5, bias: 0.5 }, torch: 'F.softshrink(x, 0.5)', x: grid(-2, 2), grads: true },
  { name: 'Mod fmod 1 (torch.fmod)', op: 'Mod', attrs: { fmod: 1 }, torch: 'torch.fmod(x, y)', x: grid(-5, 5), y: [1.5], grads: true },
  { name: 'Mod fmod 1, a negative divisor', op: 'Mod', attrs: { fmod: 1 }, torch: 'torch.fmod(x, y)', x: grid(-5, 5), y: [-1.75], grads: true },
  { name: 'Hardmax axis 0, the first of tied maxima', op: 'Hardmax', attrs: { axis: 0 }, torch: 'F.one_hot(torch.argmax(x), x.numel()).float()', x: [1, -2, 3, 0.5, 3, 2] },
  { name: 'Not', op: 'Not', torch: 'torch.logical_not(x)', x: [0, 1, 1, 0], dtype: 'bool' },
  { name: 'And', op: 'And', torch: 'torch.logical_and(x, y)', x: [0, 0, 1, 1], y: [0, 1, 0, 1], dtype: 'bool' },
  { name: 'Or', op: 'Or', torch: 'torch.logical_or(x, y)', x: [0, 0, 1, 1], y: [0, 1, 0, 1], dtype: 'bool' },
  { name: 'Xor', op: 'Xor', torch: 'torch.logical_xor(x, y)', x: [0, 0, 1, 1], y: [0, 1, 0, 1], dtype: 'bool' },
];

/** PyTorch's values (float32) and, where asked, x.grad (and y.grad) for out.backward(w). */
function torchRef(): { y: number[]; dx?: number[]; dy?: number[] }[] {
  return JSON.parse(python(`
import torch, json, sys
import torch.nn.functional as F
out = []
for c in json.loads(sys.argv[1]):
    dt = torch.bool if c.get('dtype') == 'bool' else torch.float32
    g = bool(c.get('grads'))
    x = torch.tensor(c['x'], dtype=dt, requires_grad=g)
    y = torch.tensor(c['y'], dtype=dt, requires_grad=g) if 'y' in c else None
    r = eval(c['torch'])
    o = {'y': r.float().tolist()}
    if g:
        r.backward(torch.tensor(c['w'][:len(c['x'])], dtype=torch.float32))
        o['dx'] = x.grad.tolist()
        if y is not None: o['dy'] = y.grad.tolist()
    out.append(o)
print(json.dumps(out))
`, [JSON.stringify(cases.map((c) => ({ ...c, w: W })))]));
}

const near = (got: ArrayLike<number>, want: readonly number[], tol: number, what: string, c: Case) => {
  expect(got.length, what).toBe(want.length);
  for (let i = 0; i < want.length; i++) expect(Math.abs(got[i] - want[i]), `${what}[${i}] at x = ${c.x[i]}: ${got[i]} vs ${want[i]}`).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(want[i])));
};

const leaf = (name: string, n: number, dtype: DType = 'f32') => B.mk('Input', [], { name, shape: [n], dtype });
const build = (c: Case, x: Node, y?: Node) => B.mk(c.op, y ? [x, y] : [x], c.attrs ?? {});

function graphOf(c: Case) {
  return inLeafScope(() => {
    const x = leaf('x', c.x.length, c.dtype), y = c.y && leaf('y', c.y.length, c.dtype);
    const out = build(c, x, y);
    const outs = [{ name: 'out', node: out }];
    if (c.grads) {
      const w = leaf('w', c.x.length);
      const gs = grad(B.sum(B.mul(out, w)), y ? [x, y] : [x]);
      outs.push({ name: 'dx', node: gs[0] });
      if (y) outs.push({ name: 'dy', node: gs[1] });
    }
    return new Graph(outs, c.op);
  });
}

const feedsOf = (c: Case) => ({
  x: { data: c.x, shape: [c.x.length] },
  ...(c.y && { y: { data: c.y, shape: [c.y.length] } }),
  ...(c.grads && { w: { data: W.slice(0, c.x.length), shape: [c.x.length] } }),
});

describe.skipIf(!hasTorch)('ONNX math and logic ops against PyTorch', () => {
  const ref = hasTorch ? torchRef() : [];
  cases.forEach((c, k) => {
    it(`${c.name}: values and gradients in float32 and float64; ONNX export (checker, onnxruntime) and import`, async () => {
      const g = graphOf(c);
      for (const precision of ['f32', 'f64'] as const) {
        const ours = runGraph(g, feedsOf(c), precision);
        near(ours.out, ref[k].y, 2e-6, `${precision} values`, c);
        if (ref[k].dx) near(ours.dx, ref[k].dx!, 1e-5, `${precision} dx`, c);
        if (ref[k].dy) near(ours.dy, ref[k].dy!, 1e-5, `${precision} dy`, c);
      }
      // ONNX: the values graph alone, x's dim symbolic (static where y matches it element for element)
      const bytes = exportGraph(inLeafScope(() => {
        const x = B.mk('Input', [], { name: 'x', shape: (c.y && c.y.length > 1 ? [c.x.length] : ['N']) as number[], dtype: c.dtype ?? 'f32' });
        const y = c.y && leaf('y', c.y.length, c.dtype);
        return new Graph([{ name: 'out', node: build(c, x, y) }]);
      }), { mode: 'inference', name: c.op });
      if (hasOnnx) {
        const path = join(dir, `${c.op}-${k}.onnx`);
        writeFileSync(path, bytes);
        python('import onnx, sys\nonnx.checker.check_model(onnx.load(sys.argv[1]), full_check=True)', [path]);
      }
      const session = await ort.InferenceSession.create(bytes);
      const t = (v: number[]) => (c.dtype === 'bool' ? new ort.Tensor('bool', Uint8Array.from(v), [v.length]) : new ort.Tensor('float32', Float32Array.from(v), [v.length]));
      const res = (await session.run({ x: t(c.x), ...(c.y && { y: t(c.y) }) })).out.data as ArrayLike<number | boolean>;
      near(Array.from(res, Number), ref[k].y, 2e-6, 'onnxruntime values', c);
      const back = importOnnx(bytes).graph.nodes.find((n) => n.op === c.op);
      expect(back, `${c.op} imported as itself`).toBeDefined();
      for (const [a, v] of Object.entries(c.attrs ?? {})) expect(back!.attrs[a]).toBeCloseTo(v, 7);
    });
  });
});
