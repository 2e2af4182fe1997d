/**
 * Float attributes stay FLOAT when their value is whole: LeakyRelu's alpha = 1 and BatchNormalization's
 * epsilon = 1 are written as FLOAT (read back from the bytes; ONNX's checker where python3-onnx is
 * installed), and graphc imports its own file again.
 */
import { describe, expect, it } from 'vitest';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { exportGraph, importOnnx } from '../../export/index.ts';
import { onnx, AttrType } from '../../export/proto.ts';
import { Graph } from '../../compiler/ir/graph.ts';
import { inLeafScope } from '../../compiler/ir/node.ts';
import * as B from '../../compiler/ir/build.ts';
import { hasOnnx, python } from '../support/peers.ts';
import { runGraph } from '../support/run.ts';

const attrsOf = (bytes: Uint8Array, op: string) =>
  new Map((onnx.ModelProto.decode(bytes).graph!.node!.find((n) => n.opType === op)!.attribute ?? []).map((a) => [a.name, a]));

describe('whole-number float attributes', () => {
  const bytes = inLeafScope(() => {
    const x = B.mk('Input', [], { name: 'x', shape: ['N', 2, 3] as unknown as number[], dtype: 'f32' });
    const stat = (name: string, v: number) => B.mk('Param', [], { name, shape: [2], init: Float32Array.of(v, v) });
    const bn = B.mk('BatchNorm', [B.mk('LeakyRelu', [x], { alpha: 1 }), stat('s', 1), stat('b', 0), stat('m', 0), stat('v', 1)], { eps: 1 });
    return exportGraph(new Graph([{ name: 'y', node: bn }]), { mode: 'inference', name: 'floats' });
  });

  it('are written as FLOAT', () => {
    const leaky = attrsOf(bytes, 'LeakyRelu').get('alpha')!;
    expect([leaky.type, leaky.f]).toEqual([AttrType.FLOAT, 1]);
    const eps = attrsOf(bytes, 'BatchNormalization').get('epsilon')!;
    expect([eps.type, eps.f]).toEqual([AttrType.FLOAT, 1]);
  });

  it.skipIf(!hasOnnx)('pass ONNX\'s checker and read back as float', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'graphc-float-')), 'floats.onnx');
    writeFileSync(path, bytes);
    const out = python('import onnx,sys\nm=onnx.load(sys.argv[1])\nonnx.checker.check_model(m, full_check=True)\nprint(sorted((a.name, onnx.AttributeProto.AttributeType.Name(a.type)) for n in m.graph.node for a in n.attribute if a.name in ("alpha","epsilon")))', [path]);
    expect(out.trim()).toBe("[('alpha', 'FLOAT'), ('epsilon', 'FLOAT')]");
  });

  it('import back: alpha 1 is the identity', () => {
    const m = importOnnx(bytes);
    const x = [-1, 2, -3, 4, -5, 6];
    const p = Object.fromEntries(m.params.map((n) => [String(n.attrs.name), { data: [...(n.attrs.init as Float32Array)], shape: n.shape as number[] }]));
    const y = runGraph(m.graph, { x: { data: x, shape: [1, 2, 3] }, ...p }).y;
    y.forEach((v, i) => expect(v).toBeCloseTo(x[i] / Math.sqrt(2), 6));
  });
});
