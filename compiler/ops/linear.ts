/**
 * Linear: a linear layer's product, bias and optional ReLU as one op, made by the fold-linear pass
 * (compiler/passes/rules/fold-linear.ts) from MatMul(A, W) then Add of a bias broadcast along the rows
 * (shape [N] or [1, N]), then Relu or not:
 *   Linear(A, W, b; transA, transB, relu) = [Relu](op(A)·op(W) + b)
 * Its kernel is the matrix product's with an epilogue (runtime/kernels/matmul.ts): in the GEMM, the bias
 * and ReLU are applied in registers as the panel kernel stores the last K block's tiles, so C is written
 * once and not read again. Each output is the sum of the product's float32 accumulation and the bias,
 * rounded once, then ReLU'd: the bits of the MatMul, Add and Relu kernels it stands for. Its gradient and
 * its ONNX export are those of its expansion, the ops it was formed from (expansion.ts), so autodiff and
 * the exported graph do not change; the export writes it as ONNX's Gemm (C the bias) and Relu.
 */
import { defineOp } from './op.ts';
import { Node, inScopeOf } from '../ir/node.ts';
import { sameShape, shapeStr, type Dim } from '../ir/shape.ts';
import { GraphError } from '../ir/errors.ts';
import { getOp } from '../ir/registry.ts';
import * as B from '../ir/build.ts';
import { expansionGrad } from './expansion.ts';
import { gemmApplies, matmulKernel } from '../../runtime/kernels/matmul.ts';
import type { Graph } from '../ir/graph.ts';
import { resolveShape } from '../ir/shape.ts';

const flags = (n: { attrs: Node['attrs'] }) => [n.attrs.transA === true, n.attrs.transB === true, n.attrs.relu === true] as const;

/** Whether `bias` broadcasts along the rows of a product of N columns: [N] or [1, N]. */
export const isRowBias = (bias: readonly Dim[], N: Dim): boolean => sameShape(bias, [N]) || sameShape(bias, [1, N]);

/** The ops a Linear node stands for, over its own inputs. */
export function expandLinear(n: Node): Node {
  const [a, w, b] = n.inputs;
  const [tA, tB, relu] = flags(n);
  const z = B.add(B.matmul(a, w, tA, tB), b);
  return relu ? B.relu(z) : z;
}

/**
 * `g` with each Linear node whose product would not run in the heap's GEMM for these dims (`env`) as the
 * ops it was formed from: the product, then the bias and ReLU as one Fused loop (Add alone as the op), as
 * the pipeline had them. So a row of a batch-1 inference keeps its vector kernel's WebAssembly entry and
 * its elementwise loop's (a plan whose kernels all have one runs as one call), and a float64 plan runs
 * the reference ops. The values are the same either way (the same kernels' rules).
 */
export function expandLinears(g: Graph, env: ReadonlyMap<string, number>, precision: 'f32' | 'f64'): Graph {
  const expand = (n: Node) => {
    const [a] = n.inputs, [tA] = flags(n), s = resolveShape(a.shape, env), out = resolveShape(n.shape, env);
    return !gemmApplies(out[0], tA ? s[0] : s[1], out[1], precision, tA);
  };
  if (!g.nodes.some((n) => n.op === 'Linear' && expand(n))) return g;
  return inScopeOf(g.nodes, () => {
    const map = new Map<Node, Node>();
    for (const n of g.nodes) {
      const ins = n.inputs.map((i) => map.get(i)!);
      if (n.op === 'Linear' && expand(n)) {
        const [tA, tB, relu] = flags(n), product = Node.mk('MatMul', [ins[0], ins[1]], tA || tB ? { transA: tA, transB: tB } : {}, n.src);
        const body = JSON.stringify(relu ? [['Add', [-1, -2]], ['Relu', [0]]] : [['Add', [-1, -2]]]);
        map.set(n, relu ? Node.mk('Fused', [product, ins[2]], { body, shape: [...n.shape] as number[], dtype: 'f32' }, n.src) : Node.mk('Add', [product, ins[2]], {}, n.src));
      } else map.set(n, ins.every((x, i) => x === n.inputs[i]) ? n : Node.mk(n.op, ins, n.attrs, n.src));
    }
    return g.withOutputs(g.outputs.map((o) => ({ name: o.name, node: map.get(o.node)! })));
  });
}

defineOp({
  name: 'Linear',
  dsl: { internal: 'made by the fold-linear pass from a product, its bias and a ReLU' },
  arity: 3,
  infer([a, w, b], attrs, src) {
    const product = getOp('MatMul').infer([a, w], { transA: attrs.transA === true, transB: attrs.transB === true }, src);
    const N = product.shape[1];
    if (!isRowBias(b.shape, N)) throw new GraphError(`Linear: the bias is ${shapeStr(b.shape)}, expected [${N}] or [1, ${N}] for a product ${shapeStr(product.shape)}`, src);
    return product;
  },
  kernel(ctx) {
    const [tA, tB, relu] = flags(ctx);
    const [M, K] = tA ? [ctx.inShapes[0][1], ctx.inShapes[0][0]] : ctx.inShapes[0];
    return matmulKernel(M, K, ctx.outShape[1], tA, tB, ctx.precision, { relu });
  },
  grad: (n, g) => expansionGrad(expandLinear(n), n.inputs, g),
  onnx(e, n, ins) {
    const [tA, tB, relu] = flags(n);
    const y = e.op('Gemm', ins, { transA: tA ? 1 : 0, transB: tB ? 1 : 0 });
    return relu ? e.op('Relu', [y]) : y;
  },
  showAttrs: (a) => [a.transA && 'transA', a.transB && 'transB', a.relu && 'relu'].filter(Boolean).join(' '),
});
