/**
 * A pass: a named graph-to-graph transform that reports what it rewrote (with source positions) and,
 * for rules that looked but did not apply, why.
 */
import type { Graph } from '../ir/graph.ts';
import type { SourcePos } from '../ir/source.ts';

export interface Rewrite {
  /** What was rewritten, e.g. "BCE(Sigmoid(z), y) -> BCEWithLogits(z, y)". */
  readonly what: string;
  readonly src: SourcePos | undefined;
  /** Why the rewrite matters, where it is more than tidiness (shown by --explain under the rewrite). */
  readonly why?: string;
}

export interface PassResult {
  readonly graph: Graph;
  readonly rewrites: readonly Rewrite[];
  /** Why a rule did not apply where it looked (shown by --explain). */
  readonly misses?: readonly Rewrite[];
}

export interface Pass {
  readonly name: string;
  readonly description: string;
  /**
   * Whether running the pass on its own result changes nothing (each node is rewritten until no rule
   * applies): the pipeline then skips a run on a graph the pass returned and nothing has changed since.
   */
  readonly idempotent?: boolean;
  run(g: Graph): PassResult;
}
