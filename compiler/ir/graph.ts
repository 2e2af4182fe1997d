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

  readonly #index: ReadonlyMap<Node, number>;

  constructor(outputs: readonly GraphOutput[], readonly name = 'graph') {
    this.outputs = Object.freeze([...outputs]);
    const { order, index } = ordered(outputs.map((o) => o.node));
    this.nodes = Object.freeze(order);
    this.#index = index;
  }

  /** A node's place in `nodes`, or undefined when the graph does not hold it. */
  indexOf(n: Node): number | undefined {
    return this.#index.get(n);
  }

  #inputs: readonly Node[] | undefined;
  #params: readonly Node[] | undefined;
  /** The graph's inputs, in its order (found once: a graph does not change). */
  get inputs(): readonly Node[] {
    return (this.#inputs ??= Object.freeze(this.nodes.filter((n) => n.op === 'Input')));
  }
  /** The graph's parameters, in its order (found once). */
  get params(): readonly Node[] {
    return (this.#params ??= Object.freeze(this.nodes.filter((n) => n.op === 'Param')));
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
    // the same outputs are the same graph: its order, and its verification, are kept
    const same = outputs.length === this.outputs.length && outputs.every((o, i) => o.name === this.outputs[i].name && o.node === this.outputs[i].node);
    return same ? this : new Graph(outputs, this.name);
  }
  #opCount = -1;
  /** Number of non-leaf nodes (counted once: a graph does not change). */
  get opCount(): number {
    if (this.#opCount < 0) {
      let count = 0;
      for (const n of this.nodes) if (n.op !== 'Input' && n.op !== 'Param' && n.op !== 'Const') count++;
      this.#opCount = count;
    }
    return this.#opCount;
  }
}

export function topoOrder(roots: readonly Node[]): Node[] {
  return ordered(roots).order;
}

/** The post-order from `roots`, and each node's place in it. */
function ordered(roots: readonly Node[]): { order: Node[]; index: Map<Node, number> } {
  // a node is in `index` from its first visit: -1 while its inputs are walked, then its place
  const index = new Map<Node, number>();
  const order: Node[] = [];
  // iterative post-order DFS (graphs from importers can be deep): nodes and how many inputs each has had
  const nodes: Node[] = [];
  const next: number[] = [];
  for (const root of roots) {
    if (index.has(root)) continue;
    index.set(root, -1);
    nodes.push(root);
    next.push(0);
    while (nodes.length) {
      const top = nodes.length - 1;
      const n = nodes[top];
      const i = next[top];
      if (i < n.inputs.length) {
        next[top] = i + 1;
        const c = n.inputs[i];
        if (!index.has(c)) {
          index.set(c, -1);
          nodes.push(c);
          next.push(0);
        }
      } else {
        nodes.pop();
        next.pop();
        index.set(n, order.length);
        order.push(n);
      }
    }
  }
  return { order, index };
}
