/**
 * RNN, GRU and LSTM: what the import does not compute is refused in one line naming the node, the op and
 * what it is (clip, other activations, input_forget, a sequence_lens fed at run time,
 * out of range, or shorter than the sequence over a batch it does not match);
 * a symbolic sequence length asks for X's shape (the model is specialised on it); the forms it reads
 * build the output shapes ONNX defines. Models are written with onnx-proto, field by field.
 */
import { describe, expect, it } from 'vitest';
import { importOnnx, OnnxSpecializeError } from '../../export/index.ts';
import { onnx, DataType } from '../../export/proto.ts';
import { refused } from '../support/refused.ts';
import { MAX_SEQUENCE } from '../../export/import-rnn.ts';

const AT = onnx.AttributeProto.AttributeType;
type Attr = { name: string; type: number; i?: number; f?: number; floats?: number[]; strings?: Uint8Array[] };
const str = (name: string, ...v: string[]): Attr => ({ name, type: AT.STRINGS, strings: v.map((s) => new TextEncoder().encode(s)) });
const int = (name: string, i: number): Attr => ({ name, type: AT.INT, i });
const gatesOf: Record<string, number> = { RNN: 1, GRU: 3, LSTM: 4 };

/** op over X [S, 2, 3] (S may be a name), hidden size 4; W and R initializers; sequence_lens given when `lens`. */
function model(op: string, attrs: Attr[], opts: { seq?: number | string; batch?: number | string; dirs?: number; lens?: number[] | 'input'; layout?: number; outputs?: string[] } = {}): Uint8Array {
  const [S, N, D, G, H] = [opts.seq ?? 5, opts.batch ?? 2, opts.dirs ?? 1, gatesOf[op], 4];
  const dim = (d: number | string) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d });
  const xShape = opts.layout ? [N, S, 3] : [S, N, 3];
  const init = (name: string, dims: number[]) => ({ name, dataType: DataType.FLOAT, dims, floatData: Array.from({ length: dims.reduce((p, d) => p * d, 1) }, (_, i) => Math.sin(i) / 4) });
  const initializer = [init('W', [D, G * H, 3]), init('R', [D, G * H, H])];
  const inputs = ['X', 'W', 'R'];
  if (opts.lens) inputs.push('', 'L');
  if (Array.isArray(opts.lens)) initializer.push({ name: 'L', dataType: DataType.INT32, dims: [opts.lens.length], int32Data: opts.lens } as never);
  const lensInput = opts.lens === 'input' ? [{ name: 'L', type: { tensorType: { elemType: DataType.INT32, shape: { dim: [dim(N)] } } } }] : [];
  const outputs = opts.outputs ?? ['Y', 'Y_h'];
  return onnx.ModelProto.encode({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }],
    graph: {
      name: 'g',
      node: [{ name: 'n0', opType: op, input: inputs, output: outputs, attribute: [int('hidden_size', H), ...(opts.layout ? [int('layout', 1)] : []), ...(D === 2 ? [{ name: 'direction', type: AT.STRING, s: new TextEncoder().encode('bidirectional') }] : []), ...attrs] }],
      input: [{ name: 'X', type: { tensorType: { elemType: DataType.FLOAT, shape: { dim: xShape.map(dim) } } } }, ...lensInput],
      output: outputs.filter(Boolean).map((name) => ({ name })),
      initializer,
    },
  }).finish();
}

