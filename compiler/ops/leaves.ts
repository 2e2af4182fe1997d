/** Leaves: graph inputs (fed each run), parameters (state, with their initial values) and constants. */
import { defineOp } from './op.ts';
import type { DType } from '../ir/node.ts';
import { leafShapeProblem, type Shape } from '../ir/shape.ts';
import { GraphError } from '../ir/errors.ts';

const leaf = { leaf: true } as const;

defineOp({
  name: 'Input',
  dsl: { fn: 'input' },
  arity: 0,
  traits: leaf,
  infer: (_i, a) => ({ shape: a.shape as Shape, dtype: (a.dtype as DType) ?? 'f32' }),
  showAttrs: (a) => `${a.name}`,
});

defineOp({
  name: 'Param',
  dsl: { fn: 'param' },
  arity: 0,
  traits: leaf,
  infer(_i, a, src) {
    const shape = a.shape as number[];
    const init = a.init as Float32Array;
    const n = shape.reduce((p, d) => p * d, 1);
    if (shape.some((d) => typeof d !== 'number')) throw new GraphError(`parameter '${a.name}' must have a static shape, got [${shape}]`, src);
    const problem = leafShapeProblem(shape, false);
    if (problem) throw new GraphError(`parameter '${a.name}': ${problem}`, src);
    if (init.length !== n) throw new GraphError(`parameter '${a.name}' of shape [${shape}] needs ${n} initial values, got ${init.length}`, src);
    return { shape, dtype: 'f32' };
  },
  showAttrs: (a) => `${a.name}`,
});

defineOp({
  name: 'Const',
  dsl: { internal: 'numbers in expressions, initial values and folded subgraphs become constants' },
  arity: 0,
  traits: leaf,
  infer: (_i, a) => ({ shape: a.shape as number[], dtype: (a.dtype as DType) ?? 'f32' }),
  showAttrs: (a) => {
    const v = a.value as Float32Array;
    return v.length <= 4 ? `[${[...v].map(fmt).join(', ')}]` : `f32[${(a.shape as number[]).join('x')}]`;
  },
});

const fmt = (x: number): string => (Number.isInteger(x) ? String(x) : x.toPrecision(6).replace(/0+$/, ''));
