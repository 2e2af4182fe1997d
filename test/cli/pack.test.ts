/**
 * The package as a user gets it from the registry: `npm pack`, install the tarball into an empty folder
 * (made by `npm init -y`, so a CommonJS scope), write a model there that imports graphc by its name, and
 * run `npx graphc train` and `npx graphc compile --onnx` on it.
 */
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
// asynchronous: a 10 s spawnSync would block the test worker, and vitest's worker RPC times out
function sh(cmd: string, args: string[], cwd: string): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd, timeout: 240_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

describe('npm pack, install, use', () => {
  it('trains and exports a model written in an empty folder', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'graphc-pack-'));
    const pack = await sh('npm', ['pack', '--silent', '--pack-destination', dir], root);
    expect(pack.status, pack.stderr).toBe(0);
    const tarball = join(dir, pack.stdout.trim().split('\n').pop()!);
    const app = join(dir, 'app');
    await sh('mkdir', ['-p', app], dir);
    expect((await sh('npm', ['init', '-y'], app)).status).toBe(0);
    const install = await sh('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', tarball], app);
    expect(install.status, install.stderr).toBe(0);
    writeFileSync(
      join(app, 'model.ts'),
      `import { defineModel, input, param, zeros, sigmoid, log, sub } from 'graphc';
export default defineModel({
  name: 'students',
  data: { x: [[1, 2], [2, 3], [3, 1], [4, 3], [5, 3], [6, 2]], y: [[0], [0], [0], [1], [1], [1]] },
  train: { epochs: 1000, lr: 1, logEvery: 500 },
  build() {
    const x = input('x', ['N', 2]);
    const y = input('y', ['N', 1]);
    const W = param('W', [2, 1], zeros());
    const b = param('b', [1], zeros());
    const h = sigmoid(x.matmul(W).add(b));
    return { loss: y.mul(log(h)).add(sub(1, y).mul(log(sub(1, h)))).neg().mean(), predict: h };
  },
});
`,
    );
    const train = await sh('npx', ['graphc', 'train', 'model.ts'], app);
    expect(train.status, train.stderr).toBe(0);
    expect(train.stdout).toContain('Epoch    0/1000 Cost: 0.693147');
    expect(train.stdout).toContain('Epoch 1000/1000 Cost: 0.019852');
    const compile = await sh('npx', ['graphc', 'compile', 'model.ts', '--onnx', 'model.onnx'], app);
    expect(compile.status, compile.stderr).toBe(0);
    expect(existsSync(join(app, 'model.onnx'))).toBe(true);
    expect(readFileSync(join(app, 'model.onnx')).length).toBeGreaterThan(100);
  }, 300_000);
});
