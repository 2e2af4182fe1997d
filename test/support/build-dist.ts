/**
 * Vitest global setup: the CLI tests run `bin/graphc.js`, which runs the built `dist/`. Rebuild it when a
 * source file is newer than the last build, so that no test runs yesterday's CLI against today's sources.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const SOURCES = ['compiler', 'runtime', 'export', 'cli', 'index.ts', 'tsconfig.json', 'tsconfig.build.json', 'package.json'];

function newest(path: string): number {
  if (!existsSync(path)) return 0;
  const s = statSync(path);
  if (!s.isDirectory()) return s.mtimeMs;
  let t = 0;
  for (const e of readdirSync(path)) if (e !== 'node_modules') t = Math.max(t, newest(join(path, e)));
  return t;
}

export default function setup(): void {
  const stamp = join(root, 'dist/.tsbuildinfo');
  const built = existsSync(stamp) ? statSync(stamp).mtimeMs : 0;
  const changed = Math.max(...SOURCES.map((s) => newest(join(root, s))));
  if (changed <= built) return;
  console.log('test setup: sources changed since dist/ was built: npm run build');
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
}
