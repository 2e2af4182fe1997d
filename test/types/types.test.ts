/**
 * The DSL's shapes are checked by TypeScript: shape-errors.ts must type-check with its @ts-expect-error
 * directives (so every marked line is an error), and with the directives removed every marked line must
 * fail with a message that names both shapes.
 */
import { describe, expect, it } from 'vitest';
import ts from 'typescript';
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const file = fileURLToPath(new URL('./shape-errors.ts', import.meta.url));
const tsconfig = fileURLToPath(new URL('../../tsconfig.json', import.meta.url));

/**
 * TypeScript's diagnostics for each of `texts`, as files beside shape-errors.ts under the project's tsconfig.
 * One program holds them all, so graphc's sources and the libraries are parsed and checked once.
 */
function diagnosticsOf(...texts: string[]) {
  const config = ts.parseJsonConfigFileContent(ts.readConfigFile(tsconfig, ts.sys.readFile).config, ts.sys, dirname(tsconfig));
  const names = texts.map((_, i) => file.replace(/\.ts$/, `.check${i}.ts`));
  const host = ts.createCompilerHost(config.options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (f, lang, ...rest) => (names.includes(f) ? ts.createSourceFile(f, texts[names.indexOf(f)], lang) : getSourceFile(f, lang, ...rest));
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (f) => names.includes(f) || fileExists(f);
  const program = ts.createProgram({ rootNames: names, options: config.options, host });
  return names.map((name) => {
    const sf = program.getSourceFile(name)!;
    return [...program.getSemanticDiagnostics(sf), ...program.getSyntacticDiagnostics(sf)].map((d) => ({
      line: d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line + 1 : 0,
      message: ts.flattenDiagnosticMessageText(d.messageText, ' '),
    }));
  });
}

describe('shape errors are TypeScript errors', () => {
  const text = readFileSync(file, 'utf8');
  const lines = text.split('\n');
  const marked = lines.flatMap((l, i) => (l.trim().startsWith('// @ts-expect-error') ? [i + 2] : [])); // 1-based line after the directive
  const stripped = lines.map((l) => (l.trim().startsWith('// @ts-expect-error') ? '' : l)).join('\n');
  let checked: ReturnType<typeof diagnosticsOf> | undefined;
  const diagnostics = () => (checked ??= diagnosticsOf(text, stripped));

  it('has cases', () => expect(marked.length).toBeGreaterThanOrEqual(5));

  it('type-checks with the directives (every marked line is an error)', () => {
    expect(diagnostics()[0]).toEqual([]);
  });

  it('without the directives, each marked line fails and names both shapes', () => {
    const diags = diagnostics()[1];
    expect(diags.map((d) => d.line).sort((a, b) => a - b)).toEqual(marked);
    const byLine = new Map(diags.map((d) => [d.line, d.message]));
    expect(byLine.get(marked[0])).toMatch(/matmul inner dimensions differ: \[N, 2\] · \[3, 1\]/);
    expect(byLine.get(marked[1])).toMatch(/cannot broadcast \[N, 2\] with \[3\]/);
    expect(byLine.get(marked[2])).toMatch(/cannot broadcast \[2, 1\] with \[3, 4\]/);
    expect(byLine.get(marked[3])).toMatch(/cannot broadcast \[3\] with \[N, 2\]/);
    expect(byLine.get(marked[4])).toMatch(/cannot broadcast \[N, 1\] with \[5, 1\]/);
  });
});
