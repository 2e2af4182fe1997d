/** The DSL's convolution, pooling, normalization, dropout and flatten: what each builds, with its shape. */
import { describe, expect, it } from 'vitest';
import { AvgPool2d, BatchNorm1d, BatchNorm2d, Conv2d, MaxPool2d, avgPool2d, batchNorm, conv2d, dropout, flatten, globalAvgPool, gridSample, input, interpolate, maxPool2d, param, zeros, ones } from '../../compiler/index.ts';

const x = input('x', ['N', 2, 8, 7]);
const w = param('w', [4, 1, 3, 3], zeros());
const b = param('b', [4], zeros());

describe('vision ops in the DSL', () => {
  it('conv2d: options as torch names them, method and function alike', () => {
    const y = x.conv2d(w, b, { stride: 2, padding: 1, groups: 2 });
    expect(y.node.op).toBe('Conv');
    expect(y.node.attrs).toMatchObject({ stride: [2, 2], pads: [1, 1, 1, 1], dilation: [1, 1], group: 2 });
    expect(y.shape).toEqual(['N', 4, 4, 4]);
    expect(conv2d(x, w, undefined, { padding: [1, 0], dilation: [1, 2], groups: 2 }).shape).toEqual(['N', 4, 8, 3]);
  });

  it('pooling: the stride defaults to the kernel', () => {
    expect(x.maxPool2d(2).shape).toEqual(['N', 2, 4, 3]);
    expect(maxPool2d(x, 2, { ceilMode: true }).shape).toEqual(['N', 2, 4, 4]);
    const a = avgPool2d(x, [3, 2], { stride: 1, padding: [1, 1], countIncludePad: false });
    expect(a.node.op).toBe('AvgPool');
    expect(a.shape).toEqual(['N', 2, 8, 8]);
    expect(globalAvgPool(x).shape).toEqual(['N', 2, 1, 1]);
    expect(x.avgPool2d(2).node.attrs).toMatchObject({ kernel: [2, 2], stride: [2, 2], countIncludePad: true });
  });

  it('interpolate: a size or a scale factor, nearest or bilinear (values against PyTorch in interpolate.slow.test.ts)', () => {
    const y = x.interpolate({ scaleFactor: 2 });
    expect(y.node.op).toBe('Resize');
    expect(y.shape).toEqual(['N', 2, 16, 14]);
    expect(y.node.attrs).toMatchObject({ mode: 'nearest', coord: 'asymmetric', nearest: 'floor', scales: [1, 1, 2, 2] });
    expect(interpolate(x, { size: [3, 5], mode: 'bilinear' }).node.attrs).toMatchObject({ mode: 'linear', coord: 'half_pixel', shape: ['N', 2, 3, 5] });
    expect(interpolate(x, { scaleFactor: [1.5, 0.5], mode: 'bilinear', alignCorners: true }).shape).toEqual(['N', 2, 12, 3]);
    expect(() => interpolate(x, { size: 4, scaleFactor: 2 })).toThrow(/exactly one of size and scaleFactor/);
    expect(() => interpolate(x, { scaleFactor: 2, alignCorners: true })).toThrow(/bilinear only/);
    expect(() => interpolate(x, { scaleFactor: 0.1 })).toThrow(/output size \[0,0\]/);
  });

  it('gridSample: PyTorch\'s defaults (bilinear, zeros, alignCorners false), its options (values against PyTorch in grid-sample.slow.test.ts)', () => {
    const grid = input('grid', ['N', 3, 5, 2]);
    const y = gridSample(x, grid);
    expect([y.node.op, y.node.attrs, y.shape]).toEqual(['GridSample', { mode: 'bilinear', padding: 'zeros', align: false }, ['N', 2, 3, 5]]);
    expect(gridSample(x, grid, { mode: 'bicubic', paddingMode: 'reflection', alignCorners: true }).node.attrs).toEqual({ mode: 'bicubic', padding: 'reflection', align: true });
    expect(() => gridSample(x, grid, { mode: 'area' as 'nearest' })).toThrow(/gridSample: mode 'area'/);
    expect(() => gridSample(x, grid, { padding_mode: 'border' } as object)).toThrow(/gridSample: no option 'padding_mode'/);
  });

  it('flatten keeps the batch axis', () => {
    expect(x.flatten().shape).toEqual(['N', 112]);
    expect(flatten(x, 2).shape).toEqual(['N', 2, 56]);
  });

  it('batchNorm: training (running statistics move) by default, evaluation on request', () => {
    const s = param('s', [2], ones()), m = param('m', [2], zeros()), v = param('v', [2], ones());
    const t = batchNorm(x, s, b.reshape([2, 2]).sum(1), m, v);
    expect(t.node.op).toBe('BatchNormTrain');
    expect(t.node.attrs).toMatchObject({ eps: 1e-5, momentum: 0.1 });
    expect(batchNorm(x, s, s, m, v, { training: false, eps: 1e-3 }).node.attrs).toEqual({ eps: 1e-3 });
  });

  it('dropout: x times a mask drawn per run, each call its own stream', () => {
    const d = dropout(x, 0.25), e = x.dropout(0.25);
    expect(d.node.op).toBe('Dropout');
    expect(d.node.inputs[1].op).toBe('DropoutMask');
    expect(d.node.inputs[1].attrs.seed).not.toBe(e.node.inputs[1].attrs.seed);
    expect(x.dropout(0.5, 7).node.inputs[1].attrs).toEqual({ p: 0.5, seed: 7 });
  });
});

