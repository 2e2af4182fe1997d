/** Exporting a compiled model: its inference graph, or its training step. */
import { compileModel, type CompiledModel } from '../compiler/passes/compile.ts';
import { GraphError } from '../compiler/ir/errors.ts';
import { exportGraph } from './export.ts';
import { OnnxImportError, OnnxSpecializeError } from './import-error.ts';
import { attachLoss, specializedSource } from './trainable.ts';
import { decodeModel, importOnnx } from './import.ts';
import { DataType, onnx } from './proto.ts';
import { floatTensor } from './emit.ts';
import type { BuiltModel, Specialized } from '../compiler/dsl/model.ts';

export interface ExportModelOptions {
  /**
   * For the training step of a model imported specialised on its input's shape whose file needs that shape
   * (a Reshape to a size computed from Shape(x)): write the step of the shape it was imported for, which
   * takes that batch size alone, instead of refusing.
   */
  readonly fixedShape?: boolean;
}

/**
 * A model imported specialised on its input's shape is written as inference by the file it came from, with
 * the parameters' values in its initializers (`trainedFile`): its graph in graphc holds one batch size. Its
 * training step is the model imported again with the input's dims as the file declares them, compiled as it
 * was: a step for any batch. Where the file needs the shape at import, no such step exists in graphc: that is
 * refused in one line (the node that needs it, and what to write instead) unless `fixedShape` asks for the
 * step of the shape imported.
 */
export function exportModel(c: CompiledModel, mode: 'inference' | 'train', params?: ReadonlyMap<string, Float32Array>, o: ExportModelOptions = {}): Uint8Array {
  const m = c.model;
  const file = mode === 'inference' ? trainedFile(m.specialized, params) : undefined;
  if (file) return file;
  const step = mode === 'train' && m.specialized && !o.fixedShape ? anyBatchStep(c) : c.trainStep;
  return exportGraph(mode === 'train' ? step : c.inference, {
    mode,
    name: mode === 'train' ? `${m.name}_train_step` : m.name,
    description: m.description,
    params,
  });
}

/** The training step of a specialised model for any batch: its file imported with symbolic dims and compiled as `c` was. */
function anyBatchStep(c: CompiledModel) {
  const s = c.model.specialized!;
  try {
    return compileModel(unspecialized(s), c.options).trainStep;
  } catch (e) {
    if (!(e instanceof OnnxSpecializeError)) throw e;
    const node = /^node '.*?' \([^)]*\)/.exec(e.message)?.[0] ?? 'a node';
    throw new GraphError(
      `exportModel: model ${c.model.name} has no training step for any batch: ${node} needs the shape of input '${s.input}' at import, so graphc imports it once per batch shape; ` +
        `write the trained model for inference (the file it came from, any batch), or pass { fixedShape: true } for the step of [${s.shape.join(', ')}] alone`,
    );
  }
}

/**
 * The specialised model imported with its input's dims symbolic, as the file declares them (its other
 * options as they were), with the same loss: the model for any batch. Throws `OnnxSpecializeError` where
 * the file needs the input's shape at import (a Reshape to a size computed from Shape(x)...).
 */
function unspecialized(s: Specialized): BuiltModel {
  const src = specializedSource(s);
  if (!src) throw new OnnxImportError(`the model specialised on input '${s.input}' was not made by attachLoss`);
  const shapes = new Map([...(src.from.options.shapes ?? [])].filter(([name]) => name !== s.input));
  return attachLoss(importOnnx(src.from.bytes, { ...src.from.options, shapes }), src.loss);
}

/**
 * The ONNX file a specialised model was imported from, with `params`' values in its initializers of the
 * same names (float and double; the others, and initializers no parameter names, as they were); undefined
 * for a model that is not an import specialised on shapes.
 */
function trainedFile(s: Specialized | undefined, params?: ReadonlyMap<string, Float32Array>): Uint8Array | undefined {
  const bytes = s && specializedSource(s)?.from.bytes;
  if (!bytes || !params) return bytes;
  const model = decodeModel(bytes);
  for (const t of model.graph?.initializer ?? []) {
    const v = params.get(t.name ?? '');
    if (!v || (t.dataType !== DataType.FLOAT && t.dataType !== DataType.DOUBLE)) continue;
    const count = (t.dims ?? []).reduce((a: number, d) => a * Number(d), 1);
    if (count !== v.length) throw new OnnxImportError(`initializer '${t.name}' holds ${count} values, the trained parameter ${v.length}`);
    if (t.dataType === DataType.DOUBLE) [t.doubleData, t.rawData] = [Array.from(v), new Uint8Array(0)];
    else [t.floatData, t.rawData] = [[], floatTensor('', v, []).rawData];
  }
  return onnx.ModelProto.encode(model).finish();
}
