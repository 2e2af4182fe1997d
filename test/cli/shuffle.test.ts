/**
 * `graphc train --shuffle` and `--no-shuffle` against PyTorch: a model whose config shuffles its
 * minibatches trains in DataLoader(shuffle=True)'s order, and with --no-shuffle in DataLoader(shuffle=False)'s.
 */
import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { graphc } from '../support/cli.ts';
import { hasTorch, sayIfMissing } from '../support/peers.ts';
import { torchMinibatchCosts as torchCosts } from '../support/torch-minibatches.ts';
import { diabetesCsv } from '../support/seed.ts';
import { scratchFolders } from '../support/scratch.ts';

// model files live inside the repo (they import 'graphc' by its name), in a scratch folder
const { scratch } = scratchFolders();

const model = join(scratch, 'shuffled.ts');
writeFileSync(
  model,
  `import { defineModel, input, Linear, binaryCrossEntropy } from 'graphc';
export default defineModel({
  name: 'shuffled',
  seed: 5,
  train: { epochs: 2, lr: 0.5, logEvery: 1, logAccuracy: false, batchSize: 64, shuffle: true },
  build() {
    const lin = new Linear(8, 1);
    const h = lin.forward(input('x', ['N', 8])).sigmoid();
    return { loss: binaryCrossEntropy(h, input('y', ['N', 1])), predict: h };
  },
});
`,
);

async function costs(...flags: string[]): Promise<number[]> {
  const r = await graphc(['train', model, '--no-check', '--data', diabetesCsv, '--json', ...flags]);
  expect(r.status, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { log: { cost: number }[] }).log.map((e) => e.cost);
}

const near = (a: number[], b: number[]) => {
  expect(a).toHaveLength(b.length);
  a.forEach((x, i) => expect(Math.abs(x - b[i])).toBeLessThanOrEqual(1e-5));
};

describe.skipIf(!hasTorch)('train --shuffle / --no-shuffle vs PyTorch', () => {
  it('the model\'s shuffle: true is DataLoader(shuffle=True); --no-shuffle turns it off: DataLoader(shuffle=False)', async () => {
    const off = torchCosts(false);
    const on = torchCosts(true);
    expect(off[0]).not.toBeCloseTo(on[0], 4); // the two orders train differently
    near(await costs(), on);
    near(await costs('--no-shuffle'), off);
    near(await costs('--shuffle'), on);
  });
  it('--help says what --no-shuffle does', async () => {
    const help = (await graphc(['train', '--help'])).stdout.replace(/\s+/g, ' ');
    expect(help).toMatch(/--no-shuffle visit the examples in order/);
  });
});
sayIfMissing('PyTorch (python3-torch)', hasTorch, 'cli/shuffle.test');
