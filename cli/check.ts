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
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { MessageChannel, receiveMessageOnPort, Worker } from 'node:worker_threads';
import { checkReadable } from './readable.ts';
import { notModule } from './model-file.ts';
import { UserError } from './user-error.ts';
import { cacheDir, graphcStamp, sha, unchanged, writeWhole } from './cache.ts';
import { clearStatus, status } from './status.ts';
import type { TypeCheck } from './typecheck.ts';

export interface CheckResult {
  readonly file: string;
  readonly errors: string[];
  /** A JavaScript model: nothing to type-check. */
  readonly skipped?: boolean;
  /** Why the file, free of type errors, is not a model (no default export, or not a defineModel result). */
  readonly notModel?: string;
}

/** The nearest tsconfig.json at or above `dir`, as TypeScript finds it. */
export function findTsconfig(dir: string): string | undefined {
  for (let d = dir; ; d = dirname(d)) {
    const f = join(d, 'tsconfig.json');
    if (existsSync(f)) return f;
    if (dirname(d) === d) return undefined;
  }
}

interface Cached {
  readonly inputs: Record<string, string>;
  readonly errors: string[];
  readonly notModel?: string;
}

interface Pending {
  readonly abs: string;
  readonly file: string;
  readonly config: string | undefined;
  readonly entry: string;
}

/** The check of `path` from the cache (nothing it read has changed), or what running it needs. */
function lookup(path: string): CheckResult | Pending {
  const abs = checkReadable(path, 'model file');
  const file = relative(process.cwd(), abs) || abs;
  if (/\.(m?js|jsx)$/.test(abs)) return { file, errors: [], skipped: true };
  if (!/\.(m?ts|tsx)$/.test(abs)) throw new UserError(notModule(path, abs));
  const config = findTsconfig(dirname(abs));
  const tsPkg = createRequire(import.meta.url).resolve('typescript/package.json');
  const tsVersion = (JSON.parse(readFileSync(tsPkg, 'utf8')) as { version: string }).version;
  const entry = join(cacheDir('checks'), `${sha([abs, config ?? '', tsVersion, graphcStamp()].join('\0'))}.json`);
  try {
    const c = JSON.parse(readFileSync(entry, 'utf8')) as Cached;
    if (unchanged(c.inputs)) return { file, errors: c.errors, notModel: c.notModel };
  } catch {
    /* not cached */
  }
  return { abs, file, config, entry };
}

function store(p: Pending, r: TypeCheck): CheckResult {
  if (r.fatal) throw new UserError(r.fatal);
  const hashes: Record<string, string> = {};
  for (const f of p.config ? [p.config, ...r.inputs] : r.inputs) {
    try {
      hashes[f] = sha(readFileSync(f));
    } catch {
      /* a file that vanished meanwhile: the next check runs again */
      hashes[f] = '';
    }
  }
  writeWhole(p.entry, JSON.stringify({ inputs: hashes, errors: r.errors, notModel: r.notModel } satisfies Cached));
  return { file: p.file, errors: r.errors, notModel: r.notModel };
}

/** Type-checks the model at `path` in this thread (from the cache when nothing it read has changed). */
export async function checkModel(path: string): Promise<CheckResult> {
  const p = lookup(path);
  if ('errors' in p) return p;
  status(`checking ${p.file}…`);
  const { typeCheck } = await import('./typecheck.ts');
  return store(p, typeCheck(p.abs, p.config));
}

/**
 * Starts the check of `path` in a worker thread and returns its outcome to come, so the caller can load
 * and compile the model meanwhile (from the cache at once when nothing has changed).
 */
export function startCheck(path: string): Promise<CheckResult> {
  const key = resolve(path);
  let started = checks.get(key);
  if (!started) {
    const p = (started = runCheck(path));
    checks.set(key, p);
    p.then(
      (ok) => outcomes.set(p, { ok }),
      (error) => outcomes.set(p, { error }),
    );
  }
  return started;
}

const checks = new Map<string, Promise<CheckResult>>();