describe('RNN, GRU and LSTM: what is not read is refused by name', () => {
  it('a symbolic sequence length: the model is specialised on the shape of X, importable with it', () => {
    refused(model('LSTM', [], { seq: 'T' }), /^node 'n0' \(LSTM, opset 17\): LSTM over the symbolic sequence length T of input 0 \(X\) \[T, 2, 3\]: graphc unrolls the sequence at import, so its length must be known; it comes from the shape of graph input 'X', known at run time: graphc specialises the model on it \(.*importOnnx's shapes option\)$/);
    expect(() => importOnnx(model('LSTM', [], { seq: 'T' }))).toThrow(OnnxSpecializeError);
    expect(importOnnx(model('LSTM', [], { seq: 'T' }), { shapes: new Map([['X', [4, 2, 3]]]) }).graph.outputs.map((o) => o.node.shape)).toEqual([[4, 1, 2, 4], [1, 2, 4]]);
  });
  it('a sequence longer than MAX_SEQUENCE', () => refused(model('RNN', [], { seq: MAX_SEQUENCE + 1 }), new RegExp(`\\(RNN, opset 17\\): RNN over a sequence of ${MAX_SEQUENCE + 1} steps, more than graphc unrolls \\(${MAX_SEQUENCE}\\)$`)));
  it('clip', () => refused(model('GRU', [{ name: 'clip', type: AT.FLOAT, f: 3 }]), /\(GRU, opset 17\): attribute 'clip' not supported \(cell clipping\)$/));
  it('an activation other than Sigmoid, Tanh and Relu', () => refused(model('RNN', [str('activations', 'LeakyRelu')]), /\(RNN, opset 17\): activation 'LeakyRelu' not supported \(graphc reads Sigmoid, Tanh and Relu\)$/));
  it('activation_alpha', () => refused(model('RNN', [str('activations', 'Relu'), { name: 'activation_alpha', type: AT.FLOATS, floats: [0.5] }]), /attribute 'activation_alpha' not supported/));
  it('too few activations for a bidirectional GRU', () => refused(model('GRU', [str('activations', 'Sigmoid', 'Tanh')], { dirs: 2 }), /GRU with 2 activations \(expected 4: 2 per direction\)$/));
  it('input_forget 1', () => refused(model('LSTM', [int('input_forget', 1)]), /\(LSTM, opset 17\): input_forget 1 not supported/));
  it('sequence_lens past the sequence, or negative', () => {
    refused(model('GRU', [], { lens: [5, 6] }), /\(GRU, opset 17\): sequence_lens \[5, 6\] \(expected lengths from 0 to the sequence's 5\)$/);
    refused(model('RNN', [], { lens: [-1, 2] }), /\(RNN, opset 17\): sequence_lens \[-1, 2\] \(expected lengths from 0 to the sequence's 5\)$/);
  });
  it('sequence_lens shorter than the sequence over a symbolic batch, or of another size than the batch', () => {
    refused(model('LSTM', [], { batch: 'N', lens: [5, 3] }), /\(LSTM, opset 17\): sequence_lens of 2 values for a batch of N \(input 0, X of shape \[5, N, 3\]\): graphc masks each step at import, so the batch must be static and match$/);
    refused(model('GRU', [], { lens: [5, 3, 2] }), /sequence_lens of 3 values for a batch of 2 /);
  });
  it('sequence_lens fed at run time', () => refused(model('GRU', [], { lens: 'input' }), /\(GRU, opset 17\): .*sequence_lens decides where each sequence of the GRU ends/));
  it('linear_before_reset on an LSTM (a GRU attribute)', () => refused(model('LSTM', [int('linear_before_reset', 1)]), /attribute 'linear_before_reset' not supported/));
});

describe('RNN, GRU and LSTM: output shapes', () => {
  const shapes = (bytes: Uint8Array) => Object.fromEntries(importOnnx(bytes).graph.outputs.map((o) => [o.name, o.node.shape]));
  it('layout 0, bidirectional: Y [S, 2, N, H], Y_h and Y_c [2, N, H]', () =>
    expect(shapes(model('LSTM', [], { dirs: 2, outputs: ['Y', 'Y_h', 'Y_c'], lens: [5, 5] }))).toEqual({ Y: [5, 2, 2, 4], Y_h: [2, 2, 4], Y_c: [2, 2, 4] }));
  it('layout 1: Y [N, S, D, H], Y_h [N, D, H]; Y omitted', () => {
    expect(shapes(model('GRU', [int('linear_before_reset', 1)], { layout: 1, dirs: 2 }))).toEqual({ Y: [2, 5, 2, 4], Y_h: [2, 2, 4] });
    expect(shapes(model('RNN', [str('activations', 'Relu')], { layout: 1, outputs: ['', 'Y_h'] }))).toEqual({ Y_h: [2, 1, 4] });
  });
});
