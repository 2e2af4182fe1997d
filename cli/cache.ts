/**
 * graphc's cache folder: bundled models, type checks and the TypeScript compiler's compiled code, each
 * keyed by the contents it was made from. In the system's temporary directory (or GRAPHC_CACHE), never
 * beside the user's files; anything in it may be deleted at any time.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { ioWhy, UserError } from './user-error.ts';
import { replaceWhole } from './write.ts';
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

/** Writes a file so that readers see it whole or not at all. */
export function writeWhole(file: string, data: string | Uint8Array): void {
  try {
    replaceWhole(file, `${file}.${process.pid}.tmp`, data);
  } catch (e) {
    throw new UserError(`${unusable(dirname(dirname(file)))}: ${ioWhy(e)}`);
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
