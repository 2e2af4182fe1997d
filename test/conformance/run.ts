/**
 * `npm run test:conformance [folder...]`: the ONNX backend tests through graphc's importer and runtime, for
 * the node/, pytorch-converted/ and pytorch-operator/ folders of Debian's libonnx-testdata (or the folders
 * given). Prints, per folder, each ONNX op's passed / failed / unsupported counts (a test counts for every
 * op its model uses) and the totals; `--verbose` lists each test. Exits non-zero if any test fails.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NODE_TESTS } from '../support/peers.ts';
import { runAll } from './node-tests.ts';
import { onnx } from '../../export/proto.ts';

const DATA = join(NODE_TESTS, '..');
const verbose = process.argv.includes('--verbose');
const given = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const roots = given.length ? given : ['node', 'pytorch-converted', 'pytorch-operator'].map((d) => join(DATA, d));

let failures = 0, found = 0;
for (const root of roots) {
  const outcomes = runAll(root);
  if (outcomes.length === 0) {
    console.log(`conformance: no ONNX tests at ${root} (Debian's libonnx-testdata): skipped`);
    continue;
  }
  found++;
  const perOp = new Map<string, [number, number, number]>();
  for (const o of outcomes) {
    const ops = new Set((onnx.ModelProto.decode(readFileSync(join(root, o.name, 'model.onnx'))).graph?.node ?? []).map((n) => n.opType ?? '?'));
    for (const op of ops) {
      const row = perOp.get(op) ?? [0, 0, 0];
      row[o.status === 'passed' ? 0 : o.status === 'failed' ? 1 : 2]++;
      perOp.set(op, row);
    }
    if (o.status === 'passed') { if (verbose) console.log(`pass  ${o.name}`); }
    else if (o.status === 'failed' || verbose) console.log(`${o.status === 'failed' ? 'FAIL' : 'skip'}  ${o.name}: ${o.reason}`);
  }
  const by = (s: string) => outcomes.filter((o) => o.status === s).length;
  console.log(`\n${root}\n  op                         passed failed unsupported`);
  for (const [op, [p, f, u]] of [...perOp].sort(([a], [b]) => a.localeCompare(b)))
    if (p || f || verbose) console.log(`  ${op.padEnd(26)} ${String(p).padStart(6)} ${String(f).padStart(6)} ${String(u).padStart(11)}`);
  const fails = by('failed');
  failures += fails;
  console.log(`conformance ${root.split('/').pop()}: ${by('passed')} passed, ${fails} failed, ${by('unsupported')} unsupported (of ${outcomes.length})`);
}
if (found === 0) process.exit(0);
process.exit(failures ? 1 : 0);
