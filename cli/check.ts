/**
 * `graphc check MODEL.ts`: type-checks the model file with the TypeScript compiler (through ts-morph),
 * before anything runs. The DSL's types carry shapes, so a matmul whose inner dimensions differ or an add
 * that does not broadcast is reported here, as `file:line:col: message` with both shapes.
 */
import type { Command } from 'commander';
import { relative } from 'node:path';
import { Project, ts, type Diagnostic, type DiagnosticMessageChain } from 'ts-morph';
import { checkReadable } from './load.ts';
import { UserError } from './errors.ts';

export interface CheckResult {
  readonly file: string;
  readonly errors: string[];
}

const options: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.ESNext,
  moduleResolution: ts.ModuleResolutionKind.Bundler,
  strict: true,
  noEmit: true,
  allowImportingTsExtensions: true,
  skipLibCheck: true,
  types: [],
  lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'],
};

function flatten(m: string | DiagnosticMessageChain): string {
  if (typeof m === 'string') return m;
  return [m.getMessageText(), ...(m.getNext() ?? []).map(flatten)].join(' ');
}

function format(d: Diagnostic, shown: string): string {
  const sf = d.getSourceFile();
  const start = d.getStart();
  const pos = sf && start !== undefined ? sf.getLineAndColumnAtPos(start) : undefined;
  const full = flatten(d.getMessageText()).replace(/\s+/g, ' ');
  // the DSL's shape checks carry their own message: show it alone
  const shape = /'shape error': "([^"]+)"/.exec(full);
  const msg = shape ? `shape error: ${shape[1]}` : full;
  return pos ? `${shown}:${pos.line}:${pos.column}: ${msg}` : `${shown}: ${msg}`;
}

export function checkModel(path: string): CheckResult {
  const abs = checkReadable(path, 'model .ts file');
  if (!/\.(m?ts|tsx)$/.test(abs)) throw new UserError(`${path}: not a TypeScript file (expected MODEL.ts)`);
  const project = new Project({ compilerOptions: options, skipAddingFilesFromTsConfig: true });
  const sf = project.addSourceFileAtPath(abs);
  const program = project.getProgram();
  const diags = [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)].filter((d) => d.getCategory() === ts.DiagnosticCategory.Error);
  const shown = relative(process.cwd(), abs) || abs;
  return { file: shown, errors: diags.map((d) => format(d, shown)) };
}

/** Runs the check and throws a user error listing the diagnostics (for compile and train). */
export function checkOrThrow(path: string): void {
  const r = checkModel(path);
  if (r.errors.length) {
    process.stderr.write(r.errors.join('\n') + '\n');
    throw new UserError(`${r.file}: ${r.errors.length} type error${r.errors.length > 1 ? 's' : ''} (graphc check ${path})`);
  }
}

export function registerCheck(program: Command, run: (fn: () => Promise<void>) => Promise<void>): Command {
  return program
    .command('check')
    .description('type-check a model file (shapes included) and print TypeScript\'s diagnostics as file:line:col: message')
    .argument('<model>', 'model file (.ts)')
    .action((file: string) =>
      run(async () => {
        const r = checkModel(file);
        if (r.errors.length === 0) {
          process.stdout.write(`${r.file}: no type errors\n`);
          return;
        }
        process.stderr.write(r.errors.join('\n') + '\n');
        process.exitCode = 1;
      }),
    );
}
