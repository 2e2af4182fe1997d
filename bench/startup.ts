/**
 * `npm run bench:startup`: graphc as a person meets it, timed as whole processes beside PyTorch in one
 * run: `node -e 0` (the floor), `graphc --help`, `graphc train graphs/toy.ts` warm (its check and bundle
 * cached: the second run on) and right after an edit of the model (both missed), and the seed's PyTorch
 * script doing the same job (bench/peers/seed_toy.py). Each is run `--runs` times (default 7); the table
 * shows the minimum and the median, and the ratios the targets are stated in. Writes
 * bench/results/startup.json.
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));
const runsArg = process.argv.indexOf('--runs');
const runs = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 7;
const python = '/usr/bin/python3';
const graphc = join(root, 'bin/graphc.js');

/** Wall time of one whole process, in seconds; fails loudly if the command fails. */
function time(cmd: string, args: string[], before?: () => void): number {
  before?.();
  const t = performance.now();
  const r = spawnSync(cmd, args, { cwd: root, encoding: 'utf8', env: { ...process.env, GRAPHC_QUIET: '1' } });
  const s = (performance.now() - t) / 1000;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return s;
}

interface Row {
  readonly what: string;
  readonly command: string;
  readonly min: number;
  readonly median: number;
}

function measure(what: string, command: string, cmd: string, args: string[], before?: () => void): Row {
  process.stderr.write(`bench:startup: ${what} ...\n`);
  const all = Array.from({ length: runs }, () => time(cmd, args, before)).sort((a, b) => a - b);
  return { what, command, min: all[0], median: all[Math.floor(all.length / 2)] };
}

if (!existsSync(join(root, 'dist/cli/main.js'))) {
  process.stderr.write('bench:startup: graphc is not built here: run `npm run build` first (npm ci does)\n');
  process.exit(1);
}

// the edited model: a copy of graphs/toy.ts beside it whose text changes before every run, so its bundle
// and its check are missed as after a real edit (graphc's other caches stay warm, as they would)
const edited = join(root, 'graphs', '.startup-edited.ts');
writeFileSync(edited, readFileSync(join(root, 'graphs/toy.ts'), 'utf8'));
let edits = 0;
const edit = () => appendFileSync(edited, `// edit ${process.pid}.${edits++}\n`);

const rows: Row[] = [];
try {
  rows.push(measure('node -e 0', 'node -e 0', process.execPath, ['-e', '0']));
  rows.push(measure('graphc --help', 'graphc --help', process.execPath, [graphc, '--help']));
  time(process.execPath, [graphc, 'train', 'graphs/toy.ts']); // the first run fills the caches
  rows.push(measure('graphc train, warm', 'graphc train graphs/toy.ts', process.execPath, [graphc, 'train', 'graphs/toy.ts']));
  time(process.execPath, [graphc, 'train', edited]);
  rows.push(measure('graphc train, after an edit', 'graphc train graphs/toy.ts (model just edited)', process.execPath, [graphc, 'train', edited], edit));
} finally {
  spawnSync('rm', ['-f', edited]);
}
const torch = existsSync(python) && spawnSync(python, ['-c', 'import torch']).status === 0;
if (torch) rows.push(measure('PyTorch, the seed\'s script', '/usr/bin/python3 bench/peers/seed_toy.py', python, ['bench/peers/seed_toy.py'], undefined));
else process.stderr.write('bench:startup: PyTorch skipped: python3-torch is not installed at /usr/bin/python3\n');

const by = (w: string) => rows.find((r) => r.what.startsWith(w));
const node = by('node')!, help = by('graphc --help')!, warm = by('graphc train, warm')!, edit1 = by('graphc train, after')!, py = by('PyTorch');
const f = (s: number) => s.toFixed(3);
const lines = [
  `Start-up, whole processes, ${runs} runs each (min / median seconds); ${cpus().length} × ${cpus()[0]?.model ?? '?'}, Node ${process.version}, load average ${loadavg()[0].toFixed(2)}`,
  '',
  '| command | min s | median s |',
  '|---|---:|---:|',
  ...rows.map((r) => `| \`${r.command}\` | ${f(r.min)} | ${f(r.median)} |`),
  '',
  `graphc --help / node -e 0: ${(help.median / node.median).toFixed(2)}× (median; target ≤ 2.5×)`,
];
if (py) {
  lines.push(`PyTorch / graphc train warm: ${(py.median / warm.median).toFixed(2)}× (median; target ≥ 3×)`);
  lines.push(`PyTorch / graphc train after an edit: ${(py.median / edit1.median).toFixed(2)}× (median; target ≥ 1×)`);
}
process.stdout.write(lines.join('\n') + '\n');
mkdirSync(join(root, 'bench/results'), { recursive: true });
writeFileSync(join(root, 'bench/results/startup.json'), JSON.stringify({ runs, machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version, loadavg: loadavg() }, rows }, null, 2) + '\n');
