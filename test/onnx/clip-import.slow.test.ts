/**
 * ONNX Clip imported: bounds known at import (opset 6's attributes; from opset 11 a Constant, a tensor
 * computed from constants, or an initializer that is no graph input) become graphc's own Clip op, with
 * them as attributes; bounds a run gives (graph inputs, an initializer that is a graph input's default)
 * stay run-time operands. An absent bound is float32's lowest or highest (the spec's default, as
 * onnxruntime clips ±Infinity). Every form computes what onnxruntime computes, NaN, ±Infinity and values
 * on a bound included. Exported, graphc's Clip (torch.clamp's rule) writes an absent bound as ∓Infinity,
 * so that onnxruntime leaves ±Infinity unclipped as graphc does.
 */
import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { exportGraph, importOnnx } from '../../export/index.ts';
import { Graph } from '../../compiler/ir/graph.ts';
import * as B from '../../compiler/ir/build.ts';
import { inLeafScope } from '../../compiler/ir/node.ts';
import { onnx, DataType } from '../../export/proto.ts';
import { runGraph } from '../support/run.ts';

const X = [-Infinity, -3, -2.5, -1, -0.5, 0, 0.25, 1, 1.5, 2, 6, 7.5, Infinity, NaN];
const n = X.length;

type Bound = { kind: 'attr' | 'constant' | 'computed' | 'initializer' | 'input' | 'default'; value: number };
interface Form { name: string; opset: number; min?: Bound; max?: Bound; clip: boolean }

const FORMS: Form[] = [
  { name: 'opset 6, both attributes', opset: 6, min: { kind: 'attr', value: -1 }, max: { kind: 'attr', value: 6 }, clip: true },
  { name: 'opset 6, max only (min the float32 lowest)', opset: 6, max: { kind: 'attr', value: 2 }, clip: true },
  { name: 'opset 13, Constant bounds', opset: 13, min: { kind: 'constant', value: 0 }, max: { kind: 'constant', value: 6 }, clip: true },
  { name: 'opset 13, min from a Constant only', opset: 13, min: { kind: 'constant', value: -2.5 }, clip: true },
  { name: 'opset 13, max only (min absent)', opset: 13, max: { kind: 'initializer', value: 1.5 }, clip: true },
  { name: 'opset 13, initializer bounds', opset: 13, min: { kind: 'initializer', value: -0.5 }, max: { kind: 'initializer', value: 0.25 }, clip: true },
  { name: 'opset 12, a bound computed from constants (Neg of a Constant)', opset: 12, min: { kind: 'computed', value: -1 }, max: { kind: 'constant', value: 1 }, clip: true },
  { name: 'opset 11, min above max (every value max)', opset: 11, min: { kind: 'constant', value: 2 }, max: { kind: 'constant', value: 1 }, clip: true },
  { name: 'opset 13, bounds as graph inputs (run time)', opset: 13, min: { kind: 'input', value: -1 }, max: { kind: 'input', value: 2 }, clip: false },
  { name: 'opset 13, max a graph input, min absent (run time)', opset: 13, max: { kind: 'input', value: 1 }, clip: false },
  { name: 'opset 13, a graph input\'s default (run time: a run may replace it)', opset: 13, min: { kind: 'constant', value: 0 }, max: { kind: 'default', value: 6 }, clip: false },
];

const scalar = (name: string, v: number) => ({ name, dataType: DataType.FLOAT, dims: [], floatData: [v] });
const vi = (name: string, dims: number[]) => ({ name, type: { tensorType: { elemType: DataType.FLOAT, shape: { dim: dims.map((d) => ({ dimValue: d })) } } } });

