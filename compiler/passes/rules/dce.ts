/**
 * dce: dead-code elimination. A graph holds exactly the nodes reachable from its outputs, so a rewritten
 * graph already lacks the nodes nothing uses any more: this pass removes nothing itself, and reports
 * how many nodes of the graph as built no output reaches any more (what the rewrites made dead).
 */
import type { Graph } from '../../ir/graph.ts';
import type { Pass, Rewrite } from '../pass.ts';

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
