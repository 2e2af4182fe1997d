/**
 * An op is declared once, in one record: the IR's part (`OpCore`: shape rule, gradient rule, traits), its
 * Float32 kernel and its ONNX mapping. `defineOp` registers the IR's part in the IR's table and keeps the
 * whole record here, for the layers that run or export graphs.
 */
import { Node } from '../ir/node.ts';
import type { OpCore } from '../ir/op.ts';
import { shapeStr, type Dim } from '../ir/shape.ts';
import { GraphError } from '../ir/errors.ts';
import { registerOp } from '../ir/registry.ts';
import type { Kernel, KernelCtx } from '../../runtime/kernels/kernel.ts';
import { ownSources } from '../ir/source.ts';

// nodes built here are built for the caller: their position is the caller's
ownSources(import.meta.url);

/**
 * A FLOAT attribute (LeakyRelu's alpha, an epsilon): a bare number is written as INT when it is whole, so a
 * float attribute whose value may be whole (alpha = 1) is given as `onnxFloat(v)`.
 */
export interface OnnxFloat {
  readonly kind: 'float';
  readonly value: number;
}
export const onnxFloat = (value: number): OnnxFloat => ({ kind: 'float', value });
export type OnnxAttr = number | OnnxFloat | string | number[] | string[];

/** What the ONNX exporter offers an op's mapping. Names are tensor names in the ONNX graph. */
export interface OnnxEmit {
  /** Adds `opType(inputs)` and returns its first output's name (`outputs`: how many it has, default 1; the rest unused). */
  op(opType: string, inputs: readonly string[], attrs?: Record<string, OnnxAttr>, outputs?: number): string;
  /** The name of output k of the node whose first output `op` returned as `first`. */
  output(first: string, k: number): string;
  constF32(values: ArrayLike<number>, dims: readonly number[]): string;
  constI64(values: readonly number[], dims?: readonly number[]): string;
  /** Runtime shape of a tensor as an int64 1-D tensor. */
  shapeOf(name: string): string;
  /**
   * Symbolic dim d's size at run time as an int64 tensor [1], read from the shape of a tensor written before
   * (a graph input or a node's output) carrying it; undefined where none does.
   */
  dimOf?(d: string): string | undefined;
}

/** An ONNX op that cannot be imported in the form a file gives it (named in the importer's one-line error). */
export class UnsupportedError extends Error {
  override name = 'UnsupportedError';
}

/**
 * An operand whose values decide a shape (or a mode) is computed from small graph inputs (`inputs`, by
 * name) and from the shapes of graph inputs with symbolic dims (`shapes`, by name: Shape, Size and what is
 * computed from them): the model can be imported once their values and shapes are known, specialised on
 * them (export/specialize.ts).
 */
export class NeedsValuesError extends UnsupportedError {
  override name = 'NeedsValuesError';
  constructor(
    message: string,
    readonly inputs: readonly string[],
    readonly shapes: readonly string[] = [],
  ) {
    super(message);
  }
}

/**
 * An op that needs a dim to be a number (a sequence unrolled, an output's extent) met a symbolic one
 * (`dims`, named in `message`): the importer specialises the model on the shapes of the graph inputs the
 * op's operands are computed from (export/import-dims.ts), where such inputs exist; a refusal otherwise.
 */
export class SymbolicDimError extends UnsupportedError {
  override name = 'SymbolicDimError';
  constructor(
    message: string,
    readonly dims: readonly Dim[],
  ) {
    super(message);
  }
}

/** Refuses a symbolic dim where the op needs a number (SymbolicDimError: the model is specialised on it). */
export function needStatic(message: string, dims: readonly Dim[]): never {
  throw new SymbolicDimError(message, dims.filter((d) => typeof d === 'string'));
}

/**
 * Refuses an export that needs symbolic dim d's size at run time (an Expand to it, a Reshape to it) where
 * no tensor written before n carries it (`OnnxEmit.dimOf`): never written as a silent 1.
 */
