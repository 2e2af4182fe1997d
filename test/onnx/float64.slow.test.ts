/**
 * A float64 model (MatMul, Add, ReduceLogSumExp, ArgMax, a Cast of a float32 input to DOUBLE), written by
 * python3-onnx and checked by its checker, run by onnxruntime-node in float64 and by graphc in float32
 * (export/import-f64.ts): OnnxSession's and `graphc run`'s outputs within the ONNX node tests' tolerance
 * (rtol 1e-3, atol 1e-7) of onnxruntime's, float64 outputs as float64 (numpy reads `<f8` back), the int64
 * output exact, the one line said once on standard error (`run`, `inspect`), and a fed value beyond float32's range refused
 * in one line, exit 1.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { OnnxSession } from '../../export/index.ts';
import { graphc as runGraphc } from '../support/cli.ts';
import { hasOnnx, python, sayIfMissing } from '../support/peers.ts';

sayIfMissing('python3-onnx and numpy', hasOnnx, 'float64.slow.test');
const dir = mkdtempSync(join(tmpdir(), 'graphc-float64-'));
const graphc = (...args: string[]) => runGraphc(['run', join(dir, 'd.onnx'), ...args], { cwd: dir, timeout: 120_000 });

const MAKE = `
import numpy as np, onnx, json
from onnx import helper as h, TensorProto as T, numpy_helper as nh
rng = np.random.default_rng(1)
inits = [nh.from_array(rng.standard_normal((5, 3)), 'W'), nh.from_array(rng.standard_normal(3), 'b')]
nodes = [h.make_node('MatMul', ['x', 'W'], ['z']), h.make_node('Add', ['z', 'b'], ['y']),
         h.make_node('ReduceLogSumExp', ['y'], ['l'], axes=[1], keepdims=0), h.make_node('ArgMax', ['y'], ['k'], axis=1, keepdims=0),
         h.make_node('Cast', ['f'], ['fd'], to=T.DOUBLE), h.make_node('Mul', ['fd', 'l'], ['s'])]
g = h.make_graph(nodes, 'd', [h.make_tensor_value_info('x', T.DOUBLE, ['N', 5]), h.make_tensor_value_info('f', T.FLOAT, ['N'])],
                 [h.make_tensor_value_info('y', T.DOUBLE, ['N', 3]), h.make_tensor_value_info('s', T.DOUBLE, ['N']), h.make_tensor_value_info('k', T.INT64, ['N'])], inits)
m = h.make_model(g, opset_imports=[h.make_opsetid('', 13)]); m.ir_version = 8
onnx.checker.check_model(m, full_check=True)
onnx.save(m, 'd.onnx')
x = rng.standard_normal((6, 5)) * 3; f = rng.standard_normal(6).astype(np.float32)
np.save('x.npy', x); np.save('f.npy', f)
big = x.copy(); big[1, 2] = 1e300; np.save('big.npy', big)
print(json.dumps({'x': x.ravel().tolist(), 'f': f.tolist()}))
`;

const READ = `
import numpy as np, json, sys
print(json.dumps({f: {'dtype': str(a.dtype), 'shape': list(a.shape), 'data': a.ravel().tolist()} for f in sys.argv[1:] for a in [np.load(f)]}))
`;

describe.skipIf(!hasOnnx)('a float64 model in graphc (float32) and onnxruntime (float64)', () => {
  let feeds: { x: number[]; f: number[] };
  let ref: Record<string, { data: number[]; dims: readonly number[]; type: string }>;
  const setup = (async () => {
    feeds = JSON.parse(python(`import os; os.chdir(${JSON.stringify(dir)})\n${MAKE}`));
    const s = await ort.InferenceSession.create(join(dir, 'd.onnx'));
    const r = await s.run({ x: new ort.Tensor('float64', Float64Array.from(feeds.x), [6, 5]), f: new ort.Tensor('float32', Float32Array.from(feeds.f), [6]) });
    ref = Object.fromEntries(Object.entries(r).map(([k, t]) => [k, { data: Array.from(t.data as ArrayLike<number | bigint>, Number), dims: t.dims, type: t.type }]));
  })();
  const close = (got: ArrayLike<number>, want: number[]) => {
    expect(got.length).toBe(want.length);
    want.forEach((w, i) => expect(Math.abs(got[i] - w), `[${i}] ${got[i]} vs ${w}`).toBeLessThanOrEqual(1e-7 + 1e-3 * Math.abs(w)));
  };

  it("OnnxSession: float64 outputs as Float64Array within tolerance of onnxruntime's, int64 exact", async () => {
    await setup;
    expect(ref.y.type).toBe('float64');
    const out = new OnnxSession(new Uint8Array(readFileSync(join(dir, 'd.onnx')))).run(new Map([['x', { data: Float64Array.from(feeds.x), shape: [6, 5] }], ['f', { data: Float32Array.from(feeds.f), shape: [6] }]]));
    for (const k of ['y', 's']) {
      expect(out.get(k)!.data, k).toBeInstanceOf(Float64Array);
      expect(out.get(k)!.shape).toEqual([...ref[k].dims]);
      close(out.get(k)!.data, ref[k].data);
    }
    expect(Array.from(out.get('k')!.data)).toEqual(ref.k.data);
  });

  it('graphc run: the one line once, float64 .npy outputs, JSON marked float64', async () => {
    await setup;
    const r = await graphc('--input', 'x=x.npy', '--input', 'f=f.npy', '--output', 'y=y.npy', '--output', 's=s.npy', '--output', 'k=k.npy');
    expect(r.status).toBe(0);
    expect(r.stderr).toBe(`graphc: ${join(dir, 'd.onnx')}: the model's float64 tensors are computed in float32 (graphc's runtime; outputs keep their float64 type, values beyond float32's range are refused)\n`);
    const got = JSON.parse(python(`import os; os.chdir(${JSON.stringify(dir)})\n${READ}`, ['y.npy', 's.npy', 'k.npy']));
    expect(got['y.npy'].dtype).toBe('float64');
    expect(got['s.npy'].dtype).toBe('float64');
    close(got['y.npy'].data, ref.y.data);
    close(got['s.npy'].data, ref.s.data);
    expect(got['k.npy']).toEqual({ dtype: 'int64', shape: [6], data: ref.k.data });
    const j = await graphc('--input', 'x=x.npy', '--input', 'f=f.npy', '--json');
    const doc = JSON.parse(j.stdout);
    expect(doc.outputs.y.dtype).toBe('float64');
    close(doc.outputs.y.data, ref.y.data);
  });

  it('graphc inspect says the one line too, once, on standard error', async () => {
    await setup;
    const r = await runGraphc(['inspect', 'd.onnx'], { cwd: dir, timeout: 120_000 });
    expect(r.status).toBe(0);
    expect(r.stderr).toBe("graphc: d.onnx: the model's float64 tensors are computed in float32 (graphc's runtime; outputs keep their float64 type, values beyond float32's range are refused)\n");
    expect(r.stdout).toMatch(/^graph d \{\n  input x : \[N, 5\]/);
  });

  it("a fed value beyond float32's range: one line, exit 1, with or without --allow-non-finite", async () => {
    await setup;
    const r = await graphc('--input', 'x=big.npy', '--input', 'f=f.npy');
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n').pop()).toMatch(/^graphc: big\.npy: input 'x' \[N, 5\] float64: value 7 \(at \[1, 2\]\): 1e\+300 is outside float32's range/);
    const allowed = await graphc('--input', 'x=big.npy', '--input', 'f=f.npy', '--allow-non-finite');
    expect(allowed.status).toBe(1);
    expect(allowed.stderr.trim().split('\n').pop()).toMatch(/^graphc: .*d\.onnx: input 'x': float64 value 7 is 1e\+300, beyond float32's range/);
    expect(allowed.stderr).not.toMatch(/\n\s+at /);
  });
});
