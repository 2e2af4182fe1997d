/**
 * Float64 (double) models, computed in float32 (export/import-f64.ts): outputs the model declares float64
 * come out as Float64Array within the ONNX node tests' own tolerance of their expected outputs; the import
 * says once, in one line, how it computes them; integer outputs stay exact; and a value float32 cannot
 * hold (an initializer, a constant, a fed value, or one the computation reaches) is refused in one line,
 * never handed out. Models are written with onnx-proto here, field by field.
 */
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { importOnnx, OnnxImportError, OnnxSession } from '../../export/index.ts';
import { onnx, DataType } from '../../export/proto.ts';
import { NODE_TESTS, hasNodeTests, sayIfMissing } from '../support/missing.ts';
import { refused } from '../support/refused.ts';

sayIfMissing(`ONNX node tests (${NODE_TESTS}, Debian's libonnx-testdata)`, hasNodeTests, 'float64.test');

const AT = onnx.AttributeProto.AttributeType;
const vi = (name: string, elemType: number, dims: number[]) => ({ name, type: { tensorType: { elemType, shape: { dim: dims.map((d) => ({ dimValue: d })) } } } });
type NodeSpec = { opType: string; input: string[]; output: string[]; attribute?: object[] };

/** A model of `nodes` over a float64 input x [2, 3]; `outputs` by name and ONNX type. */
function model(nodes: NodeSpec[], outputs: [string, number][], initializer: object[] = [], xType: number = DataType.DOUBLE): Uint8Array {
  return onnx.ModelProto.encode({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }],
    graph: { name: 'g', node: nodes, input: [vi('x', xType, [2, 3])], output: outputs.map(([n, t]) => ({ name: n, type: { tensorType: { elemType: t } } })), initializer },
  }).finish();
}
const double = (name: string, values: number[], dims: number[]) => ({ name, dataType: DataType.DOUBLE, dims, doubleData: values });
const run = (bytes: Uint8Array, x: number[]) => new OnnxSession(bytes).run(new Map([['x', { data: Float64Array.from(x), shape: [2, 3] }]]));
const runError = (bytes: Uint8Array, x: number[]): string => {
  try {
    run(bytes, x);
  } catch (e) {
    expect(e).toBeInstanceOf(OnnxImportError);
    return (e as Error).message;
  }
  return 'ran';
};

/** A node test's model, inputs and expected outputs (float64 read as numbers). */
function nodeTest(name: string) {
  const dir = join(NODE_TESTS, name);
  const read = (f: string) => {
    const t = onnx.TensorProto.decode(readFileSync(join(dir, 'test_data_set_0', f)));
    const raw = t.rawData!;
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const width = t.dataType === DataType.DOUBLE ? 8 : 4;
    const data = Array.from({ length: raw.byteLength / width }, (_, i) => (width === 8 ? view.getFloat64(i * 8, true) : view.getFloat32(i * 4, true)));
    return { dtype: t.dataType, dims: (t.dims ?? []).map(Number), data };
  };
  const files = readdirSync(join(dir, 'test_data_set_0'));
  return { bytes: new Uint8Array(readFileSync(join(dir, 'model.onnx'))), inputs: files.filter((f) => f.startsWith('input_')).sort().map(read), outputs: files.filter((f) => f.startsWith('output_')).sort().map(read) };
}

describe.skipIf(!hasNodeTests)('float64 node tests against their own expected outputs', () => {
  for (const name of ['test_reduce_log_sum_exp_keepdims_random', 'test_reduce_log_sum_exp_do_not_keepdims_random', 'test_max_float64', 'test_cast_FLOAT_to_DOUBLE', 'test_cast_DOUBLE_to_FLOAT'])
    it(`${name}: within rtol 1e-3, atol 1e-7, of the output's declared type`, () => {
      const t = nodeTest(name);
      const session = new OnnxSession(t.bytes);
      expect(session.notes).toHaveLength(1);
      const names = session.inputs.map((n) => String(n.attrs.name));
      const out = [...session.run(new Map(t.inputs.map((x, k) => [names[k], { data: x.dtype === DataType.DOUBLE ? Float64Array.from(x.data) : Float32Array.from(x.data), shape: x.dims }])))];
      out.forEach(([, got], k) => {
        const want = t.outputs[k];
        expect(got.data instanceof Float64Array).toBe(want.dtype === DataType.DOUBLE);
        expect(got.shape).toEqual(want.dims);
        want.data.forEach((w, i) => expect(Math.abs(got.data[i] - w), `[${i}] ${got.data[i]} vs ${w}`).toBeLessThanOrEqual(1e-7 + 1e-3 * Math.abs(w)));
      });
    });
});

