/**
 * `graphc check MODEL.ts`: type-checks the model file with the TypeScript compiler before anything runs.
 * The DSL's types carry shapes, so a matmul whose inner dimensions differ or an add that does not
 * broadcast is reported here, as `file:line:col: message` with both shapes.
 *
 * The user's tsconfig.json (the nearest one above the model) is honoured; without one, strict ES2022
 * modules. The compiler is loaded only when a check runs, and a check's outcome is cached by the contents
 * of the model, every local file it reads and the configuration, so an unchanged model is not re-checked.
 */
import type { Command } from 'commander';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import type TS from 'typescript';
import { checkReadable } from './load.ts';
import { UserError } from './errors.ts';
import { cacheDir, graphcStamp, sha, unchanged, writeWhole } from './bundle.ts';
import { status } from './status.ts';

export interface CheckResult {
  readonly file: string;
  readonly errors: string[];
  /** A JavaScript model: nothing to type-check. */
  readonly skipped?: boolean;
}

type Ts = typeof TS;

/** The nearest tsconfig.json at or above `dir`, as TypeScript finds it. */
export function findTsconfig(dir: string): string | undefined {
  for (let d = dir; ; d = dirname(d)) {
    const f = join(d, 'tsconfig.json');
    if (existsSync(f)) return f;
    if (dirname(d) === d) return undefined;
  }
}

function defaults(ts: Ts): TS.CompilerOptions {
  return {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    strict: true,
    skipLibCheck: true,
    lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'],
  };
}

function options(ts: Ts, config: string | undefined, shown: (f: string) => string): TS.CompilerOptions {
  if (!config) return defaults(ts);
  let fatal: TS.Diagnostic | undefined;
  const parsed = ts.getParsedCommandLineOfConfigFile(config, {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => (fatal = d) });
  const bad = fatal ?? parsed?.errors.find((d) => d.category === ts.DiagnosticCategory.Error && d.code !== 18003 /* no inputs */);
  if (!parsed || bad) throw new UserError(`${shown(config)}: ${bad ? ts.flattenDiagnosticMessageText(bad.messageText, ' ') : 'cannot be read'}`);
  return parsed.options;
}

function format(ts: Ts, d: TS.Diagnostic, shown: (f: string) => string): string {
  const full = ts.flattenDiagnosticMessageText(d.messageText, ' ').replace(/\s+/g, ' ');
  // the DSL's shape checks carry their own message: show it alone
  const shape = /'shape error': "([^"]+)"/.exec(full);
  const msg = shape ? `shape error: ${shape[1]}` : full;
  if (!d.file || d.start === undefined) return `${d.file ? shown(d.file.fileName) : 'tsconfig'}: ${msg}`;
  const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
  return `${shown(d.file.fileName)}:${line + 1}:${character + 1}: ${msg}`;
}

/** Runs the TypeScript compiler on `abs`; returns its errors and the user's files it read. */
export async function typeCheck(abs: string, config: string | undefined): Promise<{ errors: string[]; inputs: string[] }> {
  const ts = (await import('typescript')).default;
  const shown = (f: string) => relative(process.cwd(), f) || f;
  const opts: TS.CompilerOptions = { ...options(ts, config, shown), noEmit: true, allowImportingTsExtensions: true, skipLibCheck: true, incremental: false, composite: false };
  const program = ts.createProgram({ rootNames: [abs], options: opts });
  const sf = program.getSourceFile(abs);
  const diags = [...program.getOptionsDiagnostics(), ...(sf ? [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)] : [])];
  const errors = diags.filter((d) => d.category === ts.DiagnosticCategory.Error).map((d) => format(ts, d, shown));
  const inputs = program
    .getSourceFiles()
    .map((f) => f.fileName)
    .filter((f) => !f.includes('/node_modules/') && !program.isSourceFileDefaultLibrary(program.getSourceFile(f)!));
  return { errors, inputs };
}

interface Cached {
  readonly inputs: Record<string, string>;
  readonly errors: string[];
}

/** The check of `path`, from the cache when nothing it read has changed. */
export async function checkModel(path: string): Promise<CheckResult> {
  const abs = checkReadable(path, 'model file');
  const file = relative(process.cwd(), abs) || abs;
  if (/\.(m?js|jsx)$/.test(abs)) return { file, errors: [], skipped: true };
  if (!/\.(m?ts|tsx)$/.test(abs)) throw new UserError(`${path}: not a model file (expected .ts, .mts, .js or .mjs)`);
  const config = findTsconfig(dirname(abs));
  const tsVersion = (JSON.parse(readFileSync(new URL(import.meta.resolve('typescript/package.json')), 'utf8')) as { version: string }).version;
  const key = sha([abs, config ?? '', tsVersion, graphcStamp()].join('\0'));
  const entry = join(cacheDir('checks'), `${key}.json`);
  try {
    const c = JSON.parse(readFileSync(entry, 'utf8')) as Cached;
    if (unchanged(c.inputs)) return { file, errors: c.errors };
  } catch {
    /* not cached */
  }
  status(`checking ${file}…`);
  const { errors, inputs } = await typeCheck(abs, config);
  const hashes: Record<string, string> = {};
  for (const f of config ? [config, ...inputs] : inputs) {
    try {
      hashes[f] = sha(readFileSync(f));
    } catch {
      /* a file that vanished: not cached */
    }
  }
  writeWhole(entry, JSON.stringify({ inputs: hashes, errors } satisfies Cached));
  return { file, errors };
}

/** Runs the check and throws a user error listing the diagnostics (for compile and train). */
export async function checkOrThrow(path: string): Promise<void> {
  const r = await checkModel(path);
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
        const r = await checkModel(file);
        if (r.errors.length === 0) {
          process.stdout.write(r.skipped ? `${r.file}: a JavaScript model: nothing to type-check\n` : `${r.file}: no type errors\n`);
          return;
        }
        process.stderr.write(r.errors.join('\n') + '\n');
        process.exitCode = 1;
      }),
    );
}
