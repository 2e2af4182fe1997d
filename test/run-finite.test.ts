/**
 * `graphc run`'s inputs hold finite values (cli/feed.ts), as training data must (runtime/data-checks.ts):
 * NaN, ±Infinity and numbers beyond float32's range are refused in one line naming the file, and a CSV's
 * line and column, unless `--allow-non-finite` lets them through to the model.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import '../compiler/ops/index.ts';
import * as B from '../compiler/ir/build.ts';
import { inLeafScope } from '../compiler/ir/node.ts';
import { readInputs } from '../cli/feed.ts';
import { writeNpy } from '../cli/npy.ts';

const dir = mkdtempSync(join(tmpdir(), 'graphc-finite-'));
const file = (name: string, text: string | Uint8Array) => {
  const f = join(dir, name);
  writeFileSync(f, text);
  return f;
};
const input = (shape: (number | string)[]) => inLeafScope(() => B.mk('Input', [], { name: 'x', shape: shape as unknown as number[], dtype: 'f32' }));
const read = (shape: (number | string)[], f: string, allow = false) => readInputs(new Map([[input(shape), f]]), new Map(), allow)[0];

describe('graphc run refuses input values that are not finite', () => {
  it('in a CSV: the file, its line and the column (comments and labels counted as numpy counts them)', () => {
    const f = file('x.csv', '# a comment\n1,2,0\n3,nan,1\n');
    expect(() => read(['N', 2], f)).toThrow(`${f}:3: column 2: NaN is not a finite number (inputs must be finite; --allow-non-finite runs on them)`);
    expect(() => read(['N', 2], file('inf.csv', '1,-inf\n'))).toThrow(/inf\.csv:1: column 2: -Infinity is not a finite number/);
    // 1e39 is finite but beyond float32's range, 1e999 beyond float64's too: both said as written
    expect(() => read(['N', 2], file('big.csv', '1,2\n1e39,4\n'))).toThrow(`big.csv:2: column 1: 1e39 is outside float32's range (±3.4e38) (inputs must be finite; --allow-non-finite runs on them)`);
    expect(() => read(['N', 2], file('huge.csv', '1,2\n3, -1e999 \n'))).toThrow(/huge\.csv:2: column 2: -1e999 is outside float32's range \(±3\.4e38\)/);
    // one in an ignored label column first: the one in a column read is said as written still
    expect(() => read(['N', 2], file('label-big.csv', '1,2,1e39\n1e39,4,0\n'))).toThrow(/label-big\.csv:2: column 1: 1e39 is outside float32's range/);
    // a label column is ignored, whatever it holds
    expect([...read(['N', 2], file('label.csv', '1,2,nan\n')).data]).toEqual([1, 2]);
  });

  it('in .npy and JSON: the value and its index', () => {
    const npy = file('x.npy', writeNpy([2, 2], [1, 2, 3, Infinity]));
    expect(() => read(['N', 2], npy)).toThrow(`${npy}: input 'x' [N, 2] float32: value 3 (at [1, 1]): Infinity is not a finite number (inputs must be finite; --allow-non-finite runs on them)`);
    const json = file('x.json', '{"shape": [1, 2], "data": [1e39, 0]}');
    expect(() => read(['N', 2], json)).toThrow(/x\.json: input 'x' \[N, 2\] float32: value 0 \(at \[0, 0\]\): 1e\+39 is outside float32's range \(±3\.4e38\)/);
  });

  it('takes them with --allow-non-finite', () => {
    const f = file('ok.csv', '1,nan\ninf,1e39\n');
    expect([...read(['N', 2], f, true).data]).toEqual([1, NaN, Infinity, Infinity]);
  });
});