export function unread(n: Node, d: string): never {
  throw new GraphError(`ONNX export: ${n.op} to ${shapeStr(n.shape)} needs the size of the symbolic dim '${d}' at run time, and no tensor computed before it has that dim to read it from (a graph input or a node's output; a dim derived from others is not computed from them)`, n.src);
}

/**
 * An int64 tensor known at import: shape arithmetic (Shape, Gather, Concat, Unsqueeze of shapes), axes,
 * indices. Folded, never a runtime value; a value may be a symbolic dim's name (the batch 'N').
 */
export interface IntConst {
  readonly kind: 'ints';
  readonly values: readonly Dim[];
  readonly dims: readonly number[];
}
export const intConst = (values: readonly Dim[], dims: readonly number[] = [values.length]): IntConst => ({ kind: 'ints', values: [...values], dims: [...dims] });
export type OnnxValue = Node | IntConst;
export const isIntConst = (v: OnnxValue | undefined): v is IntConst => !!v && (v as IntConst).kind === 'ints';

/**
 * What the ONNX importer hands an op's import rule: the node's operands and attributes through typed
 * readers. The importer records what a rule reads: an attribute the file sets or an input it gives that
 * the rule did not read is refused (one line naming the node, op, opset and the operand), so a form a
 * rule does not know is never silently ignored.
 */
export interface OnnxImportCtx {
  /** Float (or bool, or runtime int64) operands as graphc nodes; undefined where absent or folded. */
  readonly inputs: readonly (Node | undefined)[];
  /** The model's default-domain opset. */
  readonly opset: number;
  /** Constant int64 values of input k (shapes, axes, indices), or undefined when not constant or symbolic. */
  ints(k: number): number[] | undefined;
  /** Input k as an int64 tensor folded at import (its values may name symbolic dims), or undefined. */
  intConst(k: number): IntConst | undefined;
  /**
   * The values of input k, which must be known at import (`what` names what they decide, for the
   * refusal): folded integers, a constant, an initializer, or a tensor computed from constants. When they
   * are computed from small graph inputs, throws NeedsValuesError naming them (the model is specialised on
   * their values when run); otherwise UnsupportedError. An int64 beyond ±2^53, which a double holds only
   * approximately, is refused (here, by `ints` and by `intConst`), unless `wide` (Slice's bounds, which
   * only their comparison with a dim decides): then it is the nearest double.
   */
  known(k: number, what: string, wide?: boolean): number[];
  /**
   * The values of input k where they are computed from constants alone (folded integers, or a float tensor
   * of no graph input or initializer, evaluated at import), else undefined: never a refusal, for an operand
   * a rule can also take at run time (Pad's constant_value).
   */
  folded(k: number): number[] | undefined;
  /**
   * The values of input k where no run can change them: `folded`'s, or an initializer that is no graph
   * input's default; else undefined, never a refusal (Clip's bounds, which a rule also takes at run time).
   */
  fixed(k: number): number[] | undefined;
  /** Whether input k is given (a non-empty name). */
  has(k: number): boolean;
  /** The ONNX element type of input k where the file says it (declared, or ONNX's type rules), else undefined. */
  elemType?(k: number): number | undefined;
  attrInt(name: string, dflt: number): number;
  attrFloat(name: string, dflt: number): number;
  /** An INTS attribute; `wide` as `known`'s (else a value beyond ±2^53 is refused). */
  attrInts(name: string, wide?: boolean): number[] | undefined;
  attrFloats(name: string): number[] | undefined;
  attrString(name: string, dflt: string): string;
  attrStrings(name: string): string[] | undefined;
  /** A tensor attribute (ConstantOfShape's value): its values as numbers, its dims, whether it is integer or bool (0s and 1s). */
  attrTensor(name: string): { values: number[]; dims: number[]; integer: boolean; bool?: boolean } | undefined;
  /** How many outputs the node names (Split's parts). */
  readonly outputs: number;
  readonly nodeName: string;
  /** A float scalar holding a symbolic dim's size at run time (read off a graph input with that dim). */
  dimSize(name: string): Node | undefined;
}

