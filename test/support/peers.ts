/** The Debian peers used as references: found or not, said plainly. */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export const PYTHON = '/usr/bin/python3';

function pythonHas(module: string): boolean {
  return existsSync(PYTHON) && spawnSync(PYTHON, ['-c', `import ${module}`], { encoding: 'utf8' }).status === 0;
}

export const hasTorch = pythonHas('torch');
export const hasOnnx = pythonHas('onnx');
export const NODE_TESTS = '/usr/share/libonnx-testdata/data/node';
export const hasNodeTests = existsSync(NODE_TESTS);

/**
 * Prints one line when a peer is missing, so a skipped check is visible in the test output. In CI
 * (`CI` set), where .ci/run installs every peer, a missing one is an error: CI skips nothing.
 */
export function sayIfMissing(what: string, present: boolean, file: string): void {
  if (present) return;
  if (process.env.CI) throw new Error(`${file}: ${what} not found, and CI must run every peer check (.ci/run installs it)`);
  console.log(`${file}: ${what} not found: its checks are skipped`);
}

/** Runs a Python script with the peer interpreter; returns stdout, throws with stderr on failure. */
export function python(script: string, args: string[] = []): string {
  const r = spawnSync(PYTHON, ['-c', script, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`python failed: ${r.stderr}`);
  return r.stdout;
}
