/**
 * An op is declared once, in one record: the IR's part (`OpCore`: shape rule, gradient rule, traits), its
 * Float32 kernel and its ONNX mapping. `defineOp` registers the IR's part in the IR's table and keeps the
 * whole record here, for the layers that run or export graphs.
 */
import type { Node } from '../ir/node.ts';
import type { OpCore } from '../ir/op.ts';
import { registerOp } from '../ir/registry.ts';
import type { Kernel, KernelCtx } from '../../runtime/kernels/kernel.ts';

/** What the ONNX exporter offers an op's mapping. Names are tensor names in the ONNX graph. */
export interface OnnxEmit {
  /** Adds `opType(inputs) -> one output` and returns the output's name. */
  op(opType: string, inputs: readonly string[], attrs?: Record<string, number | string | number[] | string[]>): string;
  constF32(values: ArrayLike<number>, dims: readonly number[]): string;
  constI64(values: readonly number[], dims?: readonly number[]): string;
  /** Runtime shape of a tensor as an int64 1-D tensor. */
  shapeOf(name: string): string;
}

/** An ONNX op that cannot be imported in the form a file gives it (named in the importer's one-line error). */
export class UnsupportedError extends Error {
  override name = 'UnsupportedError';
}

/** What the ONNX importer hands an op's import rule: the node's operands as graphc nodes, and its attributes. */
export interface OnnxImportCtx {
  readonly inputs: readonly (Node | undefined)[];
  /** Constant int64 values of input k (for shape, axes), or undefined when not constant. */
  ints(k: number): number[] | undefined;
  attrInt(name: string, dflt: number): number;
  attrFloat(name: string, dflt: number): number;
  attrInts(name: string): number[] | undefined;
  readonly nodeName: string;
}

/** Builds the graphc nodes computing one ONNX node's output; throws UnsupportedError for a form it does not take. */
export type OnnxImporter = (c: OnnxImportCtx) => Node;

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
