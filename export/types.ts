/**
 * The ONNX element type of every tensor a graph's nodes compute, propagated in node order from the
 * graph's inputs, its initializers and the tensors already typed: the type ONNX's own inference gives
 * (shapes and symbolic arithmetic are graphc's importer's; integer shape arithmetic such as
 * `ReduceProd(Shape(x))` is int64 in ONNX where graphc folds it to a constant).
 */
import { onnx, DataType, type NodeProto, type TensorProto } from './proto.ts';
import { isRandomLike, randomLikeType } from './stand-ins.ts';

type ValueInfo = ReturnType<typeof onnx.ValueInfoProto.create>;

/** Ops whose output is bool, int64 regardless of their inputs. */
const BOOL = new Set(['Equal', 'Greater', 'GreaterOrEqual', 'Less', 'LessOrEqual', 'Not', 'And', 'Or', 'Xor', 'IsNaN', 'IsInf']);
const INT64 = new Set(['Shape', 'Size', 'ArgMax', 'ArgMin', 'NonZero']);

const SAME_TYPE_OUTPUTS = new Set(['BatchNormalization', 'Split']);

/** The element type of node `n`'s first output, by ONNX's type rules, from the types of the tensors before it. */
export function nodeType(n: NodeProto | import('onnx-proto').onnx.INodeProto, types: ReadonlyMap<string, number>): number | undefined {
  const op = n.opType ?? '';
  const ins = n.input ?? [];
  const to = (n.attribute ?? []).find((a) => a.name === 'to')?.i;
  return BOOL.has(op) ? DataType.BOOL
    : INT64.has(op) ? DataType.INT64
    : op === 'Cast' ? Number(to)
    : op === 'CastLike' ? types.get(ins[1])
    : op === 'Where' ? types.get(ins[1])
    : op === 'ConstantOfShape' ? ((n.attribute ?? []).find((a) => a.name === 'value')?.t?.dataType ?? DataType.FLOAT)
    : op === 'OneHot' ? types.get(ins[2])
    : op === 'EyeLike' ? (Number((n.attribute ?? []).find((a) => a.name === 'dtype')?.i ?? 0) || types.get(ins[0]))
    : isRandomLike(op) ? (randomLikeType(n as NodeProto) ?? types.get(ins[0]))
    : op === 'Constant' ? ((n.attribute ?? [])[0]?.t?.dataType ?? ({ value_int: DataType.INT64, value_ints: DataType.INT64 } as Record<string, number>)[(n.attribute ?? [])[0]?.name ?? ''] ?? DataType.FLOAT)
    : types.get(ins[0]);
}

export function onnxTypes(nodes: readonly NodeProto[], typed: readonly ValueInfo[], initializers: readonly TensorProto[]): Map<string, number> {
  const types = new Map<string, number>();
  for (const v of typed) if (v.name && v.type?.tensorType?.elemType) types.set(v.name, v.type.tensorType.elemType);
  for (const t of initializers) if (t.name && t.dataType) types.set(t.name, t.dataType);
  for (const n of nodes) {
    const op = n.opType ?? '';
    // (an exported graph's Constants are typed where they are read: value_info as before)
    const type = op === 'Constant' ? undefined : op === 'CastLike' ? types.get((n.input ?? [])[0]) : nodeType(n, types);
    // a node's other outputs are typed where known only: BatchNormalization's running statistics and
    // Split's pieces share the first output's type, MaxPool's indices are int64 (Dropout's mask, a loss's
    // log-probabilities are left)
    const outs = SAME_TYPE_OUTPUTS.has(op) ? (n.output ?? []) : (n.output ?? []).slice(0, 1);
    for (const o of outs) if (o && type !== undefined && !types.has(o)) types.set(o, type);
    if (op === 'MaxPool' && n.output?.[1]) types.set(n.output[1], DataType.INT64);
  }
  return types;
}
