/** `graphc run`'s text output counts rows from the shape: a zero-size dimension prints no values and ends. */
import { describe, expect, it } from 'vitest';
import { formatOutputs } from '../cli/run.ts';

describe('formatOutputs', () => {
  it('rows by the first dimension, one value per row for 1-D', () => {
    expect(formatOutputs({ y: { shape: [2, 2], data: [1, 2, 3, 4] } })).toBe('y [2, 2]\n1.000000 2.000000\n3.000000 4.000000\n');
    expect(formatOutputs({ y: { shape: [2], data: [1, 2] } })).toBe('y [2]\n1.000000\n2.000000\n');
    expect(formatOutputs({ y: { shape: [], data: [5] } })).toBe('y []\n5.000000\n');
  });
  it('zero-size dimensions end, even over a buffer longer than the shape', () => {
    expect(formatOutputs({ y: { shape: [3, 0], data: [] } })).toBe('y [3, 0]\n');
    expect(formatOutputs({ y: { shape: [3, 0], data: [7, 7, 7] } })).toBe('y [3, 0]\n');
    expect(formatOutputs({ y: { shape: [0, 4], data: [] } })).toBe('y [0, 4]\n');
  });
});
