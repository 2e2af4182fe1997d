/**
 * Float64 (double) models. graphc's runtime computes in float32; a model's float64 tensors are computed in
 * float32 too, as TensorFlow.js's converter does: float64 data is narrowed on the way in, refused where
 * float32 cannot hold it (`narrowDoubles`, import-tensor.ts), and the outputs the model declares float64
 * are handed out as Float64Array (`OnnxSession.run`). Integer and bool tensors are unaffected (exact).
 * The import says so in one line (`ImportedModel.notes`; `graphc run` prints it).
 */
import { DataType, type GraphProto } from './proto.ts';

type Graph = NonNullable<GraphProto> | import('onnx-proto').onnx.IGraphProto;

/** The graph inputs and outputs a model declares float64, and whether it has float64 tensors at all. */
export interface Float64Use {
  readonly inputs: ReadonlySet<string>;
  readonly outputs: ReadonlySet<string>;
  /** Any float64 tensor: an input, output, initializer, value_info, a Constant's value or a Cast to DOUBLE. */
  readonly any: boolean;
}

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

/** The one line an import of a model with float64 tensors says. */
export const FLOAT64_NOTE =
  "the model's float64 tensors are computed in float32 (graphc's runtime; outputs keep their float64 type, values beyond float32's range are refused)";
