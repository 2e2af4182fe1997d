/**
 * The RowRegion record's kernel, met outside a plan's row executor: a graph evaluated node by node, each
 * by its own record's kernel (RowRegion's included), gives what the same model's graph without row
 * regions gives in the float64 reference plan (which never sees a RowRegion node); constant folding folds
 * a region's gradients to those values too. The printer shows a region's body once.
 */
import { describe, expect, it } from 'vitest';
import { defineModel, input, param, values, binaryCrossEntropy, mse } from '../../compiler/index.ts';
import { compileModel } from '../../compiler/passes/index.ts';
import { Graph } from '../../compiler/ir/graph.ts';
import { Node } from '../../compiler/ir/node.ts';
import { resolveShape, bindShape, sizeOf } from '../../compiler/ir/shape.ts';
import { getOp } from '../../compiler/ops/op.ts';
import * as B from '../../compiler/ir/build.ts';
import { foldConstants } from '../../compiler/passes/rules/fold-constants.ts';
import { printGraph } from '../../compiler/ir/print.ts';
import { randoms, runGraph } from '../support/run.ts';

/** A linear model of F features; N rows, or a batch known when compiling. */
function model(F: number, loss: 'bce' | 'mse', N: 'N' | number = 'N') {
  return defineModel({
    name: `region-kernel-${loss}-${F}`,
    build() {
      const x = input('x', [N, F]);
      const y = input('y', [N, 1]);
      const W = param('W', [F, 1], values(randoms(F, F + 3, -1, 1)));
      const b = param('b', [1], values([0.25]));
      const z = x.matmul(W).add(b);
      return loss === 'bce' ? { loss: binaryCrossEntropy(z.sigmoid(), y), predict: z.sigmoid() } : { loss: mse(z, y), predict: z };
    },
  });
}

/** Every node by its own record's kernel, in graph order, on buffers of this precision. */
function nodeByNode(g: Graph, leaves: Record<string, { data: ArrayLike<number>; shape: number[] }>, precision: 'f32' | 'f64') {
  const Arr = (precision === 'f64' ? Float64Array : Float32Array) as unknown as Float32ArrayConstructor;
  const env = new Map<string, number>();
  for (const n of g.nodes) if (n.op === 'Input') bindShape(n.shape, leaves[String(n.attrs.name)].shape, env, String(n.attrs.name));
  const vals = new Map<Node, Float32Array>();
  const shapes = new Map<Node, number[]>();
  for (const n of g.nodes) {
    const shape = resolveShape(n.shape, env);
    shapes.set(n, shape);
    if (n.op === 'Input') vals.set(n, Arr.from(leaves[String(n.attrs.name)].data));
    else if (n.op === 'Param') vals.set(n, Arr.from(n.attrs.init as Float32Array));
    else if (n.op === 'Const') vals.set(n, Arr.from(n.attrs.value as Float32Array));
    else {
      const out = new Arr(sizeOf(shape));
      getOp(n.op).kernel!({ node: n, inShapes: n.inputs.map((i) => shapes.get(i)!), outShape: shape, attrs: n.attrs, precision })(n.inputs.map((i) => vals.get(i)!), out);
      vals.set(n, out);
    }
  }
  return Object.fromEntries(g.outputs.map((o) => [o.name, Float64Array.from(vals.get(o.node)!)]));
}

const feeds = (N: number, F: number) => ({
  x: { data: randoms(N * F, 11, -2, 2), shape: [N, F] },
  y: { data: randoms(N, 12, 0, 1).map((v) => (v > 0.4 ? 1 : 0)), shape: [N, 1] },
});

function expectClose(got: Record<string, Float64Array>, want: Record<string, Float64Array>, rel: number) {
  expect(Object.keys(got).sort()).toEqual(Object.keys(want).sort());
  for (const [name, w] of Object.entries(want)) {
    expect(got[name].length, name).toBe(w.length);
    w.forEach((v, i) => expect(Math.abs(got[name][i] - v), `${name}[${i}]`).toBeLessThanOrEqual(rel * Math.max(1, Math.abs(v))));
  }
}

