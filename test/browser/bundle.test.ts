/**
 * Nothing Node-only in the core: every public entry but 'graphc/node' bundles for the browser platform
 * with esbuild, and no module it reaches, directly or through a dependency, is one of Node's (node:*,
 * fs, path, ...; a package of a built-in's name, as npm's `events`, is no Node module) or names Node's
 * globals (Buffer, process) as a free identifier.
 */
import { describe, expect, it } from 'vitest';
import { build, type Plugin } from 'esbuild';
import { createRequire, isBuiltin } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const entries = { '.': 'index.ts', './runtime': 'runtime/index.ts', './onnx': 'export/index.ts' };

/** Whether a package of that name is installed where `importer` looks (graphology's `events` is npm's). */
function installed(name: string, importer: string): boolean {
  try {
    createRequire(importer).resolve(`${name}/package.json`);
    return true;
  } catch {
    return false;
  }
}

/** Refuses any import of a Node built-in that no installed package of the same name stands in for. */
const noNode: Plugin = {
  name: 'no-node',
  setup(b) {
    b.onResolve({ filter: /.*/ }, (a) =>
      isBuiltin(a.path) && (a.path.startsWith('node:') || !installed(a.path, a.importer)) ? { errors: [{ text: `${a.importer} imports Node's '${a.path}'` }] } : undefined,
    );
  },
};

const bundle = (file: string) =>
  build({ entryPoints: [root + file], bundle: true, write: false, platform: 'browser', format: 'esm', plugins: [noNode], logLevel: 'silent', define: { Buffer: '__graphc_no_Buffer__', process: '__graphc_no_process__' } });

describe('a browser-platform bundle of each public entry', () => {
  it("'graphc/node' (runtime/node.ts), Node's edge, is refused: the check sees Node modules", async () => {
    await expect(bundle('runtime/node.ts')).rejects.toThrow(/imports Node's 'node:/);
  });
  for (const [name, file] of Object.entries(entries)) {
    it(`${name} (${file}) reaches no Node module and no Node global`, async () => {
      const r = await bundle(file);
      const text = r.outputFiles[0].text;
      expect(text).not.toMatch(/__graphc_no_(Buffer|process)__/);
    });
  }
});
