/**
 * The imported ops the READMEs list are the ones graphc imports: the set is derived from the registry
 * (each op record's `onnxImport`, the import tables, and what the importer reads itself) and compared with
 * README.md's and export/README.md's lists, both ways, so a rule added or removed shows in the docs.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { supportedOps } from '../../export/import-ops.ts';
import { IMPORTER_OPS } from '../../export/import.ts';
import '../../compiler/ops/index.ts';

const DOCS: [string, RegExp][] = [
  ['README.md', /Imported ops\s*\(opsets[^)]*\):\s*([A-Za-z0-9,\s]+)\./],
  ['export/README.md', /Supported ONNX ops\s*\(opsets[^)]*\):\s*([A-Za-z0-9,\s]+)\./],
];

const imported = [...supportedOps(), ...IMPORTER_OPS].sort();

describe('the READMEs list the imported ONNX ops', () => {
  it('the registry yields the ops of the common set', () => {
    // a guard on the derivation itself: a registry not loaded would give an empty or partial set
    for (const op of ['Conv', 'Flatten', 'Gemm', 'MaxPool', 'Softmax', 'Constant', 'ReduceSum']) expect(imported).toContain(op);
  });
  for (const [file, re] of DOCS)
    it(`${file}: its list is the imported set, in order`, () => {
      const text = readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8');
      const m = re.exec(text);
      expect(m, `${file} has no list of imported ops`).not.toBeNull();
      const listed = m![1].split(',').map((s) => s.trim()).filter(Boolean);
      expect(listed.filter((op) => !imported.includes(op)), `${file} lists ops graphc does not import`).toEqual([]);
      expect(imported.filter((op) => !listed.includes(op)), `${file} does not list ops graphc imports`).toEqual([]);
      expect(listed).toEqual([...listed].sort());
      expect(new Set(listed).size).toBe(listed.length);
    });
});
