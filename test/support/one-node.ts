/**
 * One-node ONNX models written by python3-onnx's helper (at any opset, unchecked: onnx 1.12 knows
 * opsets up to 17), run in onnxruntime-node and in graphc on the same inputs.
 */
import { expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { importOnnx } from '../../export/index.ts';
import { randoms, runGraph } from './run.ts';
import { python } from './peers.ts';

type Attr = number | string | number[];
/** A node `op` at `opset`: float inputs x0, x1... of the shapes `x`, int64 initializers `ints` (a '' name: an optional input left out), outputs y0, y1... */
export interface OneNode { opset: number; op: string; attrs?: Record<string, Attr | undefined>; x: number[][]; ints?: [string, number[]][]; outputs?: number }

const WRITE = `
import json, sys
import onnx
from onnx import helper as h, TensorProto as T
for c in json.loads(sys.argv[1]):
    xs = [h.make_tensor_value_info('x%d' % i, T.FLOAT, s) for i, s in enumerate(c['x'])]
    inits = [h.make_tensor(n, T.INT64, [len(v)], v) for n, v in c.get('ints', []) if n]
    ins = ['x%d' % i for i in range(len(c['x']))] + [n for n, _ in c.get('ints', [])]
    outs = ['y%d' % i for i in range(c.get('outputs', 1))]
    node = h.make_node(c['op'], ins, outs, name='n0', **c.get('attrs', {}))
    g = h.make_graph([node], 'g', xs, [h.make_empty_tensor_value_info(o) for o in outs], inits)
    m = h.make_model(g, opset_imports=[h.make_opsetid('', c['opset'])])
    m.ir_version = 8
    onnx.save(m, c['file'])
`;

/** Writes the models into `dir`; returns each case with its file. */
export function writeOneNode<C extends OneNode>(dir: string, prefix: string, cases: readonly C[]): (C & { file: string })[] {
  const named = cases.map((c, i) => ({ ...c, file: join(dir, `${prefix}${i}-${c.op}-${c.opset}.onnx`) }));
  python(WRITE, [JSON.stringify(named)]);
  return named;
}

/**
 * Runs the model in graphc and onnxruntime on inputs in [lo, 2) (`feed` may change them); every output
 * within 1e-5 (relative past 1), with onnxruntime's shape.
 */
export async function matchesOrt(c: OneNode & { file: string }, lo = -2, feed: (k: number, i: number, v: number) => number = (_k, _i, v) => v): Promise<void> {
  const m = importOnnx(new Uint8Array(readFileSync(c.file)));
  expect(m.opset).toBe(c.opset);
  const feeds = Object.fromEntries(c.x.map((s, i) => [`x${i}`, { data: randoms(s.reduce((p, d) => p * d, 1), 7 + i, lo, 2).map((v, k) => feed(k, i, v)), shape: s }]));
  const ours = runGraph(m.graph, feeds);
  const s = await ort.InferenceSession.create(c.file);
  const theirs = await s.run(Object.fromEntries(Object.entries(feeds).map(([k, f]) => [k, new ort.Tensor('float32', Float32Array.from(f.data), f.shape)])));
  for (const [name, t] of Object.entries(theirs)) {
    const want = Array.from(t.data as ArrayLike<number | bigint | boolean>, Number);
    const got = Array.from(ours[name]);
    expect(got.length, name).toBe(want.length);
    got.forEach((v, i) => expect(Math.abs(v - want[i]), `${name}[${i}]: ${v} vs ${want[i]}`).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(want[i]))));
    expect(m.graph.outputs.find((o) => o.name === name)!.node.shape, name).toEqual([...t.dims]);
  }
}
