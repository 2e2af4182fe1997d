/**
 * Rewriting immutable, interned graphs. Nodes cannot change, so replacing a node means rebuilding every
 * node that depends on it (bottom-up, through `Node.mk`, which re-interns: rebuilt nodes that become
 * equal to existing ones merge). Every pass is built on `replaceAll` or `mapNodes`.
 */
import { Graph } from '../ir/graph.ts';
import { Node } from '../ir/node.ts';
import { ownSources } from '../ir/source.ts';

// nodes built here are built for the caller: their position is the caller's
ownSources(import.meta.url);

/** Rebuilds `g` with each key of `subst` replaced by its value (and all users rebuilt). */
export function replaceAll(g: Graph, subst: ReadonlyMap<Node, Node>): Graph {
  if (subst.size === 0) return g;
  return mapNodes(g, (n) => subst.get(n));
}

/**
 * Rebuilds `g` bottom-up. `f` sees each node with its inputs already rebuilt (as `rebuilt`) and may
 * return a replacement; returning undefined keeps the node (rebuilt if its inputs changed). Where no
 * output changes, the result is `g` itself.
 */
export function mapNodes(g: Graph, f: (rebuilt: Node, original: Node) => Node | undefined): Graph {
  // the nodes whose image is another node (made once the first one is): until then, each node is itself
  let map: Map<Node, Node> | undefined;
  for (const n of g.nodes) {
    const rebuilt = map === undefined ? n : rebuild(n, map);
    const image = f(rebuilt, n) ?? rebuilt;
    if (image !== n) (map ??= new Map()).set(n, image);
  }
  // nothing replaced: the same graph (its order and its verification are kept)
  if (map === undefined || g.outputs.every((o) => !map.has(o.node))) return g;
  return g.withOutputs(g.outputs.map((o) => ({ name: o.name, node: map.get(o.node) ?? o.node })));
}

/** `n` over its inputs' images in `map` (a node not in it is its own image): `n` itself where none changed. */
export function rebuild(n: Node, map: ReadonlyMap<Node, Node>): Node {
  const inputs = n.inputs;
  for (let i = 0; i < inputs.length; i++) {
    const x = map.get(inputs[i]);
    if (x === undefined || x === inputs[i]) continue;
    const ins = inputs.map((y) => map.get(y) ?? y);
    return Node.remake(n, ins);
  }
  return n;
}

/** Consumers of each node in `g`. */
export function consumers(g: Graph): Map<Node, Node[]> {
  const m = new Map<Node, Node[]>();
  for (const n of g.nodes)
    for (const i of n.inputs) {
      const l = m.get(i);
      // a node reading one input twice reads it in one visit: only the last entry can be `n`
      if (!l) m.set(i, [n]);
      else if (l[l.length - 1] !== n) l.push(n);
    }
  return m;
}
