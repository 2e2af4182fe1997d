/**
 * Integer tensors through ops and outputs, against onnxruntime-node (the models written by python3-onnx,
 * `.npy` files read back by numpy):
 * - an output declared int32 is handed out as dtype 'i32' by OnnxSession, and `graphc run` writes it as
 *   int32 ('<i4'), JSON naming it, as the other integer types keep theirs (int64 stays '<i8');
 * - ConstantOfShape with a bool value (true and false; a static shape, and one read off a symbolic input's
 *   Shape) makes bool tensors, which And, Or and Not read and the outputs hand out as bool;
 * - TopK of uint8, int8, int16, int32 and int64 inputs (values from 0 to 9, so ties abound; k small and
 *   large, largest and smallest, along either axis): values of the input's type and int64 indices equal to
 *   onnxruntime's, ties in its order (the lower index first); uint16, which onnxruntime has no TopK kernel
 *   for, against numpy's stable sort.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { OnnxSession } from '../../export/index.ts';
import { graphc } from '../support/cli.ts';
import { hasOnnx, python, sayIfMissing } from '../support/peers.ts';

sayIfMissing('python3-onnx and numpy', hasOnnx, 'int-ops.slow.test');
const dir = mkdtempSync(join(tmpdir(), 'graphc-int-ops-'));
const inDir = (script: string) => `import os, json, numpy as np, onnx\nfrom onnx import helper as h, TensorProto as T, numpy_helper as nh\nos.chdir(${JSON.stringify(dir)})\n${script}`;
const save = (name: string, opset = 13) => `m = h.make_model(g, opset_imports=[h.make_opsetid('', ${opset})]); m.ir_version = 8\nonnx.checker.check_model(m, full_check=True)\nonnx.save(m, '${name}')`;

const READ = `
import sys
print(json.dumps({f: {'dtype': str(a.dtype), 'shape': list(a.shape), 'data': a.ravel().tolist()} for f in sys.argv[1:] for a in [np.load(f)]}))
`;

type Ref = Record<string, { data: number[]; dims: readonly number[]; type: string }>;
const ortRun = async (file: string, feeds: Record<string, ort.Tensor>): Promise<Ref> => {
  const r = await (await ort.InferenceSession.create(join(dir, file))).run(feeds);
  return Object.fromEntries(Object.entries(r).map(([k, t]) => [k, { data: Array.from(t.data as ArrayLike<number | bigint | boolean>, Number), dims: t.dims, type: t.type }]));
};
const session = (file: string) => new OnnxSession(new Uint8Array(readFileSync(join(dir, file))));

const INT32 = `
g = h.make_graph([h.make_node('Add', ['a', 'a'], ['b']), h.make_node('Cast', ['a'], ['w'], to=T.INT64)], 'i32',
  [h.make_tensor_value_info('a', T.INT32, ['N', 3])], [h.make_tensor_value_info('b', T.INT32, ['N', 3]), h.make_tensor_value_info('w', T.INT64, ['N', 3])])
${save('i32.onnx')}
np.save('a.npy', np.array([[1, -2, 3], [40000, -5000000, 0]], np.int32))
`;

describe.skipIf(!hasOnnx)('an int32 output', () => {
  const a = [1, -2, 3, 40000, -5000000, 0];
  const setup = (async () => {
    python(inDir(INT32));
    return ortRun('i32.onnx', { a: new ort.Tensor('int32', Int32Array.from(a), [2, 3]) });
  })();

  it("OnnxSession: onnxruntime's values, dtype 'i32' (the int64 output 'i64')", async () => {
    const ref = await setup;
    expect(ref.b.type).toBe('int32');
    const out = session('i32.onnx').run(new Map([['a', { data: Float32Array.from(a), shape: [2, 3] }]]));
    expect(Array.from(out.get('b')!.data)).toEqual(ref.b.data);
    expect(out.get('b')!.dtype).toBe('i32');
    expect(out.get('w')!.dtype).toBe('i64');
  });

  it('graphc run: written as int32 (<i4), JSON naming it, int64 as int64', async () => {
    const ref = await setup;
    const r = await graphc(['run', 'i32.onnx', '--input', 'a.npy', '--output', 'b=b.npy', '--output', 'w=w.npy', '--json'], { cwd: dir, timeout: 120_000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const got = JSON.parse(python(inDir(READ), ['b.npy', 'w.npy']));
    expect(got['b.npy']).toEqual({ dtype: 'int32', shape: [2, 3], data: ref.b.data });
    expect(got['w.npy']).toEqual({ dtype: 'int64', shape: [2, 3], data: ref.w.data });
    const doc = await graphc(['run', 'i32.onnx', '--input', 'a.npy', '--json'], { cwd: dir, timeout: 120_000 });
    expect(JSON.parse(doc.stdout).outputs.b).toEqual({ shape: [2, 3], dtype: 'int32', data: ref.b.data });
  });
});

const COS = `
g = h.make_graph([
  h.make_node('Shape', ['m'], ['sh']),
  h.make_node('ConstantOfShape', ['sh'], ['t'], value=nh.from_array(np.array([True]), 'v')),
  h.make_node('And', ['t', 'm'], ['tm']),
  h.make_node('ConstantOfShape', ['two'], ['f'], value=nh.from_array(np.array([False]), 'v')),
  h.make_node('Or', ['f', 'k'], ['fk']),
  h.make_node('Not', ['f'], ['nf']),
], 'cos', [h.make_tensor_value_info('m', T.BOOL, ['N', 3]), h.make_tensor_value_info('k', T.BOOL, [2, 3])],
  [h.make_tensor_value_info(n, T.BOOL, s) for n, s in [('t', ['N', 3]), ('tm', ['N', 3]), ('f', [2, 3]), ('fk', [2, 3]), ('nf', [2, 3])]],
  [nh.from_array(np.array([2, 3], np.int64), 'two')])
${save('cos.onnx')}
`;

describe.skipIf(!hasOnnx)('ConstantOfShape with a bool value', () => {
  const m = [1, 0, 1, 0, 0, 1, 1, 1, 0], k = [0, 1, 1, 0, 0, 1];
  const setup = (async () => {
    python(inDir(COS));
    return ortRun('cos.onnx', { m: new ort.Tensor('bool', Uint8Array.from(m), [3, 3]), k: new ort.Tensor('bool', Uint8Array.from(k), [2, 3]) });
  })();

  it("OnnxSession: onnxruntime's values and shapes, as bool", async () => {
    const ref = await setup;
    const out = session('cos.onnx').run(new Map([['m', { data: Float32Array.from(m), shape: [3, 3] }], ['k', { data: Float32Array.from(k), shape: [2, 3] }]]));
    for (const o of ['t', 'tm', 'f', 'fk', 'nf']) {
      expect(ref[o].type, o).toBe('bool');
      expect(Array.from(out.get(o)!.data), o).toEqual(ref[o].data);
      expect(out.get(o)!.shape, o).toEqual([...ref[o].dims]);
      expect(out.get(o)!.dtype, o).toBe('bool');
    }
  });
});

const TYPES = ['uint8', 'int8', 'int16', 'int32', 'int64', 'uint16'];
const SHORT: Record<string, string> = { uint8: 'u8', int8: 'i8', int16: 'i16', int32: 'i32', int64: 'i64', uint16: 'u16' };
// each TopK: [axis, k, largest]
const TOPKS: [number, number, number][] = [[1, 5, 1], [1, 150, 0], [-1, 200, 1], [0, 2, 1], [0, 3, 0]];

const TOPK = `
cases = ${JSON.stringify(TOPKS)}
rng = np.random.default_rng(7)
x = rng.integers(0, 10, (3, 200))
def topk(a, axis, k, largest):
    a = np.moveaxis(a.astype(np.int64), axis, -1)
    order = np.stack([np.lexsort((np.arange(r.size), -r if largest else r)) for r in a.reshape(-1, a.shape[-1])]).reshape(a.shape)[..., :k]
    return np.moveaxis(np.take_along_axis(a, order, -1), -1, axis), np.moveaxis(order, -1, axis)
want = {}
for tn in ${JSON.stringify(TYPES)}:
    t = getattr(T, tn.upper())
    nodes, outs = [], []
    for j, (axis, k, largest) in enumerate(cases):
        nodes.append(h.make_node('TopK', ['x', 'k%d' % j], ['v%d' % j, 'i%d' % j], axis=axis, largest=largest))
        v, i = topk(x, axis, k, largest)
        outs += [h.make_tensor_value_info('v%d' % j, t, list(v.shape)), h.make_tensor_value_info('i%d' % j, T.INT64, list(i.shape))]
        want['%s v%d' % (tn, j)], want['%s i%d' % (tn, j)] = v.ravel().tolist(), i.ravel().tolist()
    g = h.make_graph(nodes, 'topk', [h.make_tensor_value_info('x', t, [3, 200])], outs, [nh.from_array(np.array([k], np.int64), 'k%d' % j) for j, (_, k, _) in enumerate(cases)])
    m = h.make_model(g, opset_imports=[h.make_opsetid('', 13)]); m.ir_version = 8
    onnx.checker.check_model(m, full_check=True)
    onnx.save(m, 'topk_%s.onnx' % tn)
print(json.dumps({'x': x.ravel().tolist(), 'want': want}))
`;

describe.skipIf(!hasOnnx)('TopK of integer inputs', () => {
  const made = hasOnnx ? (JSON.parse(python(inDir(TOPK))) as { x: number[]; want: Record<string, number[]> }) : undefined!;
  const ortArray: Record<string, (v: number[]) => ort.Tensor['data']> = {
    uint8: (v) => Uint8Array.from(v), int8: (v) => Int8Array.from(v), int16: (v) => Int16Array.from(v), int32: (v) => Int32Array.from(v), int64: (v) => BigInt64Array.from(v.map(BigInt)),
  };

  it.each(TYPES)('%s: values of its type and int64 indices, ties in the reference order', async (type) => {
    const file = `topk_${type}.onnx`;
    const ref = ortArray[type] ? await ortRun(file, { x: new ort.Tensor(type as 'int32', ortArray[type](made.x) as Int32Array, [3, 200]) }) : undefined;
    const out = session(file).run(new Map([['x', { data: Float32Array.from(made.x), shape: [3, 200] }]]));
    TOPKS.forEach((_, j) => {
      for (const o of [`v${j}`, `i${j}`]) {
        const got = out.get(o)!;
        // numpy's stable sort and onnxruntime agree where both run: the reference order is one
        if (ref) expect(ref[o].data, `${type} ${o}`).toEqual(made.want[`${type} ${o}`]);
        expect(Array.from(got.data), `${type} ${o}`).toEqual(made.want[`${type} ${o}`]);
        expect(got.dtype, `${type} ${o}`).toBe(o.startsWith('v') ? SHORT[type] : 'i64');
        if (ref) expect(got.shape, `${type} ${o}`).toEqual([...ref[o].dims]);
      }
    });
  });
});
