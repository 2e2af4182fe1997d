/**
 * Concat's gradient is the slices of the incoming gradient along the axis, one per part, built by
 * `B.sliceAxis` as Split's and the RNN import's are (the same interned nodes); fd.test.ts checks its values.
 */
import { describe, expect, it } from 'vitest';
import '../../compiler/ops/index.ts';
import { Node, inLeafScope } from '../../compiler/ir/node.ts';
import * as B from '../../compiler/ir/build.ts';
import { getOp } from '../../compiler/ops/op.ts';

const input = (name: string, shape: number[]) => Node.mk('Input', [], { name, shape, dtype: 'f32' });

describe('Concat gradient', () => {
  it('is one B.sliceAxis of the gradient per part, at the part\'s offset along the axis', () => {
    inLeafScope(() => {
      const parts = [input('a', [2, 3, 4]), input('b', [2, 1, 4]), input('c', [2, 2, 4])];
      const y = B.mk('Concat', parts, { axis: 1 });
      const g = input('g', [2, 6, 4]);
      const grads = getOp('Concat').grad!(y, g);
      expect(grads).toHaveLength(3);
      expect(grads[0]).toBe(B.sliceAxis(g, 1, 0, 3));
      expect(grads[1]).toBe(B.sliceAxis(g, 1, 3, 1));
      expect(grads[2]).toBe(B.sliceAxis(g, 1, 4, 2));
      grads.forEach((d, k) => expect(d!.shape).toEqual(parts[k].shape));
    });
  });
});
