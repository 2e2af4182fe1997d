/**
 * ONNX's schema history (test/onnx/schemas.json, written by test/onnx/schemas.py from the onnx package's
 * `get_all_schemas_with_history`) against graphc's import rules: every imported op's rule lists the
 * schema versions whose forms it reads, from the one in force at opset 7 to the newest graphc imports
 * (NEWEST_OPSET, 26), so a new opset form of an imported op cannot slip in unread; a rule may list older
 * versions whose forms it reads as well (opset 6's).
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { NEWEST_OPSET as NEWEST, importerFor, supportedOps } from '../../export/import-ops.ts';
import { CONSTANT_SINCE } from '../../export/import-constant.ts';
import { IMPORTER_OPS } from '../../export/import.ts';
import { IF_SINCE } from '../../export/import-if.ts';
import '../../compiler/ops/index.ts';

type Version = { since: number; attributes: string[]; inputs: string[] };
const schemas = JSON.parse(readFileSync(new URL('./schemas.json', import.meta.url), 'utf8')) as { opset: number; ops: Record<string, Version[]> };

/** The schema versions a model of opset 7 to NEWEST may use for `op`. */
export function versionsInUse(history: readonly Version[]): number[] {
  const upTo7 = history.filter((v) => v.since <= 7).map((v) => v.since);
  const first = upTo7.length ? [Math.max(...upTo7)] : [];
  return [...first, ...history.filter((v) => v.since > 7 && v.since <= NEWEST).map((v) => v.since)];
}

describe('import rules against ONNX schema history', () => {
  it(`the committed history covers opset ${NEWEST}`, () => {
    expect(schemas.opset).toBeGreaterThanOrEqual(NEWEST);
    expect(versionsInUse(schemas.ops.ReduceSum)).toEqual([1, 11, 13]);
    expect(versionsInUse(schemas.ops.ReduceMax)).toEqual([1, 11, 12, 13, 18, 20]);
    expect(versionsInUse(schemas.ops.Split)).toEqual([2, 11, 13, 18]);
  });

  it('Constant and If (read by the importer itself): every schema version from opset 7 to ' + NEWEST, () => {
    expect(IMPORTER_OPS).toEqual(['Constant', 'If']);
    expect([...CONSTANT_SINCE]).toEqual(versionsInUse(schemas.ops.Constant));
    expect([...IF_SINCE]).toEqual(versionsInUse(schemas.ops.If));
  });

  for (const op of supportedOps())
    it(`${op}: the rule reads every schema version from opset 7 to ${NEWEST}`, () => {
      const history = schemas.ops[op];
      expect(history, `${op} is not an ONNX default-domain op`).toBeDefined();
      const since = importerFor(op)?.since;
      expect(since, `${op}'s rule declares no since versions`).toBeDefined();
      // and may read earlier versions too (opset 6's legacy broadcasting, is_test): each a real one
      const inUse = versionsInUse(history);
      const earlier = since!.filter((v) => v < inUse[0]);
      for (const v of earlier) expect(history.map((h) => h.since), `${op} version ${v}`).toContain(v);
      expect([...since!].filter((v) => !earlier.includes(v)).sort((a, b) => a - b)).toEqual(inUse);
    });
});
