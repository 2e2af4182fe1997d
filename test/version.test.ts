/** The version graphc writes into its ONNX files and prints for --version is package.json's. */
import { expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { version } from '../export/version.ts';

it('export/version.ts states package.json\'s version', () => {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  expect(version).toBe(pkg.version);
});
