/**
 * graphc in a browser: a page bundled from the package's public entry (serve.ts) runs in Debian's headless
 * chromium, served plainly, cross-origin isolated, and under a content security policy without
 * 'unsafe-eval' (as a browser extension's pages are: graphc's JavaScript kernels are then interpreted,
 * with the same tables). In the page the DSL, compiler, runtime and ONNX
 * export reproduce the seed's toy and diabetes tables (seed-tables.md, PyTorch's printed costs) within
 * ±1.5e-6, export the bytes `graphc train --onnx` writes in Node (with shared memory or, for a page
 * served plainly, without), and name the user's file and line of a
 * mismatched matmul through the bundle's source map. Isolated, `threads: 2` gives the same tables, and a
 * model large enough to split has its helper thread started in a Web Worker, taking jobs, with the same
 * bits as one thread. Served plainly (no shared memory), `threads: 2` runs on one thread and says why.
 */
import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'puppeteer-core';
import { CONTROL } from '../../runtime/kernels/threads.ts';
import { graphc } from '../support/cli.ts';
import { sayIfMissing } from '../support/missing.ts';
import { TOL, table1, table2, table3, table4, diabetesAccuracy } from '../support/seed.ts';
import { bundlePage, servePage, launchChromium, hasChromium, hasPuppeteer, root, type Bundle } from './serve.ts';

sayIfMissing('chromium (/usr/bin/chromium)', hasChromium, 'test/browser/page.slow.test.ts');
sayIfMissing('puppeteer-core', hasPuppeteer, 'test/browser/page.slow.test.ts');
const present = hasChromium && hasPuppeteer;

interface RunResult {
  isolated: boolean;
  tables: Record<'toyManual' | 'toyBce' | 'diabetesManual' | 'diabetesBce', number[]>;
  accuracy: number;
  onnx: { toy: number[]; diabetes: number[] };
  error: string;
  workers: number;
}
interface HelperResult {
  ctl: { ready: number; done: number } | null;
  workers: number;
  errors: string[];
  two: { log: unknown; params: unknown };
  one: { log: unknown; params: unknown };
}

const line = readFileSync(join(root, 'test/browser/page-model.ts'), 'utf8').split('\n').findIndex((l) => l.includes('MISMATCH')) + 1;
let bundle: Bundle;
let browser: Browser | null = null;
let dir = '';

/** Opens the page served `isolated` or not; returns what `call` gives, and what the page logged. */
async function inPage<T>(isolated: boolean, call: string, strict = false): Promise<{ result: T; console: string[] }> {
  const served = await servePage(bundle, isolated, strict);
  const page = await browser!.newPage();
  const logged: string[] = [];
  page.on('console', (m) => logged.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => logged.push(`pageerror: ${String(e)}`));
  try {
    await page.goto(served.url);
    await page.waitForFunction('globalThis.graphcPage !== undefined', { timeout: 60_000 });
    const result = (await page.evaluate(call)) as T;
    return { result, console: logged };
  } finally {
    await page.close();
    await served.close();
  }
}

function near(actual: number[], expected: number[], what: string) {
  expect(actual, what).toHaveLength(expected.length);
  actual.forEach((a, i) => expect(Math.abs(a - expected[i]), `${what}, entry ${i}: ${a} vs ${expected[i]}`).toBeLessThanOrEqual(TOL));
}

/**
 * The bytes `graphc train … --onnx` writes, in Node; `shared`: false as in a page without shared memory
 * (its copying kernels round a few trained values differently in the last bit).
 */
async function nodeOnnx(args: string[], name: string, shared: boolean): Promise<number[]> {
  const out = join(dir, name);
  const r = await graphc(['train', ...args, '--no-check', '--onnx', out], shared ? {} : { env: { ...process.env, GRAPHC_NO_HEAP: '1' } });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return Array.from(readFileSync(out));
}

function holdsTheSeed(r: RunResult) {
  near(r.tables.toyManual, table1, 'table 1 (toy, manual cost)');
  near(r.tables.toyBce, table2, 'table 2 (toy, BCE)');
  near(r.tables.diabetesManual, table3, 'table 3 (diabetes, manual cost)');
  near(r.tables.diabetesBce, table4, 'table 4 (diabetes, BCE)');
  expect((r.accuracy * 100).toFixed(2)).toBe(diabetesAccuracy.toFixed(2));
  expect(r.error).toBe(`test/browser/page-model.ts:${line}: MatMul: inner dimensions differ: [N, 2] · [3, 1] (2 ≠ 3)`);
}

// a page trains the four tables in tens of seconds, more on a busy machine
describe.runIf(present)('graphc in headless chromium', { timeout: 600_000 }, () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'graphc-page-'));
    bundle = await bundlePage();
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('served plainly: the seed\'s tables, the ONNX bytes of Node, the user\'s line of a shape error', async () => {
    const { result: r, console } = await inPage<RunResult>(false, 'graphcPage.run(1)');
    expect(r.isolated).toBe(false);
    holdsTheSeed(r);
    expect(r.onnx.toy).toEqual(await nodeOnnx(['graphs/toy.ts'], 'toy.onnx', false));
    expect(r.onnx.diabetes).toEqual(await nodeOnnx(['graphs/diabetes.ts', '--data', 'data/data-03-diabetes.csv', '--option', 'loss=bce'], 'diabetes.onnx', false));
    expect(console).toEqual([]);
  });

  it('under a content security policy without \'unsafe-eval\': the seed\'s tables, the ONNX bytes of Node', async () => {
    const { result: r, console } = await inPage<RunResult>(false, 'graphcPage.run(1)', true);
    holdsTheSeed(r);
    expect(r.onnx.toy).toEqual(await nodeOnnx(['graphs/toy.ts'], 'toy.onnx', false));
    expect(console).toEqual([]);
  });

  it('served plainly, threads: 2 runs on one thread, the same tables, and says why once', async () => {
    const { result: r, console } = await inPage<RunResult>(false, 'graphcPage.run(2)');
    holdsTheSeed(r);
    expect(r.workers).toBe(0);
    expect(console).toEqual([expect.stringMatching(/^warn: graphc: threads: 2 runs on one thread: .*cross-origin isolated/)]);
  });

  it('cross-origin isolated, threads: 2: the same tables and bytes', async () => {
    const { result: r, console } = await inPage<RunResult>(true, 'graphcPage.run(2)');
    expect(r.isolated).toBe(true);
    holdsTheSeed(r);
    expect(r.onnx.toy).toEqual(await nodeOnnx(['graphs/toy.ts'], 'toy-shared.onnx', true));
    expect(r.onnx.diabetes).toEqual(await nodeOnnx(['graphs/diabetes.ts', '--data', 'data/data-03-diabetes.csv', '--option', 'loss=bce'], 'diabetes-shared.onnx', true));
    expect(console).toEqual([]);
  });

  it('cross-origin isolated: the helper thread runs in a Worker, takes jobs, and gives one thread\'s bits', async () => {
    const { result: r, console } = await inPage<HelperResult>(true, 'graphcPage.helper()');
    expect([CONTROL.DONE, CONTROL.READY]).toEqual([1, 3]); // the words page.ts reads
    expect(r.errors).toEqual([]);
    expect(r.workers).toBeGreaterThanOrEqual(1);
    expect(r.ctl).not.toBeNull();
    expect(r.ctl!.ready).toBe(1);
    expect(r.ctl!.done).toBeGreaterThan(0);
    expect(r.two).toEqual(r.one);
    expect(console).toEqual([]);
  });
});
