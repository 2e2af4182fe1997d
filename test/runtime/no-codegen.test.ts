/**
 * graphc where code may not be generated from strings (a page whose content security policy lacks
 * 'unsafe-eval'; WebAssembly still compiles): it imports, trains the seed's models to the seed's tables
 * through its interpreted JavaScript kernels, and draws PyTorch's normal values with the exact kernel.
 */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { root, run } from '../support/cli.ts';
import { TOL, table1, table3, table4 } from '../support/seed.ts';
import { TorchGenerator } from '../../compiler/init/torch-random.ts';

const near = (a: number[], b: number[]) => {
  expect(a).toHaveLength(b.length);
  a.forEach((x, i) => expect(Math.abs(x - b[i])).toBeLessThanOrEqual(TOL));
};

describe('without code generation from strings', () => {
  it('trains the seed models to the seed tables and draws the same normal values', async () => {
    const args = ['--disallow-code-generation-from-strings', '--import', 'tsx', '--conditions=graphc-source', join(root, 'test/support/no-codegen-child.ts')];
    const r = await run(process.execPath, args, { timeout: 60_000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const got = JSON.parse(r.stdout) as { generates: boolean; toy: number[]; diabetes: number[]; diabetesBce: number[]; normal: number[] };
    expect(got.generates).toBe(false); // the flag took effect: the child really ran without generated code
    near(got.toy, table1);
    near(got.diabetes, table3);
    near(got.diabetesBce, table4);
    expect(got.normal).toEqual([...new TorchGenerator(2).normal(4099)]);
  }, 90_000);
});
