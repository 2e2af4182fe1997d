/**
 * Float64 (double) models. graphc's runtime computes in float32; a model's float64 tensors are computed in
 * float32 too, as TensorFlow.js's converter does: float64 data is narrowed on the way in, refused where
 * float32 cannot hold it (`narrowDoubles`, import-tensor.ts), and the outputs the model declares float64
 * are handed out as Float64Array (`OnnxSession.run`). Every float64 tensor the nodes compute is known by
 * name (`Float64Model.computed`), so that a run refuses one that leaves float32's range from finite
 * inputs, whatever the outputs it feeds. Integer and bool tensors are unaffected (exact).
 * The import says so in one line (`ImportedModel.notes`; `graphc run` prints it).
 */
import type { Node } from '../compiler/ir/node.ts';
import { DataType, type GraphProto } from './proto.ts';
import type { Float64Model, Float64Use } from './import-model.ts';

export type { Float64Model, Float64Use } from './import-model.ts';

type Graph = NonNullable<GraphProto> | import('onnx-proto').onnx.IGraphProto;

const elemOf = (v: { type?: { tensorType?: { elemType?: number | null } | null } | null }) => v.type?.tensorType?.elemType;

export function float64Use(g: Graph): Float64Use {
  const names = (list: Graph['input']) => new Set((list ?? []).filter((v) => elemOf(v) === DataType.DOUBLE).map((v) => v.name ?? ''));
  const inputs = names(g.input), outputs = names(g.output);
  const any =
    inputs.size > 0 ||
    outputs.size > 0 ||
    (g.initializer ?? []).some((t) => t.dataType === DataType.DOUBLE) ||
    (g.valueInfo ?? []).some((v) => elemOf(v) === DataType.DOUBLE) ||
    (g.node ?? []).some((n) => (n.attribute ?? []).some((a) => a.t?.dataType === DataType.DOUBLE || (n.opType === 'Cast' && a.name === 'to' && Number(a.i) === DataType.DOUBLE)));
  return { inputs, outputs, any };
}

type OnnxNode = NonNullable<GraphProto['node']>[number];

/**
 * Whether node `n` computes float64 outputs, given the float64 tensors before it (ONNX's type rules: a
 * Cast's `to`, CastLike's second input, otherwise the type of its float inputs).
 */
function computesDouble(n: OnnxNode, doubles: ReadonlySet<string>): boolean {
  if (n.opType === 'Cast') return (n.attribute ?? []).some((a) => a.name === 'to' && Number(a.i) === DataType.DOUBLE);
  if (n.opType === 'CastLike') return doubles.has(n.input?.[1] ?? '');
  return (n.input ?? []).some((name) => doubles.has(name));
}

/**
 * A model's float64 use and the float64 tensors its nodes compute: from the float64 inputs, initializers
 * and Constants, through the nodes in `order` (the import's), each tensor the IR node `values` holds for
 * it, where that node computes floats (an integer or bool result, or one folded at import, is exact).
 */
export function float64Model(g: Graph, order: readonly number[], values: ReadonlyMap<string, Node>): Float64Model {
  const use = float64Use(g);
  const computed = new Map<string, Node>();
  if (!use.any) return { ...use, computed };
  const doubles = new Set<string>([...use.inputs, ...(g.initializer ?? []).filter((t) => t.dataType === DataType.DOUBLE).map((t) => t.name ?? '')]);
  const nodes = g.node ?? [];
  for (const i of order) {
    const n = nodes[i];
    const constant = n.opType === 'Constant' && n.attribute?.[0]?.t?.dataType === DataType.DOUBLE;
    if (!constant && (n.opType === 'Constant' || !computesDouble(n, doubles))) continue;
    for (const name of n.output ?? []) {
      if (!name) continue;
      doubles.add(name);
      const node = values.get(name);
      if (!constant && node && node.dtype === 'f32' && node.op !== 'Const') computed.set(name, node);
    }
  }
  return { ...use, computed };
}

/** The one line an import of a model with float64 tensors says. */
export const FLOAT64_NOTE =
  "the model's float64 tensors are computed in float32 (graphc's runtime; outputs keep their float64 type, values beyond float32's range are refused)";