/**
 * Builds the graphc nodes computing one ONNX node's output; throws UnsupportedError for a form it does not
 * take. `since` lists the ONNX schema versions (since_version) whose forms the rule reads: the schema
 * history test (test/onnx/schemas.test.ts) fails when ONNX has a version of the op the rule does not list.
 */
export type OnnxImporter = ((c: OnnxImportCtx) => OnnxValue | readonly OnnxValue[]) & { readonly since?: readonly number[] };

/** Operand k of an ONNX node as a graphc node: a runtime tensor, or an integer tensor folded at import made a constant. */
export function onnxOperand(c: OnnxImportCtx, k: number): Node {
  const n = c.inputs[k];
  if (n) return n;
  const ic = c.intConst(k);
  if (ic && ic.values.every((d) => typeof d === 'number')) return Node.mk('Const', [], { value: Float32Array.from(ic.values as number[]), shape: [...ic.dims], dtype: 'i64' });
  if (ic) {
    // symbolic dims (the batch 'N' of Shape(x)) become run-time sizes read off the inputs carrying them
    const parts = ic.values.map((d) => {
      const v = typeof d === 'number' ? Node.mk('Const', [], { value: Float32Array.of(d), shape: [], dtype: 'f32' }) : c.dimSize(d);
      if (!v) needStatic(`input ${k} holds the symbolic dim ${d}, computed from the inputs' dims (no input carries it to read its size at run time)`, [d]);
      return Node.mk('Reshape', [v], { shape: [1] });
    });
    const flat = parts.length === 1 ? parts[0] : Node.mk('Concat', parts, { axis: 0 });
    return Node.mk('Cast', [Node.mk('Reshape', [flat], { shape: [...ic.dims] })], { to: 'i64' });
  }
  throw new UnsupportedError(`input ${k} is missing`);
}

/** An import rule that reads the ONNX forms of the op since the given versions. */
export const onnxRule = (since: readonly number[], fn: (c: OnnxImportCtx) => OnnxValue | readonly OnnxValue[]): OnnxImporter => Object.assign((c: OnnxImportCtx) => fn(c), { since });

/**
 * How a model's author reaches an op: its `Tensor` method and/or its free function in the DSL (checked
 * against the DSL by test/ops/records.test.ts), or why it has none (made by a pass, a gradient rule or
 * the importer).
 */
export type OpSurface = { readonly method?: string; readonly fn?: string } | { readonly internal: string };

export interface OpDef extends OpCore {
  /** The op's face in the DSL, or why it has none. */
  readonly dsl: OpSurface;
  /** Float32 kernel, prepared for concrete shapes. Leaves have none. */
  kernel?(ctx: KernelCtx): Kernel;
  /** ONNX mapping: emits nodes and returns the name of the output. */
  onnx?(e: OnnxEmit, node: Node, inputs: readonly string[]): string;
  /** ONNX import: the ONNX op types (default domain) this op reads, each with its rule. */
  readonly onnxImport?: Readonly<Record<string, OnnxImporter>>;
}

const defs = new Map<string, OpDef>();

export function defineOp(def: OpDef): OpDef {
  registerOp(def);
  defs.set(def.name, def);
  return def;
}

/** The whole record of an op (kernel and ONNX mapping included). */
export function getOp(name: string): OpDef {
  const def = defs.get(name);
  if (!def) throw new Error(`unknown op '${name}'`);
  return def;
}

export const allOps = (): OpDef[] => [...defs.values()];

/** The import rule for an ONNX op type, from the op records (own entries only: never an object's prototype). */
export function onnxImporter(opType: string): OnnxImporter | undefined {
  for (const d of defs.values()) if (d.onnxImport && Object.hasOwn(d.onnxImport, opType)) return d.onnxImport[opType];
  return undefined;
}

/** Every ONNX op type the op records import. */
export const onnxImportedOps = (): string[] => [...defs.values()].flatMap((d) => Object.keys(d.onnxImport ?? {}));
