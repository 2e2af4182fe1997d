/**
 * What the IR knows of an op: its name, arity, traits, shape rule and gradient rule (which builds graph
 * nodes, so gradients can be printed, optimized, exported and differentiated again). The full record,
 * with the kernel and the ONNX mapping, is `OpDef` in compiler/ops/op.ts; traits tell passes what kind of
 * op it is without listing op names.
 */
import type { Attrs, DType, Node } from './node.ts';
import type { Shape } from './shape.ts';
import type { SourcePos } from './source.ts';

/** An elementwise op's scalar function, its JS expression and (optionally) its WebAssembly SIMD lowering. */
export interface ElementwiseRule {
  readonly fn: (...x: number[]) => number;
  readonly js: (...x: string[]) => string;
  readonly simd?: (...args: never[]) => void;
}

export interface OpCore {
  readonly name: string;
  readonly arity: number | 'variadic';
  readonly traits?: {
    /**
     * Elementwise with numpy broadcasting; `fn` is the scalar function, `js` its JS expression, `simd`
     * (optional) its WebAssembly SIMD lowering: given a function builder and the locals of its
     * arguments, it emits instructions that leave its f32x4 result on the stack (a `SimdRule`,
     * runtime/kernels/wasm/elementwise.ts; typed there, as the IR sees no kernel types).
     */
    readonly elementwise?: ElementwiseRule & {
      /**
       * An op with attributes (LeakyRelu's alpha, Clip's bounds): its rule for a node's attributes, which
       * fused chains keep with each instruction (the rule above is the one for no attributes given).
       */
      readonly withAttrs?: (attrs: Attrs) => ElementwiseRule;
    };
    readonly commutative?: boolean;
    /** Leaf ops: inputs, parameters, constants. */
    readonly leaf?: boolean;
    /** Fused op produced by a pass (marked in printouts). */
    readonly fused?: boolean;
    /**
     * Draws from a generator of its node's own, which advances from run to run (DropoutMask): its kernel
     * keeps that state, so it is prepared for each plan and never shared between nodes (runtime/prepared.ts).
     */
    readonly draws?: boolean;
  };
  /**
   * Shape rule: validates inputs and attributes (throwing an error that names the op, the shapes and `src`).
   * A function of the attributes and of the inputs' shapes and dtypes only: a node rebuilt over inputs of
   * the same shapes and dtypes keeps the shape and dtype it has (`Node.remake`).
   */
  infer(inputs: readonly Node[], attrs: Attrs, src: SourcePos | undefined): { shape: Shape; dtype: DType };
  /** Vector-Jacobian product: the gradient for each input (null where none flows) given `g`, the output gradient. */
  grad?(node: Node, g: Node): readonly (Node | null)[];
  /** Human-readable attributes for the printer (defaults to all attributes); `node`, where given, for what its inputs tell (a kernel's size). */
  showAttrs?(attrs: Attrs, node?: Node): string;
  /**
   * For an op whose nodes share part of what they show (a row region's outputs share its body): printouts
   * show `shared` once, as `kind` with a name, and each node that name and `own` (in place of showAttrs).
   * Nodes with the same `key` share it.
   */
  showShared?(node: Node): SharedPart;
}

/** The part of a node's printout that other nodes share (OpCore.showShared). */
export interface SharedPart {
  readonly kind: string;
  readonly key: string;
  readonly shared: string;
  readonly own: string;
}


/** The elementwise rule of `op` for a node with `attrs` (its own rule where it reads no attributes), or undefined for a non-elementwise op. */
export function elementwiseRule(op: OpCore, attrs: Attrs = {}): ElementwiseRule | undefined {
  const e = op.traits?.elementwise;
  return e?.withAttrs && Object.keys(attrs).length ? e.withAttrs(attrs) : e;
}
