/**
 * Running graphc's command line from tests as a separate process, asynchronously: a synchronous spawn
 * would block the test worker (and its RPC with the runner) for as long as the command runs.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

export const root = fileURLToPath(new URL('../../', import.meta.url));

export interface Ran {
  readonly status: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly input?: string;
  readonly timeout?: number;
}

/** Runs `command args` and resolves with its exit status and output (never rejects on a non-zero exit). */
export function run(command: string, args: readonly string[], opts: RunOptions = {}): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: opts.cwd ?? root, env: opts.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = opts.timeout ? setTimeout(() => child.kill('SIGKILL'), opts.timeout) : undefined;
    child.on('error', reject);
    child.on('close', (status, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ status, signal, stdout, stderr });
    });
    child.stdin.end(opts.input ?? '');
  });
}

/** Runs the `graphc` command as a user would (`bin/graphc.js` with this Node). */
export const graphc = (args: readonly string[], opts: RunOptions = {}): Promise<Ran> => run(process.execPath, [join(root, 'bin/graphc.js'), ...args], opts);
