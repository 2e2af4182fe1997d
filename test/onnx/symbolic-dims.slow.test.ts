/**
 * Models exported with dynamic axes the way PyTorch users write them (`dynamic_axes={'x': {0: 'N', 1: 'T'}}`)
 * whose ops need those dims as numbers at import: an LSTM or GRU over a symbolic sequence length (graphc
 * unrolls it), a ConvTranspose over symbolic spatial dims (its output's extent), a Reshape to the product of
 * a convolution's output dims (no input carries them). `OnnxSession` specialises
 * the model on the shape of the input carrying them, once per distinct shape. References from outside
 * graphc: PyTorch 1.13's outputs (opsets 13 and 17) and onnxruntime-node's.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { importOnnx, OnnxSession, OnnxSpecializeError } from '../../export/index.ts';
import { graphc } from '../support/cli.ts';
import { hasOnnx, hasTorch, python, sayIfMissing } from '../support/peers.ts';

sayIfMissing('PyTorch (python3-torch) and python3-onnx', hasTorch && hasOnnx, 'symbolic-dims.slow.test');
const dir = mkdtempSync(join(tmpdir(), 'graphc-symbolic-dims-'));

const MAKE = `
import torch, json, sys, os
import torch.nn as nn, torch.nn.functional as F
d = sys.argv[1]
torch.manual_seed(0)
class LSTMc(nn.Module):
    def __init__(s):
        super().__init__()
        s.e = nn.Embedding(50, 16); s.l = nn.LSTM(16, 24, num_layers=2, batch_first=True, bidirectional=True); s.o = nn.Linear(48, 3)
    def forward(s, t):
        h, _ = s.l(s.e(t)); return s.o(h[:, -1])
class GRUc(nn.Module):
    def __init__(s):
        super().__init__(); s.g = nn.GRU(8, 12, batch_first=True); s.o = nn.Linear(12, 2)
    def forward(s, x):
        _, h = s.g(x); return torch.sigmoid(s.o(h[-1]))
class UNet(nn.Module):
    def __init__(s):
        super().__init__()
        s.d = nn.Conv2d(1, 8, 3, padding=1); s.p = nn.MaxPool2d(2); s.m = nn.Conv2d(8, 16, 3, padding=1)
        s.u = nn.ConvTranspose2d(16, 8, 2, stride=2); s.o = nn.Conv2d(16, 2, 1)
    def forward(s, x):
        a = F.relu(s.d(x)); b = F.relu(s.m(s.p(a))); u = s.u(b)
        return s.o(torch.cat([a, u], 1)).softmax(1)
class Derived(nn.Module):
    def __init__(s):
        super().__init__(); s.c = nn.Conv2d(2, 4, 3, stride=2)
    def forward(s, x):
        y = s.c(x); return y.reshape(y.size(0), y.size(2) * y.size(3), -1)
cases = {
    'lstm': (LSTMc(), [torch.randint(0, 50, (3, 7)), torch.randint(0, 50, (5, 9))], {0: 'N', 1: 'T'}),
    'gru': (GRUc(), [torch.randn(4, 6, 8), torch.randn(2, 11, 8)], {0: 'N', 1: 'T'}),
    'unet': (UNet(), [torch.randn(2, 1, 16, 16), torch.randn(3, 1, 8, 24)], {0: 'N', 2: 'H', 3: 'W'}),
    'derived': (Derived(), [torch.randn(2, 2, 9, 11), torch.randn(3, 2, 7, 8)], {0: 'N', 2: 'H', 3: 'W'}),
}
out = {}
with torch.no_grad():
    for name, (m, xs, dyn) in cases.items():
        m.eval()
        for opset in (13, 17):
            torch.onnx.export(m, xs[0], os.path.join(d, f'{name}{opset}.onnx'), opset_version=opset, input_names=['x'], output_names=['y'], dynamic_axes={'x': dyn, 'y': {0: 'N'}})
        out[name] = [{'x': x.flatten().tolist(), 'shape': list(x.shape), 'y': m(x).flatten().tolist(), 'yshape': list(m(x).shape)} for x in xs]
print(json.dumps(out))
`;

interface Case { x: number[]; shape: number[]; y: number[]; yshape: number[] }
const NAMES = ['lstm', 'gru', 'unet', 'derived'] as const;
const ref: Record<(typeof NAMES)[number], Case[]> = hasTorch && hasOnnx ? JSON.parse(python(MAKE, [dir])) : { lstm: [], gru: [], unet: [], derived: [] };
const bytes = (file: string) => new Uint8Array(readFileSync(join(dir, `${file}.onnx`)));
const feed = (c: Case) => new Map([['x', { data: Float32Array.from(c.x), shape: c.shape }]]);

const within = (got: ArrayLike<number>, want: ArrayLike<number>, tol: number, what: string) => {
  expect(got.length, what).toBe(want.length);
  for (let i = 0; i < want.length; i++) expect(Math.abs(got[i] - want[i]), `${what}[${i}]: ${got[i]} vs ${want[i]}`).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(want[i])));
};

async function onnxruntime(file: string, c: Case, ids: boolean): Promise<Float32Array> {
  const s = await ort.InferenceSession.create(join(dir, `${file}.onnx`));
  const x = ids ? new ort.Tensor('int64', BigInt64Array.from(c.x.map(BigInt)), c.shape) : new ort.Tensor('float32', Float32Array.from(c.x), c.shape);
  return (await s.run({ x })).y.data as Float32Array;
}

/** Why each model is specialised: the node whose op needs the dims as numbers. */
const WHY = {
  lstm: /'x' \(its shape\): node '\/l\/LSTM' \(LSTM, opset \d+\): LSTM over the symbolic sequence length T of input 0 \(X\) \[T, N, 16\]: graphc unrolls the sequence at import, so its length must be known; it comes from the shape of graph input 'x', known at run time: graphc specialises the model on it/,
  gru: /'x' \(its shape\): node '\/g\/GRU' \(GRU, opset \d+\): GRU over the symbolic sequence length T of input 0 \(X\) \[T, N, 8\]: graphc unrolls the sequence/,
  // a dim computed from x's (H' after the convolution), read by Shape: no input carries it
  derived: /'x' \(its shape\): node '\/Mul' \(Mul, opset \d+\): input \d holds the symbolic dim [HW]', computed from the inputs' dims \(no input carries it to read its size at run time\); it comes from the shape of graph input 'x'/,
  unet: /'x' \(its shape\): node '\/u\/ConvTranspose' \(ConvTranspose, opset \d+\): ConvTranspose over the symbolic spatial dim H''' of \[N, 16, H''', W'''\]: graphc fixes its output's extent at import; it comes from the shape of graph input 'x'/,
};

describe.skipIf(!hasTorch || !hasOnnx)('a model specialised on the shape of an input whose symbolic dims an op needs as numbers', () => {
  for (const name of NAMES)
    for (const opset of [13, 17])
      it(`${name} at opset ${opset}, two shapes in one session: within 1e-5 of PyTorch and onnxruntime, one import per shape`, async () => {
        const file = `${name}${opset}`;
        const s = new OnnxSession(bytes(file));
        expect([...s.specializedOnShape.keys()]).toEqual(['x']);
        for (const c of [...ref[name], ref[name][0]]) {
          const y = s.run(feed(c)).get('y')!;
          expect(y.shape).toEqual(c.yshape);
          within(y.data, c.y, 1e-5, `${file} ${JSON.stringify(c.shape)} vs PyTorch`);
          within(y.data, await onnxruntime(file, c, name === 'lstm'), 1e-5, `${file} ${JSON.stringify(c.shape)} vs onnxruntime`);
        }
        const explained = s.explain();
        expect(explained).toContain("imported once per distinct shape of 'x' (2 imports so far");
        expect(explained).toMatch(WHY[name]);
      });

  it('importOnnx: asks for the shape of x in one line, and imports with the shapes option', () => {
    for (const name of NAMES) {
      let err: unknown;
      try {
        importOnnx(bytes(`${name}17`));
      } catch (e) {
        err = e;
      }
      expect(err, name).toBeInstanceOf(OnnxSpecializeError);
      expect((err as OnnxSpecializeError).shapes).toEqual(['x']);
      expect((err as Error).message).not.toContain('\n');
      // dims shown as shapes show them, never quoted ('H''''): H''' is H after three windows
      expect((err as Error).message).not.toMatch(/'[NTHW]'*'/);
      const c = ref[name][1];
      const m = importOnnx(bytes(`${name}17`), { shapes: new Map([['x', c.shape]]) });
      expect(m.graph.outputs[0].node.shape).toEqual(c.yshape);
    }
  });

  it('graphc run --explain and inspect: the LSTM and the U-Net for the shape given', async () => {
    for (const name of ['lstm', 'unet'] as const) {
      const c = ref[name][1];
      writeFileSync(join(dir, `${name}.json`), JSON.stringify({ shape: c.shape, data: c.x }));
      const r = await graphc(['run', join(dir, `${name}17.onnx`), '--input', `x=${join(dir, `${name}.json`)}`, '--json', '--explain'], { timeout: 120_000 });
      expect(r.status, r.stderr).toBe(0);
      within(JSON.parse(r.stdout).outputs.y.data, c.y, 1e-5, `graphc run ${name}17`);
      expect(r.stderr).toContain("specialisation: the model is imported once per distinct shape of 'x'");
      expect(r.stderr).toMatch(WHY[name]);
      const drawn = await graphc(['inspect', join(dir, `${name}17.onnx`), '--input', `x=${join(dir, `${name}.json`)}`], { timeout: 120_000 });
      expect(drawn.status, drawn.stderr).toBe(0);
      expect(drawn.stdout).toContain(`input x : [${c.shape.join(', ')}]`);
    }
  });
});
