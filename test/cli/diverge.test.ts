/**
 * `graphc train` where training diverges: the cost lines up to the first that is not finite, then one
 * line saying where and what may help, exit 1, and no --onnx, --plot or --json output that would carry
 * NaN parameters. The fused breast-cancer model, whose unfused loss is the demonstration, still trains
 * and writes its file.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { graphc, type Ran } from '../support/cli.ts';

const out = mkdtempSync(join(tmpdir(), 'graphc-diverge-'));

function expectDiverged(r: Ran, message: RegExp) {
  expect(r.status, r.stderr).toBe(1);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(r.stderr.trim()).toMatch(/^graphc: training diverged: /);
  expect(r.stderr.trim()).toMatch(message);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

describe('graphc train, diverging', () => {
  it('too large a learning rate: the epoch, a hint, exit 1, no file written', async () => {
    const onnx = join(out, 'toy.onnx'), svg = join(out, 'toy.svg');
    const r = await graphc(['train', 'graphs/toy.ts', '--no-check', '--lr', '3e38', '--onnx', onnx]);
    expect(r.stdout).toBe('Epoch    0/1000 Cost: 0.693147\nEpoch  100/1000 Cost: NaN\n');
    expectDiverged(r, /: the cost is NaN at epoch 100 \(finite at epoch 0\); \S*toy\.onnx not written; try a smaller --lr than 3e\+38, or --log-every 1 to find the first epoch$/);
    const each = await graphc(['train', 'graphs/toy.ts', '--no-check', '--lr', '3e38', '--log-every', '1', '--onnx', onnx, '--plot', svg]);
    expectDiverged(each, /the cost is NaN at epoch 1 \(finite at epoch 0\); \S*toy\.onnx and \S*toy\.svg not written; try a smaller --lr than 3e\+38$/);
    const json = await graphc(['train', 'graphs/toy.ts', '--no-check', '--lr', '3e38', '--json']);
    expectDiverged(json, /the cost is NaN at epoch 100/);
    expect(json.stdout).toBe(''); // no document with null parameters
    expect(readdirSync(out)).toEqual([]);
  });

  it('the unfused written-out BCE on raw breast-cancer features: NaN at epoch 0, as in PyTorch; fused, it trains', async () => {
    const onnx = join(out, 'bc.onnx');
    const args = ['train', 'graphs/breast-cancer.ts', '--no-check', '--data', 'data/breast-cancer.csv', '--option', 'loss=manual', '--onnx', onnx];
    const r = await graphc([...args, '--no-fuse']);
    expect(r.stdout).toBe('Epoch    0/200 Cost: NaN\n');
    expectDiverged(r, /the cost is NaN at epoch 0, before any update \(the loss of the initial parameters\); \S*bc\.onnx not written; try without --no-fuse \(which keeps the loss as written; fused, it is the stable form: compile --explain shows where\)$/);
    expect(existsSync(onnx)).toBe(false);
    const fused = await graphc(args);
    expect(fused.status, fused.stderr).toBe(0);
    expect(fused.stdout).toMatch(/^Epoch  200\/200 Cost: \d+\.\d{6}$/m);
    expect(existsSync(onnx)).toBe(true);
    // and says what it wrote, as compile does
    expect(fused.stdout).toMatch(/\nwrote \S*bc\.onnx \(inference with the trained parameters, ONNX opset 17\)\n$/);
  });

  it('--help says what a diverged training does', async () => {
    const help = (await graphc(['train', '--help'])).stdout.replace(/\s+/g, ' ');
    expect(help).toContain('A cost that is not finite (NaN or Infinity) stops training: graphc train then says at which epoch, writes no --onnx or --plot file and no --json document, and exits 1.');
    expect(help).toContain('(not where training diverges)');
  });
});
