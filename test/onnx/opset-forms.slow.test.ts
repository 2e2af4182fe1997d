/**
 * Opset forms against PyTorch: `torch.onnx.export` writes ReduceSum's axes as an attribute up to opset 12
 * and as an input from 13; graphc must read both (it once read only the input and summed every axis).
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importOnnx } from '../../export/index.ts';
import { runGraph } from '../support/run.ts';
import { hasTorch, python, sayIfMissing } from '../support/peers.ts';

sayIfMissing('PyTorch (python3-torch)', hasTorch, 'opset-forms.slow.test');
const dir = mkdtempSync(join(tmpdir(), 'graphc-opsets-'));

describe.skipIf(!hasTorch)('ReduceSum at every opset torch writes', () => {
  for (const opset of [11, 12, 13, 17])
    it(`Linear(8,4) then sum(dim=1, keepdim=True), opset ${opset}: torch's five numbers`, () => {
      const path = join(dir, `sum${opset}.onnx`);
      const ref = JSON.parse(python(`
import torch, json, sys
torch.manual_seed(0)
class M(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.l = torch.nn.Linear(8, 4)
    def forward(self, x):
        return self.l(x).sum(dim=1, keepdim=True)
m = M()
x = torch.randn(5, 8)
torch.onnx.export(m, (x,), sys.argv[1], input_names=['x'], output_names=['y'], opset_version=int(sys.argv[2]))
with torch.no_grad():
    print(json.dumps({'x': x.tolist(), 'y': m(x).tolist()}))
`, [path, String(opset)]));
      const m = importOnnx(new Uint8Array(readFileSync(path)));
      expect(m.opset).toBe(opset);
      const y = runGraph(m.graph, { x: { data: ref.x.flat(), shape: [5, 8] } }).y;
      const want = (ref.y as number[][]).flat();
      expect(want.length).toBe(5);
      expect(y.length).toBe(5);
      y.forEach((v, i) => expect(Math.abs(v - want[i])).toBeLessThanOrEqual(1e-5));
    });
});
