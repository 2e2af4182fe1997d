/**
 * What a plan decided, as `graphc compile --explain` shows it: row regions and why a product did not
 * head one, one call or the kernels that keep a plan from it, each kernel's path, and fallbacks.
 */
import { describe, expect, it } from 'vitest';
import '../../compiler/ops/index.ts';
import { Graph } from '../../compiler/ir/graph.ts';
import * as B from '../../compiler/ir/build.ts';
import { inLeafScope } from '../../compiler/ir/node.ts';
import { compileModel } from '../../compiler/passes/compile.ts';
import { defineModel, input, param, zeros, sigmoid, binaryCrossEntropy } from '../../compiler/index.ts';
import { Plan } from '../../runtime/plan.ts';
import binaryClassifier from '../../graphs/binary-classifier.ts';
import { formatPlanReport } from '../../runtime/report.ts';
import { fallbacks, noteFallback } from '../../runtime/kernels/fallbacks.ts';

const logistic = (features: number, outputs: number) =>
  defineModel({
    name: 'logistic',
    build() {
      const x = input('x', ['N', features]);
      const y = input('y', ['N', outputs]);
      const W = param('W', [features, outputs], zeros());
      const b = param('b', [outputs], zeros());
      const h = sigmoid(x.matmul(W).add(b));
      return { loss: binaryCrossEntropy(h, y), predict: h };
    },
  });

const plan = (g: Graph, n: number, f: number, o: number) => new Plan(g, new Map([['x', [n, f]], ['y', [n, o]]]));

describe('a plan\'s report', () => {
  it('a logistic regression\'s step: one row region and one call, at any learning rate', () => {
    for (const lr of [1, 0.1]) {
      const r = plan(compileModel(logistic(8, 1).build(), { lr }).trainStep, 100, 8, 1).report();
      expect(r.regions).toHaveLength(1);
      expect(r.regions[0].head.op).toBe('RowRegion');
      expect(r.oneCall).toBe(true);
      expect(r.kernels.every((k) => k.entry)).toBe(true);
      const text = formatPlanReport('step', r);
      expect(text).toMatch(/row region at .*plan-report\.test\.ts:\d+: the product, \d+ elementwise ops after it and 2 gradients as one kernel/);
      expect(text).toMatch(/one call: every kernel has a WebAssembly entry/);
    }
  });

  it('the row-regions pass names why a product heads no region: more features than a region holds, several outputs', () => {
    const misses = (features: number, outputs: number) => compileModel(logistic(features, outputs).build(), { lr: 0.1 }).report.filter((p) => p.pass === 'row-regions' && p.graph.endsWith('.train')).flatMap((p) => p.misses.map((m) => m.what));
    const wide = compileModel(logistic(20, 1).build(), { lr: 0.1 }).trainStep;
    expect(plan(wide, 100, 20, 1).report().regions).toHaveLength(0);
    expect(wide.nodes.some((n) => n.op === 'RowRegion')).toBe(false);
    expect(misses(20, 1)).toContain('MatMul [N, 1] heads no row region: X has 20 features: a region holds at most 16 in registers');
    expect(misses(4, 3)).toContain('MatMul [N, 3] heads no row region: w is [4, 3]: a region computes one output column');
    // a Linear(8, 1) holds its weight as [1, 8] and multiplies by its transpose: the same 8 floats as a
    // column, so it heads a region too
    const linear = compileModel(binaryClassifier.build(), { lr: 1 });
    expect(linear.report.filter((p) => p.pass === 'row-regions' && p.graph.endsWith('.train')).flatMap((p) => p.misses)).toEqual([]);
    expect(plan(linear.trainStep, 100, 8, 1).report().regions).toHaveLength(1);
  });

  it('a region of no rows runs as its ops, and says so', () => {
    const r = plan(compileModel(logistic(8, 1).build(), { lr: 0.1 }).trainStep, 0, 8, 1).report();
    expect(r.regions).toHaveLength(0);
    expect(r.regionMisses.map((m) => m.why)).toEqual(['X has no rows: the region runs as its ops']);
  });

  it('names the kernels without a WebAssembly entry and their path', () => {
    const g = inLeafScope(() => {
      const x = B.mk('Input', [], { name: 'x', shape: [8], dtype: 'f32' });
      return new Graph([{ name: 'y', node: B.tanh(x) }]);
    });
    const r = new Plan(g, new Map([['x', [8]]])).report();
    expect(r.oneCall).toBe(false);
    expect(r.kernels.map((k) => k.path)).toEqual(['JavaScript (Tanh has no SIMD rule)']);
    expect(formatPlanReport('t', r)).toMatch(/kernel by kernel, not one call: 1 of 1 kernel has no WebAssembly entry \(below, by path\)/);
    expect(formatPlanReport('t', r)).toMatch(/\n {4}1 JavaScript \(Tanh has no SIMD rule\), no WebAssembly entry: Tanh at .*plan-report\.test\.ts:\d+/);
  });

  it('lists every fallback with its cause, and strict mode turns one into an error', () => {
    const strict = process.env.GRAPHC_STRICT_WASM;
    try {
      process.env.GRAPHC_STRICT_WASM = '1';
      expect(() => noteFallback('a test kernel', new Error('bad bytes\nmore'))).toThrow(/a test kernel failed and would fall back: bad bytes/);
      delete process.env.GRAPHC_STRICT_WASM;
      noteFallback('a test kernel', new Error('bad bytes\nmore'));
      expect(fallbacks()).toContainEqual({ what: 'a test kernel', cause: 'bad bytes' });
      const g = inLeafScope(() => new Graph([{ name: 'y', node: B.tanh(B.mk('Input', [], { name: 'x', shape: [8], dtype: 'f32' })) }]));
      expect(formatPlanReport('t', new Plan(g, new Map([['x', [8]]])).report())).toMatch(/fallback: a test kernel: bad bytes/);
    } finally {
      if (strict === undefined) delete process.env.GRAPHC_STRICT_WASM;
      else process.env.GRAPHC_STRICT_WASM = strict;
    }
  });
});
