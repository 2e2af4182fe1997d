/**
 * A training step holding an op with no ONNX mapping (the gradients of an imported GridSample, Gather,
 * GatherElements or GatherND: standard ONNX has no op for them, and graphc writes no composition of ops for
 * them yet) is refused by `exportModel(c, 'train')` in one line that names the op, what made it, and that
 * the inference graph still exports.
 */
import { describe, expect, it } from 'vitest';
import { importOnnx, attachLoss, exportModel } from '../../export/index.ts';
import { compileModel } from '../../compiler/passes/index.ts';
import { model } from '../fuzz/build.ts';

/** out = GridSample(img, grid): img [1, 1, 3, 3] an initializer (a parameter once trained), grid [1, 2, 2, 2] fed. */
const gridSample = () =>
  compileModel(attachLoss(importOnnx(model({
    opset: 16,
    inputs: [{ name: 'grid', dims: [1, 2, 2, 2] }],
    inits: [{ name: 'img', dims: [1, 1, 3, 3], floats: [1, 2, 3, 4, 5, 6, 7, 8, 9] }],
    nodes: [{ op: 'GridSample', inputs: ['img', 'grid'], outputs: ['out'] }],
    outputs: ['out'],
  })), 'mse'), { lr: 0.1 });

describe('exportModel refuses a training step it cannot write', () => {
  it("GridSample's gradient: one line naming the op, what made it, and why", () => {
    const c = gridSample();
    expect(c.trainStep.nodes.some((n) => n.op === 'GridSampleGrad')).toBe(true);
    let message = '';
    try {
      exportModel(c, 'train');
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/ONNX export: op GridSampleGrad \(made by gradient rules \(the gradient of GridSample\)\) has no ONNX mapping: ONNX has no op for it and graphc writes none of standard ops, so this graph \(a training step through it\) cannot be written; the inference graph can$/);
    expect(message).not.toContain('\n');
    // the inference graph exports
    expect(exportModel(c, 'inference').length).toBeGreaterThan(0);
  });
});
