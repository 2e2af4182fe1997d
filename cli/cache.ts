/**
 * graphc's cache folder: bundled models, type checks and the TypeScript compiler's compiled code, each
 * keyed by the contents it was made from. In the system's temporary directory (or GRAPHC_CACHE), never
 * beside the user's files; anything in it may be deleted at any time.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, unlinkSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { ioWhy, UserError } from './user-error.ts';
import { replaceWhole, tmpName, writeGuarded } from './write.ts';
import { fileURLToPath } from 'node:url';
import { version } from '../export/version.ts';

const uid = (): string => {
  try {
    return String(userInfo().uid);
  } catch {
    return 'user';
  }
};

/** graphc's cache folder (GRAPHC_CACHE, or a folder in the system's temporary directory). */
export function cacheDir(sub: string): string {
  const base = process.env.GRAPHC_CACHE || join(tmpdir(), `graphc-cache-${uid()}`);
  const dir = join(base, sub);
  try {
    makeDirs(resolve(dir));
  } catch (e) {
    throw new UserError(`${unusable(base)}: ${ioWhy(e)}`);
  }
  return dir;
}

const unusable = (base: string) => `${process.env.GRAPHC_CACHE ? `GRAPHC_CACHE=${base}` : base}: cannot hold graphc's cache (set GRAPHC_CACHE to a folder it can write)`;

/**
 * Makes `dir` and the folders above it that are missing, one level at a time (Node's recursive mkdir
 * never returns for a path under /proc).
 */
function makeDirs(dir: string): void {
  if (existsSync(dir)) {
    if (!statSync(dir).isDirectory()) throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' });
    return;
  }
  if (dirname(dir) !== dir) makeDirs(dirname(dir));
  mkdirSync(dir, { mode: 0o700 });
}

export const sha = (s: string | Uint8Array): string => createHash('sha256').update(s).digest('hex').slice(0, 24);

/** Whether every file recorded with its hash still has that content. */
export function unchanged(files: Record<string, string>): boolean {
  for (const [f, h] of Object.entries(files)) {
    try {
      if (sha(readFileSync(f)) !== h) return false;
    } catch {
      return false;
    }
  }
  return true;
}

/**
 * Writes a cache file so that readers see it whole or not at all, through the temporary file
 * `.<name>.<pid>.tmp` beside it. From an asynchronous caller (`writeWholeAsync`), the write is guarded
 * as an output's is: SIGINT, SIGTERM or SIGHUP meanwhile removes the temporary file (cli/write.ts). The
 * synchronous writes (a type check's result, stored between training steps; the compiler's code cache,
 * written by the type check's worker thread) run no handler of ours until they end, so a kill meanwhile
 * can leave the temporary file: no reader opens it, and the next write in its folder removes it.
 */
export function writeWhole(file: string, data: string | Uint8Array): void {
  try {
    removeStale(dirname(file));
    replaceWhole(file, tmpName(file), data);
  } catch (e) {
    throw new UserError(`${unusable(dirname(dirname(file)))}: ${ioWhy(e)}`);
  }
}

export async function writeWholeAsync(file: string, data: string | Uint8Array): Promise<void> {
  try {
    removeStale(dirname(file));
    await writeGuarded(file, tmpName(file), data);
  } catch (e) {
    throw new UserError(`${unusable(dirname(dirname(file)))}: ${ioWhy(e)}`);
  }
}

/** A temporary file older than this is stale even if a process of its id runs (ids are reused). */
const STALE_MS = 60 * 60 * 1000;

/**
 * Removes the temporary files in `dir` that no write will finish: those of a process that has ended, or
 * older than an hour. Another process's temporary file may vanish meanwhile (renamed or removed).
 */
export function removeStale(dir: string): void {
  for (const name of readdirSync(dir)) {
    const m = /\.(\d+)\.tmp$/.exec(name);
    if (!m) continue;
    const path = join(dir, name);
    try {
      if (running(Number(m[1])) && Date.now() - statSync(path).mtimeMs < STALE_MS) continue;
      unlinkSync(path);
    } catch {
      /* gone already */
    }
  }
}

/** Whether a process with this id runs (one of another user's counts). */
function running(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Changes whenever graphc's own way of bundling or checking changes (its version, these files' builds). */
export function graphcStamp(): string {
  const ext = import.meta.url.slice(import.meta.url.lastIndexOf('.'));
  const parts = [version];
  for (const f of ['cache', 'bundle', 'typecheck', 'typescript']) {
    try {
      const st = statSync(fileURLToPath(new URL(`./${f}${ext}`, import.meta.url)));
      parts.push(`${f}:${st.size}:${st.mtimeMs}`);
    } catch {
      parts.push(f);
    }
  }
  return parts.join(' ');
}
