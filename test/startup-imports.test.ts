/**
 * What `graphc train` loads before it trains: the modules reached from the command and from the package's
 * entry (which a model file imports) by the imports that load with a module (static imports and
 * re-exports that are not type-only; `import()` loads only when it runs). The ONNX codec (`onnx-proto`,
 * and protobufjs under it) is not among them: a training that writes no ONNX starts without it, as the
 * README says of the entry; nor do the entry's types name it, so a model's type check reads none of its
 * declarations. Read from the sources' text, as test/layers.test.ts reads them.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));

/**
 * The modules a file loads with its own loading: relative files and packages, `import type` left out; with
 * `types`, those its declarations name too (`import type` and `import('...')` in a type).
 */
function loadedWith(text: string, types = false): string[] {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
  const specs: string[] = [];
  for (const m of code.matchAll(/\b(?:import|export)\s+(type\s+)?(?:[\w*${}\s,]+?\s+from\s+)?['"]([^'"]+)['"]/g)) if (!m[1] || types) specs.push(m[2]);
  if (types) for (const m of code.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)\s*\./g)) specs.push(m[1]);
  return specs;
}

/** Each module reached from `entry`, with the chain of files that loads it (for the failure's message). */
function reached(entry: string, types = false): Map<string, string[]> {
  const chains = new Map<string, string[]>([[entry, [entry]]]);
  const queue = [entry];
  for (let f = queue.shift(); f !== undefined; f = queue.shift()) {
    for (const spec of loadedWith(readFileSync(join(root, f), 'utf8'), types)) {
      const to = spec.startsWith('.') ? posix.normalize(posix.join(posix.dirname(f), spec)) : spec;
      if (chains.has(to)) continue;
      chains.set(to, [...chains.get(f)!, to]);
      if (spec.startsWith('.') && existsSync(join(root, to))) queue.push(to);
    }
  }
  return chains;
}

describe('what graphc train loads', () => {
  for (const entry of ['cli/main.ts', 'cli/train.ts', 'index.ts']) {
    it(`${entry} loads no ONNX codec`, () => {
      const codec = [...reached(entry)].filter(([m]) => /^(onnx-proto|protobufjs)(\/|$)/.test(m)).map(([, chain]) => chain.join(' -> '));
      expect(codec).toEqual([]);
    });
  }

  // a model's type check reads the declarations of what the entry names: not the codec's (about a quarter
  // of the text it would otherwise parse)
  it("index.ts's types name no ONNX codec", () => {
    const codec = [...reached('index.ts', true)].filter(([m]) => /^(onnx-proto|protobufjs)(\/|$)/.test(m)).map(([, chain]) => chain.join(' -> '));
    expect(codec).toEqual([]);
  });

  it('the walk finds the codec where it is loaded (the importer) and named (its types)', () => {
    expect(reached('export/import.ts').has('onnx-proto')).toBe(true);
    expect(reached('export/import-f64.ts', true).has('onnx-proto')).toBe(true);
  });
});
