/** A model's inputs and parameters are fed and saved by name: two different leaves with one name are refused. */
import { describe, expect, it } from 'vitest';
import { defineModel, input, param, binaryCrossEntropy } from '../../compiler/index.ts';
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
});
