/**
 * What a plan takes and tells: its options, a tensor it hands out, its memory and what it decided
 * (`Plan.report`, printed by `graphc compile --explain`).
 */
import type { Node } from '../compiler/ir/node.ts';
import type { RegionMiss } from './rows.ts';
import type { Fallback } from './kernels/fallbacks.ts';
import type { InPlaceMiss } from './in-place.ts';

export interface TensorValue {
  readonly data: Float32Array;
  readonly shape: readonly number[];
}

export interface PlanOptions {
  /**
   * 'f64' runs the same kernels on Float64Array buffers (the float64 reference for gradient checks;
   * kernels are written against the array interface, so they work on either).
   */
  readonly precision?: 'f32' | 'f64';
  /** Share memory between buffers whose lifetimes do not overlap (default: true for f32). */
  readonly reuse?: boolean;
  /**
   * Run the graph's row regions (RowRegion nodes, formed by the row-regions pass) as one kernel each
   * (rows.ts; default: true, in float32 plans with a heap); else, or where a region's kernel cannot be
   * made, the region's nodes are expanded into the ops they were formed from.
   */
  readonly regions?: boolean;
  /** Run as one WebAssembly call where every kernel has a WebAssembly entry (wasm/sequence.ts; default: true). */
  readonly oneCall?: boolean;
  /**
   * Outputs that are the next values of leaves (output name → leaf name: a train step's `next:<param>`).
   * Each is written straight into its leaf's buffer where that is safe (in-place.ts), so a run overwrites
   * those leaves and no copy is needed after it: `buffer(output)` is then the leaf's buffer of the run.
   */
  readonly updates?: ReadonlyMap<string, string>;
}

/** Memory of a plan: the arena it allocated, and the least any placement could use. */
export interface MemoryReport {
  /** Bytes of the arena holding every intermediate buffer. */
  readonly arenaBytes: number;
  /** Lower bound: the largest total size of buffers alive at one time. */
  readonly livenessBound: number;
  /** Bytes without sharing (every buffer its own). */
  readonly unsharedBytes: number;
}

/** What a plan decided (`Plan.report`). */
export interface PlanReport {
  readonly precision: 'f32' | 'f64';
  /** The symbolic dims' values it was planned for. */
  readonly env: ReadonlyMap<string, number>;
  /** The row regions run as one kernel: the first node of each, its chain's instructions, its reductions. */
  readonly regions: readonly { readonly head: Node; readonly members: number; readonly exits: number; readonly path: string }[];
  /** The row regions expanded into their ops instead, and why. */
  readonly regionMisses: readonly RegionMiss[];
  /** The updates written into their leaves' buffers (`PlanOptions.updates`), and those copied after a run instead, with why. */
  readonly inPlace: readonly { readonly node: Node; readonly leaf: string }[];
  readonly inPlaceMisses: readonly InPlaceMiss[];
  readonly oneCall: boolean;
  /** Whether its buffers live in the shared WebAssembly heap (else ordinary arrays, JavaScript kernels). */
  readonly heap: boolean;
  /** Each step's node (a region's head for a region), how its kernel computes, and whether it has a WebAssembly entry. */
  readonly kernels: readonly { readonly node: Node; readonly path: string; readonly entry: boolean }[];
  readonly arenaBytes: number;
  readonly fallbacks: readonly Fallback[];
}

/** A value copied after each run of `Plan.runTimes`: node `from`'s buffer into `to`. */
export interface Copy {
  readonly from: Node;
  readonly to: Float32Array;
}
