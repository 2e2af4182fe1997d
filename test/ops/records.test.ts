/**
 * The op-record checklist (ARCHITECTURE.md, "Adding an op"), enforced: every record says how a model's
 * author reaches it, the DSL has what it says, elementwise records build their own op from the DSL, and every
 * non-leaf record carries a kernel, a gradient rule and an ONNX mapping.
 */
import { describe, expect, it } from 'vitest';
import * as graphc from '../../compiler/index.ts';
import { Tensor, input } from '../../compiler/index.ts';
import { allOps } from '../../compiler/ops/op.ts';
import '../../compiler/ops/index.ts';

const ops = allOps();
const surfaced = ops.filter((d) => !('internal' in d.dsl));
const exported = graphc as unknown as Record<string, unknown>;
const proto = Tensor.prototype as unknown as Record<string, unknown>;

/** Known gaps, each with its consequence: a training step that differentiates through these cannot export. */
const NO_ONNX_YET: Record<string, string> = {
  GatherElementsGrad: 'the gradient of TopK\'s values and of an imported ScatterElements\' updates',
  GatherNDGrad: 'the gradient of an imported GatherND',
};

describe('op records', () => {
  it('there are records, and every one states its DSL surface or why it has none', () => {
    expect(ops.length).toBeGreaterThan(20);
    for (const d of ops) {
      if ('internal' in d.dsl) expect(d.dsl.internal.length, d.name).toBeGreaterThan(10);
      else expect(d.dsl.method ?? d.dsl.fn, `${d.name}: dsl names neither a method nor a function`).toBeTruthy();
    }
  });

  it.each(surfaced.map((d) => [d.name, d] as const))('%s: the DSL has the method and function its record names', (_n, d) => {
    const s = d.dsl as { method?: string; fn?: string };
    if (s.method) expect(typeof proto[s.method], `Tensor.prototype.${s.method}`).toBe('function');
    if (s.fn) expect(typeof exported[s.fn], `export ${s.fn} from 'graphc'`).toBe('function');
  });

  const elementwise = surfaced.filter((d) => d.traits?.elementwise && typeof d.arity === 'number');
  it.each(elementwise.map((d) => [d.name, d] as const))('%s: its method and function build this op', (_n, d) => {
    const s = d.dsl as { method?: string; fn?: string };
    // a cast builds a node from a bool tensor (float to float is the tensor itself)
    const x = d.name === 'Cast' ? input('x', ['N', 3]).ge(0) : input('x', ['N', 3]);
    const y = input('y', ['N', 3]);
    const args = d.arity === 2 ? [y] : [];
    if (s.method) expect(((x as unknown as Record<string, (...a: unknown[]) => Tensor>)[s.method](...args)).node.op).toBe(d.name);
    if (s.fn) expect(((exported[s.fn] as (...a: unknown[]) => Tensor)(x, ...args)).node.op).toBe(d.name);
  });

  it.each(ops.filter((d) => !d.traits?.leaf).map((d) => [d.name, d] as const))('%s: kernel, gradient rule and ONNX mapping', (_n, d) => {
    expect(typeof d.kernel, 'kernel').toBe('function');
    if (!(d.name in NO_ONNX_YET)) expect(typeof d.onnx, 'onnx').toBe('function');
    // an op with no gradient by nature (a comparison, an index) says so by returning nulls from its rule
    expect(typeof d.grad, 'grad').toBe('function');
  });
});

describe('the known gaps in the checklist', () => {
  it('are still gaps (remove an entry once its op gains the missing part)', () => {
    for (const name of Object.keys(NO_ONNX_YET)) expect(ops.find((d) => d.name === name)?.onnx, name).toBeUndefined();
  });
});