function runCheck(path: string): Promise<CheckResult> {
  let p: CheckResult | Pending;
  try {
    p = lookup(path);
  } catch (e) {
    return Promise.reject(e);
  }
  if ('errors' in p) return Promise.resolve(p);
  const pending = p;
  status(`checking ${p.file}…`);
  // run from the TypeScript sources (tests), there is no compiled worker: check in this thread
  if (import.meta.url.endsWith('.ts')) return checkModel(path);
  const { port1, port2 } = new MessageChannel();
  let outcome: Outcome | undefined;
  let settle: (r: TypeCheck) => void = () => undefined;
  const promise = new Promise<CheckResult>((resolve, reject) => {
    // a larger young generation: the compiler allocates much and keeps little (fewer scavenges)
    const w = new Worker(new URL('./check-worker.js', import.meta.url), {
      workerData: { abs: pending.abs, config: pending.config, port: port2 },
      transferList: [port2],
      resourceLimits: { maxYoungGenerationSizeMb: 64 },
    });
    settle = (r) => {
      if (outcome) return;
      port1.close();
      void w.terminate();
      try {
        outcome = { ok: store(pending, r) };
        resolve(outcome.ok);
      } catch (error) {
        outcome = { error };
        reject(error);
      }
    };
    port1.once('message', settle);
    w.once('error', (error) => {
      outcome ??= { error };
      reject(error);
    });
  });
  // a command busy in synchronous work (training) looks for the outcome between its steps
  polls.set(promise, () => {
    if (!outcome) {
      const m = receiveMessageOnPort(port1);
      if (m) settle(m.message as TypeCheck);
    }
    return outcome;
  });
  return promise;
}

type Outcome = { ok: CheckResult } | { error: unknown };
const polls = new WeakMap<Promise<CheckResult>, () => Outcome | undefined>();
const outcomes = new WeakMap<Promise<CheckResult>, Outcome>();

/**
 * The check's outcome if it is known, without waiting: looks at the worker's message (synchronously,
 * so it works in the middle of training); undefined while the check still runs.
 */
export function pollCheck(check: Promise<CheckResult>): Outcome | undefined {
  return polls.get(check)?.() ?? outcomes.get(check);
}

/** Throws a user error listing the diagnostics, having printed them (for compile and train). */
export function throwIfErrors(r: CheckResult, path: string): void {
  if (r.errors.length) {
    process.stderr.write(r.errors.join('\n') + '\n');
    throw new UserError(`${r.file}: ${r.errors.length} type error${r.errors.length > 1 ? 's' : ''} (graphc check ${path})`);
  }
}

/** Runs the check and throws a user error listing the diagnostics. */
export async function checkOrThrow(path: string): Promise<void> {
  throwIfErrors(await checkModel(path), path);
}

/**
 * A command's output held back until the model's check (started before, in a worker thread) has passed,
 * so the model loads, compiles and even trains meanwhile, and a type error still comes first and alone:
 * lines printed before the check is known wait; if it fails, they are dropped, its errors printed, and
 * the command ends with a user error before it writes any file.
 */
export class CheckGate {
  private open: boolean;
  private held: (() => void)[] = [];

  constructor(
    private readonly check: Promise<CheckResult> | null,
    private readonly path: string,
  ) {
    this.open = check === null;
    check?.catch(() => undefined); // settled below, whatever happens to the command
  }

  /** Runs `work`; when it fails, the check is awaited and its errors (the likely cause) reported instead. */
  async during<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (e) {
      await this.settle();
      throw e;
    }
  }

  /** Prints now if the check has passed, later if it is still running; throws if it failed. */
  print(write: () => void): void {
    this.poll();
    if (this.open) write();
    else this.held.push(write);
  }

  /** Looks at the check's outcome without waiting (between training steps). */
  poll(): void {
    if (this.open) return;
    const o = pollCheck(this.check!);
    if (o) this.pass(o);
  }

  /** Waits for the check; throws its errors; prints what was held. */
  async settle(): Promise<void> {
    if (this.open) return;
    if (!pollCheck(this.check!)) status(`checking ${this.path}…`);
    let o: Outcome;
    try {
      o = { ok: await this.check! };
    } catch (error) {
      o = { error };
    }
    this.pass(o);
  }

  private pass(o: Outcome): void {
    if ('error' in o) throw o.error;
    throwIfErrors(o.ok, this.path);
    clearStatus();
    this.open = true;
    for (const w of this.held.splice(0)) w();
  }
}

/** Adds the `check` command's argument, options and action to its entry (named and described by commands.ts). */
export function registerCheck(command: Command, run: (fn: () => Promise<void>) => Promise<void>): Command {
  return command
    .argument('<model>', 'model file (.ts; a .js model has no types to check)')
    .action((file: string) =>
      run(async () => {
        const r = await checkModel(file);
        // (train and compile say so themselves when they load the module)
        if (r.errors.length === 0 && r.notModel) throw new UserError(`${r.file}: ${r.notModel}`);
        if (r.errors.length === 0) {
          process.stdout.write(r.skipped ? `${r.file}: a JavaScript model: nothing to type-check\n` : `${r.file}: no type errors\n`);
          return;
        }
        process.stderr.write(r.errors.join('\n') + '\n');
        process.exitCode = 1;
      }),
    );
}
