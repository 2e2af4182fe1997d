/**
 * The source map reader (compiler/ir/source-map.ts) against maps esbuild writes for a bundle of two
 * TypeScript files: each identifier found in the bundle maps to where it stands in its own source, and
 * every position of every generated line maps where Node's own source map reader (node:module's
 * SourceMap) says it does (a position before a line's first segment maps to nothing here, where Node
 * takes an earlier line's last segment).
 */
import { describe, expect, it } from 'vitest';
import { build, type Plugin } from 'esbuild';
import { SourceMap, type SourceMapPayload } from 'node:module';
import { decodeMappings, sourceMapLookup, NO_SOURCE, type SourceMapJson } from '../../compiler/ir/source-map.ts';

const files: Record<string, string> = {
  'main.ts': [
    "import { scaled } from './lib/util.ts';",
    '',
    'interface Row { readonly a: number; readonly b: number }',
    'export function alphaTotal(rows: Row[]): number {',
    '  let total = 0;',
    '  for (const r of rows) total += scaled(r.a, 2) + r.b;',
    '  return total;',
    '}',
    'export const betaLabel = `total: ${alphaTotal([{ a: 1, b: 2 }])}`;',
    '',
  ].join('\n'),
  'lib/util.ts': ['// a helper in another file', '', 'export function scaled(value: number, by: number): number {', '  const gammaProduct = value * by;', '  return gammaProduct;', '}', ''].join('\n'),
};

/** The two files above, as if on disk under /src. */
const virtual: Plugin = {
  name: 'virtual',
  setup(b) {
    b.onResolve({ filter: /.*/ }, (a) => ({ path: a.kind === 'entry-point' ? a.path : new URL(a.path, `file:///src/${a.importer}`).pathname.slice(5), namespace: 'v' }));
    b.onLoad({ filter: /.*/, namespace: 'v' }, (a) => ({ contents: files[a.path], loader: 'ts' }));
  },
};

async function bundle(minify: boolean): Promise<{ code: string; map: SourceMapJson }> {
  const r = await build({ entryPoints: ['main.ts'], bundle: true, write: false, format: 'esm', sourcemap: 'external', outfile: 'out.js', minify, plugins: [virtual], logLevel: 'silent' });
  const get = (ext: string) => r.outputFiles.find((f) => f.path.endsWith(ext))!.text;
  return { code: get('.js'), map: JSON.parse(get('.js.map')) as SourceMapJson };
}

/** 1-based line and column of the first `word` in `text` (after `from`). */
function find(text: string, word: string, from = 0): { line: number; col: number } {
  const at = text.indexOf(word, from);
  expect(at, word).toBeGreaterThanOrEqual(0);
  const before = text.slice(0, at).split('\n');
  return { line: before.length, col: before[before.length - 1].length + 1 };
}

describe('source maps esbuild writes', () => {
  it('identifiers map to their place in their own file', async () => {
    const { code, map } = await bundle(false);
    const lookup = sourceMapLookup(map);
    const words: [string, string][] = [['alphaTotal', 'main.ts'], ['betaLabel', 'main.ts'], ['gammaProduct', 'lib/util.ts'], ['scaled', 'lib/util.ts']];
    for (const [word, file] of words) {
      const g = find(code, word);
      const p = lookup(g.line, g.col);
      expect(p, word).toBeDefined();
      expect(p!.source.endsWith(file), `${word}: ${p!.source}`).toBe(true);
      expect({ line: p!.line, col: p!.col }, word).toEqual(find(files[file], word));
    }
  });

  it("every generated position maps where node:module's SourceMap says, minified or not", async () => {
    for (const minify of [false, true]) {
      const { code, map } = await bundle(minify);
      const ours = sourceMapLookup(map);
      const node = new SourceMap(map as unknown as SourceMapPayload);
      const lines = code.split('\n');
      let compared = 0;
      lines.forEach((text, l) => {
        for (let c = 0; c <= text.length; c++) {
          const e = node.findEntry(l, c) as { generatedLine?: number; originalSource?: string; originalLine?: number; originalColumn?: number };
          const p = ours(l + 1, c + 1);
          // Node falls back to an earlier line's last segment; a position maps through its own line's here
          if (!e?.originalSource || e.generatedLine !== l) {
            expect(p, `${l + 1}:${c + 1}`).toBeUndefined();
            continue;
          }
          expect(p, `${l + 1}:${c + 1}`).toBeDefined();
          expect([p!.line - 1, p!.col - 1], `${l + 1}:${c + 1}`).toEqual([e.originalLine, e.originalColumn]);
          expect(e.originalSource.endsWith(p!.source.replace(/^(\.\.\/)+/, '')), `${e.originalSource} vs ${p!.source}`).toBe(true);
          compared++;
        }
      });
      expect(compared).toBeGreaterThan(100);
    }
  });

  it('decodes signs, multi-digit values and empty lines; refuses what is not a map', () => {
    // "AAAA" is [0, 0, 0, 0]; ";;" an empty line; "gBAAkB" [16, 0, 0, 18]; "CAAC" one more column on both sides
    const { rows, lineStart } = decodeMappings('AAAA;;gBAAkB,CAAC;A');
    expect(Array.from(lineStart)).toEqual([0, 4, 4, 12, 16]);
    expect(Array.from(rows)).toEqual([0, 0, 0, 0, 16, 0, 0, 18, 17, 0, 0, 19, 0, NO_SOURCE, 0, 0]);
    expect(() => decodeMappings('AA!A')).toThrow(/'!' at 2 of its mappings is not a base64 digit/);
    expect(() => decodeMappings('AA')).toThrow(/a segment of 2 fields/);
    expect(() => sourceMapLookup({ version: 2, sources: [], mappings: '' })).toThrow(/version 2/);
  });
});
