/** Exporting a compiled model: its inference graph, or its training step. */
import type { CompiledModel } from '../compiler/passes/compile.ts';
import { exportGraph } from './export.ts';

export function exportModel(c: CompiledModel, mode: 'inference' | 'train', params?: ReadonlyMap<string, Float32Array>): Uint8Array {
  const m = c.model;
  return exportGraph(mode === 'train' ? c.trainStep : c.inference, {
    mode,
    name: mode === 'train' ? `${m.name}_train_step` : m.name,
    description: m.description,
    params,
  });
}
