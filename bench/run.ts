/**
 * `npm run bench`: graphc beside PyTorch, TensorFlow.js (cpu, wasm), jax-js and onnxruntime-node on
 * the workloads of ../shared/reference/workloads.md, in one run on one machine. Each side runs in its own
 * process; W4's peak memory comes from processes that ran W4 alone. Prints a table of times with the
 * ratio peer time / graphc time (above 1: graphc is faster), the targets and by how much each is met
 * or missed, and writes everything as JSON (bench/results/latest.json). `--only W6a,W6b` runs those
 * workloads alone (graphc, PyTorch, TensorFlow.js); `--quick`, W2 alone.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { cpus } from 'node:os';

const root = fileURLToPath(new URL('../', import.meta.url));
const diabetes = process.env.GRAPHC_DIABETES ?? `${root}data/data-03-diabetes.csv`;
const quick = process.argv.includes('--quick');
// `--only W6a,W6b`: those workloads only, on graphc, PyTorch and TensorFlow.js (the other peers skipped)
const onlyList = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : quick ? 'W2' : '';
const some = (ws: string[]) => !onlyList || ws.some((w) => onlyList.split(',').includes(w));

interface PeerDoc {
  peer: string;
  version?: string;
  threads?: number;
  results: Record<string, { seconds?: number; gflops?: number; gflops2?: number; skipped?: string; note?: string } | number>;
}

function runPeer(label: string, cmd: string, args: readonly string[], env: Record<string, string> = {}, timeoutS = 900): PeerDoc[] {
  process.stderr.write(`bench: ${label} ...\n`);
  const r = spawnSync(cmd, args, { cwd: root, encoding: 'utf8', timeout: timeoutS * 1000, maxBuffer: 64 << 20, env: { ...process.env, ...env } });
  if (r.status !== 0) {
    const why = r.error ? r.error.message : (r.stderr || '').trim().split('\n').slice(-1)[0];
    process.stderr.write(`bench: ${label} skipped: ${why}\n`);
    return [{ peer: label, results: { skipped: why } as never }];
  }
  const doc = JSON.parse(r.stdout.trim().split('\n').pop()!);
  return Array.isArray(doc) ? doc : [doc];
}

const tsx = (file: string, ...args: string[]) => [process.execPath, ['--import', 'tsx', '--conditions=graphc-source', file, ...args]] as const;
const only = () => (onlyList ? ['--only', onlyList] : []);
const torch = existsSync('/usr/bin/python3') && spawnSync('/usr/bin/python3', ['-c', 'import torch']).status === 0;

const docs: PeerDoc[] = [];
docs.push(...runPeer('graphc', ...tsx('bench/graphc.ts', '--diabetes', diabetes, ...only())));
// graphc on one thread too: PyTorch runs on one thread; this column shows what the helper thread adds
docs.push(...runPeer('graphc-1t', ...tsx('bench/graphc.ts', '--threads', '1', '--diabetes', diabetes, ...only())));
const graphcW4 = onlyList ? null : runPeer('graphc W4 alone', ...tsx('bench/graphc.ts', '--only', 'W4'))[0];
// PyTorch on one thread (the workloads' definition; its BLAS too), and on both cores as well, for reference
const blas = (n: number) => ({ OPENBLAS_NUM_THREADS: String(n), OMP_NUM_THREADS: String(n) });
if (torch) {
  docs.push(...runPeer('pytorch', '/usr/bin/python3', ['bench/peers/torch_peer.py', '--diabetes', diabetes, ...only()], blas(1)));
  if (!quick) docs.push(...runPeer('pytorch-2t', '/usr/bin/python3', ['bench/peers/torch_peer.py', '--threads', '2', '--diabetes', diabetes, ...only()], blas(2)));
  if (!onlyList) docs.push({ ...runPeer('pytorch W4 alone', '/usr/bin/python3', ['bench/peers/torch_peer.py', '--only', 'W4'], blas(1))[0], peer: 'pytorch-W4-alone' });
} else docs.push({ peer: 'pytorch', results: { skipped: 'python3-torch is not installed' } as never });
// tfjs-cpu runs W1–W5 and MM (W6's convolutions take it many minutes)
if (some(['W1', 'W2', 'W3', 'W4', 'W5', 'MM'])) docs.push(...runPeer('tfjs-cpu', ...tsx('bench/peers/tfjs_peer.ts', '--backend', 'cpu', '--diabetes', diabetes, ...only())));
docs.push(...runPeer('tfjs-wasm', ...tsx('bench/peers/tfjs_peer.ts', '--backend', 'wasm', '--diabetes', diabetes, ...only())));
if (some(['W2', 'MM'])) docs.push(...runPeer('jax-js', ...tsx('bench/peers/jax_peer.ts', '--diabetes', diabetes)));
if (!quick && some(['W5', 'MM'])) docs.push(...runPeer('onnxruntime', ...tsx('bench/peers/ort_peer.ts')));

const g = docs.find((d) => d.peer === 'graphc')!.results;
const secs = (d: PeerDoc | undefined, w: string) => {
  const r = d?.results[w];
  return typeof r === 'object' && r && typeof r.seconds === 'number' ? r.seconds : undefined;
};
const workloads = ['W1', 'W2', 'W3', 'W4', 'W5b1', 'W5b4096', 'MM', 'W6a', 'W6b'];
const peers = docs.filter((d) => d.peer !== 'graphc' && d.peer !== 'pytorch-W4-alone');
const fmt = (s: number | undefined) => (s === undefined ? '—' : s < 1e-3 ? `${(s * 1e6).toFixed(1)} µs` : s < 1 ? `${(s * 1e3).toFixed(2)} ms` : `${s.toFixed(2)} s`);
const lines: string[] = [];
lines.push(`| workload | graphc | ${peers.map((p) => p.peer).join(' | ')} |`);
lines.push(`|---|---|${peers.map(() => '---').join('|')}|`);
for (const w of workloads) {
  const gs = secs({ peer: 'graphc', results: g }, w);
  if (gs === undefined && peers.every((p) => secs(p, w) === undefined)) continue;
  const cells = peers.map((p) => {
    const s = secs(p, w);
    return s === undefined ? '—' : `${fmt(s)} (×${gs ? (s / gs).toFixed(2) : '?'})`;
  });
  lines.push(`| ${w} | ${fmt(gs)} | ${cells.join(' | ')} |`);
}
const gflops = (d: PeerDoc | undefined) => {
  const r = d?.results.MM;
  return typeof r === 'object' && r?.gflops ? r.gflops : undefined;
};

// the targets of the benchmark issue, as ratios from this run
const ratio = (peer: string, w: string) => {
  const p = secs(docs.find((d) => d.peer === peer), w);
  const gs = secs({ peer: 'graphc', results: g }, w);
  return p !== undefined && gs !== undefined ? p / gs : undefined;
};
const ratio1t = (peer: string, w: string) => {
  const p = secs(docs.find((d) => d.peer === peer), w);
  const gs = secs(docs.find((d) => d.peer === 'graphc-1t'), w);
  return p !== undefined && gs !== undefined ? p / gs : undefined;
};
// each target: its name, the ratio with graphc on 2 threads (judged), the ratio with graphc on 1 thread (shown), the bound
const target = (name: string, peer: string, w: string, want: number): [string, number | undefined, number | undefined, number] => [name, ratio(peer, w), ratio1t(peer, w), want];
const targets: [string, number | undefined, number | undefined, number][] = [
  target('W1 vs PyTorch (>= 20x)', 'pytorch', 'W1', 20),
  target('W1 vs tfjs-cpu (>= 50x)', 'tfjs-cpu', 'W1', 50),
  target('W1 vs tfjs-wasm (>= 50x)', 'tfjs-wasm', 'W1', 50),
  target('W2 vs PyTorch (>= 20x)', 'pytorch', 'W2', 20),
  target('W2 vs tfjs-wasm (>= 50x)', 'tfjs-wasm', 'W2', 50),
  target('W2 vs jax-js (>= 50x)', 'jax-js-wasm', 'W2', 50),
  target('W3 vs PyTorch (>= 1x)', 'pytorch', 'W3', 1),
  target('W4 vs PyTorch (>= 1x)', 'pytorch', 'W4', 1),
  target('W4 vs tfjs-wasm (>= 3x)', 'tfjs-wasm', 'W4', 3),
  target('W5 batch 1 vs onnxruntime 1 thread (>= 2x)', 'onnxruntime-1t', 'W5b1', 2),
  // W5 batch 4096's target is its share of the two-thread SIMD peak (below), in place of a ratio to
  // onnxruntime's AVX-512 kernels, whose vectors are four times WebAssembly's; the ratio is in the table
  // W6: PyTorch on as many threads as graphc (2 against 2 judged; 1 against 1 shown)
  ['W6a vs PyTorch, same threads (>= 1x)', ratio('pytorch-2t', 'W6a'), ratio1t('pytorch', 'W6a'), 1],
  ['W6b vs PyTorch, same threads (>= 0.5x)', ratio('pytorch-2t', 'W6b'), ratio1t('pytorch', 'W6b'), 0.5],
  target('W6a vs tfjs-wasm (>= 3x)', 'tfjs-wasm', 'W6a', 3),
  target('W6b vs tfjs-wasm (>= 3x)', 'tfjs-wasm', 'W6b', 3),
];
lines.push('', '| target | ratio this run (graphc, 2 threads) | met? | graphc on 1 thread |', '|---|---|---|---|');
for (const [name, r, r1, want] of targets) {
  if (r === undefined && r1 === undefined) continue;
  lines.push(`| ${name} | ${r === undefined ? '—' : `×${r.toFixed(2)}`} | ${r === undefined ? 'not measured' : r >= want ? 'yes' : `no: ${(want / r).toFixed(1)}x short`} | ${r1 === undefined ? '—' : `×${r1.toFixed(2)}`} |`);
}
const mm = gflops(docs.find((d) => d.peer === 'graphc-1t'));
const mm2 = gflops({ peer: 'graphc', results: g });
if (mm !== undefined) lines.push(`| MM >= 25 GFLOP/s, one thread | ${mm ? `${mm.toFixed(2)} GFLOP/s` : '—'} | ${mm === undefined ? 'not measured' : mm >= 25 ? 'yes' : `no: ${(25 / mm).toFixed(1)}x short`} | (2 threads: ${mm2 ? `${mm2.toFixed(2)} GFLOP/s` : '—'}) |`);
// the products' targets as fractions of the SIMD peak measured on both threads at once (bench/peak.ts):
// the highest of every measurement of the run (each graphc process measures it at its end, the two-thread
// one also just before W5 and MM), since the machine's speed moves within minutes and a peak measured at a
// slow moment would flatter the products measured at a fast one
const peaks = (() => {
  type Peak = { gflops?: number; gflops2?: number; before?: number[] };
  const rs = docs.filter((d) => d.peer === 'graphc' || d.peer === 'graphc-1t').map((d) => d.results.PEAK as Peak | undefined).filter((r): r is Peak => typeof r === 'object' && !!r?.gflops);
  if (!rs.length) return undefined;
  const one = Math.max(...rs.map((r) => r.gflops!));
  const twos = rs.flatMap((r) => [r.gflops2 ?? 2 * r.gflops!, ...(r.before ?? [])]);
  return { one, two: Math.max(...twos), measured: twos.length };
})();
const w5Flop = 2 * 4096 * (784 * 256 + 256 * 10), w5s = secs({ peer: 'graphc', results: g }, 'W5b4096');
for (const [name, gf] of [['MM', mm2], ['W5 batch 4096', w5s && w5Flop / w5s / 1e9]] as const)
  if (peaks && gf) lines.push(`| ${name} >= 85% of the two-thread SIMD peak | ${((100 * gf) / peaks.two).toFixed(0)}% (${gf.toFixed(1)} of ${peaks.two.toFixed(1)} GFLOP/s) | ${gf >= 0.85 * peaks.two ? 'yes' : 'no'} | |`);
// W1 and W2 as the seed logs them (the cost on every 100th / 10th step only): beside the targets' figure,
// not used by them (the peers compute the cost on every step)
const seedlog = (d: PeerDoc | undefined, w: string) => secs(d, `${w}_seedlog`);
const gdoc = docs.find((d) => d.peer === 'graphc'), g1doc = docs.find((d) => d.peer === 'graphc-1t');
for (const w of ['W1', 'W2']) {
  const s = seedlog(gdoc, w), s1 = seedlog(g1doc, w), pt = secs(docs.find((d) => d.peer === 'pytorch'), w);
  if (s) lines.push('', `${w} with the cost on the seed's logged steps only (not a target's figure): graphc ${fmt(s)}` + (s1 ? `, on one thread ${fmt(s1)}` : '') + (pt ? `; PyTorch (cost on every step) against it: ×${(pt / s).toFixed(2)}` : ''));
}
// what each training workload's time is made of: the model's build, the passes, planning, the loop
type Parts = { build?: number; passes?: number; plan?: number; loop?: number };
const partsRows = ['W1', 'W2', 'W3', 'W4', 'W6a', 'W6b'].flatMap((w) => {
  const r = g[w] as Parts | undefined;
  return r && typeof r.build === 'number' ? [`| ${w} | ${fmt(r.build)} | ${fmt(r.passes)} | ${fmt(r.plan)} | ${fmt(r.loop)} |`] : [];
});
if (partsRows.length) lines.push('', "graphc's timed training run (2 threads), by part:", '', '| workload | build | passes | planning | loop |', '|---|---|---|---|---|', ...partsRows);
// each model's compile time (median and least of 15) after 3 compiles and settled, graphc on 2 threads
type Part = { median: number; min: number };
type Parts4 = Record<'build' | 'passes' | 'plan' | 'total', Part>;
const compile = (g.COMPILE ?? {}) as unknown as Record<string, Parts4 & { settled?: Parts4 }>;
const ms = (p: Part) => `${p.median.toFixed(2)} (${p.min.toFixed(2)})`;
const compileRows = Object.entries(compile).flatMap(([m, c]) => [
  `| ${m} | after 3 | ${ms(c.build)} | ${ms(c.passes)} | ${ms(c.plan)} | ${ms(c.total)} |`,
  ...(c.settled ? [`| ${m} | settled | ${ms(c.settled.build)} | ${ms(c.settled.passes)} | ${ms(c.settled.plan)} | ${ms(c.settled.total)} |`] : []),
]);
if (compileRows.length) lines.push('', 'Compile time per model, ms: median of 15 (least), after 3 compiles in the process and after 300:', '', '| model | when | build | passes | planning | total |', '|---|---|---|---|---|---|', ...compileRows);
const vs2t = ['W1', 'W2', 'W3', 'W4', 'W5b1', 'W5b4096', 'MM'].map((w) => [w, ratio('pytorch-2t', w)] as const).filter(([, r]) => r !== undefined);
if (vs2t.length) lines.push('', `graphc (2 threads) against PyTorch on both cores (not a target; PyTorch's BLAS on two threads): ${vs2t.map(([w, r]) => `${w} ×${r!.toFixed(2)}`).join(', ')}`);
// the ceiling of WebAssembly SIMD here, and what it leaves of the products' targets
if (peaks) {
  const { one, two } = peaks;
  lines.push('', `WebAssembly SIMD's peak on this machine (independent multiply-adds on 128-bit vectors; the highest of the run's measurements, ${peaks.measured} on two threads): ${one.toFixed(1)} GFLOP/s on one thread, ${two.toFixed(1)} on two at once.` +
    (mm && mm2 ? ` graphc's MM reaches ${((100 * mm) / one).toFixed(0)}% of it on one thread, ${((100 * mm2) / two).toFixed(0)}% on two.` : ''));
  const bound = (w: string, flop: number, peer: string, label: string, want?: number) => {
    const p = secs(docs.find((d) => d.peer === peer), w);
    if (p === undefined) return;
    const best = flop / (two * 1e9);
    const mine = secs({ peer: 'graphc', results: g }, w);
    lines.push(`${w} at the two-thread peak would take at least ${fmt(best)}` + (mine !== undefined ? ` (graphc's ${fmt(mine)}: ${((100 * best) / mine).toFixed(0)}% of that peak)` : '') + `: at best ×${(p / best).toFixed(2)} against ${label}` + (want === undefined ? '.' : ` (target ×${want}).`));
  };
  bound('W5b4096', 2 * 4096 * (784 * 256 + 256 * 10), 'onnxruntime-2t', "onnxruntime's 2 threads");
  // W4: per step the first layer's product and its weight gradient (no gradient for x), the second layer's three
  bound('W4', 64 * 2 * 128 * (2 * 784 * 256 + 3 * 256 * 10), 'pytorch', 'PyTorch', 1);
}
const rss = (d: PeerDoc | null | undefined) => (d && typeof d.results.peak_rss_bytes === 'number' ? d.results.peak_rss_bytes : undefined);
const gW4 = rss(graphcW4), tW4 = rss(docs.find((d) => d.peer === 'pytorch-W4-alone'));
if (!onlyList) lines.push('', `W4 peak memory (whole process, ran W4 alone): graphc ${gW4 ? (gW4 / 2 ** 20).toFixed(0) + ' MiB' : '—'}, PyTorch ${tW4 ? (tW4 / 2 ** 20).toFixed(0) + ' MiB' : '—'}`);
const arena = g.W4_arena as unknown as { arenaBytes: number; livenessBound: number; unsharedBytes: number } | undefined;
if (arena) lines.push(`W4 train step (batch 128), graphc's buffers: arena ${(arena.arenaBytes / 2 ** 20).toFixed(2)} MiB, liveness lower bound ${(arena.livenessBound / 2 ** 20).toFixed(2)} MiB, without sharing ${(arena.unsharedBytes / 2 ** 20).toFixed(2)} MiB`);
const table = lines.join('\n');
console.log(table);
mkdirSync(`${root}bench/results`, { recursive: true });
const machine = { cpus: cpus().length, model: cpus()[0]?.model, node: process.version, date: new Date().toISOString() };
writeFileSync(`${root}bench/results/latest.json`, JSON.stringify({ machine, quick, only: onlyList || undefined, docs, graphcW4, table }, null, 2));
console.error(`bench: wrote bench/results/latest.json`);
