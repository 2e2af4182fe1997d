/**
 * A graph is a set of named outputs over interned nodes; everything reachable from them is the graph.
 * Inputs and parameters are the leaves it reaches. Order is deterministic: a depth-first post-order from
 * the outputs in their declared order, inputs in their declared order.
 */
import type { Node } from './node.ts';

export interface GraphOutput {
  readonly name: string;
  readonly node: Node;
}

export class Graph {
  readonly outputs: readonly GraphOutput[];
  /** Deterministic topological order of every node reachable from the outputs. */
  readonly nodes: readonly Node[];

  constructor(outputs: readonly GraphOutput[], readonly name = 'graph') {
    this.outputs = Object.freeze([...outputs]);
    this.nodes = Object.freeze(topoOrder(outputs.map((o) => o.node)));
  }

  get inputs(): Node[] {
    return this.nodes.filter((n) => n.op === 'Input');
  }
  get params(): Node[] {
    return this.nodes.filter((n) => n.op === 'Param');
  }
  output(name: string): Node {
    const o = this.outputs.find((x) => x.name === name);
    if (!o) throw new Error(`graph ${this.name} has no output '${name}'`);
    return o.node;
  }
  has(name: string): boolean {
    return this.outputs.some((o) => o.name === name);
  }
  /** Same graph with some outputs replaced by other nodes (a rewrite's result). */
  withOutputs(outputs: readonly GraphOutput[]): Graph {
    return new Graph(outputs, this.name);
  }
  #opCount = -1;
  /** Number of non-leaf nodes (counted once: a graph does not change). */
  get opCount(): number {
    if (this.#opCount < 0) this.#opCount = this.nodes.filter((n) => n.op !== 'Input' && n.op !== 'Param' && n.op !== 'Const').length;
    return this.#opCount;
  }
}

export function topoOrder(roots: readonly Node[]): Node[] {
  const seen = new Set<Node>();
  const order: Node[] = [];
  // iterative post-order DFS (graphs from importers can be deep)
  for (const root of roots) {
    if (seen.has(root)) continue;
    const stack: [Node, number][] = [[root, 0]];
    seen.add(root);
    while (stack.length) {
      const top = stack[stack.length - 1];
      const [n, i] = top;
      if (i < n.inputs.length) {
        top[1]++;
        const c = n.inputs[i];
        if (!seen.has(c)) {
          seen.add(c);
          stack.push([c, 0]);
        }
      } else {
        stack.pop();
        order.push(n);
      }
    }
  }
  return order;
}
