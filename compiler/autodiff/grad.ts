/**
 * Reverse-mode differentiation as a graph-to-graph transform. `grad(y, xs)` walks the nodes between the
 * `xs` and the scalar `y` in reverse topological order, asks each op's gradient rule for the vector-
 * Jacobian product (graph nodes), and sums the contributions that reach each node. The result is nodes,
 * so a gradient can be printed, optimized, exported and differentiated again.
 */
import { inScopeOf, Node } from '../ir/node.ts';
import { topoOrder } from '../ir/graph.ts';
import { getOp } from '../ir/registry.ts';
import { sameShape, shapeStr } from '../ir/shape.ts';
import { atSource, ownSources } from '../ir/source.ts';
import { GraphError } from '../ir/errors.ts';
import * as B from '../ir/build.ts';

// nodes built here are built for the caller: their position is the caller's
ownSources(import.meta.url);

export interface GradOptions {
  /** Gradient flowing into `y` (default: 1, which needs `y` to be a scalar). */
  readonly seed?: Node;
}

export function grad(y: Node, xs: readonly Node[], opts: GradOptions = {}): Node[] {
  // (from JavaScript: a DSL tensor where a node is due would fail deep inside as an internal TypeError)
  const notNode = (what: string, v: unknown): TypeError =>
    new TypeError(`grad: ${what} must be a graph node (a tensor's .node), got ${typeof v === 'object' && v !== null && (v as { node?: unknown }).node instanceof Node ? 'a Tensor' : v === null ? 'null' : typeof v}`);
  if (!(y instanceof Node)) throw notNode('y', y);
  if (!Array.isArray(xs)) throw notNode('xs', xs);
  xs.forEach((x, i) => {
    if (!(x instanceof Node)) throw notNode(`xs[${i}]`, x);
  });
  // the gradient belongs to the build of y and xs: its constants intern with theirs, no one else's
  return inScopeOf([y, ...xs], () => atSource(y.src, () => sweep(y, xs, opts)));
}

function sweep(y: Node, xs: readonly Node[], opts: GradOptions): Node[] {
  if (!opts.seed && y.shape.length !== 0)
    throw new GraphError(`grad: the output must be a scalar, got ${shapeStr(y.shape)} (pass a seed gradient for non-scalars)`, y.src);
  const order = topoOrder([y]);
  // Only nodes on a path from some x to y carry gradient.
  const wanted = new Set(xs);
  const onPath = new Set<Node>();
  for (const n of order) {
    if (wanted.has(n)) onPath.add(n);
    else for (const i of n.inputs) if (onPath.has(i)) { onPath.add(n); break; }
  }

  const acc = new Map<Node, Node>();
  acc.set(y, opts.seed ?? B.constant([1], []));
  for (let k = order.length - 1; k >= 0; k--) {
    const n = order[k];
    const g = acc.get(n);
    if (!g || !onPath.has(n) || n.inputs.length === 0) continue;
    const def = getOp(n.op);
    if (!def.grad) throw new GraphError(`grad: op ${n.op} has no gradient rule`, n.src);
    const gs = atSource(n.src, () => def.grad!(n, g));
    for (let i = 0; i < n.inputs.length; i++) {
      const inp = n.inputs[i], gi = gs[i];
      if (!gi || !onPath.has(inp)) continue;
      if (!sameShape(gi.shape, inp.shape))
        throw new GraphError(`grad: ${n.op}'s rule gave a gradient of shape ${shapeStr(gi.shape)} for an input of shape ${shapeStr(inp.shape)}`, n.src);
      const prev = acc.get(inp);
      acc.set(inp, prev ? atSource(inp.src, () => B.add(prev, gi)) : gi);
    }
  }
  return xs.map((x) => acc.get(x) ?? B.mk('ExpandAs', [B.constant([0], []), x]));
}
