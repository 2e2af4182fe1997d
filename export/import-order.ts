/**
 * The order an imported graph's nodes are built in: Kahn's algorithm over the nodes' indices in the file,
 * first-in first-out, nodes without producers first in file order, each node's consumers in file order.
 * Linear in nodes and edges; a graph with a cycle has no order.
 */

/**
 * `edges(i, edge)` calls `edge(p)` for each producer `p` of node `i` (in any number, repeats allowed);
 * it is called once per node, in index order. Returns the indices in build order, or undefined if the
 * graph has a cycle.
 */
export function nodeOrder(count: number, edges: (i: number, edge: (p: number) => void) => void): number[] | undefined {
  // consumers of each node, ascending and without repeats (nodes are visited in index order)
  const consumers: number[][] = Array.from({ length: count }, () => []);
  const inDegree = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    edges(i, (p) => {
      const c = consumers[p];
      if (c.length && c[c.length - 1] === i) return;
      c.push(i);
      inDegree[i]++;
    });
  }
  const order: number[] = [];
  for (let i = 0; i < count; i++) if (inDegree[i] === 0) order.push(i);
  // `order` is the queue: its head moves forward as nodes are taken
  for (let head = 0; head < order.length; head++)
    for (const c of consumers[order[head]]) if (--inDegree[c] === 0) order.push(c);
  return order.length === count ? order : undefined;
}
