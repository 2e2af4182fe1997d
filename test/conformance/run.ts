/**
 * `npm run test:conformance`: the ONNX backend node tests through graphc's importer and runtime.
 * Prints passed / failed / unsupported; exits non-zero if a test graphc supports fails.
 */
import { NODE_TESTS } from '../support/peers.ts';
import { runAll } from './node-tests.ts';

const root = process.argv.slice(2).find((a) => !a.startsWith('--')) ?? NODE_TESTS;
const outcomes = runAll(root);
if (outcomes.length === 0) {
  console.log(`conformance: no ONNX node tests at ${root} (Debian's libonnx-testdata): skipped`);
  process.exit(0);
}
const by = (s: string) => outcomes.filter((o) => o.status === s);
const verbose = process.argv.includes('--verbose');
for (const o of outcomes) {
  if (o.status === 'passed') { if (verbose) console.log(`pass  ${o.name}`); }
  else if (o.status === 'failed' || verbose) console.log(`${o.status === 'failed' ? 'FAIL' : 'skip'}  ${o.name}: ${o.reason}`);
}
const passed = by('passed'), failed = by('failed'), unsupported = by('unsupported');
console.log(`passed: ${passed.map((o) => o.name).join(' ')}`);
console.log(`conformance: ${passed.length} passed, ${failed.length} failed, ${unsupported.length} unsupported (of ${outcomes.length} ONNX node tests)`);
console.log(`${passed.length} passed, ${failed.length} failed`);
process.exit(failed.length ? 1 : 0);
