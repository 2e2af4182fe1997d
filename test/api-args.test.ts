/**
 * The package's functions called from plain JavaScript, where the types do not stop a wrong argument: each
 * is refused in one sentence naming the function and the parameter, never a crash deep inside or a NaN
 * result (PyTorch refuses a negative learning rate; float32 cannot hold 1e40 or 1e-50, which would train
 * as Infinity or not at all).
 */
import { describe, expect, it } from 'vitest';
import { train, predict, importOnnx, exportOnnx, attachLoss, defineModel, param, input, zeros, grad, useSourceMap, OnnxSpecializeError } from '../index.ts';
import { model as onnxModel } from './fuzz/build.ts';
import { DataType } from '../export/proto.ts';
import { inLeafScope } from '../compiler/ir/node.ts';
import toy from '../graphs/toy.ts';

const x = [[1, 2], [2, 3], [3, 1], [4, 3], [5, 3], [6, 2]];
const y = [0, 0, 0, 1, 1, 1];
const data = { x, y };
const js = <T>(v: unknown) => v as T;

describe('train() arguments', () => {
  it('the model: not a defineModel, a built model or anything else', async () => {
    for (const bad of [undefined, null, {}, 'graphs/toy.ts', 42]) {
      await expect(train(js(bad), { data })).rejects.toThrow(/^train: model must be a defineModel\(\{\.\.\.\}\) or a built model \(attachLoss\(await importOnnx\(bytes\), 'bce'\)\), got /);
    }
  });
  it('the options and their types', async () => {
    await expect(train(toy, js(null))).rejects.toThrow(/^train: options must be an object, got null$/);
    await expect(train(toy, js(5))).rejects.toThrow(/^train: options must be an object, got 5$/);
    await expect(train(toy, { data: js(42) })).rejects.toThrow(/^train: data must be CSV text, \{ x, y \} or a Dataset, got 42$/);
    await expect(train(toy, { data, onLog: js(5) })).rejects.toThrow(/^train: onLog must be a function, got 5$/);
    await expect(train(toy, { data, onEpoch: js('x') })).rejects.toThrow(/^train: onEpoch must be a function, got 'x'$/);
    await expect(train(toy, { data, options: js('loss=bce') })).rejects.toThrow(/^train: options\.options must be an object of strings/);
    await expect(train(toy, { data, epochs: js('3') })).rejects.toThrow(/epochs must be an integer 0 or more, got '3' \(a string\)$/);
  });
  it('a file name given as data, which is CSV text: said so, not "column 1 is not a number"', async () => {
    for (const name of ['data/toy.csv', 'toy.csv', '/tmp/x.txt']) {
      await expect(train(toy, { data: name })).rejects.toThrow(new RegExp(`^train: data is CSV text, and '${name.replace(/\./g, '\\.')}' is a file's name: read the file first \\(in Node, readFileSync\\(name, 'utf8'\\)\\)$`));
    }
    // CSV text without a comma can hold no x and y: the same words for any such text
    await expect(train(toy, { data: '1.5' })).rejects.toThrow(/^<csv>: expected at least 2 columns/);
  });
  it('an option name train() does not know (a typo would train on the defaults)', async () => {
    await expect(train(toy, js({ data, epoch: 3 }))).rejects.toThrow(/^train: unknown option 'epoch' \(did you mean 'epochs'\?\); the options are data, source, epochs, /);
    await expect(train(toy, js({ data, learningRate: 0.1 }))).rejects.toThrow(/^train: unknown option 'learningRate'; the options are /);
    await expect(train(toy, js({ data, batch_size: 2 }))).rejects.toThrow(/^train: unknown option 'batch_size' \(did you mean 'batchSize'\?\)/);
    expect((await train(toy, { data, epochs: 3, logEvery: 1 })).log).toHaveLength(4); // the known ones still train
  });
  it('a learning rate that is not a number, negative, or beyond float32', async () => {
    await expect(train(toy, { data, lr: js('abc') })).rejects.toThrow(/training lr must be a number 0 or more that float32 holds .*got 'abc' \(a string\)$/);
    for (const lr of [-1, 1e40, 1e-50]) await expect(train(toy, { data, lr })).rejects.toThrow(new RegExp(`training lr must be .*, got ${String(lr).replace('+', '\\+')}$`));
    await expect(train(toy, { data, lr: () => -0.1 })).rejects.toThrow(/learning-rate schedule gave -0\.1 at epoch 0, step 0/);
    await expect(train(toy, { data, lr: () => 1e39 })).rejects.toThrow(/learning-rate schedule gave 1e\+39 at epoch 0, step 0/);
    // 0 (as PyTorch allows) and a tiny rate float32 still holds train
    expect((await train(toy, { data, lr: 0, epochs: 1 })).params.W).toEqual([0, 0]);
    expect((await train(toy, { data, lr: 1e-40, epochs: 1 })).log.length).toBe(2);
  });
});

