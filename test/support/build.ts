/**
 * Global setup of the slow tier: its tests run the `graphc` command, which is the compiled CLI in dist/,
 * so the sources are compiled first (incrementally: quick when nothing changed).
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export default function setup(): void {
  const root = fileURLToPath(new URL('../../', import.meta.url));
  const tsc = fileURLToPath(new URL('../../node_modules/typescript/bin/tsc', import.meta.url));
  const r = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`the build failed:\n${r.stdout}${r.stderr}`);
}
