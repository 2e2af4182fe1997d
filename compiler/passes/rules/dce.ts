/**
 * dce: dead-code elimination. A graph holds exactly the nodes reachable from its outputs, so a rewritten
 * graph already lacks the nodes nothing uses any more; this pass also drops outputs that duplicate
 * another output's node under a `drop` list, and reports what earlier rewrites left unreachable.
 */
import type { Graph } from '../../ir/graph.ts';
import type { Pass, Rewrite } from '../pass.ts';

/** Removes the named outputs (and with them every node only they used). */
export function dropOutputs(g: Graph, names: readonly string[]): Graph {
  return g.withOutputs(g.outputs.filter((o) => !names.includes(o.name)));
}

export function dce(reference: () => Graph | undefined): Pass {
  return {
    name: 'dce',
    description: 'nodes no output reaches are removed',
    run(g) {
      const ref = reference();
      const rewrites: Rewrite[] = [];
      if (ref) {
        const live = new Set(g.nodes);
        const dead = ref.nodes.filter((n) => !live.has(n) && n.op !== 'Const');
        if (dead.length) rewrites.push({ what: `${dead.length} node(s) of the graph as built are reached by no output (removed)`, src: undefined });
      }
      return { graph: g, rewrites };
    },
  };
}
