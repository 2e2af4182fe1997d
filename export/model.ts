/** Exporting a compiled model: its inference graph, or its training step. */
import type { CompiledModel } from '../compiler/passes/compile.ts';
import { exportGraph } from './export.ts';
import { trainedFile } from './trainable.ts';

/**
 * A model imported specialised on its input's shape is written as inference by the file it came from, with
 * the parameters' values in its initializers (`trainedFile`): its graph in graphc holds one batch size.
 */
export function exportModel(c: CompiledModel, mode: 'inference' | 'train', params?: ReadonlyMap<string, Float32Array>): Uint8Array {
  const m = c.model;
  const file = mode === 'inference' ? trainedFile(m.specialized, params) : undefined;
  if (file) return file;
  return exportGraph(mode === 'train' ? c.trainStep : c.inference, {
    mode,
    name: mode === 'train' ? `${m.name}_train_step` : m.name,
    description: m.description,
    params,
  });
}
