/**
 * `graphc run` feeding a real model's inputs: an image input `[N, 1, 8, 8]` (a Conv) and token ids
 * `[N, 3]` int64 (a Gather), built with onnx.helper, fed from CSV (64 columns, row-major), .npy files that
 * numpy wrote (float32, float64, int64, int32) and JSON; its outputs (float, and ArgMax's int64) written
 * as .npy that numpy reads, CSV that numpy.loadtxt reads, and JSON, all equal to onnxruntime-node's. Bad
 * files are one line naming the file, exit 1, and leave no output file behind.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { graphc as runGraphc } from '../support/cli.ts';
import { hasOnnx, python, sayIfMissing } from '../support/peers.ts';

sayIfMissing('python3-onnx and numpy', hasOnnx, 'run-inputs.slow.test');
const dir = mkdtempSync(join(tmpdir(), 'graphc-run-inputs-'));
const graphc = (...args: string[]) => runGraphc(['run', join(dir, 'm.onnx'), ...args], { cwd: dir, timeout: 120_000 });

const MAKE = `
import numpy as np, onnx, json, sys
from onnx import helper as h, TensorProto as T, numpy_helper as nh
rng = np.random.default_rng(0)
inits = [nh.from_array(rng.standard_normal((2, 1, 3, 3)).astype(np.float32), 'Wc'), nh.from_array(rng.standard_normal(2).astype(np.float32), 'bc'),
         nh.from_array(rng.standard_normal((72, 3)).astype(np.float32), 'W'), nh.from_array(rng.standard_normal((10, 4)).astype(np.float32), 'E')]
nodes = [h.make_node('Conv', ['x', 'Wc', 'bc'], ['c'], kernel_shape=[3, 3]), h.make_node('Relu', ['c'], ['r']),
         h.make_node('Flatten', ['r'], ['f'], axis=1), h.make_node('MatMul', ['f', 'W'], ['y']),
         h.make_node('Gather', ['E', 'ids'], ['e'], axis=0), h.make_node('ArgMax', ['y'], ['k'], axis=1, keepdims=0)]
g = h.make_graph(nodes, 'feeds', [h.make_tensor_value_info('x', T.FLOAT, ['N', 1, 8, 8]), h.make_tensor_value_info('ids', T.INT64, ['N', 3])],
                 [h.make_tensor_value_info('y', T.FLOAT, ['N', 3]), h.make_tensor_value_info('e', T.FLOAT, ['N', 3, 4]), h.make_tensor_value_info('k', T.INT64, ['N'])], inits)
m = h.make_model(g, opset_imports=[h.make_opsetid('', 13)]); m.ir_version = 8
onnx.checker.check_model(m, full_check=True)
onnx.save(m, 'm.onnx')
x = rng.standard_normal((5, 1, 8, 8)).astype(np.float32)
ids = rng.integers(0, 10, (5, 3))
np.save('x.npy', x); np.save('x64.npy', x.astype(np.float64)); np.save('ids.npy', ids.astype(np.int64)); np.save('ids32.npy', ids.astype(np.int32))
np.savetxt('x.csv', np.concatenate([x.reshape(5, 64), np.ones((5, 1))], axis=1), delimiter=',', fmt='%.9g')
json.dump(ids.tolist(), open('ids.json', 'w')); json.dump({'shape': [5, 1, 8, 8], 'data': x.ravel().tolist()}, open('x.json', 'w'))
np.save('xF.npy', np.asfortranarray(x[:, 0])); np.save('x8.npy', np.zeros((5, 1, 8, 8), np.uint8)); np.save('idsf.npy', ids.astype(np.float32))
print(json.dumps({'x': x.ravel().tolist(), 'ids': ids.ravel().tolist()}))
`;

const READ = `
import numpy as np, json, sys
out = {}
for f in sys.argv[1:]:
    a = np.loadtxt(f, delimiter=',', ndmin=2) if f.endswith('.csv') else np.load(f)
    out[f] = {'dtype': str(a.dtype), 'shape': list(a.shape), 'data': a.ravel().tolist()}
print(json.dumps(out))
`;

describe.skipIf(!hasOnnx)('graphc run feeds any inputs and writes its outputs as numpy and onnxruntime read them', () => {
  let ref: Record<string, { data: number[]; dims: readonly number[] }>;
  const setup = (async () => {
    const feeds = JSON.parse(python(`import os; os.chdir(${JSON.stringify(dir)})\n${MAKE}`)) as { x: number[]; ids: number[] };
    const s = await ort.InferenceSession.create(join(dir, 'm.onnx'));
    const r = await s.run({ x: new ort.Tensor('float32', Float32Array.from(feeds.x), [5, 1, 8, 8]), ids: new ort.Tensor('int64', BigInt64Array.from(feeds.ids.map(BigInt)), [5, 3]) });
    ref = Object.fromEntries(Object.entries(r).map(([k, t]) => [k, { data: Array.from(t.data as ArrayLike<number | bigint>, Number), dims: t.dims }]));
  })();
  const close = (got: number[], want: number[], tol: number) => {
    expect(got.length).toBe(want.length);
    got.forEach((v, i) => expect(Math.abs(v - want[i])).toBeLessThanOrEqual(tol));
  };

  for (const [x, ids] of [['x.npy', 'ids.npy'], ['x.csv', 'ids.json'], ['x.json', 'ids32.npy'], ['x64.npy', 'ids.json']])
    it(`x from ${x}, ids from ${ids}: .npy, .csv and .json outputs equal onnxruntime's`, async () => {
      await setup;
      const tag = `${x}-${ids}`.replace(/\W/g, '_');
      const r = await graphc('--input', `x=${x}`, '--input', `ids=${ids}`, '--output', `y=${tag}.y.npy`, '--output', `k=${tag}.k.npy`, '--output', `e=${tag}.e.csv`);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(r.stdout).toBe('');
      const got = JSON.parse(python(`import os; os.chdir(${JSON.stringify(dir)})\n${READ}`, [`${tag}.y.npy`, `${tag}.k.npy`, `${tag}.e.csv`]));
      expect(got[`${tag}.y.npy`].dtype).toBe('float32');
      expect(got[`${tag}.y.npy`].shape).toEqual([5, 3]);
      close(got[`${tag}.y.npy`].data, ref.y.data, 1e-4);
      expect(got[`${tag}.k.npy`]).toEqual({ dtype: 'int64', shape: [5], data: ref.k.data });
      expect(got[`${tag}.e.csv`].shape).toEqual([5, 12]);
      expect((got[`${tag}.e.csv`].data as number[]).map(Math.fround)).toEqual(ref.e.data);
    });

  it('--json and a bare .json output hold every output; the text lists them', async () => {
    await setup;
    const r = await graphc('--input', 'x=x.npy', '--input', 'ids=ids.npy', '--output', 'all.json', '--json');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('');
    const doc = JSON.parse(readFileSync(join(dir, 'all.json'), 'utf8'));
    expect(doc.inputs).toEqual({ x: [5, 1, 8, 8], ids: [5, 3] });
    close(doc.outputs.y.data, ref.y.data, 1e-4);
    expect(doc.outputs.k).toEqual({ shape: [5], dtype: 'int64', data: ref.k.data });
    expect(doc.outputs.e.shape).toEqual([5, 3, 4]);
    const text = await graphc('--input', 'x=x.npy', '--input', 'ids=ids.npy', '--output', 'y=y.json');
    expect(text.stdout).toMatch(/^e \[5, 3, 4\]\n[^]*^k \[5\]\n\d\n/m);
    expect(JSON.parse(readFileSync(join(dir, 'y.json'), 'utf8')).shape).toEqual([5, 3]);
  });

  it('every bad input is one line naming the file, exit 1, with no output file written', async () => {
    await setup;
    writeFileSync(join(dir, 'ragged.json'), '[[1, 2, 3], [4, 5]]');
    writeFileSync(join(dir, 'frac.json'), JSON.stringify(Array.from({ length: 5 }, () => [1, 2.5, 3])));
    writeFileSync(join(dir, 'short.npy'), readFileSync(join(dir, 'x.npy')).subarray(0, 200));
    writeFileSync(join(dir, 'cols.csv'), '1,2,3\n');
    // a file of another format is not read as CSV for want of a name graphc knows, even where it would parse
    writeFileSync(join(dir, 'x.yaml'), readFileSync(join(dir, 'x.csv')));
    const cases: [string[], RegExp][] = [
      [['--input', 'x=xF.npy', '--input', 'ids=ids.npy'], /^graphc: xF\.npy: input 'x' .*Fortran-order arrays are not supported/],
      [['--input', 'x=x8.npy', '--input', 'ids=ids.npy'], /^graphc: x8\.npy: input 'x' \[N, 1, 8, 8\] float32: expected a float32 or float64 array, the file holds \|u1/],
      [['--input', 'x=x.npy', '--input', 'ids=idsf.npy'], /^graphc: idsf\.npy: input 'ids' \[N, 3\] int64: expected an integer \(int64, int32, uint8\.\.\.\) array, the file holds <f4/],
      [['--input', 'x=x.npy', '--input', 'ids=ragged.json'], /^graphc: ragged\.json: .*expected 3 elements at \[1\]/],
      [['--input', 'x=x.npy', '--input', 'ids=frac.json'], /^graphc: frac\.json: .*expected integers/],
      [['--input', 'x=short.npy', '--input', 'ids=ids.npy'], /^graphc: short\.npy: .*needs 1280 bytes of data/],
      [['--input', 'x=cols.csv', '--input', 'ids=ids.npy'], /^graphc: cols\.csv: .*expected 64 columns per row/],
      [['--input', 'x=x.npy', '--input', 'ids=x.npy'], /^graphc: x\.npy: input 'ids'/],
      [['--input', 'x=x.yaml', '--input', 'ids=ids.npy'], /^graphc: x\.yaml: --input reads \.csv, \.npy or \.json files \(by the extension\), not \.yaml\n$/],
      [['--input', 'x.npy'], /^graphc: .*m\.onnx: the model has 2 inputs .*--input name=file/],
      [['--input', 'x=x.npy'], /^graphc: .*no file for input 'ids'/],
      [['--input', 'x=x.npy', '--input', 'ids=ids.npy', '--output', 'out.csv'], /^graphc: .*3 outputs \(y, e, k\)/],
    ];
    for (const [args, msg] of cases) {
      const r = await graphc(...args, '--output', 'y=never.npy');
      expect(r.status, args.join(' ')).toBe(1);
      expect(r.stderr).toMatch(msg);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
    expect(existsSync(join(dir, 'never.npy'))).toBe(false);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('--help tells what run reads and writes', async () => {
    const r = await runGraphc(['run', '--help']);
    for (const s of ['--input <[name=]file>', '--output <[name=]file>', '.npy', '.json', '.csv', 'int64']) expect(r.stdout).toContain(s);
  });
});
