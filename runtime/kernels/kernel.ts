/** The kernel contract: what an op's kernel is given when a plan prepares it, and what it returns. */
import type { Attrs, Node } from '../../compiler/ir/node.ts';

/** Concrete shapes known when the runtime plans a graph for given input shapes. */
export interface KernelCtx {
  readonly node: Node;
  readonly inShapes: readonly (readonly number[])[];
  readonly outShape: readonly number[];
  readonly attrs: Attrs;
  /**
   * Precision of the plan's buffers: 'f64' plans are the float64 reference (gradient checks), so a
   * kernel may use a float32-accurate shortcut (a polynomial exp) only when this is 'f32'.
   */
  readonly precision: 'f32' | 'f64';
}

/** A prepared kernel: reads its inputs, writes its output buffer. Must not allocate. */
export type Kernel = ((ins: readonly Float32Array[], out: Float32Array) => void) & {
  /** How it computes, for `graphc compile --explain` (default: "WebAssembly" with an entry, else "JavaScript"). */
  readonly path?: string;
  /** The same computation as one WebAssembly call, where the kernel has one (runtime/kernels/wasm/sequence.ts). */
  readonly wasm?: WasmEntry;
};

/**
 * A kernel's work as one WebAssembly call, so that a plan whose kernels all have one runs as a single
 * call (runtime/kernels/wasm/sequence.ts): `fn`, an exported WebAssembly function of `arity` i32 parameters, or,
 * without `fn`, a 32-bit store (its two arguments: the address, the bits). `args` gives the arguments
 * for these buffers, or null where the call cannot take them (a buffer outside the runtime's heap).
 * Results are the JS kernel's, bit for bit.
 */
export interface WasmEntry {
  readonly fn?: (...args: number[]) => void;
  readonly arity: number;
  /**
   * The arguments for these buffers, or null where the entry cannot take them. An entry that declares
   * `cells` gets that many i32s of the plan's own (`block` from index `at`, in the heap) for what its
   * arguments point to, so that plans sharing the kernel do not share them.
   */
  args(ins: readonly Float32Array[], out: Float32Array, block?: Int32Array, at?: number): readonly number[] | null;
  readonly cells?: number;
  /**
   * For an entry that may post the helper thread a share of its work: `what` names the kernel, and `word`
   * is the cell holding the helper's control block as `args` wrote it, 0 to run the share on the calling
   * thread instead (the same values either way), so that the plan's one call can be timed both ways as a
   * kernel's calls are (split.ts).
   */
  readonly split?: { readonly what: string; readonly word: number };
}

/** `k`, saying how it computes (shown by `graphc compile --explain`). */
export const withPath = <K extends (ins: readonly Float32Array[], out: Float32Array) => void>(k: K, path: string): K & { readonly path: string } => Object.assign(k, { path });

/** How a kernel computes, as `graphc compile --explain` shows it. */
export const pathOf = (k: Kernel): string => k.path ?? (k.wasm ? 'WebAssembly' : 'JavaScript');
