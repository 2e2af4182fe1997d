/** Exporting a compiled model: its inference graph, or its training step. */
import { compileModel, type CompiledModel } from '../compiler/passes/compile.ts';
import { GraphError } from '../compiler/ir/errors.ts';
import { exportGraph } from './export.ts';
import { OnnxSpecializeError } from './import-error.ts';
import { trainedFile, unspecialized } from './trainable.ts';

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
