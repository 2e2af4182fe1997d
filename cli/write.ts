/**
 * Writing output files atomically: the bytes go to a temporary file beside the target, which is renamed
 * over it only when complete, so a failure never leaves a half-written file. An output is written in
 * chunks, with handlers for SIGINT, SIGTERM and SIGHUP installed only while a write is pending: Ctrl-C, a
 * kill or the terminal closed during the write removes the temporary file and exits 128 + the signal's
 * number (130, 143, 129), so neither a `.tmp` file nor a half file remains. (The rest of a command runs synchronously with the signals' default action: no handler
 * of ours would run there, and a handler installed for the whole command would defer Ctrl-C until the
 * synchronous work was done.)
 */
import { accessSync, closeSync, constants, lstatSync, openSync, readlinkSync, realpathSync, renameSync, unlinkSync, writeFileSync, existsSync, statSync } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { UserError } from './errors.ts';
import { ioWhy } from './user-error.ts';
import { clearStatus } from './status.ts';

/**
 * Fails early (before long work) when `path` cannot be written: the folder must exist, and a file must
 * be creatable in it (tried, with the temporary name `writeAtomic` uses, and removed at once), which
 * also catches read-only mounts and special file systems that permission bits do not tell.
 */
export function checkWritable(path: string): void {
  const abs = writeTarget(resolve(path));
  const dir = dirname(abs);
  if (!existsSync(dir)) throw new UserError(`${path}: cannot write: directory ${dir} does not exist`);
  if (!statSync(dir).isDirectory()) throw new UserError(`${path}: cannot write: ${dir} is not a directory`);
  if (existsSync(abs) && statSync(abs).isDirectory()) throw new UserError(`${path}: cannot write: is a directory`);
  // the rename would replace a file that open() refuses to write: refused as open() refuses it
  if (existsSync(abs)) {
    try {
      accessSync(abs, constants.W_OK);
    } catch (e) {
      throw new UserError(`${path}: cannot write: ${ioWhy(e)} (a read-only file)`);
    }
  }
  const probe = tmpName(abs);
  try {
    closeSync(openSync(probe, 'wx'));
  } catch (e) {
    throw new UserError(`${path}: cannot write in ${dir}: ${ioWhy(e)}`);
  }
  unlinkSync(probe);
}

/** A command's input files by what they are ('the model file', 'the --data file'); undefined: not given. */
export type Inputs = readonly (readonly [what: string, path: string | undefined])[];

/**
 * Refuses an output that is one of the command's inputs (through a link too): `graphc train m.ts --onnx
 * m.ts` would replace the model's source with ONNX bytes. The extension is the user's to choose (as
 * onnxruntime and torch.onnx.export take any); an input overwritten is not.
 */
export function checkNotInput(path: string, option: string, inputs: Inputs): void {
  const real = (p: string): string => {
    try {
      return realpathSync(p);
    } catch {
      return resolve(p);
    }
  };
  const out = real(path);
  for (const [what, p] of inputs) if (p !== undefined && real(p) === out) throw new UserError(`${path}: ${option} would write over ${what}: give the output a file of its own`);
}

/**
 * A command's output files, checked before its work: each writable, none of its inputs, and no two the
 * same file (the second would silently replace the first, as `--onnx m.onnx --plot m.onnx` did).
 */
export function checkOutputs(outputs: readonly (readonly [option: string, path: string | undefined])[], inputs: Inputs = []): void {
  const seen = new Map<string, string>();
  for (const [option, path] of outputs) {
    if (path === undefined) continue;
    // (a symbolic link and the file it names are one output)
    const target = writeTarget(resolve(path));
    const other = seen.get(target);
    if (other) throw new UserError(`${path}: named by both ${other} and ${option}: give each output its own file`);
    seen.set(target, option);
    checkNotInput(path, option, inputs);
    checkWritable(path);
  }
}

/**
 * The file a write of `abs` replaces: `abs`, or, where it is a symbolic link, the file the link names (the
 * rename then replaces that file and the link stays, as a write in place would leave it).
 */
export function writeTarget(abs: string): string {
  try {
    if (!lstatSync(abs).isSymbolicLink()) return abs;
  } catch {
    return abs; // nothing there yet
  }
  try {
    return realpathSync(abs);
  } catch {
    return resolve(dirname(abs), readlinkSync(abs)); // a link to a file not made yet
  }
}

/** The temporary file a write of `abs` goes through: `.<name>.<pid>.tmp` beside it. */
export const tmpName = (abs: string): string => join(dirname(abs), `.${basename(abs)}.${process.pid}.tmp`);

/** Temporary files being written, removed if a signal ends the process first. */
const pending = new Set<string>();
const onSignal = (signal: NodeJS.Signals): void => {
  for (const tmp of pending) {
    try {
      unlinkSync(tmp);
    } catch {
      /* not created yet */
    }
  }
  // (after SIGHUP the terminal is gone: nothing to erase there)
  if (signal !== 'SIGHUP') clearStatus();
  process.exit(128 + SIGNALS[signal as keyof typeof SIGNALS]);
};
/** The signals that end a write, by their numbers (POSIX), for the exit status 128 + number. */
const SIGNALS = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 } as const;

/** Bytes written at a time: between chunks a signal's handler can run. */
const CHUNK = 1 << 20;

/**
 * Writes `data` to `path` whole: to a temporary file beside it, renamed over it when complete; a failure
 * is a one-line user error, and a signal during the write leaves nothing behind (see above).
 */
export async function writeAtomic(path: string, data: Uint8Array | string): Promise<void> {
  const abs = writeTarget(resolve(path));
  checkWritable(path);
  try {
    await writeGuarded(abs, tmpName(abs), data);
  } catch (e) {
    throw new UserError(`${path}: cannot write: ${ioWhy(e)}`);
  }
}

/**
 * Writes `data` to `tmp` in chunks and renames it over `file`, with `tmp` removed if SIGINT, SIGTERM or
 * SIGHUP comes meanwhile (see above) or the write fails; the error is rethrown for the caller to name. A file
 * replaced keeps its permissions (a private file stays private).
 */
export async function writeGuarded(file: string, tmp: string, data: Uint8Array | string): Promise<void> {
  const bytes = typeof data === 'string' ? Buffer.from(data) : data;
  let mode: number | undefined;
  try {
    mode = statSync(file).mode & 0o7777;
  } catch {
    /* a new file: the default permissions */
  }
  if (pending.size === 0) for (const s of Object.keys(SIGNALS)) process.on(s, onSignal);
  pending.add(tmp);
  try {
    const f = await open(tmp, 'w');
    try {
      if (mode !== undefined) await f.chmod(mode);
      for (let at = 0; at < bytes.length; ) at += (await f.write(bytes, at, Math.min(CHUNK, bytes.length - at))).bytesWritten;
    } finally {
      await f.close();
    }
    await rename(tmp, file);
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      /* nothing was written */
    }
    throw e;
  } finally {
    pending.delete(tmp);
    if (pending.size === 0) for (const s of Object.keys(SIGNALS)) process.off(s, onSignal);
  }
}

/**
 * Writes `data` to `tmp` and renames it over `file`, so readers see the file whole or not at all; on a
 * failure the temporary file is removed and the error rethrown for the caller to name.
 */
export function replaceWhole(file: string, tmp: string, data: Uint8Array | string): void {
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, file);
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      /* nothing was written */
    }
    throw e;
  }
}