describe('convolutional layers', () => {
  it('Conv2d draws as nn.Conv2d does: Linear\'s rule with fan-in in/groups·kh·kw, weight then bias', async () => {
    const { Conv2d, MaxPool2d, Flatten, Dropout, manualSeed, TorchGenerator } = await import('../../compiler/index.ts');
    manualSeed(3);
    const c = new Conv2d(2, 4, 3, { padding: 1 }, 'c1');
    const ref = new TorchGenerator(3).linearInit(18, 4);
    expect(c.weight.shape).toEqual([4, 2, 3, 3]);
    expect(Array.from(c.weight.node.attrs.init as Float32Array)).toEqual(Array.from(ref.weight));
    expect(Array.from(c.bias!.node.attrs.init as Float32Array)).toEqual(Array.from(ref.bias));
    const g = new Conv2d(4, 6, [2, 3], { groups: 2, bias: false });
    expect(g.weight.shape).toEqual([6, 2, 2, 3]);
    expect(g.bias).toBeUndefined();
    const y = new Flatten().forward(new MaxPool2d(2).forward(c.forward(x).relu()));
    expect(y.shape).toEqual(['N', 48]);
    expect(new Dropout(0.1).forward(y).node.op).toBe('Dropout');
  });
});

describe('batch normalization layers', () => {
  it('BatchNorm1d/2d hold nn.BatchNorm\'s state under its state_dict names, and build BatchNormTrain', async () => {
    const { BatchNorm1d, BatchNorm2d, Linear } = await import('../../compiler/index.ts');
    const bn = new BatchNorm2d(2);
    const init = (t: { node: { attrs: Record<string, unknown> } }) => Array.from(t.node.attrs.init as Float32Array);
    expect([bn.weight, bn.bias, bn.runningMean, bn.runningVar].map((t) => t.node.attrs.name)).toEqual(['bn.weight', 'bn.bias', 'bn.running_mean', 'bn.running_var']);
    expect([bn.weight, bn.bias, bn.runningMean, bn.runningVar].map(init)).toEqual([[1, 1], [0, 0], [0, 0], [1, 1]]);
    const y = bn.forward(x);
    expect(y.shape).toEqual(['N', 2, 8, 7]);
    expect(y.node.op).toBe('BatchNormTrain');
    expect(y.node.attrs).toEqual({ eps: 1e-5, momentum: 0.1 });
    const h = new Linear(3, 4).forward(input('v', ['N', 3]));
    const b1 = new BatchNorm1d(4, { momentum: 0.2, eps: 1e-3 }, 'bn1');
    expect(b1.forward(h).node.attrs).toEqual({ eps: 1e-3, momentum: 0.2 });
    expect(b1.forward(input('s', ['N', 4, 5])).shape).toEqual(['N', 4, 5]);
    expect(() => bn.forward(input('q', ['N', 2]) as never)).toThrow(/BatchNorm2d\(2\): expects x of rank 4, got \[N, 2\]/);
    expect(() => b1.forward(input('r', ['N', 3]) as never)).toThrow(/BatchNorm1d\(4\): x has 3 channels/);
  });

  it('a window\'s stride, dilation, padding and groups out of range: one line naming the op and what was given', () => {
    const one = (f: () => unknown) => {
      let message = '';
      try { f(); } catch (e) { message = (e as Error).message; }
      expect(message.split('\n')).toHaveLength(1);
      return message;
    };
    // a JavaScript model (or one built with --no-check) can pass what the types refuse; its shapes were NaN
    expect(one(() => x.conv2d(w, b, { stride: 0, groups: 2 }))).toMatch(/Conv: stride must be integers 1 or more, got \[0, 0\]$/);
    expect(one(() => x.conv2d(w, b, { padding: 'same' as never, groups: 2 }))).toMatch(/Conv: padding must be integers 0 or more, got \['s', 'a', 's', 'a'\]$/);
    expect(one(() => x.conv2d(w, b, { dilation: 1.5, groups: 2 }))).toMatch(/Conv: dilation must be integers 1 or more, got \[1.5, 1.5\]$/);
    expect(one(() => x.conv2d(w, b, { groups: 0 }))).toMatch(/Conv: /);
    expect(one(() => x.maxPool2d(2, { stride: 0 }))).toMatch(/MaxPool: stride must be integers 1 or more, got \[0, 0\]$/);
    expect(one(() => x.avgPool2d(2.5 as never))).toMatch(/AvgPool: kernel must be integers 1 or more, got \[2.5,2.5\]$/);
    expect(one(() => new Conv2d(8, 6, 3, { groups: 3 }))).toMatch(/Conv2d\(8, 6\): 8 input channels do not split into 3 groups$/);
    expect(one(() => new Conv2d(8, 6, 3, { groups: 4 }))).toMatch(/Conv2d\(8, 6\): 6 output channels do not split into 4 groups$/);
    // an option graphc does not have (PyTorch's, or a misspelling) would be ignored, training something else
    expect(one(() => new Conv2d(1, 4, 3, { paddingMode: 'reflect' } as never))).toMatch(/Conv2d: no option 'paddingMode' \(graphc's Conv2d takes stride, padding, dilation, groups, bias\)$/);
    expect(one(() => new BatchNorm2d(4, { affine: false } as never))).toMatch(/BatchNorm2d: no option 'affine' \(graphc's BatchNorm2d takes eps, momentum\)$/);
    expect(one(() => new BatchNorm1d(4, { trackRunningStats: false } as never))).toMatch(/BatchNorm1d: no option 'trackRunningStats'/);
    expect(one(() => new MaxPool2d(2, { dilation: 2 } as never))).toMatch(/MaxPool2d: no option 'dilation' \(graphc's MaxPool2d takes stride, padding, ceilMode\)$/);
    expect(one(() => new AvgPool2d(2, { divisorOverride: 3 } as never))).toMatch(/AvgPool2d: no option 'divisorOverride'/);
    expect(one(() => x.conv2d(w, b, { bias: false, groups: 2 } as never))).toMatch(/conv2d: no option 'bias'/);
    expect(one(() => x.avgPool2d(2, { ceil_mode: true } as never))).toMatch(/avgPool2d: no option 'ceil_mode' \(graphc's avgPool2d takes stride, padding, ceilMode, countIncludePad\)$/);
    expect(one(() => x.interpolate({ scaleFactor: 2, antialias: true } as never))).toMatch(/interpolate: no option 'antialias'/);
    // the options it has still build (Conv2d's bias is the layer's, not the convolution's)
    expect(new Conv2d(2, 4, 3, { padding: 1, groups: 2, bias: false }).forward(x).shape).toEqual(['N', 4, 8, 7]);
  });
});