describe("RowRegion's kernel is its expansion", () => {
  for (const loss of ['bce', 'mse'] as const)
    for (const [F, N] of [[2, 1], [2, 7], [8, 64], [16, 67]])
      it(`${loss}, ${F} features, ${N} rows: node by node with regions = the float64 plan without them`, () => {
        const fused = compileModel(model(F, loss).build(), { lr: 0.5 }).trainStep;
        const plain = compileModel(model(F, loss).build(), { lr: 0.5, regions: false }).trainStep;
        expect(fused.nodes.filter((n) => n.op === 'RowRegion').length).toBeGreaterThanOrEqual(2);
        expect(plain.nodes.some((n) => n.op === 'RowRegion')).toBe(false);
        const want = runGraph(plain, feeds(N, F), 'f64');
        expectClose(nodeByNode(fused, feeds(N, F), 'f64'), want, 1e-12);
        expectClose(nodeByNode(fused, feeds(N, F), 'f32'), want, 1e-5);
      });

  it("constant folding folds a region's gradients (a batch known when compiling) to the unfused graph's values", () => {
    const N = 5, F = 3;
    const fused = compileModel(model(F, 'bce', N).build(), { lr: 0.5 }).trainStep;
    const plain = compileModel(model(F, 'bce', N).build(), { lr: 0.5, regions: false }).trainStep;
    // the region's gradients over constants holding the leaves' values
    const f = feeds(N, F);
    const exits = fused.nodes.filter((n) => n.op === 'RowRegion' && n.shape[0] !== N);
    expect(exits.map((n) => n.shape)).toEqual([[F, 1], [1]]);
    const leafValue = (n: Node): Node => {
      const name = String(n.attrs.name);
      if (n.op === 'Input') return B.constant(f[name as 'x' | 'y'].data, f[name as 'x' | 'y'].shape);
      if (n.op === 'Param') return B.constant(n.attrs.init as Float32Array, n.shape as number[]);
      return n;
    };
    const overConsts = new Graph(exits.map((n, k) => ({ name: `exit${k}`, node: Node.mk('RowRegion', n.inputs.map(leafValue), n.attrs, n.src) })));
    const folded = foldConstants.run(overConsts).graph;
    expect(folded.outputs.map((o) => o.node.op)).toEqual(['Const', 'Const']);
    // the unfused step's gradients: what it subtracts from W and b (next = p - lr·g) over lr
    const want = runGraph(plain, f, 'f64');
    const W = fused.params.find((p) => p.attrs.name === 'W')!.attrs.init as Float32Array;
    const gW = [...W].map((w, i) => (w - want['next:W'][i]) / 0.5);
    const gb = (0.25 - want['next:b'][0]) / 0.5;
    const got = folded.outputs.map((o) => [...(o.node.attrs.value as Float32Array)]);
    got[0].forEach((v, i) => expect(v).toBeCloseTo(gW[i], 5));
    expect(got[1][0]).toBeCloseTo(gb, 5);
  });
});

describe('a printed row region', () => {
  it('shows each body once, and each output as the instruction it gives', () => {
    // two heads over x: two regions
    const two = defineModel({
      name: 'two-heads',
      build() {
        const x = input('x', ['N', 4]);
        const y = input('y', ['N', 1]);
        const z1 = x.matmul(param('W1', [4, 1], values(randoms(4, 1, -1, 1))));
        const z2 = x.matmul(param('W2', [4, 1], values(randoms(4, 2, -1, 1))));
        return { loss: binaryCrossEntropy(z1.sigmoid(), y).add(mse(z2, y)), predict: z1 };
      },
    });
    const g = compileModel(two.build(), { lr: 0.5 }).trainStep;
    const regions = g.nodes.filter((n) => n.op === 'RowRegion');
    const text = printGraph(g, { src: false });
    const bodies = text.split('\n').filter((l) => l.startsWith('  region '));
    expect(bodies.map((l) => l.split(' = ')[0].trim())).toEqual(['region R0', 'region R1']);
    for (const l of bodies) expect(l).toMatch(/^ {2}region R\d = \[0\] MatMul · .* → \[\d+\] MatMul/);
    // every region node names its region and the instruction it is, never the body again
    const nodeLines = text.split('\n').filter((l) => l.includes('= RowRegion'));
    expect(nodeLines).toHaveLength(regions.length);
    for (const l of nodeLines) expect(l).toMatch(/\{R[01] \[\d+\] [A-Za-z]+(\{[^}]*\})?\} :/);
    expect(nodeLines.filter((l) => l.includes('{R0 ')).length).toBeGreaterThanOrEqual(2);
    expect(nodeLines.filter((l) => l.includes('{R1 ')).length).toBeGreaterThanOrEqual(2);
    // the region line comes before the first node that names it
    const lines = text.split('\n');
    expect(lines.findIndex((l) => l.startsWith('  region R1'))).toBeLessThan(lines.findIndex((l) => l.includes('{R1 ')));
  });
});
