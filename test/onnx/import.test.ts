/**
 * ONNX import: graphc's own exports round-trip. (Models written by torch.onnx.export, imported, run
 * and trained: torch-import.slow.test.ts, in the slow tier.)
 */
import { describe, expect, it } from 'vitest';
import { importOnnx, exportModel } from '../../export/index.ts';
import { compileModel } from '../../compiler/passes/index.ts';
import toy from '../../graphs/toy.ts';
import { runGraph } from '../support/run.ts';

describe('graphc\'s own exports round-trip', () => {
  it('toy: export, import, same predictions', () => {
    const compiled = compileModel(toy.build(), { lr: 1 });
    const m = importOnnx(exportModel(compiled, 'inference', new Map([['W', Float32Array.of(3.25, 1.5)], ['b', Float32Array.of(-14.5)]])));
    const feeds = { x: { data: [1, 2, 5, 3, 6, 2], shape: [3, 2] } };
    const got = runGraph(m.graph, feeds).predict;
    const z = [1 * 3.25 + 2 * 1.5 - 14.5, 5 * 3.25 + 3 * 1.5 - 14.5, 6 * 3.25 + 2 * 1.5 - 14.5];
    got.forEach((v, i) => expect(v).toBeCloseTo(1 / (1 + Math.exp(-z[i])), 6));
  });
});
