/**
 * Integer graph inputs with a default (an initializer; ONNX's IR makes it the input's default, which a value
 * fed replaces): graphc holds integers known at import as constants, so an unfed one keeps its stored
 * value and a fed one imports the model again bound to it, through `importOnnx`'s bind option,
 * `OnnxSession`, `graphc run --input k=FILE` and `graphc inspect --input k=FILE`. The model
 * (python3-onnx) adds an int64 default `k` to the input and reshapes it to the int64 default `s`; the
 * expected values are numpy's. (onnxruntime-node is no reference: its run binds only the session's
 * inputNames, which leave such inputs out, so it computes with the stored values whatever is fed.)
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importOnnx, OnnxSession } from '../../export/index.ts';
import { graphc } from '../support/cli.ts';
import { hasOnnx, python, sayIfMissing } from '../support/peers.ts';
import { runGraph } from '../support/run.ts';

sayIfMissing('python3-onnx and numpy', hasOnnx, 'int-defaults.slow.test');
const dir = mkdtempSync(join(tmpdir(), 'graphc-int-defaults-'));

const MAKE = `
import os, json, numpy as np, onnx
from onnx import helper as h, TensorProto as T, numpy_helper as nh
os.chdir(${JSON.stringify(dir)})
x, k0, s0 = np.array([10, 20, 30, 40], np.int64), np.array([1, 2, 3, 4], np.int64), np.array([2, 2], np.int64)
g = h.make_graph([h.make_node('Add', ['x', 'k'], ['y']), h.make_node('Reshape', ['x', 's'], ['r'])], 'defaults',
  [h.make_tensor_value_info('x', T.INT64, [4]), h.make_tensor_value_info('k', T.INT64, [4]), h.make_tensor_value_info('s', T.INT64, [2])],
  [h.make_tensor_value_info('y', T.INT64, [4]), h.make_tensor_value_info('r', T.INT64, ['A', 'B'])],
  [nh.from_array(k0, 'k'), nh.from_array(s0, 's')])
m = h.make_model(g, opset_imports=[h.make_opsetid('', 13)]); m.ir_version = 8
onnx.checker.check_model(m, full_check=True)
onnx.save(m, 'defaults.onnx')
k, s = np.array([5, -6, 7, 800], np.int64), np.array([4, 1], np.int64)
np.save('x.npy', x); np.save('k.npy', k); np.save('s.npy', s)
want = lambda kk, ss: {'y': (x + kk).tolist(), 'r': {'shape': list(x.reshape(ss).shape), 'data': x.reshape(ss).ravel().tolist()}}
print(json.dumps({'x': x.tolist(), 'k': k.tolist(), 's': s.tolist(), 'stored': want(k0, s0), 'fed': want(k, s), 'kOnly': want(k, s0)}))
`;

const READ = `
import numpy as np, json, sys
print(json.dumps({f: {'dtype': str(a.dtype), 'shape': list(a.shape), 'data': a.ravel().tolist()} for f in sys.argv[1:] for a in [np.load(f)]}))
`;

interface Want { y: number[]; r: { shape: number[]; data: number[] } }

describe.skipIf(!hasOnnx)('integer graph inputs with a default (an initializer): a fed value wins', () => {
  const ref = hasOnnx ? (JSON.parse(python(MAKE)) as { x: number[]; k: number[]; s: number[]; stored: Want; fed: Want; kOnly: Want }) : undefined!;
  const bytes = hasOnnx ? new Uint8Array(readFileSync(join(dir, 'defaults.onnx'))) : new Uint8Array();
  const feed = (v: number[]) => ({ data: Float32Array.from(v), shape: [v.length] });

  it('importOnnx: the defaults listed (unfed: the stored values); bound, the values given', () => {
    const m = importOnnx(bytes);
    expect(m.defaults.map((n) => String(n.attrs.name))).toEqual(['k', 's']);
    expect([...m.readDefaults.keys()]).toEqual(['k', 's']);
    const stored = runGraph(m.graph, { x: feed(ref.x) });
    expect(Array.from(stored.y)).toEqual(ref.stored.y);
    expect(m.graph.outputs[1].node.shape).toEqual(ref.stored.r.shape);
    const bind = new Map([['k', { values: ref.k, dims: [4] }], ['s', { values: ref.s, dims: [2] }]]);
    const b = importOnnx(bytes, { bind });
    const fed = runGraph(b.graph, { x: feed(ref.x) });
    expect(Array.from(fed.y)).toEqual(ref.fed.y);
    expect(b.graph.outputs[1].node.shape).toEqual(ref.fed.r.shape);
    expect(Array.from(fed.r)).toEqual(ref.fed.r.data);
    expect(b.defaults).toEqual([]);
  });

  it('OnnxSession: each run computes with what it is fed, the stored value where nothing is', () => {
    const s = new OnnxSession(bytes);
    expect(s.defaults.map((n) => String(n.attrs.name))).toEqual(['k', 's']);
    const runs: [Map<string, ReturnType<typeof feed>>, Want][] = [
      [new Map([['x', feed(ref.x)]]), ref.stored],
      [new Map([['x', feed(ref.x)], ['k', feed(ref.k)], ['s', feed(ref.s)]]), ref.fed],
      [new Map([['x', feed(ref.x)], ['k', feed(ref.k)]]), ref.kOnly],
      [new Map([['x', feed(ref.x)]]), ref.stored],
    ];
    for (const [feeds, want] of runs) {
      const out = s.run(feeds);
      expect(Array.from(out.get('y')!.data)).toEqual(want.y);
      expect(out.get('y')!.dtype).toBe('i64');
      expect(out.get('r')!.shape).toEqual(want.r.shape);
      expect(Array.from(out.get('r')!.data)).toEqual(want.r.data);
    }
    expect(s.explain()).toMatch(/'k': an integer graph input with a default \(an initializer\)/);
  });

  it('a value bound of other dims than the input declares: refused in one line', () => {
    expect(() => importOnnx(bytes, { bind: new Map([['k', { values: [1, 2, 3], dims: [3] }]]) })).toThrow(/^input 'k': the value bound has dims \[3\], the input's are \[4\]$/);
  });

  it('graphc run --input k=FILE: the fed value, as numpy computes it', async () => {
    const r = await graphc(['run', 'defaults.onnx', '--input', 'x=x.npy', '--input', 'k=k.npy', '--input', 's=s.npy', '--output', 'y=y.npy', '--output', 'r=r.npy'], { cwd: dir, timeout: 120_000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const got = JSON.parse(python(`import os; os.chdir(${JSON.stringify(dir)})\n${READ}`, ['y.npy', 'r.npy']));
    expect(got['y.npy']).toEqual({ dtype: 'int64', shape: [4], data: ref.fed.y });
    expect(got['r.npy']).toEqual({ dtype: 'int64', shape: ref.fed.r.shape, data: ref.fed.r.data });
  });

  it('graphc inspect --input s=FILE: drawn specialised on the value given, the stored one without', async () => {
    const shown = (r: { stdout: string }) => /Reshape\(x\) \{\[([\d, ]+)\]\}/.exec(r.stdout)?.[1];
    const given = await graphc(['inspect', 'defaults.onnx', '--input', 's=s.npy'], { cwd: dir, timeout: 120_000 });
    expect(given.stderr).toBe('');
    expect(shown(given)).toBe(ref.fed.r.shape.join(', '));
    expect(shown(await graphc(['inspect', 'defaults.onnx'], { cwd: dir, timeout: 120_000 }))).toBe(ref.stored.r.shape.join(', '));
  });
});
