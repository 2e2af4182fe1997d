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

export interface OpDef extends OpCore {
  /** Float32 kernel, prepared for concrete shapes. Leaves have none. */
  kernel?(ctx: KernelCtx): Kernel;
  /** ONNX mapping: emits nodes and returns the name of the output. */
  onnx?(e: OnnxEmit, node: Node, inputs: readonly string[]): string;
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
