/**
 * A leaf's shape as the user declares it: each dimension an integer 0 or more (or, for an input, a symbol
 * such as 'N'). Another (-3, 2.5, NaN) is refused where it is declared, naming the leaf and the line,
 * not met later as an internal RangeError or an "initial values" count that makes no sense.
 */
import { describe, expect, it } from 'vitest';
import { BatchNorm1d, Conv2d, input, Linear, param, zeros } from '../../compiler/index.ts';
import { GraphError } from '../../compiler/ir/errors.ts';
import { inLeafScope } from '../../compiler/ir/node.ts';

const at = String.raw`leaf-shapes\.test\.ts:\d+: `;
const refuses = (f: () => unknown, message: RegExp) => {
  expect(() => inLeafScope(f)).toThrow(GraphError);
  expect(() => inLeafScope(f)).toThrow(message);
};

describe('leaf shapes', () => {
  it('a parameter with a negative, fractional or NaN dimension', () => {
    refuses(() => param('c', [-3], zeros()), new RegExp(`${at}parameter 'c': a dimension must be an integer 0 or more, got -3 in \\[-3\\]$`));
    refuses(() => param('c', [2, 2.5], zeros()), /parameter 'c': a dimension must be an integer 0 or more, got 2\.5 in \[2, 2\.5\]$/);
    refuses(() => param('c', [Number.NaN], zeros()), /parameter 'c': a dimension must be an integer 0 or more, got NaN/);
  });
  it('an input with a negative or fractional dimension, or an empty symbol', () => {
    refuses(() => input('q', ['N', -2]), new RegExp(`${at}input 'q': a dimension must be an integer 0 or more or a symbol such as 'N', got -2 in \\[N, -2\\]$`));
    refuses(() => input('q', [1.5]), /input 'q': a dimension must be .*, got 1\.5/);
    refuses(() => input('q', ['']), /input 'q': a dimension must be .*, got '' in/);
  });
  it('layers with a negative or fractional size', () => {
    refuses(() => new BatchNorm1d(-2), new RegExp(`${at}parameter 'bn.weight': a dimension must be an integer 0 or more, got -2`));
    refuses(() => new Linear(2, -1), /parameter 'linear\.weight': a dimension must be an integer 0 or more, got -1/);
    refuses(() => new Linear(2.5, 1), /parameter 'linear\.weight': a dimension must be an integer 0 or more, got 2\.5/);
    refuses(() => new Conv2d(1, -2, 3), /parameter 'conv\.weight': a dimension must be an integer 0 or more, got -2/);
  });
  it('zero-size and symbolic dimensions are shapes (as torch.zeros(2, 0))', () => {
    expect(inLeafScope(() => param('e', [2, 0], zeros())).shape).toEqual([2, 0]);
    expect(inLeafScope(() => input('x', ['N', 0, 3])).shape).toEqual(['N', 0, 3]);
  });
});
