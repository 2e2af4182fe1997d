/**
 * The optimization pipeline: named passes in order, the verifier after each, and a report of what each
 * did (node counts before and after, rewrites with source positions, and misses with reasons).
 *
 * Training compiles in two stages. The loss-level rewrites run on the forward graph *before*
 * differentiation, so that the gradient comes from the fused op's own rule (for sigmoid + BCE, the stable
 * (sigmoid(z) - y)/N) rather than from differentiating the unfused formula; so does slice-concat, so that
 * the gradient has no slices to scatter. The general passes then run on the whole train-step graph.
 */
import type { Graph } from '../ir/graph.ts';
import { inScopeOf } from '../ir/node.ts';
import { verify } from '../ir/verify.ts';
import type { Pass, Rewrite } from './pass.ts';
import { fuseSigmoidBce } from './rules/fuse-sigmoid-bce.ts';
import { fuseSoftmaxCe } from './rules/fuse-softmax-ce.ts';
import { simplify } from './rules/simplify.ts';
import { foldConstants } from './rules/fold-constants.ts';
import { cse } from './rules/cse.ts';
import { groupElementwise } from './rules/group-elementwise.ts';
import { shareExp } from './rules/share-exp.ts';
import { rowRegions } from './rules/row-regions.ts';
import { foldLinear } from './rules/fold-linear.ts';
import { sumSliceGrads } from './rules/sum-slice-grads.ts';
import { sliceConcat } from './rules/slice-concat.ts';

export interface PassReport {
  readonly pass: string;
  readonly graph: string;
  readonly before: number;
  readonly after: number;
  readonly rewrites: readonly Rewrite[];
  readonly misses: readonly Rewrite[];
}

export interface OptimizeOptions {
  /** Loss fusions (sigmoid + BCE, ...). Default true. */
  readonly fuse?: boolean;
  /** Group elementwise chains into fused loops. Default true. */
  readonly group?: boolean;
  /** Form row regions (a narrow linear layer with its chain and gradients, one kernel). Default true. */
  readonly regions?: boolean;
  /** Fold a product's bias and ReLU into its GEMM (`Linear`). Default true. */
  readonly linear?: boolean;
}

/**
 * Passes on the forward graph, before autodiff: the loss fusions (unless `fuse` is false), then
 * `slice-concat`, whose rewrite of the forward graph leaves the gradient without the slices' scatters.
 */
export function forwardPasses(opts: OptimizeOptions = {}): Pass[] {
  return [...(opts.fuse === false ? [] : [fuseSigmoidBce, fuseSoftmaxCe]), sliceConcat];
}

/**
 * Passes on a whole graph (train step or inference). There is no dead-code pass: a graph holds exactly the
 * nodes its outputs reach, so a rewrite that stops using a node has already removed it.
 */
export function graphPasses(opts: OptimizeOptions = {}): Pass[] {
  const passes: Pass[] = [simplify, foldConstants, simplify, cse, sumSliceGrads];
  if (opts.fuse !== false) passes.push(shareExp);
  if (opts.group !== false) passes.push(groupElementwise);
  if (opts.regions !== false) passes.push(rowRegions);
  if (opts.linear !== false) passes.push(foldLinear);
  return passes;
}

export function runPasses(g: Graph, passes: readonly Pass[], report: PassReport[] = []): Graph {
  // what the passes build belongs to the graph's build (see inLeafScope)
  return inScopeOf(g.nodes, () => run(g, passes, report));
}

function run(g: Graph, passes: readonly Pass[], report: PassReport[]): Graph {
  verify(g, 'build');
  let cur = g;
  // what each idempotent pass returned: run again on that same graph (simplify after a fold-constants
  // that folded nothing), it would rewrite nothing
  const returned = new Map<Pass, Graph>();
  for (const p of passes) {
    if (p.idempotent && returned.get(p) === cur) {
      report.push({ pass: p.name, graph: g.name, before: cur.opCount, after: cur.opCount, rewrites: [], misses: [] });
      continue;
    }
    const r = p.run(cur);
    if (p.idempotent) returned.set(p, r.graph);
    verify(r.graph, p.name, cur);
    report.push({ pass: p.name, graph: g.name, before: cur.opCount, after: r.graph.opCount, rewrites: r.rewrites, misses: r.misses ?? [] });
    cur = r.graph;
  }
  return cur;
}

/** The whole pipeline for one graph (no autodiff in between): forward passes, then graph passes. */
export function optimize(g: Graph, opts: OptimizeOptions = {}, report: PassReport[] = []): Graph {
  return runPasses(g, [...forwardPasses(opts), ...graphPasses(opts)], report);
}
