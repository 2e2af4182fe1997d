/**
 * The ONNX importer's contract, fuzzed: for any bytes, importOnnx returns a model or throws
 * OnnxImportError (one line); a model it returns plans, runs and exports, or fails with graphc's own
 * error. CI runs the seeds, the targeted cases and 3,000 seeded mutations; `npm run fuzz -- COUNT SEED`
 * runs more and prints the outcome table.
 */
import { describe, expect, it } from 'vitest';
import { loadSeeds } from './seeds.ts';
import { cases } from './cases.ts';
import { runCase, type Outcome } from './harness.ts';

const seeds = await loadSeeds();

describe('ONNX fuzz', () => {
  it('the seeds import and run (training-step exports: run or a one-line refusal)', () => {
    for (const s of seeds) {
      const r = runCase(s.bytes);
      if (s.name.endsWith('train step')) expect(['ran', 'refused'], `${s.name}: ${r.message}`).toContain(r.outcome);
      else expect(r, s.name).toMatchObject({ outcome: 'ran' });
    }
  });

  it('3,000 mutations and the targeted cases: only graphc errors, one line each, none slow', () => {
    const counts: Partial<Record<Outcome, number>> = {};
    const bad: string[] = [];
    for (const c of cases(seeds, 3000, 20)) {
      const r = runCase(c.bytes, { slowMs: 10_000 });
      counts[r.outcome] = (counts[r.outcome] ?? 0) + 1;
      if (r.outcome === 'escaped' || r.outcome === 'slow') bad.push(`${c.id}: ${r.outcome}: ${r.message}`);
    }
    expect(bad.slice(0, 5)).toEqual([]);
    // the mutations reach past the decoder: most refused, some run
    expect(counts.refused).toBeGreaterThan(500);
    expect(counts.ran).toBeGreaterThan(100);
  });
});
