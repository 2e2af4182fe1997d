/** `graphc train … --json` and the plain output, on the three seed models, against the seed's tables. */
import '../support/relaxed-simd.ts'; // as the CLI: the API's numbers below are compared bit for bit
import { describe, expect, it } from 'vitest';
import { graphc as runGraphc, type Ran } from '../support/cli.ts';
import { fileURLToPath } from 'node:url';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TOL, table1, table3, table4, table5, diabetesCsv } from '../support/seed.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const graphc = (...args: string[]) => runGraphc(args);

async function trainJson(...args: string[]) {
  const r = await graphc('train', ...args, '--json');
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return JSON.parse(r.stdout) as { log: { epoch: number; cost: number; accuracy?: number }[]; params: Record<string, number[]> };
}

const near = (a: number[], b: number[]) => a.forEach((x, i) => expect(Math.abs(x - b[i])).toBeLessThanOrEqual(TOL));

describe('graphc train', () => {
  it('prints the seed\'s lines for the toy model (built-in data)', async () => {
    const r = await graphc('train', 'graphs/toy.ts');
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toBe('Epoch    0/1000 Cost: 0.693147');
    expect(lines[10]).toBe('Epoch 1000/1000 Cost: 0.019852');
  });
  it('--json: log and params for the toy model', async () => {
    const doc = await trainJson('graphs/toy.ts');
    near(doc.log.map((e) => e.cost), table1);
    expect(Object.keys(doc.params).sort()).toEqual(['W', 'b']);
    expect(doc.params.W).toHaveLength(2);
  });
  it('--json: diabetes (tables 3 and 4)', async () => {
    near((await trainJson('graphs/diabetes.ts', '--data', diabetesCsv)).log.map((e) => e.cost), table3);
    near((await trainJson('graphs/diabetes.ts', '--data', diabetesCsv, '--option', 'loss=bce')).log.map((e) => e.cost), table4);
  });
  it('--json and plain: binary classifier with accuracy (table 5)', async () => {
    const doc = await trainJson('graphs/binary-classifier.ts', '--data', diabetesCsv);
    near(doc.log.map((e) => e.cost), table5.cost);
    expect(doc.log.map((e) => +(e.accuracy! * 100).toFixed(2))).toEqual(table5.accuracy);
    expect(Object.keys(doc.params).sort()).toEqual(['linear.bias', 'linear.weight']);
    const plain = (await graphc('train', 'graphs/binary-classifier.ts', '--data', diabetesCsv)).stdout.trim().split('\n');
    expect(plain[0]).toBe('Epoch    0/100 Cost: 0.704829 Accuracy 45.72%');
  });
  it('--json is the document the package\'s train() returns, and --onnx writes exportOnnx()\'s bytes', async () => {
    const { train, exportOnnx } = await import('../../index.ts');
    // positions shown relative to the working directory, as the CLI shows them
    (await import('../../compiler/ir/source.ts')).setSourceBase(root);
    const toy = (await import('../../graphs/toy.ts')).default;
    const csv = join(root, 'data/toy.csv');
    const out = join(mkdtempSync(join(tmpdir(), 'graphc-api-')), 'toy.onnx');
    const r = await graphc('train', 'graphs/toy.ts', '--json', '--onnx', out);
    expect(r.status, r.stderr).toBe(0);
    const cli = JSON.parse(r.stdout) as Record<string, unknown>;
    const api = JSON.parse(JSON.stringify(await train(toy, { data: readFileSync(csv, 'utf8'), source: csv }))) as Record<string, unknown>;
    delete cli.seconds;
    delete api.seconds;
    expect(api).toEqual(cli);
    expect(Buffer.from(readFileSync(out)).equals(Buffer.from(await exportOnnx(await train(toy, { data: readFileSync(csv, 'utf8') }))))).toBe(true);
  });
  it('--epochs, --lr and --log-every override the model\'s defaults', async () => {
    const doc = await trainJson('graphs/toy.ts', '--epochs', '10', '--log-every', '5', '--lr', '0.5');
    expect(doc.log.map((e) => e.epoch)).toEqual([0, 5, 10]);
  });
  it('--lr 0 is a rate, as torch.optim.SGD(lr=0) and the package\'s train() take it: nothing moves', async () => {
    // the toy model starts at zero weights: every epoch's cost stays the seed's first, ln 2
    const doc = await trainJson('graphs/toy.ts', '--epochs', '4', '--log-every', '1', '--lr', '0');
    near(doc.log.map((e) => e.cost), [table1[0], table1[0], table1[0], table1[0], table1[0]]);
    expect(doc.params).toEqual({ W: [0, 0], b: [0] });
  });
});
