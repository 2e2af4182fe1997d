/**
 * DepthToSpace, SpaceToDepth and Trilu exported by graphc and run in onnxruntime-node against graphc's
 * kernels, SpaceToDepth's CRD order (a CRD DepthToSpace's gradient, no ONNX op of its own) included, and
 * against PyTorch's pixel_shuffle, pixel_unshuffle (CRD order), triu and tril; a mode ONNX does not
 * define refused by name.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import '../../compiler/ops/index.ts';
import { Graph } from '../../compiler/ir/graph.ts';
import { inLeafScope, type Attrs } from '../../compiler/ir/node.ts';
import * as B from '../../compiler/ir/build.ts';
import { exportGraph } from '../../export/index.ts';
import { hasOnnx, hasTorch, python } from '../support/peers.ts';
import { randoms, runGraph } from '../support/run.ts';
import { refused } from '../support/refused.ts';

interface Case { label: string; op: string; attrs: Attrs; x: number[]; torch: string }
const cases: Case[] = [
  { label: 'DepthToSpace DCR block 2', op: 'DepthToSpace', attrs: { block: 2, mode: 'DCR' }, x: [2, 8, 3, 2], torch: '' },
  { label: 'DepthToSpace CRD block 3 (pixel_shuffle)', op: 'DepthToSpace', attrs: { block: 3, mode: 'CRD' }, x: [2, 18, 2, 3], torch: 'torch.pixel_shuffle(x, 3)' },
  { label: 'SpaceToDepth DCR block 2', op: 'SpaceToDepth', attrs: { block: 2, mode: 'DCR' }, x: [2, 3, 4, 6], torch: '' },
  { label: 'SpaceToDepth CRD block 2 (pixel_unshuffle)', op: 'SpaceToDepth', attrs: { block: 2, mode: 'CRD' }, x: [2, 3, 4, 6], torch: 'torch.pixel_unshuffle(x, 2)' },
  { label: 'Trilu upper k 1', op: 'Trilu', attrs: { upper: true, k: 1 }, x: [2, 4, 5], torch: 'torch.triu(x, 1)' },
  { label: 'Trilu lower k -2', op: 'Trilu', attrs: { upper: false, k: -2 }, x: [3, 5, 4], torch: 'torch.tril(x, -2)' },
];

const TORCH = `
import json, sys, torch
for c in json.loads(sys.argv[1]):
    x = torch.tensor(c['data'], dtype=torch.float32).reshape(c['x'])
    print(json.dumps(eval(c['torch']).flatten().tolist()))
`;

function build(c: Case) {
  return inLeafScope(() => {
    const x = B.mk('Input', [], { name: 'x', shape: c.x, dtype: 'f32' });
    return new Graph([{ name: 'y', node: B.mk(c.op, [x], c.attrs) }]);
  });
}

const near = (got: ArrayLike<number>, want: ArrayLike<number>, what: string) => {
  expect(got.length, what).toBe(want.length);
  Array.from(got).forEach((v, i) => expect(v, `${what}[${i}]`).toBe(want[i]));
};

describe.skipIf(!hasOnnx)('DepthToSpace, SpaceToDepth and Trilu: graphc, its export in onnxruntime, PyTorch', () => {
  const dir = mkdtempSync(join(tmpdir(), 'graphc-d2s-'));
  const data = cases.map((c) => randoms(c.x.reduce((p, d) => p * d, 1), 3, -2, 2).map(Math.fround));
  const torch = hasTorch ? python(TORCH, [JSON.stringify(cases.flatMap((c, i) => (c.torch ? [{ ...c, data: data[i] }] : [])))]).trim().split('\n').map((l) => JSON.parse(l) as number[]) : [];
  let t = 0;
  cases.forEach((c, i) => {
    const fromTorch = c.torch && hasTorch ? torch[t++] : undefined;
    it(c.label, async () => {
      const g = build(c);
      const ours = runGraph(g, { x: { data: data[i], shape: c.x } }).y;
      const file = join(dir, `c${i}.onnx`);
      writeFileSync(file, exportGraph(g, { mode: 'inference', name: 'blocks' }));
      const theirs = (await (await ort.InferenceSession.create(file)).run({ x: new ort.Tensor('float32', Float32Array.from(data[i]), c.x) })).y;
      expect([...theirs.dims]).toEqual(g.outputs[0].node.shape);
      near(ours, theirs.data as Float32Array, 'onnxruntime');
      if (fromTorch) near(ours, fromTorch, 'PyTorch');
    });
  });

  it('DepthToSpace with a mode ONNX does not define is refused by name', () => {
    const file = join(dir, 'bad.onnx');
    python(`
import onnx, sys
from onnx import helper as h, TensorProto as T
n = h.make_node('DepthToSpace', ['x'], ['y'], name='n0', blocksize=2, mode='RDC')
g = h.make_graph([n], 'g', [h.make_tensor_value_info('x', T.FLOAT, [1, 8, 2, 2])], [h.make_empty_tensor_value_info('y')])
m = h.make_model(g, opset_imports=[h.make_opsetid('', 13)]); m.ir_version = 8
onnx.save(m, sys.argv[1])
`, [file]);
    refused(new Uint8Array(readFileSync(file)), /^node 'n0' \(DepthToSpace, opset 13\): attribute 'mode' 'RDC' is not supported/);
  });
});
