/**
 * `npm run bench:load`: graphc on two threads against graphc on one,
 * on a machine with another process busy beside it, as a laptop, a CI runner or a shared server is. The
 * bench starts that process itself (a Node process spinning on one core) and stops it at the end. For each
 * of `--runs` runs (3 by default) it times W3, W4 and MM (bench/graphc.ts, each side in a process of its
 * own, the two orders alternating) and prints the time on one thread over the time on two: the default (two
 * threads) must be at least as fast as one thread in every run. `--quiet` runs the same without the busy
 * process. `--control` runs one thread on both sides: the ratios it prints are the method's own noise (the
 * same code against itself), the margin within which a two-thread ratio says nothing. Writes
 * bench/results/load.json (load-quiet.json, load-control.json).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { cpus } from 'node:os';

const root = fileURLToPath(new URL('../', import.meta.url));
const arg = (name: string, d: string) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : d);
const runs = Number(arg('--runs', '3'));
const pairs = Number(arg('--pairs', '2'));
const quiet = process.argv.includes('--quiet');
const control = process.argv.includes('--control');
const workloads = ['W3', 'W4', 'MM'];

/** One workload's time (seconds) on `threads` threads, in a process of its own. */
function graphc(workload: string, threads: number): number {
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--conditions=graphc-source', 'bench/graphc.ts', '--only', workload, '--threads', String(threads)], { cwd: root, encoding: 'utf8', timeout: 600_000, maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`bench/graphc.ts --only ${workload} --threads ${threads} failed: ${(r.stderr || String(r.error)).trim().split('\n').pop()}`);
  const doc = JSON.parse(r.stdout.trim().split('\n').pop()!) as { results: Record<string, { seconds: number }> };
  return doc.results[workload].seconds;
}

// the other tenant: one core kept busy for as long as the bench runs
let busy: ChildProcess | null = null;
if (!quiet) busy = spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' });
const stop = () => busy?.kill('SIGKILL');
process.on('exit', stop);

const rows: { run: number; one: Record<string, number>; two: Record<string, number> }[] = [];
try {
  for (let run = 1; run <= runs; run++) {
    process.stderr.write(`bench/load: run ${run} of ${runs}${quiet ? '' : ', beside a busy process'} ...\n`);
    const one: Record<string, number> = {}, two: Record<string, number> = {};
    for (const w of workloads) {
      const t: Record<number, number[]> = { 1: [], 2: [] };
      // alternate which goes first, so that neither side always meets the machine in the same state
      for (let p = 0; p < pairs; p++) for (const n of (run + p) % 2 ? [1, 2] : [2, 1]) t[n].push(graphc(w, control ? 1 : n));
      one[w] = Math.min(...t[1]);
      two[w] = Math.min(...t[2]);
    }
    rows.push({ run, one, two });
  }
} finally {
  stop();
}

const ms = (s: number) => `${(s * 1e3).toFixed(2)} ms`;
const lines = [
  control
    ? `graphc, 1 thread against 1 (the control: the "2 threads" columns ran one thread too), ${quiet ? 'quiet' : 'beside a busy process'}, each the least of ${pairs} alternating processes`
    : `graphc, 2 threads against 1, ${quiet ? 'quiet' : 'beside a busy process'} (time on 1 thread / time on 2, each the least of ${pairs} alternating processes; at least 1: two threads at least as fast)`,
  '',
];
lines.push(`| run | ${workloads.map((w) => `${w} 1 thread | ${w} 2 threads | ${w} ratio`).join(' | ')} |`);
lines.push(`|---|${workloads.map(() => '---|---|---').join('|')}|`);
for (const r of rows) lines.push(`| ${r.run} | ${workloads.map((w) => `${ms(r.one[w])} | ${ms(r.two[w])} | ×${(r.one[w] / r.two[w]).toFixed(2)}`).join(' | ')} |`);
const worst = Object.fromEntries(workloads.map((w) => [w, Math.min(...rows.map((r) => r.one[w] / r.two[w]))]));
const worstText = workloads.map((w) => `${w} ×${worst[w].toFixed(2)}`).join(', ');
lines.push('', control ? `worst ratio over the runs, one thread against itself: ${worstText}` : `worst ratio over the runs: ${worstText}; two threads at least as fast in every run: ${Object.values(worst).every((r) => r >= 1) ? 'yes' : 'no'}`);
console.log(lines.join('\n'));
mkdirSync(`${root}bench/results`, { recursive: true });
const machine = { cpus: cpus().length, model: cpus()[0]?.model, node: process.version, date: new Date().toISOString() };
writeFileSync(`${root}bench/results/${control ? 'load-control' : quiet ? 'load-quiet' : 'load'}.json`, JSON.stringify({ machine, quiet, control, pairs, rows, worst }, null, 2));
