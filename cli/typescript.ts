/**
 * Loads the TypeScript compiler (a 9 MB CommonJS file) with a V8 code cache kept in graphc's cache
 * folder: compiling the file is most of what loading it costs, and the cache skips that from the second
 * check on. The cache is written after a check has run, so it holds the functions the check compiled.
 */
import { isAscii } from 'node:buffer';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire, Module } from 'node:module';
import { dirname, join } from 'node:path';
import { Script } from 'node:vm';
import type TS from 'typescript';
import { cacheDir, sha, writeWhole } from './cache.ts';

let loaded: { ts: typeof TS; script: Script; cacheFile: string; fresh: boolean } | undefined;

export function loadTypescript(): typeof TS {
  if (loaded) return loaded.ts;
  const file = createRequire(import.meta.url).resolve('typescript');
  const st = statSync(file);
  const cacheFile = join(cacheDir('v8'), `${sha(`${file}:${st.size}:${st.mtimeMs}:${process.version}`)}.bin`);
  const cachedData = existsSync(cacheFile) ? readFileSync(cacheFile) : undefined;
  // read as Latin-1 where the file is ASCII (as it is): the same text, in about half the time Node's
  // UTF-8 decoding of 9 MB takes
  const bytes = readFileSync(file);
  const text = bytes.toString(isAscii(bytes) ? 'latin1' : 'utf8');
  const script = new Script((Module as unknown as { wrap(s: string): string }).wrap(text), { filename: file, cachedData });
  const mod = { exports: {} as typeof TS };
  (script.runInThisContext() as (...a: unknown[]) => void).call(mod.exports, mod.exports, createRequire(file), mod, file, dirname(file));
  loaded = { ts: mod.exports, script, cacheFile, fresh: !cachedData || script.cachedDataRejected === true };
  return loaded.ts;
}

/** Keeps the compiled code for the next process (once, when the cache was missing or stale). */
export function saveTypescriptCache(): void {
  if (!loaded?.fresh) return;
  loaded.fresh = false;
  try {
    writeWhole(loaded.cacheFile, loaded.script.createCachedData() as unknown as string);
  } catch {
    /* a cache that cannot be written only costs time */
  }
}
