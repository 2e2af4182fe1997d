/**
 * A command run over a cache folder holding temporary files left by a killed graphc (a `.tmp` beside a
 * bundle, a type check's result): they are never read as cache entries, and the command's own writes
 * remove them; the command succeeds and leaves no temporary file of its own.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { graphc } from '../support/cli.ts';
import { scratchFolders } from '../support/scratch.ts';

const { scratch } = scratchFolders('cache-temp-');
const cache = mkdtempSync(join(tmpdir(), 'graphc-cache-temp-'));

const model = join(scratch, 'm.ts');
writeFileSync(
  model,
  `import { defineModel, input, param, zeros, sigmoid, binaryCrossEntropy } from 'graphc';
export default defineModel({
  name: 'm',
  build() {
    const x = input('x', ['N', 2]), y = input('y', ['N', 1]);
    const h = sigmoid(x.matmul(param('W', [2, 1], zeros())));
    return { loss: binaryCrossEntropy(h, y), predict: h };
  },
});
`,
);

describe('stale temporary files in the cache folder', () => {
  it('are ignored and removed by the next write', async () => {
    const ended = spawnSync(process.execPath, ['-e', '']).pid!;
    const stale: string[] = [];
    for (const sub of ['models', 'checks']) {
      mkdirSync(join(cache, sub), { recursive: true });
      const name = `.x.json.${ended}.tmp`;
      writeFileSync(join(cache, sub, name), '{"half');
      stale.push(join(sub, name));
    }
    const r = await graphc(['compile', model, '--onnx', join(scratch, 'm.onnx')], { env: { ...process.env, GRAPHC_CACHE: cache }, timeout: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    const left = ['models', 'checks'].flatMap((sub) => readdirSync(join(cache, sub)).map((f) => join(sub, f)));
    expect(left.filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(left.length).toBeGreaterThan(0);
  });
});
