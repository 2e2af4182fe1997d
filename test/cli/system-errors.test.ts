/**
 * What the system puts in graphc's way, said in one line: data with no line end (/dev/zero), a cache folder
 * that cannot be made, and Ctrl-C on a terminal while training (exit 130, the terminal's modes untouched, no
 * file written).
 */
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { graphc as runGraphc, root } from '../support/cli.ts';
import { expectUserError, graphc, toyLike } from '../support/cli-errors.ts';
import { scratchFolders } from '../support/scratch.ts';

const { out, file } = scratchFolders();

describe('bad input', () => {
  const good = file('good.ts', toyLike(''));
  const csv = (name: string, text: string) => file(name, text);
  it('Ctrl-C on a terminal while training: exit 130, the terminal\'s modes untouched, no file written', async () => {
    // a terminal from script(1); ^C typed into it once the progress bar shows
    const target = join(out, 'interrupted.onnx');
    const cmd = [process.execPath, join(root, 'bin/graphc.js'), 'train', good, '--no-check', '--data', csv('long.csv', '1,2,0\n3,4,1\n'), '--epochs', '100000000', '--log-every', '10000000', '--onnx', target].map((a) => JSON.stringify(a)).join(' ');
    const child = spawn('script', ['-qec', cmd, '/dev/null'], { cwd: root, env: { ...process.env, GRAPHC_QUIET: '' }, stdio: ['pipe', 'pipe', 'pipe'] });
    let tty = '';
    child.stdout.on('data', (d: Buffer) => {
      const first = !tty.includes('training [');
      tty += d.toString();
      if (first && tty.includes('training [')) setTimeout(() => child.stdin.write('\x03'), 200);
    });
    const killer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    const status = await new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
    clearTimeout(killer);
    expect(tty).toContain('training [');
    expect(status).toBe(130);
    // neither the cursor hidden nor line wrapping turned off: nothing would turn them back on
    expect(tty).not.toContain('\x1b[?25l');
    expect(tty).not.toContain('\x1b[?7l');
    expect(existsSync(target)).toBe(false);
    expect(readdirSync(out).filter((f) => f.includes('interrupted'))).toEqual([]);
  });
  it('a cache folder that cannot be made: one line, not a hang (/proc) or an internal error (a file)', async () => {
    for (const cache of ['/proc/graphc-cache', join(csv('cache.csv', '1,2,0\n'), 'sub')]) {
      for (const extra of [[], ['--no-check']]) {
        const r = await runGraphc(['train', good, ...extra, '--data', csv('ok6.csv', '1,2,0\n')], { env: { ...process.env, GRAPHC_CACHE: cache }, timeout: 60_000 });
        expectUserError(r, /^graphc: GRAPHC_CACHE=.*: cannot hold graphc's cache \(set GRAPHC_CACHE to a folder it can write\): (no such file or directory|a part of the path is not a directory)$/);
      }
    }
  });
  it('data with no line end (/dev/zero): one line naming it, not an internal error at 4 GiB or no end', async () => {
    const message = /^graphc: \/dev\/zero:1: a line of more than 256 MiB \(is it a CSV text file\?\)$/;
    expectUserError(await graphc('train', good, '--no-check', '--data', '/dev/zero'), message);
    const onnx = join(out, 'zero-in.onnx');
    expect((await graphc('compile', 'graphs/toy.ts', '--no-check', '--onnx', onnx)).status).toBe(0);
    expectUserError(await runGraphc(['run', onnx, '--input', '/dev/zero'], { timeout: 60_000 }), message);
  });
});