describe('a float64 model, computed in float32', () => {
  const affine = model(
    [
      { opType: 'Mul', input: ['x', 'w'], output: ['m'] },
      { opType: 'Add', input: ['m', 'b'], output: ['y'] },
      { opType: 'ArgMax', input: ['y'], output: ['k'], attribute: [{ name: 'axis', type: AT.INT, i: 1 }, { name: 'keepdims', type: AT.INT, i: 0 }] },
    ],
    [['y', DataType.DOUBLE], ['k', DataType.INT64]],
    [double('w', [0.5, -2, 4], [3]), double('b', [0.25], [])],
  );

  it('says so once, in one line, and a float32 model says nothing', () => {
    const m = importOnnx(affine);
    expect(m.notes).toEqual([expect.stringMatching(/^the model's float64 tensors are computed in float32 \(.*\)$/)]);
    expect(m.float64.inputs).toEqual(new Set(['x']));
    expect(m.float64.outputs).toEqual(new Set(['y']));
    expect(importOnnx(model([{ opType: 'Relu', input: ['x'], output: ['y'] }], [['y', DataType.FLOAT]], [], DataType.FLOAT)).notes).toEqual([]);
  });

  it('hands out float64 outputs as Float64Array, integer outputs exact', () => {
    const out = run(affine, [1, 2, 3, -1, -2, -3]);
    const y = out.get('y')!;
    expect(y.data).toBeInstanceOf(Float64Array);
    expect(y.dtype).toBe('f64');
    // x·w + b: every value exact in float32
    expect(Array.from(y.data)).toEqual([0.75, -3.75, 12.25, -0.25, 4.25, -11.75]);
    expect(out.get('k')!.dtype).toBe('i64');
    expect(Array.from(out.get('k')!.data)).toEqual([2, 1]);
  });

  it('Cast to DOUBLE of an integer constant and of a float32 tensor', () => {
    const m = model(
      [
        { opType: 'Cast', input: ['n'], output: ['nd'], attribute: [{ name: 'to', type: AT.INT, i: DataType.DOUBLE }] },
        { opType: 'Cast', input: ['x'], output: ['xd'], attribute: [{ name: 'to', type: AT.INT, i: DataType.DOUBLE }] },
        { opType: 'Add', input: ['xd', 'nd'], output: ['y'] },
      ],
      [['y', DataType.DOUBLE]],
      [{ name: 'n', dataType: DataType.INT64, dims: [3], int64Data: [1, 2, 3] }],
      DataType.FLOAT,
    );
    const y = new OnnxSession(m).run(new Map([['x', { data: Float32Array.of(0.5, 0, -1, 1, 1, 1), shape: [2, 3] }]])).get('y')!;
    expect(y.data).toBeInstanceOf(Float64Array);
    expect(Array.from(y.data)).toEqual([1.5, 2, 2, 2, 3, 4]);
  });

  it('refuses a float64 initializer or constant that float32 cannot hold', () => {
    refused(model([{ opType: 'Add', input: ['x', 'b'], output: ['y'] }], [['y', DataType.DOUBLE]], [double('b', [1e300], [])]), /^initializer 'b': float64 value 0 is 1e\+300, beyond float32's range/);
    refused(model([{ opType: 'Add', input: ['x', 'b'], output: ['y'] }], [['y', DataType.DOUBLE]], [double('b', [-1e-300], [])]), /^initializer 'b': float64 value 0 is -1e-300, below float32's smallest normal magnitude/);
    const constant = [{ opType: 'Constant', input: [], output: ['c'], attribute: [{ name: 'value', type: AT.TENSOR, t: double('', [1, 5e38], [2]) }] }];
    refused(model(constant, [['c', DataType.DOUBLE]]), /Constant.*: float64 value 1 is 5e\+38, beyond float32's range/);
  });

  it('refuses a fed float64 value that float32 cannot hold', () => {
    expect(runError(affine, [1, 2, 3, 4, 1e39, 6])).toMatch(/^input 'x': float64 value 4 is 1e\+39, beyond float32's range/);
    expect(runError(affine, [1, 2, 3, 4, 5e-324, 6])).toMatch(/^input 'x': float64 value 4 is 5e-324, below float32's smallest normal/);
  });

  it("refuses a float64 tensor that left float32's range on the way, passes what the inputs brought", () => {
    const exp = model([{ opType: 'Exp', input: ['x'], output: ['y'] }], [['y', DataType.DOUBLE]]);
    // e^100 is finite in float64, Infinity in float32
    expect(runError(exp, [0, 1, 2, 3, 100, 5])).toMatch(/^float64 tensor 'y' \(node 0\): value 4 is Infinity from finite inputs;/);
    // an infinite input, or constant: Infinity is float64's answer too
    expect(Array.from(run(exp, [0, 0, 0, 0, Infinity, 0]).get('y')!.data)).toEqual([1, 1, 1, 1, Infinity, 1]);
    const masked = model(
      [
        { opType: 'Constant', input: [], output: ['c'], attribute: [{ name: 'value', type: AT.TENSOR, t: double('', [0, -Infinity, 0], [3]) }] },
        { opType: 'Add', input: ['x', 'c'], output: ['y'] },
      ],
      [['y', DataType.DOUBLE]],
    );
    expect(Array.from(run(masked, [1, 2, 3, 4, 5, 6]).get('y')!.data)).toEqual([1, -Infinity, 3, 4, -Infinity, 6]);
  });

  it('refuses an overflow hidden from the outputs: an int64 ArgMax over float64 values past float32', () => {
    // e^100 < e^101 in float64; both Infinity in float32, where ArgMax would answer 0 instead of 1
    const argmax = model(
      [
        { opType: 'Exp', input: ['x'], output: ['e'] },
        { opType: 'ArgMax', input: ['e'], output: ['k'], attribute: [{ name: 'axis', type: AT.INT, i: 1 }, { name: 'keepdims', type: AT.INT, i: 0 }] },
      ],
      [['k', DataType.INT64]],
    );
    expect(runError(argmax, [100, 101, 0, 0, 1, 2])).toMatch(/^float64 tensor 'e' \(node 0\): value 0 is Infinity from finite inputs;/);
    expect(Array.from(run(argmax, [10, 11, 0, 0, 1, 2]).get('k')!.data)).toEqual([1, 2]);
  });
});
