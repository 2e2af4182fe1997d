/** A missing peer, said plainly (and an error in CI); the ONNX node tests' data, found or not. */
import { existsSync } from 'node:fs';

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
