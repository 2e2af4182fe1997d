/**
 * README.md takes a new user from install to a model loaded in onnxruntime: every `npx graphc` command
 * it shows runs (in order, in a scratch folder, against this checkout), and its JavaScript snippet runs.
 */
import { describe, expect, it } from 'vitest';
import { graphc, run } from '../support/cli.ts';
import { mkdtempSync, readFileSync, writeFileSync, existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const blocks = (lang: string) => [...readme.matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1]);

describe('README', () => {
  const commands = blocks('sh').flatMap((b) => b.split('\n')).filter((l) => l.startsWith('npx graphc '));
  it('shows the commands of the walkthrough', () => expect(commands.length).toBeGreaterThanOrEqual(15));

  it('every graphc command it shows runs, and its onnxruntime snippet prints the seed\'s prediction', async () => {
    // run from the repo root (paths like graphs/toy.ts and data/ are relative to it); outputs
    // go to the root too, so remove them afterwards
    const made: string[] = [];
    try {
      for (const cmd of commands) {
        const args = cmd.slice('npx graphc '.length).split(/\s+/).filter(Boolean);
        for (const [i, a] of args.entries()) if ((args[i - 1] === '-o' || args[i - 1]?.startsWith('--onnx') || args[i - 1] === '--plot') && !a.includes('/')) made.push(join(root, a));
        const r = await graphc(args, { cwd: root, timeout: 120_000 });
        expect(r.status, `${cmd}\n${r.stderr}`).toBe(0);
      }
      const js = blocks('js')[0];
      const file = join(root, '.readme-snippet.mjs');
      writeFileSync(file, js);
      made.push(file);
      const r = await run(process.execPath, [file], { cwd: root });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toContain('P(diabetic) = 0.4103');
    } finally {
      for (const f of made) if (existsSync(f)) rmSync(f);
    }
  }, 600_000); // the whole walkthrough: some twenty processes
});
