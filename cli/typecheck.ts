/**
 * The type check itself: the TypeScript compiler on one model file under the user's tsconfig.json (or
 * strict ES2022 modules without one). Runs in the command's process or in a worker thread beside it
 * (cli/check-worker.ts), so it imports nothing of graphc's compiler.
 */
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import type TS from 'typescript';
import { loadTypescript, saveTypescriptCache } from './typescript.ts';

export interface TypeCheck {
  /** `file:line:col: message` for each error in the model file (and the configuration). */
  readonly errors: string[];
  /** The user's files the compiler read (the model, its local imports): the check's cache key. */
  readonly inputs: string[];
  /** The configuration could not be used: this message, and no check. */
  readonly fatal?: string;
  /** Why the file is not a model, where it has no type error: no default export, or one that is not a model. */
  readonly notModel?: string;
}

type Ts = typeof TS;

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

function format(ts: Ts, d: TS.Diagnostic, shown: (f: string) => string): string {
  const full = ts.flattenDiagnosticMessageText(d.messageText, ' ').replace(/\s+/g, ' ');
  // the DSL's shape checks carry their own message: show it alone
  const shape = /'shape error': "([^"]+)"/.exec(full);
  const msg = shape ? `shape error: ${shape[1]}` : full;
  if (!d.file || d.start === undefined) return `${d.file ? shown(d.file.fileName) : 'tsconfig'}: ${msg}`;
  const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
  return `${shown(d.file.fileName)}:${line + 1}:${character + 1}: ${msg}`;
}

export function typeCheck(abs: string, config: string | undefined): TypeCheck {
  const ts = loadTypescript();
  const shown = (f: string) => relative(process.cwd(), f) || f;
  let base = defaults(ts);
  let ambient: string[] = [];
  if (config) {
    let fatal: TS.Diagnostic | undefined;
    const parsed = ts.getParsedCommandLineOfConfigFile(config, {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => (fatal = d) });
    // 18003: the config's "include" matches no file (the model is given by name)
    const bad = fatal ?? parsed?.errors.find((d) => d.category === ts.DiagnosticCategory.Error && d.code !== 18003);
    if (!parsed || bad) return { errors: [], inputs: [], fatal: `${shown(config)}: ${bad ? ts.flattenDiagnosticMessageText(bad.messageText, ' ') : 'cannot be read'}` };
    base = parsed.options;
    // the project's own declaration files (globals the model may use) are part of the check
    ambient = parsed.fileNames.filter((f) => /\.d\.[mc]?ts$/.test(f));
  }
  const options: TS.CompilerOptions = { ...base, noEmit: true, allowImportingTsExtensions: true, skipLibCheck: true, incremental: false, composite: false, tsBuildInfoFile: undefined };
  const host = ts.createCompilerHost(options);
  resolveGraphcAsBundled(ts, host, options);
  const program = ts.createProgram({ rootNames: [abs, ...ambient], options, host });
  const sf = program.getSourceFile(abs);
  const diags = [...program.getOptionsDiagnostics(), ...(sf ? [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)] : [])];
  const errors = diags.filter((d) => d.category === ts.DiagnosticCategory.Error).map((d) => format(ts, d, shown));
  const inputs = program
    .getSourceFiles()
    .filter((f) => !f.fileName.includes('/node_modules/') && !program.isSourceFileDefaultLibrary(f))
    .map((f) => f.fileName);
  saveTypescriptCache();
  return { errors, inputs, notModel: sf && !errors.length ? notAModel(ts, program, sf) : undefined };
}

/**
 * `graphc` and `graphc/...` resolve as the bundle resolves them (cli/bundle.ts): to the package this
 * command line runs from, wherever the model is, so that a model in a folder where graphc is not installed
 * is checked against the declarations it runs with; elsewhere (or where this package's name does not
 * resolve under the user's settings) as the user's configuration says.
 */
function resolveGraphcAsBundled(ts: Ts, host: TS.CompilerHost, options: TS.CompilerOptions): void {
  let own: string;
  try {
    own = join(dirname(createRequire(import.meta.url).resolve('graphc/package.json')), 'model.ts');
  } catch {
    return;
  }
  const cache = ts.createModuleResolutionCache(host.getCurrentDirectory(), (f) => host.getCanonicalFileName(f), options);
  host.resolveModuleNameLiterals = (literals, containing, redirected, opts, file) =>
    literals.map((lit) => {
      const name = lit.text;
      const mode = ts.getModeForUsageLocation(file, lit, opts);
      if (name === 'graphc' || name.startsWith('graphc/')) {
        const r = ts.resolveModuleName(name, own, opts, host, cache, redirected, ts.ModuleKind.ESNext);
        if (r.resolvedModule) return r;
      }
      return ts.resolveModuleName(name, containing, opts, host, cache, redirected, mode);
    });
}

/** Why `sf` is not a model module: it exports nothing as default, or a value whose type is not a `Model`. */
function notAModel(ts: Ts, program: TS.Program, sf: TS.SourceFile): string | undefined {
  const checker = program.getTypeChecker();
  const mod = checker.getSymbolAtLocation(sf);
  const found = mod && checker.getExportsOfModule(mod).find((s) => s.escapedName === 'default');
  if (!found) return 'not a graphc model: it exports nothing as default (expected `export default defineModel({...})`)';
  const type = checker.getTypeOfSymbol(found.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(found) : found);
  if (type.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) return undefined;
  // a Model's `kind` is the literal 'graphc-model' (compiler/dsl/model.ts)
  const kind = type.getProperty('kind');
  if (kind && checker.typeToString(checker.getTypeOfSymbol(kind)) === '"graphc-model"') return undefined;
  return `not a graphc model: its default export is ${checker.typeToString(type)}, not a defineModel({...}) result`;
}
