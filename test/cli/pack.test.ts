/**
 * The package as a user gets it from the registry: `npm pack`, install the tarball into an empty folder
 * (made by `npm init -y`, so a CommonJS scope), write a model there that imports graphc by its name, and
 * run `npx graphc train` and `npx graphc compile --onnx` on it (writing nothing beside the model); use it
 * from a plain Node program (the built JavaScript, no TypeScript loader), the README's examples as written
 * among them (an ONNX model run from code); and type-check a TypeScript
 * project against it, where a matmul of mismatched shapes in the user's own file is a `tsc` error.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
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

const tsc = join(root, 'node_modules/typescript/bin/tsc');

describe('npm pack, install, use', () => {
  let app = '';
  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'graphc-pack-'));
    const pack = await sh('npm', ['pack', '--silent', '--pack-destination', dir], root);
    expect(pack.status, pack.stderr).toBe(0);
    const tarball = join(dir, pack.stdout.trim().split('\n').pop()!);
    app = join(dir, 'app');
    await sh('mkdir', ['-p', app], dir);
    expect((await sh('npm', ['init', '-y'], app)).status).toBe(0);
    const install = await sh('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', tarball], app);
    expect(install.status, install.stderr).toBe(0);
  }, 300_000);

  it('trains and exports a model written in an empty folder, writing nothing beside it', async () => {
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
    const before = readdirSync(app).sort();
    const train = await sh('npx', ['graphc', 'train', 'model.ts'], app);
    expect(train.status, train.stderr).toBe(0);
    expect(train.stderr).toBe('');
    expect(readdirSync(app).sort()).toEqual(before);
    expect(train.stdout).toContain('Epoch    0/1000 Cost: 0.693147');
    expect(train.stdout).toContain('Epoch 1000/1000 Cost: 0.019852');
    const compile = await sh('npx', ['graphc', 'compile', 'model.ts', '--onnx', 'model.onnx'], app);
    expect(compile.status, compile.stderr).toBe(0);
    expect(existsSync(join(app, 'model.onnx'))).toBe(true);
    expect(readFileSync(join(app, 'model.onnx')).length).toBeGreaterThan(100);
  }, 300_000);

  it('trains, predicts and exports from a plain Node program through the package\'s entry', async () => {
    writeFileSync(
      join(app, 'api.mjs'),
      `import { defineModel, input, param, zeros, sigmoid, binaryCrossEntropy, train, predict, exportOnnx } from 'graphc';
const model = defineModel({
  name: 'students',
  train: { epochs: 1000, lr: 1, logEvery: 500, logAccuracy: false },
  build() {
    const x = input('x', ['N', 2]);
    const y = input('y', ['N', 1]);
    const h = sigmoid(x.matmul(param('W', [2, 1], zeros())).add(param('b', [1], zeros())));
    return { loss: binaryCrossEntropy(h, y), predict: h };
  },
});
const trained = await train(model, { data: { x: [[1, 2], [2, 3], [3, 1], [4, 3], [5, 3], [6, 2]], y: [0, 0, 0, 1, 1, 1] } });
const p = predict(trained, { x: [[4, 2]] });
const bytes = await exportOnnx(trained);
console.log(JSON.stringify({ costs: trained.log.map((e) => e.cost), params: trained.params, p: Array.from(p.data), shape: p.shape, onnx: bytes.length }));
`,
    );
    const r = await sh(process.execPath, ['api.mjs'], app);
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim());
    // the seed's table 2 (BCE), PyTorch's printed costs
    [0.693147, 0.037261, 0.019852].forEach((c, i) => expect(Math.abs(out.costs[i] - c)).toBeLessThanOrEqual(1.5e-6));
    const { W, b } = out.params;
    expect(out.shape).toEqual([1, 1]);
    expect(out.p[0]).toBeCloseTo(1 / (1 + Math.exp(-(4 * W[0] + 2 * W[1] + b[0]))), 6);
    expect(out.onnx).toBeGreaterThan(100);
  }, 120_000);

  it('runs the README\'s "Use it from code" example as written, as plain Node', async () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    writeFileSync(join(app, 'readme.mjs'), /## Use it from code[\s\S]*?```ts\n([\s\S]*?)```/.exec(readme)![1]);
    const r = await sh(process.execPath, ['readme.mjs'], app);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    const out = r.stdout.trim().split('\n');
    expect(out.slice(0, 3)).toEqual(['Epoch 0 Cost: 0.693147', 'Epoch 500 Cost: 0.037261', 'Epoch 1000 Cost: 0.019852']);
    expect(out[3]).toMatch(/^P\(pass \| 4 h, 2 h\) = 0\.\d{4}$/);
    expect(out[4]).toMatch(/^\d+ bytes of ONNX$/);
  }, 120_000);

  it('runs the README\'s OnnxSession example as written, as plain Node: the seed\'s prediction', async () => {
    const train = await sh('npx', ['graphc', 'train', join(root, 'graphs/diabetes.ts'), '--data', join(root, 'data/data-03-diabetes.csv'), '--onnx', 'diabetes.onnx'], app);
    expect(train.status, train.stderr).toBe(0);
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const code = /```ts\n(import \{ readFileSync \} from 'node:fs';\nimport \{ OnnxSession \} from 'graphc\/onnx';[\s\S]*?)```/.exec(readme)![1];
    writeFileSync(join(app, 'session.mjs'), code);
    const r = await sh(process.execPath, ['session.mjs'], app);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    // the seed's trained model's prediction, which onnxruntime gives for the same file (test/cli/readme.test.ts)
    expect(r.stdout.trim()).toBe('P(diabetic) = 0.4103');
  }, 120_000);

  it('runs in a plain Node program that imports graphc by its name', async () => {
    writeFileSync(
      join(app, 'app.mjs'),
      `import { defineModel, input, param, zeros, sigmoid, trainStepGraph, inferenceGraph, printGraph } from 'graphc';
import { exportGraph, importOnnx } from 'graphc/onnx';
import { ParamStore, Trainer } from 'graphc/runtime';
const model = defineModel({
  name: 'students',
  build() {
    const x = input('x', ['N', 2]);
    const y = input('y', ['N', 1]);
    const h = sigmoid(x.matmul(param('W', [2, 1], zeros())).add(param('b', [1], zeros())));
    return { loss: h.sub(y).mul(h.sub(y)).mean(), predict: h };
  },
});
const built = model.build();
const step = trainStepGraph(built, { lr: 1 });
const trainer = new Trainer(step, new ParamStore(step.params));
const loss = trainer.run({ x: { data: new Float32Array([1, 2, 3, 4]), shape: [2, 2] }, y: { data: new Float32Array([0, 1]), shape: [2, 1] } });
const bytes = exportGraph(inferenceGraph(built), { mode: 'inference', name: 'students' });
console.log(JSON.stringify({ hasMatMul: printGraph(step).includes('MatMul'), loss, onnx: bytes.length, imported: importOnnx(bytes).graph.opCount }));
`,
    );
    const r = await sh(process.execPath, ['app.mjs'], app);
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim());
    expect(out.hasMatMul).toBe(true);
    // sigmoid(0) = 0.5 on both rows: ((0.5 - 0)² + (0.5 - 1)²) / 2
    expect(out.loss).toBeCloseTo(0.25, 6);
    expect(out.onnx).toBeGreaterThan(100);
    expect(out.imported).toBeGreaterThan(0);
  }, 120_000);

  it('gives a TypeScript project its shape types: a mismatched matmul is a tsc error', async () => {
    writeFileSync(join(app, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', strict: true, noEmit: true, skipLibCheck: true, types: [] }, include: ['*.mts'] }));
    const src = (inner: number) => `import { input, param, zeros } from 'graphc';
const x = input('x', ['N', 2]);
const W = param('W', [${inner}, 1], zeros());
export const h = x.matmul(W);
`;
    writeFileSync(join(app, 'shapes.mts'), src(2));
    const good = await sh(process.execPath, [tsc, '-p', '.'], app);
    expect(good.status, good.stdout + good.stderr).toBe(0);
    writeFileSync(join(app, 'shapes.mts'), src(3));
    const bad = await sh(process.execPath, [tsc, '-p', '.'], app);
    expect(bad.status).not.toBe(0);
    expect(bad.stdout).toMatch(/shapes\.mts\(4,\d+\): error TS\d+:/);
    expect(bad.stdout).toMatch(/matmul inner dimensions differ: \[N, 2\] · \[3, 1\]/);
  }, 120_000);
});
