/**
 * An op is declared once, in one record: its shape rule, its Float32 kernel, its gradient rule (which
 * builds graph nodes, so gradients can be printed, optimized, exported and differentiated again), and its
 * ONNX mapping. Traits tell passes what kind of op it is without listing op names.
 */
import type { Attrs, DType, Node } from './node.ts';
import type { Shape } from './shape.ts';
import type { SourcePos } from './source.ts';

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
  /** The same computation as one WebAssembly call, where the kernel has one (runtime/wasm/sequence.ts). */
  readonly wasm?: WasmEntry;
};

/**
 * A kernel's work as one WebAssembly call, so that a plan whose kernels all have one runs as a single
 * call (runtime/wasm/sequence.ts): `fn`, an exported WebAssembly function of `arity` i32 parameters, or,
 * without `fn`, a 32-bit store (its two arguments: the address, the bits). `args` gives the arguments
 * for these buffers, or null where the call cannot take them (a buffer outside the runtime's heap).
 * Results are the JS kernel's, bit for bit.
 */
export interface WasmEntry {
  readonly fn?: (...args: number[]) => void;
  readonly arity: number;
  args(ins: readonly Float32Array[], out: Float32Array): readonly number[] | null;
}

/** What the ONNX exporter offers an op's mapping. Names are tensor names in the ONNX graph. */
export interface OnnxEmit {
  /** Adds `opType(inputs) -> one output` and returns the output's name. */
  op(opType: string, inputs: readonly string[], attrs?: Record<string, number | string | number[] | string[]>): string;
  constF32(values: ArrayLike<number>, dims: readonly number[]): string;
  constI64(values: readonly number[], dims?: readonly number[]): string;
  /** Runtime shape of a tensor as an int64 1-D tensor. */
  shapeOf(name: string): string;
}

export interface OpDef {
  readonly name: string;
  readonly arity: number | 'variadic';
  readonly traits?: {
    /**
     * Elementwise with numpy broadcasting; `fn` is the scalar function, `js` its JS expression, `simd`
     * (optional) its WebAssembly SIMD lowering: given the locals of its arguments, instructions that
     * leave its f32x4 result on the stack (see runtime/wasm/elementwise.ts).
     */
    readonly elementwise?: { readonly fn: (...x: number[]) => number; readonly js: (...x: string[]) => string; readonly simd?: (...args: number[]) => number[] };
    readonly commutative?: boolean;
    /** Leaf ops: inputs, parameters, constants. */
    readonly leaf?: boolean;
    /** Fused op produced by a pass (marked in printouts). */
    readonly fused?: boolean;
  };
  /** Shape rule: validates inputs and attributes (throwing an error that names the op, the shapes and `src`). */
  infer(inputs: readonly Node[], attrs: Attrs, src: SourcePos | undefined): { shape: Shape; dtype: DType };
  /** Float32 kernel, prepared for concrete shapes. Leaves have none. */
  kernel?(ctx: KernelCtx): Kernel;
  /** Vector-Jacobian product: the gradient for each input (null where none flows) given `g`, the output gradient. */
  grad?(node: Node, g: Node): readonly (Node | null)[];
  /** ONNX mapping: emits nodes and returns the name of the output. */
  onnx?(e: OnnxEmit, node: Node, inputs: readonly string[]): string;
  /** Human-readable attributes for the printer (defaults to all attributes). */
  showAttrs?(attrs: Attrs): string;
}
