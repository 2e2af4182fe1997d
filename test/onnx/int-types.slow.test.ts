/**
 * The small integer types (uint8, int8, uint16, int16, uint32, uint64: compiler/ops/int-types.ts) against
 * onnxruntime-node and PyTorch 1.13:
 * - a model written by python3-onnx with a uint8 input, uint8 and int8 initializers, an int16 Constant,
 *   uint8 Sub and Mul (which wrap around; opset 14, the first to define them on uint8), Casts between the types and to and from float, uint8, int8 and
 *   uint16 outputs: OnnxSession's outputs equal onnxruntime's, each output's type said, `graphc run`
 *   writes them as numpy reads them back (|u1, |i1, <u2) and JSON names the types;
 * - a float cast into uint8 out of its range (NaN, 300.7: onnxruntime's answer is C++'s undefined
 *   conversion) stops the run in one line, and a uint32 value beyond 2^24 fed is refused in one line naming
 *   the input and the value;
 * - an image model exported by torch.onnx.export (uint8 [N, 1, 8, 8] pixels, `x.float() / 255`, Conv2d)
 *   run by `graphc run` on a uint8 .npy within 1e-5 of PyTorch.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { OnnxSession } from '../../export/index.ts';
import { graphc } from '../support/cli.ts';
import { hasOnnx, hasTorch, python, sayIfMissing } from '../support/peers.ts';

sayIfMissing('python3-onnx and numpy', hasOnnx, 'int-types.slow.test');
sayIfMissing('torch', hasTorch, 'int-types.slow.test');
const dir = mkdtempSync(join(tmpdir(), 'graphc-int-types-'));
const inDir = (script: string) => `import os; os.chdir(${JSON.stringify(dir)})\n${script}`;

const MAKE = `
import numpy as np, onnx, json
from onnx import helper as h, TensorProto as T, numpy_helper as nh
inits = [nh.from_array(np.array([5, 200, 0, 255], np.uint8), 'b'), nh.from_array(np.array([-3, 7, -128, 127], np.int8), 'c')]
nodes = [
  h.make_node('Sub', ['x', 'b'], ['d']),                      # uint8: wraps below 0
  h.make_node('Mul', ['x', 'x'], ['sq']),                     # uint8: wraps above 255
  h.make_node('Cast', ['x'], ['xf'], to=T.FLOAT),
  h.make_node('Constant', [], ['k'], value=nh.from_array(np.array([1000, -2000, 3, 4], np.int16))),
  h.make_node('Cast', ['k'], ['kf'], to=T.FLOAT),
  h.make_node('Add', ['xf', 'kf'], ['s']),
  h.make_node('Cast', ['c'], ['cf'], to=T.FLOAT),
  h.make_node('Mul', ['s', 'cf'], ['f']),
  h.make_node('Cast', ['x'], ['x8'], to=T.INT8),              # uint8 to int8: 200 becomes -56
  h.make_node('Cast', ['k'], ['k16'], to=T.UINT16),           # int16 to uint16: -2000 becomes 63536
  h.make_node('Div', ['xf', 'h'], ['q']),
  h.make_node('Cast', ['q'], ['qu'], to=T.UINT8),             # float to uint8, in range: truncated
]
g = h.make_graph(nodes, 'ints', [h.make_tensor_value_info('x', T.UINT8, ['N', 4]), h.make_tensor_value_info('h', T.FLOAT, ['N', 4])],
                 [h.make_tensor_value_info(n, t, ['N', 4]) for n, t in [('d', T.UINT8), ('sq', T.UINT8), ('f', T.FLOAT), ('x8', T.INT8), ('qu', T.UINT8)]]
                 + [h.make_tensor_value_info('k16', T.UINT16, [4])], inits)
m = h.make_model(g, opset_imports=[h.make_opsetid('', 14)]); m.ir_version = 8
onnx.checker.check_model(m, full_check=True)
onnx.save(m, 'ints.onnx')
x = np.array([[0, 3, 200, 255], [17, 128, 1, 99]], np.uint8); hh = np.array([[1, 2, 3, 4], [5.5, 0.75, 0.25, 2]], np.float32)
np.save('x.npy', x); np.save('h.npy', hh)
bad = hh.copy(); bad[1, 1] = 0.1; np.save('bad.npy', bad)

# a uint32 input fed a value beyond 2^24
g = h.make_graph([h.make_node('Cast', ['u'], ['v'], to=T.FLOAT)], 'u32', [h.make_tensor_value_info('u', T.UINT32, [3])], [h.make_tensor_value_info('v', T.FLOAT, [3])])
m = h.make_model(g, opset_imports=[h.make_opsetid('', 13)]); m.ir_version = 8
onnx.save(m, 'u32.onnx')
np.save('u32.npy', np.array([1, 2**24, 2**24 + 2], np.uint32))
print(json.dumps({'x': x.ravel().tolist(), 'h': hh.ravel().tolist()}))
`;

const READ = `
import numpy as np, json, sys
print(json.dumps({f: {'dtype': str(a.dtype), 'shape': list(a.shape), 'data': a.ravel().tolist()} for f in sys.argv[1:] for a in [np.load(f)]}))
`;

const TORCH = `
import torch, numpy as np
torch.manual_seed(0)
class M(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(1, 4, 3)
    def forward(self, x):
        return self.conv(x.float() / 255)
m = M().eval()
x = torch.randint(0, 256, (5, 1, 8, 8), dtype=torch.uint8)
torch.onnx.export(m, (x[:2],), 'img.onnx', input_names=['x'], output_names=['y'], dynamic_axes={'x': {0: 'N'}, 'y': {0: 'N'}}, opset_version=13)
np.save('img.npy', x.numpy())
with torch.no_grad(): np.save('want.npy', m(x).numpy())
`;

describe.skipIf(!hasOnnx)('the small integer types against onnxruntime-node', () => {
  let feeds: { x: number[]; h: number[] };
  let ref: Record<string, { data: number[]; dims: readonly number[]; type: string }>;
  const setup = (async () => {
    feeds = JSON.parse(python(inDir(MAKE)));
    const s = await ort.InferenceSession.create(join(dir, 'ints.onnx'));
    const r = await s.run({ x: new ort.Tensor('uint8', Uint8Array.from(feeds.x), [2, 4]), h: new ort.Tensor('float32', Float32Array.from(feeds.h), [2, 4]) });
    ref = Object.fromEntries(Object.entries(r).map(([k, t]) => [k, { data: Array.from(t.data as ArrayLike<number | bigint>, Number), dims: t.dims, type: t.type }]));
  })();

  it("OnnxSession: every output equal to onnxruntime's (wrapped, cast, truncated), its type said", async () => {
    await setup;
    const out = new OnnxSession(new Uint8Array(readFileSync(join(dir, 'ints.onnx')))).run(new Map([['x', { data: Float32Array.from(feeds.x), shape: [2, 4] }], ['h', { data: Float32Array.from(feeds.h), shape: [2, 4] }]]));
    // the wraps happen (the inputs are chosen so): 3 − 200 and 200·200 leave uint8
    expect(ref.d.data[1]).toBe(59);
    expect(ref.sq.data[2]).toBe(64);
    for (const [k, dtype] of [['d', 'u8'], ['sq', 'u8'], ['f', 'f32'], ['x8', 'i8'], ['k16', 'u16'], ['qu', 'u8']]) {
      expect(Array.from(out.get(k)!.data), k).toEqual(ref[k].data);
      expect(out.get(k)!.shape, k).toEqual([...ref[k].dims]);
      expect(out.get(k)!.dtype, k).toBe(dtype);
    }
  });

  it('graphc run: .npy outputs of their types, JSON naming them, CSV as integers', async () => {
    await setup;
    const r = await graphc(['run', 'ints.onnx', '--input', 'x=x.npy', '--input', 'h=h.npy', '--output', 'd=d.npy', '--output', 'x8=x8.npy', '--output', 'k16=k16.npy', '--output', 'sq=sq.csv', '--json'], { cwd: dir, timeout: 120_000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const got = JSON.parse(python(inDir(READ), ['d.npy', 'x8.npy', 'k16.npy']));
    expect([got['d.npy'].dtype, got['x8.npy'].dtype, got['k16.npy'].dtype]).toEqual(['uint8', 'int8', 'uint16']);
    expect(got['d.npy'].data).toEqual(ref.d.data);
    expect(got['x8.npy'].data).toEqual(ref.x8.data);
    expect(got['k16.npy'].data).toEqual(ref.k16.data);
    expect(readFileSync(join(dir, 'sq.csv'), 'utf8')).toBe(`${ref.sq.data.slice(0, 4).join(',')}\n${ref.sq.data.slice(4).join(',')}\n`);
    const doc = JSON.parse(r.stdout);
    expect(doc.outputs.qu).toEqual({ shape: [2, 4], dtype: 'uint8', data: ref.qu.data });
  });

  it("a float cast into uint8 out of its range stops the run in one line (onnxruntime's answer is undefined C++)", async () => {
    await setup;
    // 128 / 0.1 = 1280: onnxruntime-node on x86-64 gives 1280 mod 256 = 0, another machine may not
    const r = await graphc(['run', 'ints.onnx', '--input', 'x=x.npy', '--input', 'h=bad.npy'], { cwd: dir, timeout: 120_000 });
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^graphc: ints\.onnx: Cast to uint8: value 5 is 12\d\d(\.\d+)?, outside uint8's range \(0 to 255\): ONNX leaves the cast undefined/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('a uint32 value beyond 2^24 fed is refused in one line naming the input and the value', async () => {
    await setup;
    const r = await graphc(['run', 'u32.onnx', '--input', 'u32.npy'], { cwd: dir, timeout: 120_000 });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/u32\.npy: input 'u' \[3\] uint32: value 2 \(16777218\) is beyond ±2\^24, which graphc holds exactly/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    // OnnxSession refuses it too (2^25, which float32 holds exactly)
    expect(() => new OnnxSession(new Uint8Array(readFileSync(join(dir, 'u32.onnx')))).run(new Map([['u', { data: Float32Array.of(1, 2, 2 ** 25), shape: [3] }]]))).toThrow(
      "input 'u' (uint32): value 2 is 33554432, beyond 2^24, which graphc holds exactly (integers in float32)",
    );
  });
});

describe.skipIf(!hasTorch)('a PyTorch image model with a uint8 input (torch.onnx.export)', () => {
  it('graphc run on a uint8 .npy: within 1e-5 of PyTorch', async () => {
    python(inDir(TORCH));
    const r = await graphc(['run', 'img.onnx', '--input', 'img.npy', '--output', 'y.npy'], { cwd: dir, timeout: 120_000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const got = JSON.parse(python(inDir(READ), ['y.npy', 'want.npy', 'img.npy']));
    expect(got['img.npy'].dtype).toBe('uint8');
    expect(got['y.npy'].dtype).toBe('float32');
    expect(got['y.npy'].shape).toEqual([5, 4, 6, 6]);
    const want = got['want.npy'].data as number[];
    const err = Math.max(...(got['y.npy'].data as number[]).map((v, i) => Math.abs(v - want[i])));
    expect(err).toBeLessThanOrEqual(1e-5);
  });
});
