/**
 * `OnnxSession.run` takes its feeds as a Map or as an object by input name, as onnxruntime's sessions take
 * them, and refuses in one line a feed it cannot run: a name that is no input of the model, data that is
 * not a float array, a shape that is not one, or data of another size than its shape's. Expected values are
 * worked by hand from the ONNX Add operator's definition.
 */
import { describe, expect, it } from 'vitest';
import { OnnxImportError, OnnxSession } from '../../export/index.ts';
import { model } from '../fuzz/build.ts';

/** y = x + z over [2, 3]. */
const add = () => new OnnxSession(model({ opset: 13, inputs: [{ name: 'x', dims: [2, 3] }, { name: 'z', dims: [2, 3] }], nodes: [{ op: 'Add', inputs: ['x', 'z'], outputs: ['y'] }], outputs: ['y'] }));
const x = { data: Float32Array.from([1, 2, 3, 4, 5, 6]), shape: [2, 3] };
const z = { data: Float32Array.from([10, 20, 30, 40, 50, 60]), shape: [2, 3] };

describe('OnnxSession feeds', () => {
  it('takes an object by input name as it takes a Map', () => {
    const s = add();
    const fromObject = s.run({ x, z }).get('y')!;
    expect([...fromObject.data]).toEqual([11, 22, 33, 44, 55, 66]);
    expect(fromObject.shape).toEqual([2, 3]);
    expect([...s.run(new Map([['x', x], ['z', z]])).get('y')!.data]).toEqual([11, 22, 33, 44, 55, 66]);
  });

  it('refuses a name that is no input of the model, naming its inputs', () => {
    expect(() => add().run({ x, z, w: z })).toThrow(new OnnxImportError("'w' is not an input of the model (its inputs: 'x', 'z')"));
  });

  it('refuses data that is not a float array', () => {
    expect(() => add().run({ x, z: { data: [10, 20, 30, 40, 50, 60] as unknown as Float32Array, shape: [2, 3] } })).toThrow("input 'z': data must be a Float32Array (a Float64Array for a float64 input), not Array");
    expect(() => add().run({ x, z: { data: new Int32Array(6) as unknown as Float32Array, shape: [2, 3] } })).toThrow('not Int32Array');
  });

  it('refuses a shape that is not an array of non-negative integers', () => {
    expect(() => add().run({ x, z: { data: z.data, shape: [2, -3] } })).toThrow("input 'z': shape must be an array of non-negative integers, not [2,-3]");
    expect(() => add().run({ x, z: { data: z.data, shape: '2,3' as unknown as number[] } })).toThrow('shape must be an array');
  });

  it('refuses data of another size than its shape holds', () => {
    expect(() => add().run({ x, z: { data: z.data.subarray(0, 5), shape: [2, 3] } })).toThrow("input 'z': shape [2, 3] holds 6 values, and its data has 5");
    expect(() => add().run({ x, z: { data: Float32Array.from([...z.data, 70]), shape: [2, 3] } })).toThrow('and its data has 7');
  });
});
