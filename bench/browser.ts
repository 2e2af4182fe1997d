/**
 * `npm run bench:browser`: the time per training step of `train` (the package's entry) in headless
 * chromium beside Node's, on the seed's toy (W1: 1001 full-batch steps) and diabetes (W2: 101) models.
 * The page is test/browser/page.ts, bundled from the built package (dist/: `npm run build` first) and
 * served on 127.0.0.1 cross-origin isolated (the shared heap, as Node has) and plainly (ordinary arrays,
 * copying kernels); Node runs the same models through the same entry. Each figure is `train`'s own timing
 * (`seconds`: the steps and the logged costs, after compiling) over the steps, best of `--runs` (default
 * 5) after a warm-up. Without chromium or puppeteer-core it says so and measures Node alone.
 */
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { train } from '../index.ts';
import toy from '../graphs/toy.ts';
import diabetes from '../graphs/diabetes.ts';
import { bundlePage, servePage, launchChromium, hasChromium, hasPuppeteer, root } from '../test/browser/serve.ts';

const runsArg = process.argv.indexOf('--runs');
const runs = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 5;
const csv = (name: string) => readFileSync(join(root, 'data', name), 'utf8');

async function nodeStep(model: typeof toy, data: string, steps: number): Promise<number> {
  let s = Infinity;
  for (let i = 0; i <= runs; i++) {
    const t = await train(model, { data, threads: 1 });
    if (i > 0) s = Math.min(s, t.seconds / steps);
  }
  return s;
}

type Times = { W1: number; W2: number };
const rows: [string, Times | string][] = [];
process.stderr.write('bench:browser: node ...\n');
rows.push(['node', { W1: await nodeStep(toy, csv('toy.csv'), 1001), W2: await nodeStep(diabetes, csv('data-03-diabetes.csv'), 101) }]);

const browser = await launchChromium();
if (!browser) {
  const why = `${hasChromium ? '' : 'chromium (/usr/bin/chromium) '}${!hasChromium && !hasPuppeteer ? 'and ' : ''}${hasPuppeteer ? '' : 'puppeteer-core '}not found`;
  console.log(`bench:browser: the browser is skipped: ${why}`);
  rows.push(['chromium', `skipped: ${why}`]);
} else {
  try {
    const bundle = await bundlePage();
    for (const isolated of [true, false]) {
      const label = `chromium, ${isolated ? 'cross-origin isolated' : 'served plainly'}`;
      process.stderr.write(`bench:browser: ${label} ...\n`);
      const served = await servePage(bundle, isolated);
      const page = await browser.newPage();
      try {
        await page.goto(served.url);
        await page.waitForFunction('globalThis.graphcPage !== undefined', { timeout: 60_000 });
        rows.push([label, (await page.evaluate(`graphcPage.bench(${runs}, 1)`)) as Times]);
      } finally {
        await page.close();
        await served.close();
      }
    }
  } finally {
    await browser.close();
  }
}

const us = (s: number) => `${(s * 1e6).toFixed(2)} µs`;
const node = rows[0][1] as Times;
console.log(`\ntime per training step of train(), best of ${runs} (${cpus().length} × ${cpus()[0]?.model.trim()}, Node ${process.version}, load average ${loadavg()[0].toFixed(2)})\n`);
console.log('| where | W1 toy (1001 steps) | W2 diabetes (101 steps) |');
console.log('|---|---|---|');
for (const [where, t] of rows) {
  if (typeof t === 'string') console.log(`| ${where} | ${t} | |`);
  else console.log(`| ${where} | ${us(t.W1)}${where === 'node' ? '' : ` (${(t.W1 / node.W1).toFixed(2)}× Node)`} | ${us(t.W2)}${where === 'node' ? '' : ` (${(t.W2 / node.W2).toFixed(2)}× Node)`} |`);
}
