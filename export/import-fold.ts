/**
 * Shape arithmetic folded at import: an int64 tensor computed from constants only (Shape of a static
 * tensor, then Gather, Concat, Mul, ...) is evaluated once, in float64, and kept as an `IntConst`, so
 * the imported graph carries no integer computation and a Reshape sees its target shape.
 */
import type { Node } from '../compiler/ir/node.ts';
import { Graph } from '../compiler/ir/graph.ts';
import { intConst, type IntConst } from '../compiler/ops/op.ts';
import { Plan } from '../runtime/plan.ts';

const MAX_FOLDED = 1 << 16;

/** Whether a node of static shape is small enough to fold and computed from constants only (no input, no initializer). */
function foldable(n: Node): boolean {
  if ((n.shape as number[]).reduce((p, d) => p * d, 1) > MAX_FOLDED) return false;
  const seen = new Set<Node>();
  const stack = [n];
  while (stack.length) {
    const m = stack.pop()!;
    if (seen.has(m)) continue;
    seen.add(m);
    if (m.op === 'Input' || m.op === 'Param') return false;
    stack.push(...m.inputs);
  }
  return true;
}

export function foldInts(n: Node): IntConst | undefined {
  if (n.dtype !== 'i64' || n.op === 'Input' || !n.shape.every((d) => typeof d === 'number')) return undefined;
  if (!foldable(n)) return undefined;
  const plan = new Plan(new Graph([{ name: 'v', node: n }]), new Map(), { precision: 'f64', reuse: false });
  plan.run(new Map());
  const v = plan.value(n);
  return intConst(Array.from(v.data, Math.trunc), v.shape);
}

/**
 * The values of a float tensor computed from constants only (no graph input, no initializer), evaluated
 * now in float32 as the model would compute them: the operands an op needs at import (Range's start, limit
 * and delta, Pad's constant_value, OneHot's depth) when a file computes them. Undefined otherwise.
 */
export function foldFloats(n: Node): number[] | undefined {
  if (n.dtype === 'i64' || !n.shape.every((d) => typeof d === 'number')) return undefined;
  if (!foldable(n)) return undefined;
  if (n.op === 'Const') return Array.from(n.attrs.value as Float32Array);
  const plan = new Plan(new Graph([{ name: 'v', node: n }]), new Map(), { precision: 'f32', reuse: false });
  plan.run(new Map());
  return Array.from(plan.value(n).data);
}