describe('data given as arrays', () => {
  it('a value that is not a number (a string, an array one level too deep, a boolean): named where it is, not "NaN is not a finite number"', async () => {
    await expect(train(toy, { data: { x: js([[1, 2], [3, 'four']]), y: [0, 1] } })).rejects.toThrow(/^data: x\[1\]\[1\] is 'four' \(a string\), not a number$/);
    await expect(train(toy, { data: { x: js([[[1, 2]], [[3, 4]]]), y: [0, 1] } })).rejects.toThrow(/^data: x\[0\]\[0\] is an array, not a number \(x is rows of numbers: an input of higher rank takes each row flat, row-major\)$/);
    await expect(train(toy, { data: { x: [[1, 2], [3, 4]], y: js(['0', '10']) } })).rejects.toThrow(/^data: y\[0\] is '0' \(a string\), not a number$/);
    await expect(train(toy, { data: { x: [[1, 2], [3, 4]], y: js([true, false]) } })).rejects.toThrow(/^data: y\[0\] is true, not a number$/);
    await expect(train(toy, { data: { x: [[1, 2], [3, 4]], y: js([[0], ['1']]) } })).rejects.toThrow(/^data: y\[1\]\[0\] is '1' \(a string\), not a number$/);
    // NaN is a number: refused as not finite, with its place
    await expect(train(toy, { data: { x: [[1, NaN]], y: [0] } })).rejects.toThrow(/^<memory>:1: column 2: NaN is not a finite number/);
  });
});

