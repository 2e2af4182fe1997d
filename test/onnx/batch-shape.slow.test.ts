/**
 * Models exported with a dynamic batch whose shape operands are computed from the batch's size (Shape,
 * Size and arithmetic on them, into Reshape): `OnnxSession` specialises the model on the shape of the input
 * carrying the symbolic dim, once per distinct shape. References from outside graphc: PyTorch 1.13's
 * outputs (nn.TransformerEncoderLayer exported at opsets 13 and 17, `x.view(x.size(0), -1)`, `x.size(0) * 3`
 * and `numel()` in a reshape) and onnxruntime-node's. A shape read from the values of a tensor, or from
 * NonZero, stays a one-line refusal.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { importOnnx, OnnxImportError, OnnxSession, OnnxSpecializeError } from '../../export/index.ts';
import { runGraph } from '../support/run.ts';
import { graphc } from '../support/cli.ts';
import { hasOnnx, hasTorch, python, sayIfMissing } from '../support/peers.ts';

sayIfMissing('PyTorch (python3-torch) and python3-onnx', hasTorch && hasOnnx, 'batch-shape.slow.test');
const dir = mkdtempSync(join(tmpdir(), 'graphc-batch-shape-'));

const MAKE = `
import torch, json, sys, os
from onnx import helper, TensorProto, save
d = sys.argv[1]
torch.manual_seed(0)
class Enc(torch.nn.Module):
    def __init__(s):
        super().__init__()
        s.enc = torch.nn.TransformerEncoderLayer(d_model=32, nhead=4, dim_feedforward=64, batch_first=True, dropout=0.0)
        s.head = torch.nn.Linear(32, 5)
    def forward(s, x):
        return s.head(s.enc(x).mean(1))
class View(torch.nn.Module):
    def __init__(s):
        super().__init__()
        s.lin = torch.nn.Linear(12, 2)
    def forward(s, x):
        return s.lin(x.view(x.size(0), -1)), x.reshape(x.size(0) * 3, 4) * 2, x.reshape(x.numel() // 6, 6) + 1
class Flat(torch.nn.Module):
    def __init__(s, lin):
        super().__init__()
        s.lin = lin
    def forward(s, x):
        return s.lin(x.view(x.size(0), -1))
class NonZero(torch.nn.Module):
    def forward(s, x):
        return torch.nonzero(x).float()
enc, view = Enc().eval(), View().eval()
flat = Flat(view.lin).eval()
xs = {'enc': [torch.randn(3, 7, 32), torch.randn(5, 7, 32)], 'view': [torch.randn(3, 3, 4), torch.randn(6, 3, 4)]}
dyn = {'x': {0: 'N'}}
for opset in (13, 17):
    torch.onnx.export(enc, xs['enc'][0], os.path.join(d, f'enc{opset}.onnx'), opset_version=opset, input_names=['x'], output_names=['y'], dynamic_axes=dyn)
torch.onnx.export(view, xs['view'][0], os.path.join(d, 'view.onnx'), opset_version=17, input_names=['x'], output_names=['y', 'z', 'w'], dynamic_axes=dyn)
torch.onnx.export(flat, xs['view'][0], os.path.join(d, 'flat.onnx'), opset_version=17, input_names=['x'], output_names=['y'], dynamic_axes=dyn)
torch.onnx.export(NonZero(), torch.randn(3, 4), os.path.join(d, 'nonzero.onnx'), opset_version=17, input_names=['x'], output_names=['y'], dynamic_axes=dyn)
i64 = lambda name, dims, vals: helper.make_tensor(name, TensorProto.INT64, dims, vals)
def onnx_model(name, nodes, dims, inits):
    g = helper.make_graph(nodes, name, [helper.make_tensor_value_info('x', TensorProto.FLOAT, dims)], [helper.make_tensor_value_info('y', TensorProto.FLOAT, None)], inits)
    save(helper.make_model(g, opset_imports=[helper.make_opsetid('', 17)]), os.path.join(d, name + '.onnx'))
# Size (torch writes numel() as Shape and ReduceProd): x [N, 3, 4] read as [Size(x) / 4, 4]
onnx_model('size', [helper.make_node('Size', ['x'], ['n']), helper.make_node('Div', ['n', 'four'], ['q']), helper.make_node('Unsqueeze', ['q', 'zero'], ['u']),
                    helper.make_node('Concat', ['u', 'four1'], ['s'], axis=0), helper.make_node('Reshape', ['x', 's'], ['y'])],
           ['N', 3, 4], [i64('four', [], [4]), i64('four1', [1], [4]), i64('zero', [1], [0])])
# a Reshape whose shape is read from x's values, not its shape: unknowable at import
onnx_model('by-value', [helper.make_node('ReduceMax', ['x'], ['m'], keepdims=0), helper.make_node('Cast', ['m'], ['c'], to=TensorProto.INT64),
                        helper.make_node('Unsqueeze', ['c', 'zero'], ['u']), helper.make_node('Concat', ['minus1', 'u'], ['s'], axis=0), helper.make_node('Reshape', ['x', 's'], ['y'])],
           ['N', 4], [i64('zero', [1], [0]), i64('minus1', [1], [-1])])
out = {}
with torch.no_grad():
    for k, m in (('enc', enc), ('view', view), ('flat', flat)):
        res = []
        for x in xs['enc' if k == 'enc' else 'view']:
            ys = m(x)
            ys = ys if isinstance(ys, tuple) else (ys,)
            res.append({'x': x.flatten().tolist(), 'shape': list(x.shape), 'ys': [y.flatten().tolist() for y in ys], 'shapes': [list(y.shape) for y in ys]})
        out[k] = res
print(json.dumps(out))
`;

interface Case { x: number[]; shape: number[]; ys: number[][]; shapes: number[][] }
const ref: Record<'enc' | 'view' | 'flat', Case[]> = hasTorch && hasOnnx ? JSON.parse(python(MAKE, [dir])) : { enc: [], view: [], flat: [] };
const bytes = (name: string) => new Uint8Array(readFileSync(join(dir, `${name}.onnx`)));
const feed = (c: { x: number[]; shape: number[] }) => new Map([['x', { data: Float32Array.from(c.x), shape: c.shape }]]);

const within = (got: ArrayLike<number>, want: ArrayLike<number>, tol: number, what: string) => {
  expect(got.length, what).toBe(want.length);
  for (let i = 0; i < want.length; i++) expect(Math.abs(got[i] - want[i]), `${what}[${i}]: ${got[i]} vs ${want[i]}`).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(want[i])));
};

async function onnxruntime(name: string, c: { x: number[]; shape: number[] }): Promise<Record<string, Float32Array>> {
  const s = await ort.InferenceSession.create(join(dir, `${name}.onnx`));
  const r = await s.run({ x: new ort.Tensor('float32', Float32Array.from(c.x), c.shape) });
  return Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v.data as Float32Array]));
}

describe.skipIf(!hasTorch || !hasOnnx)('a model specialised on the shapes of inputs with a dynamic batch', () => {
  for (const opset of [13, 17]) {
    it(`nn.TransformerEncoderLayer at opset ${opset}, batches of 3 and 5 in one session: within 1e-5 of PyTorch and onnxruntime`, async () => {
      const name = `enc${opset}`;
      const s = new OnnxSession(bytes(name));
      expect([...s.specializedOnShape.keys()]).toEqual(['x']);
      expect(s.specializedOn.size).toBe(0);
      for (const c of [...ref.enc, ref.enc[0]]) {
        const y = s.run(feed(c)).get('y')!;
        expect(y.shape).toEqual(c.shapes[0]);
        within(y.data, c.ys[0], 1e-5, `${name} batch ${c.shape[0]} vs PyTorch`);
        within(y.data, (await onnxruntime(name, c)).y, 1e-5, `${name} batch ${c.shape[0]} vs onnxruntime`);
      }
      // one import per distinct shape: the batch of 3 again is the first import's
      const explained = s.explain();
      expect(explained).toContain("imported once per distinct shape of 'x' (2 imports so far");
      expect(explained).toMatch(/'x' \(its shape\): node '\/enc\/self_attn\/Reshape' \(Reshape, opset \d+\): the shape decides what Reshape computes; input 1 is computed from the shape of graph input 'x'/);
    });
  }

  it('importOnnx: refused naming the input without its shape, imported with the shapes option', () => {
    let err: unknown;
    try {
      importOnnx(bytes('enc17'));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(OnnxSpecializeError);
    expect((err as OnnxSpecializeError).shapes).toEqual(['x']);
    expect((err as OnnxSpecializeError).inputs).toEqual([]);
    expect((err as Error).message).toContain("importOnnx's shapes option");
    const c = ref.enc[1];
    const m = importOnnx(bytes('enc17'), { shapes: new Map([['x', c.shape]]) });
    expect(m.inputs.map((n) => n.shape)).toEqual([c.shape]);
    within(runGraph(m.graph, { x: { data: c.x, shape: c.shape } }).y, c.ys[0], 1e-5, 'enc17 imported with shapes vs PyTorch');
    // a shape of another rank, or another size where the file's dim is static: one line each
    expect(() => importOnnx(bytes('enc17'), { shapes: new Map([['x', [5, 7]]]) })).toThrow(/^input 'x': the shape bound \[5, 7\] has rank 2, the input's 3 \(\[N, 7, 32\]\)$/);
    expect(() => importOnnx(bytes('enc17'), { shapes: new Map([['x', [5, 8, 32]]]) })).toThrow(/^input 'x': the shape bound \[5, 8, 32\] has 8 at axis 1, where the input's is 7$/);
    expect(() => importOnnx(bytes('enc17'), { shapes: new Map([['q', [1]]]) })).toThrow(OnnxImportError);
  });

  it('x.view(x.size(0), -1) imports as before, symbolic, with no specialisation; x.size(0) * 3 and numel() specialise on x\'s shape', () => {
    // a Reshape to ['N', -1] needs no value: the import keeps the batch symbolic
    expect(importOnnx(bytes('flat')).inputs[0].shape).toEqual(['N', 3, 4]);
    const flat = new OnnxSession(bytes('flat'));
    const view = new OnnxSession(bytes('view'));
    for (const c of ref.flat) within(flat.run(feed(c)).get('y')!.data, c.ys[0], 1e-5, `flat batch ${c.shape[0]}`);
    expect(flat.explain()).toContain('specialisation: none');
    for (const c of ref.view) {
      const out = view.run(feed(c));
      ['y', 'z', 'w'].forEach((name, k) => {
        expect(out.get(name)!.shape, name).toEqual(c.shapes[k]);
        within(out.get(name)!.data, c.ys[k], 1e-5, `view ${name} batch ${c.shape[0]}`);
      });
    }
    expect([...view.specializedOnShape.keys()]).toEqual(['x']);
  });

  it('Size of a symbolic shape into a Reshape: as onnxruntime computes it, for batches of 2 and 5', async () => {
    const s = new OnnxSession(bytes('size'));
    for (const n of [2, 5]) {
      const c = { x: Array.from({ length: n * 12 }, (_, i) => i / 7 - 3), shape: [n, 3, 4] };
      const y = s.run(feed(c)).get('y')!;
      expect(y.shape).toEqual([n * 3, 4]);
      within(y.data, (await onnxruntime('size', c)).y, 0, `size batch ${n}`);
    }
    expect([...s.specializedOnShape.keys()]).toEqual(['x']);
  });

  it('a shape read from a tensor\'s values, or from NonZero, is refused in one line', () => {
    const refusal = (name: string) => {
      try {
        new OnnxSession(bytes(name)).run(feed({ x: [1, 2, 3, 4], shape: [1, 4] }));
      } catch (e) {
        expect(e).toBeInstanceOf(OnnxImportError);
        return (e as Error).message;
      }
      throw new Error(`${name} was not refused`);
    };
    const byValue = refusal('by-value');
    expect(byValue).not.toContain('\n');
    expect(byValue).toMatch(/^node '\S+' \(Reshape, opset 17\): the shape decides what Reshape computes; input 1 is computed at run time/);
    const nonzero = refusal('nonzero');
    expect(nonzero).not.toContain('\n');
    expect(nonzero).toMatch(/\(NonZero\): unsupported op/);
  });

  it('graphc run and inspect: the encoder for a batch, --explain naming x\'s shape; the value-dependent shape one line, exit 1', async () => {
    const c = ref.enc[1];
    writeFileSync(join(dir, 'x.json'), JSON.stringify({ shape: c.shape, data: c.x }));
    writeFileSync(join(dir, 'v.json'), JSON.stringify({ shape: [2, 4], data: [1, 2, 3, 4, 5, 6, 7, 8] }));
    const r = await graphc(['run', join(dir, 'enc17.onnx'), '--input', `x=${join(dir, 'x.json')}`, '--json', '--explain'], { timeout: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    within(JSON.parse(r.stdout).outputs.y.data, c.ys[0], 1e-5, 'graphc run enc17');
    expect(r.stderr).toContain("specialisation: the model is imported once per distinct shape of 'x'");
    // inspect draws it for the shape given, and without one says which input to give
    const drawn = await graphc(['inspect', join(dir, 'enc17.onnx'), '--input', `x=${join(dir, 'x.json')}`], { timeout: 120_000 });
    expect(drawn.status, drawn.stderr).toBe(0);
    expect(drawn.stdout).toContain('input x : [5, 7, 32]');
    const undrawn = await graphc(['inspect', join(dir, 'enc17.onnx')], { timeout: 120_000 });
    expect(undrawn.status).toBe(1);
    expect(undrawn.stderr.trim().split('\n')).toHaveLength(1);
    expect(undrawn.stderr).toMatch(/the shape of graph input 'x'.*; draw it with --input x=FILE$/m);
    const bad = await graphc(['run', join(dir, 'by-value.onnx'), '--input', `x=${join(dir, 'v.json')}`], { timeout: 120_000 });
    expect(bad.status).toBe(1);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toContain('input 1 is computed at run time');
  });
});
