/**
 * Fused: a chain (a DAG) of elementwise ops run as one loop, made by the group-elementwise pass. Its body
 * is a list of instructions `[op, args]` (or `[op, args, attrs]` for an op with attributes, such as
 * LeakyRelu's alpha) where an argument k >= 0 is instruction k's result and -(j+1) is the fused node's
 * input j; the last instruction is the result. Each op's own JS expression builds the
 * loop body, so a fused kernel computes what the ops would (intermediates stay in float64 registers
 * instead of being rounded to float32 between ops). The gradient and the ONNX mapping expand the body
 * back into the original ops.
 */
import { defineOp, getOp } from './op.ts';
import { Node, type Attrs } from '../ir/node.ts';
import { elementwiseRule } from '../ir/op.ts';
import { broadcastShapes, shapeStr } from '../ir/shape.ts';
import { GraphError } from '../ir/errors.ts';
import { atSource } from '../ir/source.ts';
import * as B from '../ir/build.ts';
import { elementwiseKernel } from '../../runtime/kernels/elementwise.ts';
import { withPath } from '../../runtime/kernels/kernel.ts';
import { simdElementwise, simdRuleOf, type SimdStep } from '../../runtime/kernels/wasm/elementwise.ts';

export type Instruction = readonly [op: string, args: readonly number[], attrs?: Attrs];

/** A body's instruction for an op with these attributes (none: `[op, args]`, as bodies without attributes print). */
export const instruction = (op: string, args: readonly number[], attrs: Attrs): Instruction => (Object.keys(attrs).length ? [op, args, attrs] : [op, args]);

/** The name of an instruction's SIMD step (its kernels are cached by it): the op, and its attributes where it has some. */
export const stepName = (op: string, attrs: Attrs | undefined): string => (attrs && Object.keys(attrs).length ? `${op}${JSON.stringify(attrs)}` : op);

export const bodyOf = (n: Node): Instruction[] => JSON.parse(String(n.attrs.body)) as Instruction[];

/** The original nodes of a fused node's instructions, over its inputs, in body order. */
function expandBody(n: Node): Node[] {
  const vals: Node[] = [];
  const arg = (k: number) => (k < 0 ? n.inputs[-k - 1] : vals[k]);
  atSource(n.src, () => {
    for (const [op, args, attrs] of bodyOf(n)) vals.push(Node.mk(op, args.map(arg), attrs));
  });
  return vals;
}

/** The original nodes of a fused node, over its inputs. */
export const expandFused = (n: Node): Node => expandBody(n).at(-1)!;

/**
 * The gradient of a fused node: reverse accumulation over its body, last instruction first, each
 * instruction's gradient by its own op's rule; what reaches an argument twice is summed.
 */
function fusedGrad(n: Node, g: Node): (Node | null)[] {
  const body = bodyOf(n);
  const vals = expandBody(n);
  const acc = new Map<number, Node>([[body.length - 1, g]]);
  atSource(n.src, () => {
    for (let k = body.length - 1; k >= 0; k--) {
      const gk = acc.get(k);
      if (!gk) continue;
      const gs = getOp(body[k][0]).grad!(vals[k], gk);
      body[k][1].forEach((a, i) => {
        const gi = gs[i];
        if (!gi) return;
        const prev = acc.get(a);
        acc.set(a, prev ? B.add(prev, gi) : gi);
      });
    }
  });
  return n.inputs.map((_, j) => acc.get(-j - 1) ?? null);
}

defineOp({
  name: 'Fused',
  dsl: { internal: 'made by the fusion pass from elementwise chains' },
  arity: 'variadic',
  traits: { fused: true },
  infer(inputs, attrs, src) {
    let shape = inputs[0]?.shape ?? [];
    for (const x of inputs.slice(1)) {
      const s = broadcastShapes(shape, x.shape);
      if (!s) throw new GraphError(`Fused: inputs ${inputs.map((i) => shapeStr(i.shape)).join(', ')} do not broadcast`, src);
      shape = s;
    }
    const out = attrs.shape as (number | string)[] | undefined;
    return { shape: out ?? shape, dtype: (attrs.dtype as 'f32' | 'bool') ?? 'f32' };
  },
  kernel(ctx) {
    const body = JSON.parse(String(ctx.attrs.body)) as Instruction[];
    const name = (k: number) => (k < 0 ? `x${-k - 1}` : `t${k}`);
    const rules = body.map(([op, , attrs]) => elementwiseRule(getOp(op), attrs)!);
    const stmts = body.map(([, args], k) => `const t${k} = ${rules[k].js(...args.map(name))};`);
    const t: number[] = new Array(body.length).fill(0);
    const scalar = (xs: number[]) => {
      for (let k = 0; k < body.length; k++) t[k] = rules[k].fn(...body[k][1].map((a) => (a < 0 ? xs[-a - 1] : t[a])));
      return t[body.length - 1];
    };
    const js = elementwiseKernel(`t${body.length - 1}`, ctx.inShapes, ctx.outShape, scalar, stmts.join('\n'));
    // in WebAssembly SIMD when every op of the chain has a SIMD rule
    const steps: SimdStep[] = [];
    for (const [k, [op, args, attrs]] of body.entries()) {
      const rule = simdRuleOf(rules[k]);
      if (!rule) return withPath(js, `JavaScript (${op} has no SIMD rule)`);
      steps.push({ name: stepName(op, attrs), rule, args });
    }
    return simdElementwise(steps, ctx.inShapes, ctx.outShape, ctx.precision, js);
  },
  grad: fusedGrad,
  onnx(e, n, ins) {
    const names: string[] = [];
    const nodes: Node[] = [];
    const arg = (k: number) => (k < 0 ? ins[-k - 1] : names[k]);
    const argNode = (k: number) => (k < 0 ? n.inputs[-k - 1] : nodes[k]);
    for (const [op, args, attrs] of bodyOf(n)) {
      const node = Node.mk(op, args.map(argNode), attrs, n.src);
      nodes.push(node);
      names.push(getOp(op).onnx!(e, node, args.map(arg)));
    }
    return names[names.length - 1];
  },
  showAttrs: (a) => (JSON.parse(String(a.body)) as Instruction[]).map(([op, , attrs]) => (attrs ? `${op}(${getOp(op).showAttrs?.(attrs) ?? JSON.stringify(attrs)})` : op)).join('·'),
});
