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

export function onnxTypes(nodes: readonly NodeProto[], typed: readonly ValueInfo[], initializers: readonly TensorProto[]): Map<string, number> {
  const types = new Map<string, number>();
  for (const v of typed) if (v.name && v.type?.tensorType?.elemType) types.set(v.name, v.type.tensorType.elemType);
  for (const t of initializers) if (t.name && t.dataType) types.set(t.name, t.dataType);
  for (const n of nodes) {
    const op = n.opType ?? '';
    const ins = n.input ?? [];
    const to = (n.attribute ?? []).find((a) => a.name === 'to')?.i;
    const type = BOOL.has(op) ? DataType.BOOL
      : INT64.has(op) ? DataType.INT64
      : op === 'Cast' ? Number(to)
      : op === 'Where' ? types.get(ins[1])
      : op === 'ConstantOfShape' ? ((n.attribute ?? []).find((a) => a.name === 'value')?.t?.dataType ?? DataType.FLOAT)
      : op === 'OneHot' ? types.get(ins[2])
      : isRandomLike(op) ? (randomLikeType(n) ?? types.get(ins[0]))
      : types.get(ins[0]);
    // a node's other outputs are typed where known only: BatchNormalization's running statistics and
    // Split's pieces share the first output's type, MaxPool's indices are int64 (Dropout's mask, a loss's
    // log-probabilities are left)
    const outs = SAME_TYPE_OUTPUTS.has(op) ? (n.output ?? []) : (n.output ?? []).slice(0, 1);
    for (const o of outs) if (o && type !== undefined && !types.has(o)) types.set(o, type);
    if (op === 'MaxPool' && n.output?.[1]) types.set(n.output[1], DataType.INT64);
  }
  return types;
}
