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
  args(ins: readonly Float32Array[], out: Float32Array): readonly number[] | null;
}

/** `k`, saying how it computes (shown by `graphc compile --explain`). */
export const withPath = <K extends (ins: readonly Float32Array[], out: Float32Array) => void>(k: K, path: string): K & { readonly path: string } => Object.assign(k, { path });

/** How a kernel computes, as `graphc compile --explain` shows it. */
export const pathOf = (k: Kernel): string => k.path ?? (k.wasm ? 'WebAssembly' : 'JavaScript');
