/**
 * A longer fuzz run than CI's, with the outcome table and every escape:
 *   npm run fuzz -- [COUNT=20000] [SEED=1] [--heavy]   (--heavy adds the large-graph targeted cases)
 * Exit 1 when anything escapes or is slow.
 */
import { loadSeeds } from './seeds.ts';
import { cases } from './cases.ts';
import { runCase } from './harness.ts';

const args = process.argv.slice(2);
const heavy = args.includes('--heavy');
const [count = 20000, seed = 1] = args.filter((a) => !a.startsWith('--')).map(Number);
const counts: Record<string, number> = {};
const bad: string[] = [];
let n = 0;
for (const c of cases(await loadSeeds(), count, seed, heavy)) {
  const r = runCase(c.bytes, { slowMs: heavy && c.kind === 'targeted' ? 120_000 : 10_000 });
  counts[r.outcome] = (counts[r.outcome] ?? 0) + 1;
  n++;
  if (r.outcome === 'escaped' || r.outcome === 'slow') bad.push(`${c.id}: ${r.outcome}: ${r.message}`);
}
console.log(`${n} cases (seed ${seed}${heavy ? ', heavy targeted cases included' : ''})`);
for (const [k, v] of Object.entries(counts).sort((a, b) => b[1] - a[1])) console.log(`  ${k.padEnd(12)} ${v}`);
for (const b of bad) console.log(b);
process.exit(bad.length ? 1 : 0);
