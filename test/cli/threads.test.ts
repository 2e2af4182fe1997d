/**
 * `--threads` on a process allowed one core (`taskset -c 0`: os.availableParallelism() is then 1), where a
 * helper thread could only take turns with the calling thread: no helper starts; `--threads 2` given
 * says so in one line on standard error, the default says nothing, and `train --explain` names the
 * reason, not `--threads 1`. The package's `train({ threads: 2 })` after `useNodeHelperThread()` says
 * the same on the console instead of asking for `useNodeHelperThread()`.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { graphc, root, run } from '../support/cli.ts';

const taskset = ['/usr/bin/taskset', '/bin/taskset'].find(existsSync);
const oneCore = (args: string[]) => run(taskset!, ['-c', '0', process.execPath, join(root, 'bin/graphc.js'), ...args]);
const note = 'graphc: --threads 2 runs on one thread: this machine has one core for this process (os.availableParallelism() is 1), where a helper thread only takes turns with the calling thread\n';

describe.skipIf(!taskset)('--threads on one core', () => {
  it('--threads 2 says it runs on one thread, once; the default and --threads 1 say nothing; the results are the same', async () => {
    const args = ['train', 'graphs/toy.ts', '--no-check', '--epochs', '10'];
    const two = await oneCore(['--threads', '2', ...args]);
    expect(two.status, two.stderr).toBe(0);
    expect(two.stderr).toBe(note);
    const after = await oneCore([...args, '--threads', '2']); // given after the command, the same
    expect(after.stderr).toBe(note);
    for (const extra of [[], ['--threads', '1']]) {
      const r = await oneCore([...extra, ...args]);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe(two.stdout);
    }
  });

  it('train --explain names the reason', async () => {
    const r = await oneCore(['train', 'graphs/toy.ts', '--no-check', '--epochs', '0', '--explain']);
    expect(r.stdout).toContain('threads: one: every kernel ran on the calling thread: this machine has one core for this process');
    expect(r.stdout).not.toContain('--threads 1');
  });

  it('train({ threads: 2 }) after useNodeHelperThread() runs on one thread and says why', async () => {
    const dir = mkdtempSync(join(root, 'test/cli/.scratch-threads-'));
    const script = join(dir, 'two.mjs');
    writeFileSync(script, `import { train } from 'graphc';
import { useNodeHelperThread } from 'graphc/node';
import toy from '../../../graphs/toy.ts';
console.log(useNodeHelperThread());
const t = await train(toy, { data: '1,2,0\\n3,4,1\\n', epochs: 1, threads: 2 });
console.log(t.log.length);
`);
    const r = await run(taskset!, ['-c', '0', process.execPath, '--import', 'tsx', script]);
    rmSync(dir, { recursive: true });
    expect(r.stderr).toBe('graphc: threads: 2 runs on one thread: this machine has one core for this process (os.availableParallelism() is 1), where a helper thread only takes turns with the calling thread\n');
    expect(r.stdout).toBe('false\n2\n');
    expect(r.status).toBe(0);
  });

  it('--help says what the default is and what 2 does on one core', async () => {
    const help = (await graphc(['--help'])).stdout.replace(/\s+/g, ' ');
    expect(help).toContain('--threads <n> threads for large kernels: 1, or 2 (a helper thread shares large products). Default: 2 on a machine with two or more cores, 1 on one core (where --threads 2 runs on one thread too, and says so)');
    expect(help).not.toContain('(default: "2")');
  });
});
