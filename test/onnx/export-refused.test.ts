/**
 * A training step holding an op with no ONNX mapping (the gradients of an imported GatherElements or
 * GatherND: ONNX has no op for them, and graphc writes no composition of standard ops for them yet) is
 * refused by `exportModel(c, 'train')` in one line that names the op, what made it, and that the inference
 * graph still exports; so is a GridSample gradient of a form its export does not write (bicubic, reflection).
 */
import { describe, expect, it } from 'vitest';
import { importOnnx, attachLoss, exportModel } from '../../export/index.ts';
import { compileModel } from '../../compiler/passes/index.ts';
import { DataType } from '../../export/proto.ts';
import { model, type Attr, type ModelSpec } from '../fuzz/build.ts';

const compiled = (m: ModelSpec) => compileModel(attachLoss(importOnnx(model(m)), 'mse'), { lr: 0.1 });

/** The message exportModel(c, 'train') throws. */
function refusal(c: ReturnType<typeof compiled>): string {
  try {
    exportModel(c, 'train');
  } catch (e) {
    return (e as Error).message;
  }
  return 'exported';
}

/** out = GridSample(img, grid): img [1, 1, 3, 3] an initializer (a parameter once trained), grid [1, 2, 2, 2] fed. */
const gridSample = (attrs: Attr[]) =>
  compiled({
    opset: 16,
    inputs: [{ name: 'grid', dims: [1, 2, 2, 2] }],
    inits: [{ name: 'img', dims: [1, 1, 3, 3], floats: [1, 2, 3, 4, 5, 6, 7, 8, 9] }],
    nodes: [{ op: 'GridSample', inputs: ['img', 'grid'], outputs: ['out'], attrs }],
    outputs: ['out'],
  });

describe('exportModel refuses a training step it cannot write', () => {
  it("GatherElements' gradient: one line naming the op, what made it, and why", () => {
    // out = GatherElements(E, idx): E [3, 3] an initializer, idx [2, 3] int64 fed
    const c = compiled({
      opset: 13,
      inputs: [{ name: 'idx', dims: [2, 3], elemType: DataType.INT64 }],
      inits: [{ name: 'E', dims: [3, 3], floats: Array.from({ length: 9 }, (_, i) => i / 7) }],
      nodes: [{ op: 'GatherElements', inputs: ['E', 'idx'], outputs: ['out'] }],
      outputs: ['out'],
    });
    expect(c.trainStep.nodes.some((n) => n.op === 'GatherElementsGrad')).toBe(true);
    const message = refusal(c);
    expect(message).toMatch(/ONNX export: op GatherElementsGrad \(made by gradient rules \(the gradient of GatherElements\)\) has no ONNX mapping: ONNX has no op for it and graphc writes none of standard ops, so this graph \(a training step through it\) cannot be written; the inference graph can$/);
    expect(message).not.toContain('\n');
    expect(exportModel(c, 'inference').length).toBeGreaterThan(0);
  });

  it("GridSample's gradient in bicubic mode or reflection padding: one line naming the forms written", () => {
    for (const [mode, padding] of [['bicubic', 'zeros'], ['bilinear', 'reflection']]) {
      const c = gridSample([{ name: 'mode', s: mode }, { name: 'padding_mode', s: padding }]);
      const message = refusal(c);
      expect(message).toMatch(new RegExp(`ONNX export: GridSample's gradient is written for modes bilinear and nearest with padding zeros or border, not ${mode} with ${padding}$`));
      expect(message).not.toContain('\n');
      expect(exportModel(c, 'inference').length).toBeGreaterThan(0);
    }
    expect(refusal(gridSample([]))).toBe('exported');
  });
});
