/** The Debian peers used as references: found or not, said plainly. */
import { execFile, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export const PYTHON = '/usr/bin/python3';

function pythonHas(module: string): boolean {
  return existsSync(PYTHON) && spawnSync(PYTHON, ['-c', `import ${module}`], { encoding: 'utf8' }).status === 0;
}

// what needs no Python (the ONNX node tests' data, the rule for a missing peer) is in missing.ts, so that
// a test using only that starts no interpreter
export { NODE_TESTS, hasNodeTests, sayIfMissing } from './missing.ts';

export const hasTorch = pythonHas('torch');
export const hasOnnx = pythonHas('onnx');
export const hasOpenCv = pythonHas('cv2');

/** Runs a Python script with the peer interpreter; returns stdout, throws with stderr on failure. */
export function python(script: string, args: string[] = []): string {
  const r = spawnSync(PYTHON, ['-c', script, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`python failed: ${r.stderr}`);
  return r.stdout;
}

/**
 * As `python`, without blocking the test worker while it runs (long scripts: the worker keeps answering);
 * `env` adds variables to the interpreter's environment.
 */
export function pythonAsync(script: string, args: string[] = [], env: Record<string, string> = {}): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(PYTHON, ['-c', script, ...args], { encoding: 'utf8', maxBuffer: 64 << 20, env: { ...process.env, ...env } }, (err, stdout, stderr) => (err ? reject(new Error(`python failed: ${stderr}`)) : resolve(stdout))),
  );
}
