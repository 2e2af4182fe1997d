/**
 * The DSL's shapes are checked by TypeScript: shape-errors.ts must type-check with its @ts-expect-error
 * directives (so every marked line is an error), and with the directives removed every marked line must
 * fail with a message that names both shapes.
 */
import { describe, expect, it } from 'vitest';
import { Project } from 'ts-morph';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const file = fileURLToPath(new URL('./shape-errors.ts', import.meta.url));
const tsconfig = fileURLToPath(new URL('../../tsconfig.json', import.meta.url));

function diagnosticsOf(text: string) {
  const project = new Project({ tsConfigFilePath: tsconfig, skipAddingFilesFromTsConfig: true });
  const sf = project.createSourceFile(file.replace(/\.ts$/, '.check.ts'), text, { overwrite: true });
  return project.getProgram().getSemanticDiagnostics(sf).concat(project.getProgram().getSyntacticDiagnostics(sf)).map((d) => ({
    line: d.getLineNumber() ?? 0,
    message: flatten(d.getMessageText()),
  }));
}

function flatten(m: string | { getMessageText(): string; getNext(): unknown[] | undefined }): string {
  if (typeof m === 'string') return m;
  const next = (m.getNext() ?? []) as (typeof m)[];
  return [m.getMessageText(), ...next.map(flatten)].join(' ');
}

describe('shape errors are TypeScript errors', () => {
  const text = readFileSync(file, 'utf8');
  const lines = text.split('\n');
  const marked = lines.flatMap((l, i) => (l.trim().startsWith('// @ts-expect-error') ? [i + 2] : [])); // 1-based line after the directive

  it('has cases', () => expect(marked.length).toBeGreaterThanOrEqual(5));

  it('type-checks with the directives (every marked line is an error)', () => {
    expect(diagnosticsOf(text)).toEqual([]);
  });

  it('without the directives, each marked line fails and names both shapes', () => {
    const stripped = lines.map((l) => (l.trim().startsWith('// @ts-expect-error') ? '' : l)).join('\n');
    const diags = diagnosticsOf(stripped);
    expect(diags.map((d) => d.line).sort((a, b) => a - b)).toEqual(marked);
    const byLine = new Map(diags.map((d) => [d.line, d.message]));
    expect(byLine.get(marked[0])).toMatch(/matmul inner dimensions differ: \[N, 2\] · \[3, 1\]/);
    expect(byLine.get(marked[1])).toMatch(/cannot broadcast \[N, 2\] with \[3\]/);
    expect(byLine.get(marked[2])).toMatch(/cannot broadcast \[2, 1\] with \[3, 4\]/);
    expect(byLine.get(marked[3])).toMatch(/cannot broadcast \[3\] with \[N, 2\]/);
    expect(byLine.get(marked[4])).toMatch(/cannot broadcast \[N, 1\] with \[5, 1\]/);
  });
});
