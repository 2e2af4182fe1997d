/**
 * Results of the small integer types (uint8, int8, uint16, int16, uint32, uint64: compiler/ops/int-types.ts)
 * kept within their type, as onnxruntime computes them: graphc holds integers in float32, so uint8's
 * 3 − 5 is −2 until an `IntType` node wraps it to 254 (uint8's Add, Sub and Mul wrap around in ONNX). A
 * Div's quotient is truncated toward zero (integer division), a value no integer type holds (a division
 * by zero) stops the run. The ops that only move or pick their inputs' values need no such node. The
 * importer knows each tensor's element type from the file's declarations and ONNX's rules (`typeOutputs`).
 */
import type { Node } from '../compiler/ir/node.ts';
import * as B from '../compiler/ir/build.ts';
import { ShapeError } from '../compiler/ir/shape.ts';
import { atSource, type SourcePos } from '../compiler/ir/source.ts';
import { intConst, isIntConst, type OnnxValue } from '../compiler/ops/op.ts';
import { INT_TYPES, intTypeProblem, wrapInt, type IntType } from '../compiler/ops/int-types.ts';
import type { GraphProto, NodeProto } from './proto.ts';
import { fail } from './import-tensor.ts';
import { foldInts } from './import-fold.ts';
import { nodeType } from './types.ts';

/** Ops whose result holds only values of their inputs (of the same type): always within the type. */
const PICKS = new Set([
  'Identity', 'Reshape', 'Flatten', 'Squeeze', 'Unsqueeze', 'Transpose', 'Concat', 'Slice', 'Gather', 'GatherElements', 'GatherND',
  'Expand', 'Tile', 'Split', 'Max', 'Min', 'Clip', 'Where', 'Pad', 'ReduceMax', 'ReduceMin', 'DepthToSpace', 'SpaceToDepth', 'Trilu', 'TopK',
  // these read or write the type themselves
  'Cast', 'CastLike', 'Constant',
]);

/** `result`, the output of ONNX op `op` of type `t`, kept within `t`. */
export function keepInType(result: OnnxValue, t: IntType, op: string, where: string): OnnxValue {
  if (isIntConst(result)) {
    if (PICKS.has(op)) return result;
    if (!result.values.every((d) => typeof d === 'number')) return result;
    const values = (result.values as number[]).map((v) => (op === 'Div' ? Math.trunc(v) : v)).map((v) => (Number.isInteger(v) ? wrapInt(t, v) : v));
    const bad = values.findIndex((v) => intTypeProblem(t, v));
    if (bad >= 0) fail(`${where}: value ${bad} (${(result.values as number[])[bad]}) is ${intTypeProblem(t, values[bad])}`);
    return intConst(values, result.dims);
  }
  const n = result as Node;
  // a pick computed by a float op (Min, Clip) is an integer still: held as one
  if (PICKS.has(op)) return n.dtype === 'f32' ? B.cast(n, 'i64') : n;
  // a quotient is truncated (from: float), anything else wrapped (from: int)
  return B.mk('IntType', [n], { type: t.code, from: op === 'Div' ? 'float' : 'int', op });
}

/** The element types a graph declares: its inputs' and initializers'. */
export function declaredTypes(g: GraphProto | import('onnx-proto').onnx.IGraphProto): Map<string, number> {
  const types = new Map<string, number>();
  for (const vi of g.input ?? []) if (vi.name && vi.type?.tensorType?.elemType) types.set(vi.name, vi.type.tensorType.elemType);
  for (const t of g.initializer ?? []) if (t.name && t.dataType) types.set(t.name, t.dataType);
  return types;
}

/** Records the element type of node `n`'s outputs (ONNX's rules: Split's parts all of it, else the first). */
export function typeOutputs(n: NodeProto | import('onnx-proto').onnx.INodeProto, types: Map<string, number>): void {
  const type = nodeType(n, types);
  if (type) for (const o of n.output?.slice(0, n.opType === 'Split' ? undefined : 1) ?? []) if (o) types.set(o, type);
}

/**
 * A node's output as the importer keeps it: within its small integer type (`type`, its ONNX element type),
 * then integers computed from constants only folded now (shape arithmetic); a value the fold cannot take
 * (an IntType node refusing it) is refused naming the node (`where`).
 */
export function settle(result: OnnxValue, type: number | undefined, op: string, where: string, pos: SourcePos): OnnxValue {
  const small = INT_TYPES.get(type ?? 0);
  const o = small ? atSource(pos, () => keepInType(result, small, op, where)) : result;
  try {
    return isIntConst(o) ? o : (foldInts(o) ?? o);
  } catch (e) {
    if (e instanceof ShapeError) fail(`${where}: ${e.message}`);
    throw e;
  }
}
