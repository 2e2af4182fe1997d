/**
 * Turning a user's model file (.ts, .mts, .js, .mjs) into one ES module Node can import, without writing
 * anything beside it: esbuild bundles the file and its local imports into graphc's cache folder (a
 * temporary directory), keyed by the contents of every file it read, so an unchanged model is not rebuilt.
 * `graphc` itself stays external and resolves to the very modules this command line runs (one instance of
 * the op registry); other packages are resolved where the model lives and imported from there.
 * A source map comes back with the bundle so positions name the user's file, line and column.
 */
import { existsSync, readFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { readFile } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Plugin } from 'esbuild';
import { UserError } from './user-error.ts';
import { cacheDir, graphcStamp, sha, unchanged, writeWholeAsync } from './cache.ts';

export interface Bundled {
  /** The bundled module (in the cache folder). */
  readonly file: string;
  /** The source map's JSON text. */
  readonly map: string;
  /** Absolute paths of the user's files that went into it. */
  readonly inputs: readonly string[];
}

interface Manifest {
  readonly inputs: Record<string, string>;
  readonly out: string;
}

/** Where `graphc` and `graphc/...` resolve for this command line: its own modules. */
function graphcUrl(spec: string): string | undefined {
  try {
    return import.meta.resolve(spec);
  } catch {
    return undefined;
  }
}

const externals: Plugin = {
  name: 'graphc-externals',
  setup(build) {
    build.onResolve({ filter: /^[^./]|^\.[^./]|^\.\.[^/]/ }, async (args) => {
      if (args.pluginData === 'inner' || args.kind === 'entry-point') return undefined;
      if (isBuiltin(args.path)) return { path: args.path, external: true };
      if (args.path === 'graphc' || args.path.startsWith('graphc/')) {
        const url = graphcUrl(args.path);
        return url ? { path: url, external: true } : { errors: [{ text: `graphc has no export '${args.path}'` }] };
      }
      // another package: found from the model's folder, imported from where it is installed
      const r = await build.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, importer: args.importer, pluginData: 'inner' });
      if (r.errors.length) return { errors: r.errors };
      return { path: pathToFileURL(r.path).href, external: true };
    });
    // import.meta.url, .filename and .dirname keep naming the user's file, not the bundle
    build.onLoad({ filter: /\.(m?[jt]sx?|c[jt]s)$/ }, async (args) => {
      const text = await readFile(args.path, 'utf8');
      if (!text.includes('import.meta')) return undefined;
      const meta: Record<string, string> = { url: pathToFileURL(args.path).href, filename: args.path, dirname: dirname(args.path) };
      const ext = extname(args.path).replace(/^\.[mc]?/, '');
      return {
        contents: text.replace(/\bimport\.meta\.(url|filename|dirname)\b/g, (_, k: string) => JSON.stringify(meta[k])),
        loader: (ext === 'tsx' || ext === 'jsx' ? ext : ext === 'ts' ? 'ts' : 'js') as 'ts' | 'js' | 'tsx' | 'jsx',
      };
    });
  },
};

/** First line of an esbuild failure as `file:line:col: message`. */
function buildError(e: unknown, base: string, shown: (f: string) => string): UserError {
  const errs = (e as { errors?: { text: string; location?: { file: string; line: number; column: number } | null }[] }).errors;
  const first = errs?.[0];
  if (!first) return new UserError(`the model could not be compiled: ${String((e as Error)?.message ?? e).split('\n')[0]}`);
  const loc = first.location;
  const where = loc ? `${shown(resolve(base, loc.file))}:${loc.line}:${loc.column + 1}: ` : '';
  return new UserError(`${where}${first.text}`);
}

/** Bundles the model at `abs` (or reuses the cached bundle of the same contents). */
export async function bundleModel(abs: string, shown: (f: string) => string): Promise<Bundled> {
  const dir = cacheDir('models');
  const key = sha([abs, graphcUrl('graphc') ?? '', graphcStamp()].join('\0'));
  const manifestFile = join(dir, `${key}.json`);
  if (existsSync(manifestFile)) {
    try {
      const m = JSON.parse(readFileSync(manifestFile, 'utf8')) as Manifest;
      if (unchanged(m.inputs) && existsSync(m.out)) return { file: m.out, map: readFileSync(`${m.out}.map`, 'utf8'), inputs: Object.keys(m.inputs) };
    } catch {
      /* rebuild */
    }
  }
  const esbuild = await import('esbuild');
  const outfile = join(dir, `${key}.mjs`);
  let result;
  try {
    result = await esbuild.build({
      entryPoints: [abs],
      absWorkingDir: dirname(abs),
      bundle: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      outfile,
      write: false,
      sourcemap: 'external',
      sourcesContent: false,
      metafile: true,
      logLevel: 'silent',
      plugins: [externals],
    });
  } catch (e) {
    throw buildError(e, dirname(abs), shown);
  }
  const code = result.outputFiles.find((f) => f.path.endsWith('.mjs'))!.text;
  const map = result.outputFiles.find((f) => f.path.endsWith('.map'))!.text;
  const inputs: Record<string, string> = {};
  for (const f of Object.keys(result.metafile.inputs)) {
    const p = resolve(dirname(abs), f);
    if (existsSync(p)) inputs[p] = sha(readFileSync(p));
  }
  // contents in the name: a process importing an older bundle never sees this one change under it
  const out = join(dir, `${key}-${sha(code)}.mjs`);
  await writeWholeAsync(`${out}.map`, map);
  await writeWholeAsync(out, code.replace(/\/\/# sourceMappingURL=\S+\s*$/, `//# sourceMappingURL=${basename(out)}.map\n`));
  await writeWholeAsync(manifestFile, JSON.stringify({ inputs, out } satisfies Manifest));
  return { file: out, map, inputs: Object.keys(inputs) };
}
