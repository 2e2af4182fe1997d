/**
 * `npm run bench`: graphc beside PyTorch, TensorFlow.js (cpu, wasm), jax-js and onnxruntime-node on
 * the workloads of ../shared/reference/workloads.md, in one run on one machine. Each side runs in its own
 * process; W4's peak memory comes from processes that ran W4 alone. Prints a table of times with the
 * ratio peer time / graphc time (above 1: graphc is faster), the targets and by how much each is met
 * or missed, and writes everything as JSON (bench/results/latest.json).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { cpus } from 'node:os';

const root = fileURLToPath(new URL('../', import.meta.url));
const diabetes = process.env.GRAPHC_DIABETES ?? `${root}data/data-03-diabetes.csv`;
const quick = process.argv.includes('--quick');

interface PeerDoc {
  peer: string;
  version?: string;
  threads?: number;
  results: Record<string, { seconds?: number; gflops?: number; skipped?: string; note?: string } | number>;
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
const only = (w: string) => (quick ? ['--only', w] : []);
const torch = existsSync('/usr/bin/python3') && spawnSync('/usr/bin/python3', ['-c', 'import torch']).status === 0;

const docs: PeerDoc[] = [];
docs.push(...runPeer('graphc', ...tsx('bench/graphc.ts', '--diabetes', diabetes, ...only('W2'))));
// graphc on one thread too: PyTorch runs on one thread; this column shows what the helper thread adds
docs.push(...runPeer('graphc-1t', ...tsx('bench/graphc.ts', '--threads', '1', '--diabetes', diabetes, ...only('W2'))));
const graphcW4 = quick ? null : runPeer('graphc W4 alone', ...tsx('bench/graphc.ts', '--only', 'W4'))[0];
// PyTorch on one thread (the workloads' definition; its BLAS too), and on both cores as well, for reference
const blas = (n: number) => ({ OPENBLAS_NUM_THREADS: String(n), OMP_NUM_THREADS: String(n) });
if (torch) {
  docs.push(...runPeer('pytorch', '/usr/bin/python3', ['bench/peers/torch_peer.py', '--diabetes', diabetes, ...only('W2')], blas(1)));
  if (!quick) docs.push(...runPeer('pytorch-2t', '/usr/bin/python3', ['bench/peers/torch_peer.py', '--threads', '2', '--diabetes', diabetes], blas(2)));
  if (!quick) docs.push({ ...runPeer('pytorch W4 alone', '/usr/bin/python3', ['bench/peers/torch_peer.py', '--only', 'W4'], blas(1))[0], peer: 'pytorch-W4-alone' });
} else docs.push({ peer: 'pytorch', results: { skipped: 'python3-torch is not installed' } as never });
docs.push(...runPeer('tfjs-cpu', ...tsx('bench/peers/tfjs_peer.ts', '--backend', 'cpu', '--diabetes', diabetes, ...(quick ? ['--only', 'W2'] : []))));
docs.push(...runPeer('tfjs-wasm', ...tsx('bench/peers/tfjs_peer.ts', '--backend', 'wasm', '--diabetes', diabetes, ...(quick ? ['--only', 'W2'] : []))));
docs.push(...runPeer('jax-js', ...tsx('bench/peers/jax_peer.ts', '--diabetes', diabetes)));
if (!quick) docs.push(...runPeer('onnxruntime', ...tsx('bench/peers/ort_peer.ts')));

const g = docs.find((d) => d.peer === 'graphc')!.results;
const secs = (d: PeerDoc | undefined, w: string) => {
  const r = d?.results[w];
  return typeof r === 'object' && r && typeof r.seconds === 'number' ? r.seconds : undefined;
};
const workloads = ['W1', 'W2', 'W3', 'W4', 'W5b1', 'W5b4096', 'MM'];
const peers = docs.filter((d) => d.peer !== 'graphc' && d.peer !== 'pytorch-W4-alone');
const fmt = (s: number | undefined) => (s === undefined ? '—' : s < 1e-3 ? `${(s * 1e6).toFixed(1)} µs` : s < 1 ? `${(s * 1e3).toFixed(2)} ms` : `${s.toFixed(2)} s`);
const lines: string[] = [];
lines.push(`| workload | graphc | ${peers.map((p) => p.peer).join(' | ')} |`);
lines.push(`|---|---|${peers.map(() => '---').join('|')}|`);
for (const w of workloads) {
  const gs = secs({ peer: 'graphc', results: g }, w);
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
const targets: [string, number | undefined, number][] = [
  ['W1 vs PyTorch (>= 20x)', ratio('pytorch', 'W1'), 20],
  ['W1 vs tfjs-cpu (>= 50x)', ratio('tfjs-cpu', 'W1'), 50],
  ['W1 vs tfjs-wasm (>= 50x)', ratio('tfjs-wasm', 'W1'), 50],
  ['W2 vs PyTorch (>= 20x)', ratio('pytorch', 'W2'), 20],
  ['W2 vs tfjs-wasm (>= 50x)', ratio('tfjs-wasm', 'W2'), 50],
  ['W2 vs jax-js (>= 50x)', ratio('jax-js-wasm', 'W2'), 50],
  ['W3 vs PyTorch (>= 1x)', ratio('pytorch', 'W3'), 1],
  ['W4 vs PyTorch (>= 0.5x)', ratio('pytorch', 'W4'), 0.5],
  ['W4 vs tfjs-wasm (>= 3x)', ratio('tfjs-wasm', 'W4'), 3],
  ['W5 batch 1 vs onnxruntime 1 thread (>= 2x)', ratio('onnxruntime-1t', 'W5b1'), 2],
  ['W5 batch 4096 vs onnxruntime 2 threads (>= 0.5x)', ratio('onnxruntime-2t', 'W5b4096'), 0.5],
];
lines.push('', '| target | ratio this run (graphc, 2 threads) | met? | graphc on 1 thread |', '|---|---|---|---|');
const peerOf = (name: string) => (name.includes('PyTorch') ? 'pytorch' : name.includes('tfjs-cpu') ? 'tfjs-cpu' : name.includes('tfjs-wasm') ? 'tfjs-wasm' : name.includes('jax') ? 'jax-js-wasm' : name.includes('1 thread') ? 'onnxruntime-1t' : 'onnxruntime-2t');
for (const [name, r, want] of targets) {
  const w = name.split(' ')[0];
  const r1 = ratio1t(peerOf(name), w === 'W5' ? (name.includes('batch 1 ') ? 'W5b1' : 'W5b4096') : w);
  lines.push(`| ${name} | ${r === undefined ? '—' : `×${r.toFixed(2)}`} | ${r === undefined ? 'not measured' : r >= want ? 'yes' : `no: ${(want / r).toFixed(1)}x short`} | ${r1 === undefined ? '—' : `×${r1.toFixed(2)}`} |`);
}
const mm = gflops(docs.find((d) => d.peer === 'graphc-1t'));
const mm2 = gflops({ peer: 'graphc', results: g });
lines.push(`| MM >= 25 GFLOP/s, one thread | ${mm ? `${mm.toFixed(2)} GFLOP/s` : '—'} | ${mm === undefined ? 'not measured' : mm >= 25 ? 'yes' : `no: ${(25 / mm).toFixed(1)}x short`} | (2 threads: ${mm2 ? `${mm2.toFixed(2)} GFLOP/s` : '—'}) |`);
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
const partsRows = ['W1', 'W2', 'W3', 'W4'].flatMap((w) => {
  const r = g[w] as Parts | undefined;
  return r && typeof r.build === 'number' ? [`| ${w} | ${fmt(r.build)} | ${fmt(r.passes)} | ${fmt(r.plan)} | ${fmt(r.loop)} |`] : [];
});
if (partsRows.length) lines.push('', "graphc's timed training run (2 threads), by part:", '', '| workload | build | passes | planning | loop |', '|---|---|---|---|---|', ...partsRows);
const vs2t = ['W1', 'W2', 'W3', 'W4', 'W5b1', 'W5b4096', 'MM'].map((w) => [w, ratio('pytorch-2t', w)] as const).filter(([, r]) => r !== undefined);
if (vs2t.length) lines.push('', `graphc (2 threads) against PyTorch on both cores (not a target; PyTorch's BLAS on two threads): ${vs2t.map(([w, r]) => `${w} ×${r!.toFixed(2)}`).join(', ')}`);
// the ceiling of WebAssembly SIMD here, and what it leaves of the products' targets
const peak = (() => {
  const r = docs.find((d) => d.peer === 'graphc-1t')?.results.PEAK;
  return typeof r === 'object' && r?.gflops ? r.gflops : undefined;
})();
if (peak) {
  lines.push('', `WebAssembly SIMD's peak on this machine (independent multiply-adds on 128-bit vectors, one thread): ${peak.toFixed(1)} GFLOP/s.` +
    (mm && mm2 ? ` graphc's MM reaches ${((100 * mm) / peak).toFixed(0)}% of it on one thread, ${((100 * mm2) / (2 * peak)).toFixed(0)}% of twice it on two.` : ''));
  const bound = (w: string, flop: number, peer: string, label: string, want: number) => {
    const p = secs(docs.find((d) => d.peer === peer), w);
    if (p === undefined) return;
    const best = flop / (2 * peak * 1e9);
    lines.push(`${w} at that peak on both threads would take at least ${fmt(best)}: at best ×${(p / best).toFixed(2)} against ${label} (target ×${want}).`);
  };
  bound('W5b4096', 2 * 4096 * (784 * 256 + 256 * 10), 'onnxruntime-2t', "onnxruntime's 2 threads", 0.5);
  // W4: per step the first layer's product and its weight gradient (no gradient for x), the second layer's three
  bound('W4', 64 * 2 * 128 * (2 * 784 * 256 + 3 * 256 * 10), 'pytorch', 'PyTorch', 0.5);
}
const rss = (d: PeerDoc | null | undefined) => (d && typeof d.results.peak_rss_bytes === 'number' ? d.results.peak_rss_bytes : undefined);
const gW4 = rss(graphcW4), tW4 = rss(docs.find((d) => d.peer === 'pytorch-W4-alone'));
lines.push('', `W4 peak memory (whole process, ran W4 alone): graphc ${gW4 ? (gW4 / 2 ** 20).toFixed(0) + ' MiB' : '—'}, PyTorch ${tW4 ? (tW4 / 2 ** 20).toFixed(0) + ' MiB' : '—'}`);
const arena = g.W4_arena as unknown as { arenaBytes: number; livenessBound: number; unsharedBytes: number } | undefined;
if (arena) lines.push(`W4 train step (batch 128), graphc's buffers: arena ${(arena.arenaBytes / 2 ** 20).toFixed(2)} MiB, liveness lower bound ${(arena.livenessBound / 2 ** 20).toFixed(2)} MiB, without sharing ${(arena.unsharedBytes / 2 ** 20).toFixed(2)} MiB`);
const table = lines.join('\n');
console.log(table);
mkdirSync(`${root}bench/results`, { recursive: true });
const machine = { cpus: cpus().length, model: cpus()[0]?.model, node: process.version, date: new Date().toISOString() };
writeFileSync(`${root}bench/results/latest.json`, JSON.stringify({ machine, quick, docs, graphcW4, table }, null, 2));
console.error(`bench: wrote bench/results/latest.json`);