function model(f: Form): { bytes: Uint8Array; feeds: Record<string, number[]> } {
  const nodes: object[] = [], inits: object[] = [], inputs = [vi('x', [n])], feeds: Record<string, number[]> = { x: X };
  const AT = onnx.AttributeProto.AttributeType;
  const operand = (which: string, b: Bound | undefined): string => {
    if (!b) return '';
    if (b.kind === 'constant') nodes.push({ opType: 'Constant', input: [], output: [which], attribute: [{ name: 'value', type: AT.TENSOR, t: scalar('', b.value) }] });
    if (b.kind === 'computed') {
      nodes.push({ opType: 'Constant', input: [], output: [`${which}_neg`], attribute: [{ name: 'value', type: AT.TENSOR, t: scalar('', -b.value) }] });
      nodes.push({ opType: 'Neg', input: [`${which}_neg`], output: [which] });
    }
    if (b.kind === 'initializer' || b.kind === 'default') inits.push(scalar(which, b.value));
    if (b.kind === 'input' || b.kind === 'default') inputs.push(vi(which, []));
    if (b.kind === 'input') feeds[which] = [b.value];
    return which;
  };
  if (f.opset < 11) {
    const attribute = [f.min && { name: 'min', type: AT.FLOAT, f: f.min.value }, f.max && { name: 'max', type: AT.FLOAT, f: f.max.value }].filter(Boolean);
    nodes.push({ name: 'clip', opType: 'Clip', input: ['x'], output: ['y'], attribute });
  } else {
    const lo = operand('lo', f.min), hi = operand('hi', f.max);
    nodes.push({ name: 'clip', opType: 'Clip', input: hi ? ['x', lo, hi] : lo ? ['x', lo] : ['x'], output: ['y'] });
  }
  const bytes = onnx.ModelProto.encode({
    irVersion: f.opset < 11 ? 3 : 7,
    opsetImport: [{ domain: '', version: f.opset }],
    graph: { name: 'clip', node: nodes, input: inputs, output: [vi('y', [n])], initializer: inits },
  }).finish();
  return { bytes, feeds };
}

describe('ONNX Clip import', () => {
  for (const f of FORMS)
    it(`${f.name}: ${f.clip ? 'graphc\'s Clip op with the bounds as attributes' : 'bounds read at run time'}, onnxruntime's values`, async () => {
      const { bytes, feeds } = model(f);
      const s = await ort.InferenceSession.create(bytes);
      const want = Array.from((await s.run(Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, new ort.Tensor('float32', Float32Array.from(v), k === 'x' ? [n] : [])]))) ).y.data as Float32Array);
      const m = importOnnx(bytes);
      const ops = m.graph.nodes.map((x) => x.op);
      if (f.clip) {
        expect(ops.filter((o) => o !== 'Input')).toEqual(['Clip']);
        const clip = m.graph.nodes.find((x) => x.op === 'Clip')!;
        // an absent bound is float32's lowest or highest, as the spec's default
        expect(clip.attrs.min).toBe(Math.fround(f.min?.value ?? -3.4028234663852886e38));
        expect(clip.attrs.max).toBe(Math.fround(f.max?.value ?? 3.4028234663852886e38));
      } else expect(ops).not.toContain('Clip');
      const got = Array.from(runGraph(m.graph, Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, { data: v, shape: k === 'x' ? [n] : [] }]))).y);
      // NaN stays NaN in both; every other value bit for bit
      expect(got.map((v) => (Number.isNaN(v) ? 'NaN' : v))).toEqual(want.map((v) => (Number.isNaN(v) ? 'NaN' : v)));
    });
});

describe("graphc's Clip exported", () => {
  // torch.clamp's rule, which graphc's Clip is: an absent bound clips nothing, ±Infinity included
  const clamp = (v: number, lo?: number, hi?: number) => (Number.isNaN(v) ? NaN : Math.min(Math.max(v, lo ?? -Infinity), hi ?? Infinity));
  const cases: [string, number | undefined, number | undefined][] = [['min only', -1, undefined], ['max only', undefined, 2], ['both', -2.5, 6], ['neither', undefined, undefined]];
  for (const [name, lo, hi] of cases)
    it(`${name}: onnxruntime computes what graphc does, ±Infinity left where no bound clips it`, async () => {
      const graph = inLeafScope(() => {
        const x = B.mk('Input', [], { name: 'x', shape: [n], dtype: 'f32' });
        return new Graph([{ name: 'y', node: B.mk('Clip', [x], { ...(lo !== undefined && { min: lo }), ...(hi !== undefined && { max: hi }) }) }]);
      });
      const ours = Array.from(runGraph(graph, { x: { data: X, shape: [n] } }).y);
      const s = await ort.InferenceSession.create(exportGraph(graph, { mode: 'inference', name: 'clamp' }));
      const theirs = Array.from((await s.run({ x: new ort.Tensor('float32', Float32Array.from(X), [n]) })).y.data as Float32Array);
      const want = X.map((v) => clamp(v, lo, hi));
      const shown = (a: number[]) => a.map((v) => (Number.isNaN(v) ? 'NaN' : v));
      expect(shown(ours)).toEqual(shown(want));
      expect(shown(theirs)).toEqual(shown(want));
    });
});
