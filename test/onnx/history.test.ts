/**
 * An exported file does not depend on what was built before: the diabetes model's training step, with
 * its nodes' source positions in the docstrings, exports to the same bytes alone (a fresh instance of
 * graphc's modules) and after the toy model, whose graph holds the same expressions over constants.
 */
import { describe, expect, it, vi } from 'vitest';
import type { Model } from '../../compiler/dsl/model.ts';

async function exportDiabetes(buildToyFirst: boolean): Promise<Uint8Array> {
  vi.resetModules();
  const { compileModel } = await import('../../compiler/passes/index.ts');
  const { exportModel } = await import('../../export/index.ts');
  const diabetes = (await import('../../graphs/diabetes.ts')).default as Model;
  if (buildToyFirst) {
    const toy = (await import('../../graphs/toy.ts')).default as Model;
    exportModel(compileModel(toy.build(), { lr: 1, optimize: false }), 'train');
  }
  return exportModel(compileModel(diabetes.build(), { lr: 1, optimize: false }), 'train');
}

describe('ONNX export and build history', () => {
  it('diabetes exports the same bytes alone and after toy', async () => {
    const alone = await exportDiabetes(false);
    const after = await exportDiabetes(true);
    expect(Buffer.from(after).equals(Buffer.from(alone))).toBe(true);
    expect(Buffer.from(alone).toString('latin1')).not.toContain('toy.ts');
  });
});
