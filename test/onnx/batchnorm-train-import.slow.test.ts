/**
 * BatchNormalization in training mode (opsets 14 and 15), imported: Y normalized by the batch's own
 * statistics, and the running_mean and running_var outputs ONNX defines (input · momentum + the batch's
 * statistic · (1 − momentum)), against onnxruntime-node on one-node models written by python3-onnx; over
 * [N, C], [N, C, L] and [N, C, H, W] (ONNX requires the three outputs in training mode).
 */
import { describe, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { matchesOrt, writeOneNode, type OneNode } from '../support/one-node.ts';
import { hasOnnx, sayIfMissing } from '../support/peers.ts';

sayIfMissing('python3-onnx (helper)', hasOnnx, 'batchnorm-train-import.slow.test');
const dir = mkdtempSync(join(tmpdir(), 'graphc-bn-train-'));

const per = (x: number[]) => [x, [x[1]], [x[1]], [x[1]], [x[1]]];
const cases: OneNode[] = [14, 15].flatMap((opset) => [
  { opset, op: 'BatchNormalization', x: per([6, 3]), attrs: { training_mode: 1 }, outputs: 3 },
  { opset, op: 'BatchNormalization', x: per([4, 3, 5]), attrs: { training_mode: 1, momentum: 0.7, epsilon: 1e-3 }, outputs: 3 },
  { opset, op: 'BatchNormalization', x: per([2, 3, 4, 4]), attrs: { training_mode: 1, momentum: 0.5 }, outputs: 3 },
]);
const named = hasOnnx ? writeOneNode(dir, '', cases) : [];

describe.skipIf(!hasOnnx)('BatchNormalization, training_mode 1, against onnxruntime', () => {
  for (const c of named)
    it(`opset ${c.opset}, x ${JSON.stringify(c.x[0])}, ${JSON.stringify(c.attrs)}, ${c.outputs ?? 1} output(s)`, () =>
      // the running variance fed is positive, as a variance is
      matchesOrt(c, -2, (_k, i, v) => (i === 4 ? Math.abs(v) + 0.1 : v)));
});
