/**
 * Writing over an output that exists (cli/write.ts): the bytes go to a temporary file renamed over the
 * target, as a write in place would leave them: through a symbolic link (the link stays, the file it
 * names gets the bytes), with the target's permissions kept, and never over a file the user may not
 * write (a read-only file is refused, as open() refuses it, and left as it was).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { chmodSync, existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeAtomic } from '../../cli/write.ts';
import { graphc, run } from '../support/cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'graphc-write-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('an output that exists', () => {
  it('a symbolic link: the file it names is written, the link kept', async () => {
    const real = join(dir, 'real.onnx');
    const link = join(dir, 'link.onnx');
    writeFileSync(real, 'old');
    symlinkSync('real.onnx', link);
    await writeAtomic(link, 'new');
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readFileSync(real, 'utf8')).toBe('new');
    // a link to a file not made yet: made where the link points
    const later = join(dir, 'later.svg');
    symlinkSync('made-later.svg', later);
    await writeAtomic(later, '<svg/>');
    expect(lstatSync(later).isSymbolicLink()).toBe(true);
    expect(readFileSync(join(dir, 'made-later.svg'), 'utf8')).toBe('<svg/>');
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('two outputs, a link and the file it names: one file, refused before any work', async () => {
    const real = join(dir, 'step.onnx');
    const link = join(dir, 'step-link.onnx');
    writeFileSync(real, 'old');
    symlinkSync('step.onnx', link);
    const r = await graphc(['compile', 'graphs/toy.ts', '--no-check', '--onnx', link, '--onnx-train', real]);
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr.trim()).toMatch(/^graphc: .*step\.onnx: named by both --onnx and --onnx-train: give each output its own file$/);
    expect(readFileSync(real, 'utf8')).toBe('old');
  });

  it('its permissions are kept (a private file stays private)', async () => {
    const f = join(dir, 'private.onnx');
    writeFileSync(f, 'old');
    chmodSync(f, 0o600);
    await writeAtomic(f, 'new');
    expect(readFileSync(f, 'utf8')).toBe('new');
    expect(statSync(f).mode & 0o777).toBe(0o600);
  });

  it('a read-only file: refused before any work, left as it was', async () => {
    // as a user who may not write it (root may write any file, as open() lets it)
    const asUser = process.getuid?.() === 0 ? (existsSync('/usr/bin/setpriv') ? ['/usr/bin/setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'] : null) : [];
    if (!asUser) return;
    chmodSync(dir, 0o777);
    const f = join(dir, 'locked.onnx');
    writeFileSync(f, 'old');
    chmodSync(f, 0o444);
    const argv = [process.execPath, join(import.meta.dirname, '../../bin/graphc.js'), 'compile', 'graphs/toy.ts', '--no-check', '--onnx', f];
    // (its cache in this test's folder, not a folder of that user's left in the temporary directory)
    const env = { ...process.env, GRAPHC_CACHE: join(dir, 'cache') };
    const r = asUser.length ? await run(asUser[0], [...asUser.slice(1), ...argv], { env }) : await graphc(argv.slice(2), { env });
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr.trim()).toMatch(/^graphc: .*locked\.onnx: cannot write: permission denied \(a read-only file\)$/);
    expect(readFileSync(f, 'utf8')).toBe('old');
  });
});
