/**
 * Hostile ONNX files are refused with a one-line error that says what is wrong: no crash, no hang, and
 * no allocation of what a header claims. The loader is fuzzed with seeded byte flips and truncations.
 */
import { describe, expect, it } from 'vitest';
import { importOnnx, exportModel, OnnxImportError } from '../../export/index.ts';
import { onnx, DataType } from '../../export/proto.ts';
import { compileModel } from '../../compiler/passes/index.ts';
import toy from '../../graphs/toy.ts';
import { refused } from '../support/refused.ts';

const valid = exportModel(compileModel(toy.build(), { lr: 1 }), 'inference');
const decode = () => onnx.ModelProto.decode(valid);
const encode = (m: ReturnType<typeof decode>) => onnx.ModelProto.encode(m).finish();

describe('hostile ONNX files', () => {
  it('the valid file imports', () => expect(importOnnx(valid).graph.outputs[0].name).toBe('predict'));
  it('empty', () => refused(new Uint8Array(0), /empty file/));
  it('truncated', () => refused(valid.slice(0, Math.floor(valid.length / 2)), /truncated or corrupted/));
  it('not protobuf at all', () => refused(new TextEncoder().encode('this is not an onnx file\n'), /truncated or corrupted|no graph/));

  it('data shorter than its dims', () => {
    const m = decode();
    m.graph!.initializer![0].dims = [1000];
    refused(encode(m), /need 4000 bytes of data, the file holds \d+/);
  });
  it('huge dims are refused before anything is allocated', () => {
    const m = decode();
    m.graph!.initializer![0].dims = [1e9, 1e9];
    refused(encode(m), /claim \d+ elements, more than graphc accepts/);
  });
  it('negative dims', () => {
    const m = decode();
    m.graph!.initializer![0].dims = [-2, 1];
    refused(encode(m), /dimension -2 is negative/);
    const m2 = decode();
    m2.graph!.input![0].type!.tensorType!.shape!.dim![1] = { dimValue: -5 };
    refused(encode(m2), /input 'x': dimension -5 is negative/);
  });
  it('an unknown op', () => {
    const m = decode();
    m.graph!.node![0].opType = 'FrobnicateTensor';
    refused(encode(m), /\(FrobnicateTensor\): unsupported op; graphc imports Abs, (\w+, )*Add, /);
  });
  it('a cycle', () => {
    const m = decode();
    const nodes = m.graph!.node!;
    // the first node reads the last node's output: a cycle
    nodes[0].input = [nodes[nodes.length - 1].output![0], ...nodes[0].input!.slice(1)];
    refused(encode(m), /cycle/);
  });
  it('a missing input', () => {
    const m = decode();
    m.graph!.node![0].input = ['nowhere', ...m.graph!.node![0].input!.slice(1)];
    refused(encode(m), /reads 'nowhere', which no input, initializer or node defines/);
  });
  it('a non-float initializer used as data', () => {
    const m = decode();
    m.graph!.initializer![0].dataType = DataType.FLOAT16;
    refused(encode(m), /data type float16 \(10\) is not float32 or float64/);
  });
  it('a float64 initializer holding float32 data (half the bytes)', () => {
    const m = decode();
    m.graph!.initializer![0].dataType = DataType.DOUBLE;
    refused(encode(m), /need \d+ (bytes of data|values), the file holds \d+$/);
  });

  it('fuzz: 600 seeded flips and truncations never crash, hang or throw anything but a one-line refusal', () => {
    let s = 12345;
    const rand = (n: number) => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) % n);
    let accepted = 0;
    for (let i = 0; i < 600; i++) {
      const b = Uint8Array.from(valid.subarray(0, i % 3 === 0 ? rand(valid.length) : valid.length));
      for (let k = 0; k <= rand(4); k++) if (b.length) b[rand(b.length)] = rand(256);
      try {
        importOnnx(b);
        accepted++;
      } catch (e) {
        expect(e, `case ${i}: ${(e as Error).stack}`).toBeInstanceOf(OnnxImportError);
        expect((e as Error).message.includes('\n')).toBe(false);
      }
    }
    expect(accepted).toBeLessThan(600);
  });
});
