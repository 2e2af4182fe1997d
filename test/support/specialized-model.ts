/**
 * A small ONNX model whose shapes are computed from its dynamic batch's size, as PyTorch writes
 * `h.reshape(h.size(0) * 2, 2)`: x [N, 4] → Gemm (a) → Reshape to [Shape(x)[0] * 2, 2] → MatMul (c) → Tanh →
 * Reshape to [Shape(x)[0], -1] → Gemm (b) → Sigmoid → p [N, 1]. graphc imports it once per batch size.
 * Beside it, the same model and its SGD steps on the BCE loss written out in float64 JavaScript
 * (`sgdReference`), by hand from the formulas: no graphc code computes the reference.
 */
import { DataType } from '../../export/proto.ts';
import { model, type NodeSpec } from '../fuzz/build.ts';

/** The initial parameters, by initializer name, row-major: a.w [4, 4] and a.b [4] (h = x·a.w + a.b), c.w [2, 3], b.w [6, 1], b.b [1]. */
export const INITIAL: Readonly<Record<string, readonly number[]>> = {
  'a.w': Array.from({ length: 16 }, (_, i) => Math.sin(1.3 * i + 0.4) * 0.6),
  'a.b': [0.1, -0.2, 0.05, 0.3],
  'c.w': Array.from({ length: 6 }, (_, i) => Math.cos(0.9 * i + 0.2) * 0.7),
  'b.w': Array.from({ length: 6 }, (_, i) => Math.sin(2.1 * i + 1) * 0.5),
  'b.b': [-0.1],
};
const DIMS: Readonly<Record<string, number[]>> = { 'a.w': [4, 4], 'a.b': [4], 'c.w': [2, 3], 'b.w': [6, 1], 'b.b': [1] };

const int64 = (name: string, dims: number[], ints: number[]): NodeSpec => ({ op: 'Constant', inputs: [], outputs: [name], attrs: [{ name: 'value', t: { dims, ints, dataType: DataType.INT64 } }] });

/** The model's file (opset 13), its initializers `INITIAL` stored as float32. */
export function reshapeModel(): Uint8Array {
  return model({
    opset: 13,
    inputs: [{ name: 'x', dims: ['N', 4] }],
    inits: Object.entries(INITIAL).map(([name, v]) => ({ name, dims: DIMS[name], floats: [...v] })),
    nodes: [
      int64('zero', [], [0]), int64('two', [], [2]), int64('axes', [1], [0]), int64('pair', [1], [2]), int64('rest', [1], [-1]),
      { op: 'Gemm', inputs: ['x', 'a.w', 'a.b'], outputs: ['h'] },
      { op: 'Shape', inputs: ['x'], outputs: ['s'] },
      { op: 'Gather', inputs: ['s', 'zero'], outputs: ['n'] },
      { op: 'Mul', inputs: ['n', 'two'], outputs: ['n2'] },
      { op: 'Unsqueeze', inputs: ['n2', 'axes'], outputs: ['u'] },
      { op: 'Concat', inputs: ['u', 'pair'], outputs: ['t'], attrs: [{ name: 'axis', i: 0 }] },
      { op: 'Reshape', inputs: ['h', 't'], outputs: ['r'] },
      { op: 'MatMul', inputs: ['r', 'c.w'], outputs: ['m'] },
      { op: 'Tanh', inputs: ['m'], outputs: ['k'] },
      { op: 'Unsqueeze', inputs: ['n', 'axes'], outputs: ['u1'] },
      { op: 'Concat', inputs: ['u1', 'rest'], outputs: ['t1'], attrs: [{ name: 'axis', i: 0 }] },
      { op: 'Reshape', inputs: ['k', 't1'], outputs: ['q'] },
      { op: 'Gemm', inputs: ['q', 'b.w', 'b.b'], outputs: ['z'] },
      { op: 'Sigmoid', inputs: ['z'], outputs: ['p'] },
    ],
    outputs: ['p'],
  });
}

type Params = Record<string, number[]>;

/** One row's forward pass: the hidden values a backward pass needs, and p. */
function forward(P: Params, x: readonly number[]) {
  const h = [0, 1, 2, 3].map((o) => P['a.b'][o] + [0, 1, 2, 3].reduce((s, i) => s + x[i] * P['a.w'][i * 4 + o], 0));
  // rows [h0, h1] and [h2, h3] of the [2N, 2] reshape, each times c.w [2, 3], through tanh; then the row's 6 values again
  const q = [0, 1].flatMap((j) => [0, 1, 2].map((c) => Math.tanh(h[2 * j] * P['c.w'][c] + h[2 * j + 1] * P['c.w'][3 + c])));
  const z = P['b.b'][0] + q.reduce((s, v, i) => s + v * P['b.w'][i], 0);
  return { h, q, p: 1 / (1 + Math.exp(-z)) };
}

/** The predictions for rows `x` (float64). */
export const predictReference = (params: Readonly<Record<string, readonly number[]>>, x: readonly (readonly number[])[]): number[] => x.map((r) => forward(params as Params, r).p);

/**
 * SGD without momentum on the mean BCE of batches of `batch` rows in order (the last shorter), for epochs
 * 0..epochs; each epoch's cost the mean of its batches' losses before their steps, as `fit` logs it.
 */
export function sgdReference(x: readonly (readonly number[])[], y: readonly number[], batch: number, epochs: number, lr: number): { costs: number[]; params: Params; accuracy: number } {
  const P: Params = Object.fromEntries(Object.entries(INITIAL).map(([k, v]) => [k, [...v]]));
  const costs: number[] = [];
  for (let e = 0; e <= epochs; e++) {
    const losses: number[] = [];
    for (let s = 0; s < x.length; s += batch) {
      const rows = x.slice(s, s + batch), B = rows.length;
      const G: Params = Object.fromEntries(Object.entries(P).map(([k, v]) => [k, v.map(() => 0)]));
      let loss = 0;
      rows.forEach((r, n) => {
        const { h, q, p } = forward(P, r), t = y[s + n];
        loss -= (t * Math.log(p) + (1 - t) * Math.log(1 - p)) / B;
        const dz = (p - t) / B;
        G['b.b'][0] += dz;
        const dm = q.map((v, i) => { G['b.w'][i] += dz * v; return dz * P['b.w'][i] * (1 - v * v); });
        const dh = [0, 0, 0, 0];
        for (let j = 0; j < 2; j++) for (let c = 0; c < 3; c++) for (let k = 0; k < 2; k++) {
          G['c.w'][k * 3 + c] += h[2 * j + k] * dm[j * 3 + c];
          dh[2 * j + k] += dm[j * 3 + c] * P['c.w'][k * 3 + c];
        }
        for (let o = 0; o < 4; o++) {
          G['a.b'][o] += dh[o];
          for (let i = 0; i < 4; i++) G['a.w'][i * 4 + o] += r[i] * dh[o];
        }
      });
      losses.push(loss);
      for (const k of Object.keys(P)) P[k] = P[k].map((v, i) => v - lr * G[k][i]);
    }
    costs.push(losses.reduce((a, b) => a + b, 0) / losses.length);
  }
  const right = x.filter((r, n) => (forward(P, r).p >= 0.5 ? 1 : 0) === y[n]).length;
  return { costs, params: P, accuracy: right / x.length };
}
