/**
 * The CSV reader against numpy.loadtxt(path, delimiter=',') over generated files: mixed line endings,
 * comments, blank and blank-only lines, blanks around numbers, numpy's number spellings and ones it
 * refuses, ragged rows. For every file both accept or both refuse; where both accept, the same rows and
 * columns and the same values (numpy's float64 rounded to float32, NaN for NaN).
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { PYTHON, python, sayIfMissing } from '../support/peers.ts';
import { readCsvTable } from '../../runtime/node.ts';
import { parseTable } from '../../runtime/data.ts';

const hasNumpy = spawnSync(PYTHON, ['-c', 'import numpy'], { encoding: 'utf8' }).status === 0;
sayIfMissing('numpy (/usr/bin/python3)', hasNumpy, 'test/data/csv-numpy.slow.test.ts');

/** A small seeded generator (mulberry32), so a failing file can be made again. */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const good = ['0', '1', '-1', '+2', '3.25', '-0', '.5', '5.', '1e3', '1E-3', '+.5e+2', '2.5e-310', '1e400', '-1e400', '123456789012345678901', '0.1', '007',
  '3.4028235e38', '1.17549435e-38', 'inf', '-inf', '+inf', 'Inf', 'INF', 'infinity', '-Infinity', 'INFINITY', 'nan', 'NaN', '-nan', '+NAN', ' 1', '2 ', '\t3\t', ' 4e1 '];
const bad = ['0x10', '0b101', '0o7', '1_000', '1d5', '', ' ', '.', 'e5', '1e', '1e+', '--1', '+-1', 'infinit', 'nanx', 'in', '"1"', "'1'", '1 2', '1,5'.replace(',', ';'), 'one', 'nan(1)', '١'];
const endings = ['\n', '\r\n', '\r'];

function makeFile(r: () => number): string {
  const pick = <T>(a: readonly T[]) => a[Math.floor(r() * a.length)];
  const cols = 1 + Math.floor(r() * 4);
  const rows = 1 + Math.floor(r() * 6);
  let s = '';
  for (let i = 0; i < rows; i++) {
    const extra = r();
    if (extra < 0.1) s += pick(endings); // blank line
    else if (extra < 0.2) s += '# a comment, 1,2' + pick(endings);
    else if (extra < 0.22) s += '  ' + pick(endings); // blanks only: numpy refuses
    const n = r() < 0.04 ? cols + (r() < 0.5 ? 1 : -1) : cols;
    const cells = Array.from({ length: Math.max(1, n) }, () => (r() < 0.03 ? pick(bad) : pick(good)));
    s += cells.join(',');
    if (r() < 0.1) s += ' # trailing comment';
    if (i < rows - 1 || r() < 0.8) s += pick(endings);
  }
  return s;
}

const numpyScript = `
import sys, json, numpy as np, warnings
warnings.simplefilter('ignore')
out = []
for p in sys.argv[1:]:
    try:
        a = np.loadtxt(p, delimiter=',', ndmin=2)
        out.append({'shape': list(a.shape), 'values': [repr(float(v)) for v in a.ravel()]})
    except Exception as e:
        out.append({'error': type(e).__name__})
print(json.dumps(out))
`;

describe.skipIf(!hasNumpy)('CSV as numpy.loadtxt reads it', () => {
  it('accepts and refuses what numpy does, with its values, over 1,500 generated files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'graphc-csv-'));
    try {
      const r = rng(20);
      const texts = Array.from({ length: 1500 }, () => makeFile(r));
      const paths = texts.map((t, i) => {
        const p = join(dir, `f${i}.csv`);
        writeFileSync(p, t, 'latin1');
        return p;
      });
      const ref = JSON.parse(python(numpyScript, paths)) as ({ shape: [number, number]; values: string[] } | { error: string })[];
      let accepted = 0, refused = 0;
      paths.forEach((p, i) => {
        const want = ref[i];
        let got: { rows: number; cols: number; values: Float32Array } | { error: string };
        try {
          const t = readCsvTable(p, `f${i}.csv`);
          got = { rows: t.rows, cols: t.cols, values: t.copyColumns(0, t.cols) };
        } catch (e) {
          got = { error: (e as Error).message };
        }
        const what = `file ${i}: ${JSON.stringify(texts[i])}`;
        if ('error' in want || want.shape[0] === 0) {
          expect('error' in got, `${what}: numpy refuses it (${'error' in want ? want.error : 'no rows'}), graphc reads it`).toBe(true);
          expect((got as { error: string }).error).toMatch(new RegExp(`^f${i}\\.csv(:\\d+: (column \\d+ is not a number|expected \\d+ columns)|: no data rows)`));
          refused++;
          return;
        }
        expect('error' in got ? got.error : '', `${what}: numpy reads it`).toBe('');
        const g = got as { rows: number; cols: number; values: Float32Array };
        expect([g.rows, g.cols], what).toEqual(want.shape);
        want.values.forEach((v, k) => {
          const x = Math.fround(Number(v === 'nan' ? NaN : v === 'inf' ? Infinity : v === '-inf' ? -Infinity : v));
          expect(Object.is(g.values[k], x) || (Number.isNaN(x) && Number.isNaN(g.values[k])), `${what}: value ${k}: numpy ${v}, graphc ${g.values[k]}`).toBe(true);
        });
        accepted++;
      });
      // both kinds of file occur often enough to mean something
      expect(accepted).toBeGreaterThan(300);
      expect(refused).toBeGreaterThan(300);
      // the text path (a string given in memory) reads as the file path does
      for (let i = 0; i < 200; i++) {
        if (/[^\x00-\xff]/.test(texts[i])) continue; // written as Latin-1: not the same text
        const a = (() => { try { const t = parseTable(texts[i], 'x'); return Array.from(t.copyColumns(0, t.cols)); } catch (e) { return (e as Error).message; } })();
        const b = (() => { try { const t = readCsvTable(paths[i], 'x'); return Array.from(t.copyColumns(0, t.cols)); } catch (e) { return (e as Error).message; } })();
        expect(a).toEqual(b);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