describe('the optimizer, as torch.optim refuses it', () => {
  it('a kind graphc does not have, an option the kind does not take (PyTorch\'s spelling too): refused, not trained with plain SGD', async () => {
    await expect(train(toy, { data, optimizer: js({ kind: 'rmsprop' }) })).rejects.toThrow(/optimizer: kind must be 'sgd', 'adam' or 'adamw', got 'rmsprop'$/);
    await expect(train(toy, { data, optimizer: js({ kind: 'Adam' }) })).rejects.toThrow(/optimizer: kind must be 'sgd', 'adam' or 'adamw', got 'Adam'$/);
    await expect(train(toy, { data, optimizer: js({ kind: 'adam', weight_decay: 0.1 }) })).rejects.toThrow(/optimizer: adam has no option 'weight_decay' \(did you mean 'weightDecay'\?\); its options are kind, betas, eps, weightDecay$/);
    // torch.optim.Adam(params, lr=0.001): here the rate is the training's, and was replaced by it in silence
    await expect(train(toy, { data, optimizer: js({ kind: 'adam', lr: 0.001 }) })).rejects.toThrow(/optimizer: lr is the training's rate, not the optimizer's: give it as lr beside optimizer \(train\(model, \{ lr \}\), or the model's train\.lr\)$/);
    await expect(train(toy, { data, optimizer: js({ momentum: 0.9, betas: [0.9, 0.99] }) })).rejects.toThrow(/optimizer: sgd has no option 'betas'; its options are kind, momentum, dampening, nesterov, weightDecay$/);
  });
  it('values out of range (torch.optim: "Invalid momentum value", "Invalid beta parameter", Nesterov without momentum)', async () => {
    await expect(train(toy, { data, optimizer: { kind: 'sgd', momentum: -1 } })).rejects.toThrow(/optimizer: sgd momentum must be a number 0 or more, got -1$/);
    await expect(train(toy, { data, optimizer: { kind: 'sgd', nesterov: true } })).rejects.toThrow(/optimizer: Nesterov momentum needs a momentum above 0 and no dampening, got momentum 0, dampening 0$/);
    await expect(train(toy, { data, optimizer: { kind: 'sgd', weightDecay: -0.1 } })).rejects.toThrow(/optimizer: sgd weightDecay must be a number 0 or more, got -0\.1$/);
    await expect(train(toy, { data, optimizer: { kind: 'adam', betas: [0.9, 1.5] } })).rejects.toThrow(/optimizer: adam betas must be two numbers in \[0, 1\), got \[0\.9, 1\.5\]$/);
    await expect(train(toy, { data, optimizer: { kind: 'adamw', eps: -1 } })).rejects.toThrow(/optimizer: adamw eps must be a number 0 or more, got -1$/);
    await expect(train(toy, { data, optimizer: { kind: 'adam', eps: js('1e-8') } })).rejects.toThrow(/optimizer: adam eps must be a number 0 or more, got '1e-8' \(a string\)$/);
    // in range, they train
    expect((await train(toy, { data, epochs: 2, optimizer: { kind: 'sgd', momentum: 0.9, nesterov: true, weightDecay: 0.01 } })).log.length).toBe(2);
    expect((await train(toy, { data, epochs: 2, optimizer: { kind: 'adam', betas: [0, 0.5], eps: 0 } })).log.length).toBe(2);
  });
});

describe('DSL and graph functions called from JavaScript', () => {
  it('param() without an initializer, input() without a name, grad() given tensors: said by the function, not an internal TypeError', () => {
    inLeafScope(() => {
      expect(() => param('w', [2], js(undefined))).toThrow(/^param: init must be an initializer such as zeros\(\) or normal\(\), got undefined$/);
      expect(() => param('w', [2], js(5))).toThrow(/^param: init must be an initializer such as zeros\(\) or normal\(\), got 5$/);
      expect(() => input(js(undefined), [2])).toThrow(/^input: name must be a non-empty string, got undefined$/);
      expect(() => param(js(''), [2], zeros())).toThrow(/^param: name must be a non-empty string, got ''$/);
      const x = input('x', ['N', 2]);
      expect(() => grad(js(x.sum()), js([x]))).toThrow(/^grad: y must be a graph node \(a tensor's \.node\), got a Tensor$/);
      expect(() => grad(x.sum().node, js([x]))).toThrow(/^grad: xs\[0\] must be a graph node \(a tensor's \.node\), got a Tensor$/);
      expect(grad(x.sum().node, [x.node])[0].shape).toEqual(['N', 2]);
    });
  });
  it('useSourceMap() given nothing: said by useSourceMap', () => {
    expect(() => useSourceMap(js(undefined))).toThrow(/^useSourceMap: expected a source map \(its JSON, as text or parsed, or a data: URL\), got undefined$/);
    expect(() => useSourceMap(js(null))).toThrow(/got null$/);
  });
  it('exportOnnx() of a model train() has not trained: said by exportOnnx', async () => {
    await expect(exportOnnx(js(toy))).rejects.toThrow(/^exportOnnx: expected the result of train\(\)/);
  });
});

describe('defineModel() arguments', () => {
  it('a spec without a name or a build function: refused where it is defined, not at the first build', () => {
    expect(() => defineModel(js<Parameters<typeof defineModel>[0]>({ name: 'm' }))).toThrow(TypeError);
    expect(() => defineModel(js<Parameters<typeof defineModel>[0]>({ name: 'm' }))).toThrow(/^defineModel: spec\.build must be a function returning \{ loss, predict \}, got undefined$/);
    expect(() => defineModel(js<Parameters<typeof defineModel>[0]>({ build: () => ({}) }))).toThrow(/^defineModel: spec\.name must be a non-empty string, got undefined$/);
    expect(() => defineModel(js<Parameters<typeof defineModel>[0]>(undefined))).toThrow(/^defineModel: spec must be an object \{ name, build, \.\.\. \}, got undefined$/);
  });
});

describe('predict(), importOnnx(), attachLoss() arguments', () => {
  it('predict: its input, and values that are not finite', async () => {
    const t = await train(toy, { data, epochs: 2 });
    expect(() => predict(t, js(undefined))).toThrow(/^predict: input must be \{ x \} \(rows of numbers, or numbers with shape\), got undefined$/);
    expect(() => predict(t, js({}))).toThrow(/^predict: input\.x must be an array .* got undefined$/);
    expect(() => predict(t, { x: [[1, NaN]] })).toThrow(/^<memory>:1: column 2: NaN is not a finite number/);
    expect(() => predict(t, { x: Float32Array.of(1, 2, Infinity, 4) })).toThrow(/^<memory>:2: column 1: Infinity is not a finite number/);
    expect(predict(t, { x: [[4, 2]] }).data.length).toBe(1);
  });
  it('importOnnx takes bytes (a Uint8Array, any typed array view or an ArrayBuffer) and names anything else', async () => {
    const t = await train(toy, { data, epochs: 2 });
    const bytes = await exportOnnx(t);
    await expect(importOnnx(js(undefined))).rejects.toThrow(/^importOnnx: bytes must be the model's bytes \(a Uint8Array or an ArrayBuffer\), got undefined$/);
    await expect(importOnnx(js('toy.onnx'))).rejects.toThrow(/^importOnnx: bytes must be .*, got 'toy\.onnx' \(read the file first\)$/);
    const copy = bytes.slice().buffer;
    expect((await importOnnx(js(copy))).graph.outputs.map((o) => o.name)).toEqual((await importOnnx(bytes)).graph.outputs.map((o) => o.name));
    expect((await importOnnx(js(new DataView(copy)))).params.map((p) => p.attrs.name)).toEqual(['W', 'b']);
  });
  it('importOnnx({ shapes }): a dynamic batch read by Shape into a Reshape, imported for the shape given; bad options named', async () => {
    // y = Reshape(x, [Shape(x)[0] * 2, 3]) over x ['N', 6]
    const C = (name: string, dims: number[], ints: number[]) => ({ op: 'Constant', inputs: [], outputs: [name], attrs: [{ name: 'value', t: { dims, ints, dataType: DataType.INT64 } }] });
    const bytes = onnxModel({
      opset: 13,
      inputs: [{ name: 'x', dims: ['N', 6] }],
      nodes: [
        C('zero', [], [0]), C('two', [], [2]), C('axes', [1], [0]), C('three', [1], [3]),
        { op: 'Shape', inputs: ['x'], outputs: ['s'] }, { op: 'Gather', inputs: ['s', 'zero'], outputs: ['n'] },
        { op: 'Mul', inputs: ['n', 'two'], outputs: ['n2'] }, { op: 'Unsqueeze', inputs: ['n2', 'axes'], outputs: ['u'] },
        { op: 'Concat', inputs: ['u', 'three'], outputs: ['t'], attrs: [{ name: 'axis', i: 0 }] }, { op: 'Reshape', inputs: ['x', 't'], outputs: ['y'] },
      ],
      outputs: ['y'],
    });
    await expect(importOnnx(bytes)).rejects.toThrow(OnnxSpecializeError);
    expect((await importOnnx(bytes, { shapes: { x: [5, 6] } })).graph.outputs[0].node.shape).toEqual([10, 3]);
    expect((await importOnnx(bytes, { shapes: new Map([['x', [1, 6]]]) })).graph.outputs[0].node.shape).toEqual([2, 3]);
    await expect(importOnnx(bytes, js({ shape: { x: [5, 6] } }))).rejects.toThrow(/^importOnnx: unknown option 'shape'; the options are shapes$/);
    await expect(importOnnx(bytes, js({ shapes: { x: '5,6' } }))).rejects.toThrow(/^importOnnx: options\.shapes\['x'\] must be an array of sizes \(numbers\)$/);
    await expect(importOnnx(bytes, { shapes: { x: [5, 7] } })).rejects.toThrow(/^input 'x': the shape bound \[5, 7\] has 7 at axis 1, where the input's is 6$/);
  });
  it('attachLoss: an imported model and a loss it knows', async () => {
    const m = await importOnnx(await exportOnnx(await train(toy, { data, epochs: 2 })));
    expect(() => attachLoss(m, js('xyz'))).toThrow(/^attachLoss: loss must be 'bce', 'mse' or 'ce', got 'xyz'$/);
    expect(() => attachLoss(js(null), 'bce')).toThrow(/^attachLoss: expected a model from importOnnx\(\), got null$/);
    expect(attachLoss(m, 'mse').forward.outputs.map((o) => o.name)).toEqual(['loss', 'predict']);
  });
});
