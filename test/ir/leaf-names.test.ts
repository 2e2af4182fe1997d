/** A model's inputs and parameters are fed and saved by name: two different leaves with one name are refused. */
import { describe, expect, it } from 'vitest';
import { defineModel, input, param, binaryCrossEntropy, zeros, BatchNorm1d, Linear, type Tensor } from '../../compiler/index.ts';
import { GraphError } from '../../compiler/ir/errors.ts';

const fill = (v: number) => (_: unknown, shape: readonly number[]) => new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(v);

describe('leaf names', () => {
  it('two parameters named w', () => {
    const m = defineModel({
      name: 'dup',
      build() {
        const x = input('x', ['N', 2]), y = input('y', ['N', 1]);
        const p = x.matmul(param('w', [2, 1], fill(0))).add(x.matmul(param('w', [2, 1], fill(1)))).sigmoid();
        return { loss: binaryCrossEntropy(p, y), predict: p };
      },
    });
    expect(() => m.build()).toThrow(GraphError);
    expect(() => m.build()).toThrow(/model dup: a parameter is named 'w', as is a parameter \(.*leaf-names\.test\.ts:\d+\); names must be unique/);
  });
  it('an input and a parameter named x', () => {
    const m = defineModel({
      name: 'dup2',
      build() {
        const x = input('x', ['N', 2]), y = input('y', ['N', 1]);
        const p = x.matmul(param('y', [2, 1], fill(1))).sigmoid();
        return { loss: binaryCrossEntropy(p, y), predict: p };
      },
    });
    expect(() => m.build()).toThrow(/is named 'y', as is an? (input|parameter)/);
  });
  it('a parameter declared twice alike (same name, shape and initial values): refused, not one shared parameter', () => {
    // a helper that declares its own parameters, called twice: as in PyTorch, each call's are its own or
    // it is a mistake; one node for both (the build interns equal leaves) tied them in silence
    const layer = (x: Tensor<['N', 2]>) => x.matmul(param('W', [2, 2], zeros())).add(param('b', [2], zeros())).sigmoid();
    const m = defineModel({
      name: 'twice',
      build() {
        const x = input('x', ['N', 2]), y = input('y', ['N', 1]);
        const p = layer(layer(x)).sum(1, true).mul(0.5);
        return { loss: binaryCrossEntropy(p, y), predict: p };
      },
    });
    expect(() => m.build()).toThrow(GraphError);
    expect(() => m.build()).toThrow(/leaf-names\.test\.ts:\d+: model twice: parameter 'W' is declared twice \(first at .*leaf-names\.test\.ts:\d+\): give each its own name, or reuse the first one's tensor to share it$/);
  });
  it('two layers of the same default name whose initial values agree (BatchNorm): refused', () => {
    const m = defineModel({
      name: 'bns',
      build() {
        const x = input('x', ['N', 2]), y = input('y', ['N', 1]);
        const a = new BatchNorm1d(2), b = new BatchNorm1d(2);
        const p = b.forward(a.forward(x)).matmul(param('w', [2, 1], zeros())).sigmoid();
        return { loss: binaryCrossEntropy(p, y), predict: p };
      },
    });
    expect(() => m.build()).toThrow(/model bns: parameter 'bn\.weight' is declared twice/);
  });
  it('one layer or parameter used twice is shared, as in PyTorch', () => {
    const m = defineModel({
      name: 'shared',
      build() {
        const x = input('x', ['N', 2]), y = input('y', ['N', 1]);
        const l = new Linear(2, 2, 'l'), w = param('w', [2, 1], zeros());
        const p = l.forward(l.forward(x)).matmul(w).add(x.matmul(w)).sigmoid();
        return { loss: binaryCrossEntropy(p, y), predict: p };
      },
    });
    expect(m.build().forward.nodes.filter((n) => n.op === 'Param').map((n) => n.attrs.name)).toEqual(['l.weight', 'l.bias', 'w']);
  });
});
