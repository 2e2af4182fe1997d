/**
 * Source positions in a bundle: graphc and a user's model bundled into one file by esbuild (as a page
 * bundles them), run by a plain Node process. Without the bundle's source map a shape error can name no
 * line of the user's (every frame is the bundle's); after `useSourceMap` it names the user's file and the
 * line of the mismatched matmul, with the map in its own file or inline in the bundle.
 */
import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const modelFile = join(root, 'test/browser/page-model.ts');
const line = readFileSync(modelFile, 'utf8').split('\n').findIndex((l) => l.includes('MISMATCH')) + 1;
let dir = '';

/** Bundles graphc (its sources) with the model; `inline`: the map inside the bundle. Returns the bundle's path. */
async function bundle(name: string, inline: boolean): Promise<string> {
  const outfile = join(dir, `${name}.js`);
  await build({
    stdin: { contents: "export { default as model, data } from './test/browser/page-model.ts';\nexport { train, useSourceMap } from 'graphc';\n", resolveDir: root, loader: 'ts', sourcefile: 'entry.ts' },
    bundle: true,
    outfile,
    format: 'esm',
    platform: 'browser',
    conditions: ['graphc-source'],
    sourcemap: inline ? 'inline' : 'external',
    logLevel: 'silent',
  });
  return outfile;
}

/** What training the model from the bundle throws, in a plain Node process, after `setup` (JavaScript). */
function thrown(file: string, setup: string): string {
  const program = `const g = await import(${JSON.stringify(pathToFileURL(file).href)});
const { readFileSync } = await import('node:fs');
${setup}
try { await g.train(g.model, { data: g.data }); console.log('no error'); } catch (e) { console.log(e.message); }`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', program], { encoding: 'utf8', env: { PATH: process.env.PATH } });
  expect(r.stderr).toBe('');
  return r.stdout.trim();
}

describe('a shape error thrown from a bundle', () => {
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'graphc-bundle-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("names no line of the user's without the map", async () => {
    const msg = thrown(await bundle('plain', false), '');
    expect(msg).toMatch(/MatMul: inner dimensions differ: \[N, 2\] · \[3, 1\]/);
    expect(msg).not.toMatch(/page-model\.ts/);
  });

  it(`names page-model.ts:${line} with the map beside the bundle`, async () => {
    const file = await bundle('external', false);
    const msg = thrown(file, `g.useSourceMap(readFileSync(${JSON.stringify(file + '.map')}, 'utf8'));`);
    expect(msg).toBe(`${modelFile}:${line}: MatMul: inner dimensions differ: [N, 2] · [3, 1] (2 ≠ 3)`);
  });

  it('and with the map inline in the bundle, the bundle named explicitly', async () => {
    const file = await bundle('inline', true);
    const msg = thrown(file, `g.useSourceMap(readFileSync(${JSON.stringify(file)}, 'utf8'), ${JSON.stringify(pathToFileURL(file).href)});`);
    expect(msg).toBe(`${modelFile}:${line}: MatMul: inner dimensions differ: [N, 2] · [3, 1] (2 ≠ 3)`);
  });

  it('refuses what is no source map, in one sentence', async () => {
    const file = await bundle('refuse', false);
    expect(thrown(file, `try { g.useSourceMap('console.log(1)'); } catch (e) { console.log(e.message); }`)).toMatch(/^useSourceMap: expected a source map/);
  });
});
