/**
 * Bad input as a user meets it: one line `graphc: ...` naming the file (and line where there is one),
 * exit 1, no stack trace, no partial output file.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { graphc as runGraphc, type Ran } from '../support/cli.ts';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
// model files live inside the repo (graphs/ imports 'graphc' by its name), in a scratch folder
const scratch = mkdtempSync(join(root, 'test/cli/.scratch-'));
const out = mkdtempSync(join(tmpdir(), 'graphc-cli-'));
const graphc = (...args: string[]) => runGraphc(args);

function file(name: string, text: string): string {
  const p = join(scratch, name);
  writeFileSync(p, text);
  return p;
}

function expectUserError(r: Ran, message: RegExp) {
  expect(r.status, r.stderr).toBe(1);
  // the message is one line; for a mistyped option or command, the parser adds a hint line below it
  const lines = r.stderr.trim().split('\n').filter((l) => !/^\((run with --help|Did you mean)/.test(l));
  expect(lines.at(-1)).toMatch(/^graphc: /);
  expect(lines.at(-1)).toMatch(message);
  expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
}

const toyLike = (body: string) => `import { defineModel, input, param, zeros, sigmoid, binaryCrossEntropy } from 'graphc';
export default defineModel({
  name: 'm',
  build() {
    const x = input('x', ['N', 2]);
    const y = input('y', ['N', 1]);
    const W = param('W', [2, 1], zeros());
    ${body}
    const h = sigmoid(x.matmul(W));
    return { loss: binaryCrossEntropy(h, y), predict: h };
  },
});
`;

describe('bad input', () => {
  const good = file('good.ts', toyLike(''));
  const csv = (name: string, text: string) => file(name, text);

  it('a missing model file', async () => expectUserError(await graphc('train', 'nope/missing.ts'), /nope\/missing\.ts: no such file/));
  it('a file that is not a model module', async () => {
    const f = file('notmodel.ts', 'export const x = 1;\n');
    expectUserError(await graphc('train', f, '--no-check'), /notmodel\.ts: not a graphc model/);
  });
  it('a file that does not parse', async () => {
    const f = file('syntax.ts', 'export default defineModel({ name: \n');
    expectUserError(await graphc('train', f), /syntax\.ts:\d+:\d+: .*expected|type error/);
  });
  it('a model that throws while its graph is built', async () => {
    const f = file('throws.ts', toyLike("if (x) throw new Error('no data for you');"));
    expectUserError(await graphc('train', f, '--no-check', '--data', csv('ok.csv', '1,2,0\n3,4,1\n')), /throws\.ts:\d+:\d+: the model threw while building its graph: no data for you/);
  });
  it('a shape error: check reports it with both shapes before anything runs', async () => {
    const f = file('shape.ts', toyLike("const W3 = param('W3', [3, 1], zeros()); x.matmul(W3);"));
    const r = await graphc('train', f, '--data', csv('ok2.csv', '1,2,0\n'));
    expectUserError(r, /shape\.ts: 1 type error/);
    expect(r.stderr).toMatch(/shape\.ts:\d+:\d+: shape error: matmul inner dimensions differ: \[N, 2\] · \[3, 1\]/);
    // and at build time without the check
    expectUserError(await graphc('train', f, '--no-check', '--data', csv('ok3.csv', '1,2,0\n')), /shape\.ts:\d+: MatMul: inner dimensions differ: \[N, 2\] · \[3, 1\]/);
  });
  it('a CSV with a ragged row', async () => expectUserError(await graphc('train', good, '--no-check', '--data', csv('ragged.csv', '1,2,0\n3,4\n')), /ragged\.csv:2: expected 3 columns like the first row, got 2/));
  it('a CSV with a non-number', async () => expectUserError(await graphc('train', good, '--no-check', '--data', csv('word.csv', '# comment\n1,2,0\n3,four,1\n')), /word\.csv:3: column 2 is not a number: 'four'/));
  it('a feature count that does not match the model', async () => expectUserError(await graphc('train', good, '--no-check', '--data', csv('three.csv', '1,2,3,0\n')), /three\.csv: 3 feature column\(s\), but the input x \[N, 2\] \(.*\) takes 2 value\(s\) per row/));
  it('image rows that do not fill the model\'s input', async () => {
    const f = file('img.ts', `import { defineModel, input, param, zeros, crossEntropy } from 'graphc';
export default defineModel({
  name: 'img',
  build() {
    const x = input('x', ['N', 1, 7, 7]);
    const y = input('y', ['N']);
    const z = x.flatten(1).matmul(param('W', [49, 10], zeros()));
    return { loss: crossEntropy(z, y), predict: z };
  },
});
`);
    const digits = fileURLToPath(new URL('../../data/digits.csv', import.meta.url));
    expectUserError(await graphc('train', f, '--no-check', '--data', digits), /digits\.csv: 64 feature column\(s\), but the input x \[N, 1, 7, 7\] \(.*img\.ts:\d+\) takes 49 value\(s\) per row/);
  });
  it('NaN in the data', async () => expectUserError(await graphc('train', good, '--no-check', '--data', csv('nan.csv', '1,2,0\nnan,1,1\n')), /nan\.csv:2: column 1: NaN is not a finite number/));
  it('run given a model file: what it is, not a corrupted protobuf', async () => expectUserError(await graphc('run', 'graphs/toy.ts', '--input', 'data/toy.csv'), /^graphc: graphs\/toy\.ts: a model file, not an ONNX model: graphc run takes an \.onnx file/));
  it('train given a data file for a model: the kinds it takes, .onnx among them', async () => {
    for (const extra of [[], ['--no-check']]) expectUserError(await graphc('train', 'data/toy.csv', ...extra), /^graphc: data\/toy\.csv: not a model file \(expected \.ts, \.mts, \.js or \.mjs, or an \.onnx model\)$/);
  });
  it('run: an index out of range in the values fed names the model file', async () => {
    const { onnx, DataType } = await import('../../export/proto.ts');
    const model = join(out, 'gather.onnx');
    const type = (elemType: number) => ({ tensorType: { elemType, shape: { dim: [{ dimParam: 'N' }] } } });
    writeFileSync(model, onnx.ModelProto.encode({
      irVersion: 8,
      opsetImport: [{ domain: '', version: 17 }],
      graph: {
        name: 'g',
        node: [{ opType: 'Gather', input: ['W', 'ids'], output: ['emb'] }],
        initializer: [{ name: 'W', dims: [4, 3], dataType: DataType.FLOAT, floatData: [...Array(12).keys()] }],
        input: [{ name: 'ids', type: type(DataType.INT64) }],
        output: [{ name: 'emb', type: { tensorType: { elemType: DataType.FLOAT } } }],
      },
    }).finish());
    expect((await graphc('run', model, '--input', csv('ids.csv', '1\n3\n'))).status).toBe(0);
    expectUserError(await graphc('run', model, '--input', csv('ids7.csv', '1\n7\n')), /^graphc: .*gather\.onnx: Gather: index 7 is not an integer in \[-4, 4\) \(the axis has 4\)$/);
  });
  it('a missing data file', async () => expectUserError(await graphc('train', good, '--no-check', '--data', 'nowhere.csv'), /nowhere\.csv: no such file/));
  it('an unwritable output path: refused before training, nothing written', async () => {
    // a directory that does not exist (root may write anywhere else), and a read-only one when not root
    const targets = [join(out, 'no/such/dir/m.onnx')];
    if (process.getuid?.() !== 0) {
      const ro = join(out, 'readonly');
      mkdirSync(ro);
      chmodSync(ro, 0o500);
      targets.push(join(ro, 'model.onnx'));
    }
    for (const target of targets) {
      const r = await graphc('train', 'graphs/toy.ts', '--no-check', '--onnx', target);
      expectUserError(r, /cannot write/);
      expect(r.stdout).not.toMatch(/Epoch/);
      expect(existsSync(target)).toBe(false);
    }
    expect(readdirSync(out).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
  it('two outputs, one of them unwritable or both the same file: refused before any work, neither written', async () => {
    const first = join(out, 'first.onnx');
    const r = await graphc('compile', 'graphs/toy.ts', '--no-check', '--onnx', first, '--onnx-train', join(out, 'no/such/dir/step.onnx'));
    expectUserError(r, /step\.onnx: cannot write: directory .* does not exist/);
    expect(existsSync(first)).toBe(false);
    const same = join(out, 'same.onnx');
    const t = await graphc('train', 'graphs/toy.ts', '--no-check', '--onnx', same, '--plot', same);
    expectUserError(t, /same\.onnx: named by both --onnx and --plot: give each output its own file$/);
    expect(t.stdout).not.toMatch(/Epoch/);
    expectUserError(await graphc('compile', 'graphs/toy.ts', '--no-check', '--onnx', same, '--onnx-train', `${out}/./same.onnx`), /named by both --onnx and --onnx-train/);
    expect(existsSync(same)).toBe(false);
  });
  it('an output that is one of the inputs: refused before any work, the input left as it was', async () => {
    // (copies in the scratch folder: the old code wrote over them)
    const model = file('overwritten.ts', toyLike(''));
    const data = csv('overwritten.csv', '1,2,0\n3,4,1\n');
    const before = [readFileSync(model, 'utf8'), readFileSync(data, 'utf8')];
    const cases: [string[], RegExp][] = [
      [['train', model, '--no-check', '--data', data, '--onnx', model], /overwritten\.ts: --onnx would write over the model file: give the output a file of its own$/],
      [['train', model, '--no-check', '--data', data, '--plot', `${scratch}/./overwritten.csv`], /overwritten\.csv: --plot would write over the --data file/],
      [['compile', model, '--no-check', '--onnx-train', model], /--onnx-train would write over the model file/],
      [['inspect', model, '-o', model], /-o would write over the model file/],
    ];
    for (const [args, message] of cases) {
      const r = await graphc(...args);
      expectUserError(r, message);
      expect(r.stdout).not.toMatch(/Epoch/);
    }
    const onnx = join(out, 'over.onnx');
    expect((await graphc('train', model, '--no-check', '--data', data, '--epochs', '0', '--onnx', onnx)).status).toBe(0);
    expectUserError(await graphc('run', onnx, '--input', data, '--output', data), /overwritten\.csv: --output would write over an --input file/);
    expect([readFileSync(model, 'utf8'), readFileSync(data, 'utf8')]).toEqual(before);
    // any other name is the user's choice, whatever its extension (as onnxruntime and torch.onnx.export take)
    const txt = join(out, 'model.txt');
    expect((await graphc('train', model, '--no-check', '--data', data, '--epochs', '0', '--onnx', txt)).status).toBe(0);
    expect(readFileSync(txt).subarray(0, 2)).toEqual(readFileSync(onnx).subarray(0, 2));
  });
  it('an output that is a file the model reads (its built-in data, a module it imports): refused, left as it was', async () => {
    const data = csv('builtin.csv', '1,2,0\n3,4,1\n');
    const helper = file('helper.ts', 'export const rate = 0.5;\n');
    const model = file(
      'reads.ts',
      toyLike('').replace("name: 'm',", `name: 'm',\n  data: new URL('./builtin.csv', import.meta.url),\n  train: { epochs: 1, lr: rate },`).replace(/^(import .*;)$/m, `$1\nimport { rate } from './helper.ts';`),
    );
    const before = [readFileSync(data, 'utf8'), readFileSync(helper, 'utf8')];
    const cases: [string[], RegExp][] = [
      [['train', model, '--no-check', '--onnx', data], /builtin\.csv: --onnx would write over the built-in data of model m: give the output a file of its own$/],
      [['train', model, '--no-check', '--data', csv('other.csv', '1,2,0\n'), '--onnx', data], /builtin\.csv: --onnx would write over the built-in data of model m/],
      [['compile', model, '--no-check', '--onnx', data], /builtin\.csv: --onnx would write over the built-in data of model m/],
      [['compile', model, '--no-check', '--onnx-train', helper], /helper\.ts: --onnx-train would write over a module the model imports/],
      [['inspect', model, '-o', data, '--format', 'text'], /builtin\.csv: -o would write over the built-in data of model m/],
    ];
    for (const [args, message] of cases) {
      const r = await graphc(...args);
      expectUserError(r, message);
      expect(r.stdout).not.toMatch(/Epoch/);
    }
    expect([readFileSync(data, 'utf8'), readFileSync(helper, 'utf8')]).toEqual(before);
  });
  it('an output path that is a directory', async () => expectUserError(await graphc('compile', 'graphs/toy.ts', '--no-check', '--onnx', out), /cannot write: is a directory/));
  it('an unknown option or command', async () => {
    expectUserError(await graphc('train', 'graphs/toy.ts', '--epoch', '3'), /unknown option '--epoch'/);
    expectUserError(await graphc('frobnicate'), /unknown command 'frobnicate'/);
    expectUserError(await graphc('train', 'graphs/toy.ts', '--epochs', 'many'), /expected a non-negative integer, got 'many'/);
  });
  it('bad counts and option values are refused as the arguments are read', async () => {
    const ok = csv('ok5.csv', '1,2,0\n3,4,1\n');
    const cases: [string[], RegExp][] = [
      [['train', good, '--option', 'loss'], /'--option <key=value>' argument 'loss' is invalid\. expected key=value/],
      [['compile', good, '--option', 'loss'], /expected key=value/],
      // inspect's --input names a graph input and its file: said so, not with --option's example
      [['inspect', good, '--input', 'shape.json'], /'--input <name=file>' argument 'shape\.json' is invalid\. expected name=file \(the graph input's name and the file of its value, e\.g\. shape=shape\.json\), got 'shape\.json'$/],
      [['train', good, '--batch-size', '0'], /'--batch-size <n>' argument '0' is invalid\. expected a positive integer/],
      [['train', good, '--log-every', '0'], /'--log-every <k>' argument '0' is invalid\. expected a positive integer/],
      [['train', good, '--epochs', '0x10'], /expected a non-negative integer, got '0x10'/],
      [['train', good, '--holdout', '1'], /expected a fraction between 0 and 1, got '1'/],
      [['train', good, '--loss', 'bogus'], /expected bce, mse or ce, got 'bogus'/],
      [['compile', good, '--explain', '--rows', '0'], /'--rows <n>' argument '0' is invalid/],
      [['train', good, '--lr', 'abc'], /'--lr <x>' argument 'abc' is invalid\. expected a number 0 or more that float32 holds/],
      [['train', good, '--lr', '1e40'], /'--lr <x>' argument '1e40' is invalid\. expected a number 0 or more that float32 holds \(0, or 1\.4e-45 to 3\.4e38\), got '1e40'$/],
      [['train', good, '--lr', '-0.5'], /'--lr <x>' argument '-0\.5' is invalid\. expected a number 0 or more/],
      [['train', good, '--lr', 'NaN'], /'--lr <x>' argument 'NaN' is invalid\. expected a number 0 or more/],
      [['train', good, '--lr', '1e-50'], /argument '1e-50' is invalid/],
      [['compile', good, '--lr', '1e40'], /argument '1e40' is invalid/],
    ];
    for (const [args, message] of cases) {
      const r = await graphc(...args, '--no-check', ...(args[0] === 'train' ? ['--data', ok] : []));
      expectUserError(r, message);
      expect(r.stdout).toBe('');
    }
  });
  it('an option that would do nothing here is refused, not dropped in silence', async () => {
    const onnx = join(out, 'ignored.onnx');
    expect((await graphc('compile', 'graphs/toy.ts', '--no-check', '--onnx', onnx)).status).toBe(0);
    const cases: [string[], RegExp][] = [
      [['train', good, '--no-check', '--data', csv('ok7.csv', '1,2,0\n'), '--loss', 'mse'], /^graphc: --loss applies to an \.onnx model: .*good\.ts defines its own loss \(choose a variant with --option\)$/],
      [['compile', good, '--no-check', '--graph', 'infer'], /^graphc: --graph chooses the graph --print prints: add --print$/],
      [['compile', good, '--no-check', '--rows', '8'], /^graphc: --rows sets the rows --explain plans for: add --explain$/],
      [['inspect', onnx, '--graph', 'forward'], /^graphc: --graph applies to a \.ts model: an \.onnx model is drawn as imported$/],
      [['inspect', onnx, '--no-opt'], /^graphc: --no-opt applies to a \.ts model/],
      [['inspect', onnx, '--option', 'loss=bce'], /^graphc: --option applies to a \.ts model/],
      [['inspect', good, '--input', 'x=a.csv'], /^graphc: --input applies to an \.onnx model/],
      [['train', onnx, '--data', csv('ok9.csv', '1,2,0\n'), '--option', 'loss=bce'], /^graphc: --option applies to a \.ts model's variants: .*ignored\.onnx has none \(choose its loss with --loss\)$/],
    ];
    for (const [args, message] of cases) {
      const r = await graphc(...args);
      expectUserError(r, message);
      expect(r.stdout).toBe('');
    }
    // where they apply, they work
    expect((await graphc('train', onnx, '--data', csv('ok8.csv', '1,2,0\n'), '--loss', 'mse', '--epochs', '1')).status).toBe(0);
    expect((await graphc('compile', good, '--no-check', '--graph', 'infer', '--print')).stdout).toMatch(/^graph m\.infer \{/);
  });
  it('a folder that takes no new file (/proc): refused before training, in words', async () => {
    const r = await graphc('train', 'graphs/toy.ts', '--no-check', '--onnx', '/proc/graphc-test.onnx');
    expectUserError(r, /\/proc\/graphc-test\.onnx: cannot write in \/proc: no such file or directory$/);
    expect(r.stdout).not.toMatch(/Epoch/);
  });
  it('a byte-order mark and control bytes in a CSV: named and escaped', async () => {
    expectUserError(await graphc('train', good, '--no-check', '--data', csv('bom.csv', '\ufeff1,2,0\n')), /bom\.csv:1: column 1 is not a number: '\\ufeff1' \(the file starts with a byte-order mark/);
    const r = await graphc('train', good, '--no-check', '--data', csv('ctl.csv', '1,2\u001b[2J,0\n'));
    expectUserError(r, /ctl\.csv:1: column 2 is not a number: '2\\u001b\[2J'/);
    expect(r.stderr).not.toContain('\u001b');
  });
  it('check: a module with no default export, or one that is not a model, is not "no type errors"', async () => {
    expectUserError(await graphc('check', file('none.ts', 'export const x = 1;\n')), /none\.ts: not a graphc model: it exports nothing as default/);
    expectUserError(await graphc('check', file('num.ts', 'export default 42;\n')), /num\.ts: not a graphc model: its default export is 42, not a defineModel/);
    const r = await graphc('check', good);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/good\.ts: no type errors/);
  });
  it('Ctrl-C on a terminal while training: exit 130, the terminal\'s modes untouched, no file written', async () => {
    // a terminal from script(1); ^C typed into it once the progress bar shows
    const target = join(out, 'interrupted.onnx');
    const cmd = [process.execPath, join(root, 'bin/graphc.js'), 'train', good, '--no-check', '--data', csv('long.csv', '1,2,0\n3,4,1\n'), '--epochs', '100000000', '--log-every', '10000000', '--onnx', target].map((a) => JSON.stringify(a)).join(' ');
    const child = spawn('script', ['-qec', cmd, '/dev/null'], { cwd: root, env: { ...process.env, GRAPHC_QUIET: '' }, stdio: ['pipe', 'pipe', 'pipe'] });
    let tty = '';
    child.stdout.on('data', (d: Buffer) => {
      const first = !tty.includes('training [');
      tty += d.toString();
      if (first && tty.includes('training [')) setTimeout(() => child.stdin.write('\x03'), 200);
    });
    const killer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    const status = await new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
    clearTimeout(killer);
    expect(tty).toContain('training [');
    expect(status).toBe(130);
    // neither the cursor hidden nor line wrapping turned off: nothing would turn them back on
    expect(tty).not.toContain('\x1b[?25l');
    expect(tty).not.toContain('\x1b[?7l');
    expect(existsSync(target)).toBe(false);
    expect(readdirSync(out).filter((f) => f.includes('interrupted'))).toEqual([]);
  });
  it('a cache folder that cannot be made: one line, not a hang (/proc) or an internal error (a file)', async () => {
    for (const cache of ['/proc/graphc-cache', join(csv('cache.csv', '1,2,0\n'), 'sub')]) {
      for (const extra of [[], ['--no-check']]) {
        const r = await runGraphc(['train', good, ...extra, '--data', csv('ok6.csv', '1,2,0\n')], { env: { ...process.env, GRAPHC_CACHE: cache }, timeout: 60_000 });
        expectUserError(r, /^graphc: GRAPHC_CACHE=.*: cannot hold graphc's cache \(set GRAPHC_CACHE to a folder it can write\): (no such file or directory|a part of the path is not a directory)$/);
      }
    }
  });
  it('data with no line end (/dev/zero): one line naming it, not an internal error at 4 GiB or no end', async () => {
    const message = /^graphc: \/dev\/zero:1: a line of more than 256 MiB \(is it a CSV text file\?\)$/;
    expectUserError(await graphc('train', good, '--no-check', '--data', '/dev/zero'), message);
    const onnx = join(out, 'zero-in.onnx');
    expect((await graphc('compile', 'graphs/toy.ts', '--no-check', '--onnx', onnx)).status).toBe(0);
    expectUserError(await runGraphc(['run', onnx, '--input', '/dev/zero'], { timeout: 60_000 }), message);
  });
  it('--debug shows the stack trace', async () => {
    const r = await graphc('--debug', 'train', 'nope.ts');
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/\n\s+at /);
  });
});

describe('--help tells the truth', () => {
  for (const cmd of ['train', 'compile', 'run', 'inspect', 'check']) {
    it(`graphc ${cmd} --help lists the options the command takes`, async () => {
      const r = await graphc(cmd, '--help');
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`Usage: graphc ${cmd}`));
    });
  }
  it('inspect -o FILE draws in the format its extension names, unless --format says otherwise', async () => {
    for (const [ext, head] of [['svg', /^<svg /], ['dot', /^digraph /], ['mmd', /^(flowchart|graph) /], ['txt', /^graph toy\.train \{/]] as const) {
      const f = join(out, `toy.${ext}`);
      const r = await graphc('inspect', 'graphs/toy.ts', '-o', f);
      expect(r.status, r.stderr).toBe(0);
      expect(readFileSync(f, 'utf8')).toMatch(head);
    }
    const f = join(out, 'text.svg');
    expect((await graphc('inspect', 'graphs/toy.ts', '--format', 'text', '-o', f)).status).toBe(0);
    expect(readFileSync(f, 'utf8')).toMatch(/^graph toy\.train \{/);
    expect((await graphc('inspect', '--help')).stdout).toMatch(/--format <fmt>\s+text \| dot \| mermaid \| svg \(default: by the extension of\s+-o: \.svg/);
  });
  it('a picture named for a format graphc does not draw is refused before any work, nothing written', async () => {
    const png = join(out, 'curve.png');
    const t = await graphc('train', 'graphs/toy.ts', '--no-check', '--plot', png);
    expectUserError(t, /^graphc: --plot writes SVG: give a file ending in \.svg \(got .*curve\.png\)$/);
    expect(t.stdout).not.toMatch(/Epoch/);
    expect(existsSync(png)).toBe(false);
    // the extension in any case
    const svg = join(out, 'curve.SVG');
    const ok = await graphc('train', 'graphs/toy.ts', '--no-check', '--epochs', '2', '--plot', svg);
    expect(ok.status, ok.stderr).toBe(0);
    expect(readFileSync(svg, 'utf8')).toMatch(/^<svg /);
    expect((await graphc('train', '--help')).stdout).toMatch(/--plot <file\.svg>\s+draw the cost curve[^]*as SVG, in a file\s+named \.svg/);
    const drawing = join(out, 'toy.png');
    expectUserError(await graphc('inspect', 'graphs/toy.ts', '-o', drawing), /^graphc: -o .*toy\.png: inspect writes SVG \(\.svg\), DOT \(\.dot, \.gv\), Mermaid \(\.mmd\) or text \(\.txt\): give a file ending in one of these, or choose with --format$/);
    expect(existsSync(drawing)).toBe(false);
    // no extension: text; a --format graphc lacks (even one named like an object's property) is refused
    const plain = join(out, 'toy-graph');
    expect((await graphc('inspect', 'graphs/toy.ts', '-o', plain)).status).toBe(0);
    expect(readFileSync(plain, 'utf8')).toMatch(/^graph toy\.train \{/);
    expectUserError(await graphc('inspect', 'graphs/toy.ts', '--format', 'toString', '-o', join(out, 'x.txt')), /^graphc: --format must be text, dot, mermaid or svg, got 'toString'$/);
    expect(existsSync(join(out, 'x.txt'))).toBe(false);
  });
  it('train --help names the ONNX models it trains, and each command the JavaScript models it loads', async () => {
    expect((await graphc('train', '--help')).stdout).toMatch(/model\s+model file \(\.ts, or \.js\) that default-exports\s+defineModel\(\{\.\.\.\}\), or an ONNX model \(\.onnx; see\s+--loss\)/);
    for (const cmd of ['compile', 'inspect', 'check']) expect((await graphc(cmd, '--help')).stdout).toMatch(/\.js/);
  });
  it('train --help states the defaults of the settings it overrides, and they are the ones a model without its own trains with', async () => {
    const help = (await graphc('train', '--help')).stdout.replace(/\s+/g, ' ');
    const stated = (opt: string) => new RegExp(`${opt} <\\w+> [^(]*(?:\\([^)]*\\) )?\\(default: the model's, or ([\\d.]+)\\)`).exec(help)?.[1];
    const said = { epochs: stated('--epochs'), lr: stated('--lr'), logEvery: stated('--log-every') };
    expect(said).toEqual({ epochs: '100', lr: '0.1', logEvery: '10' });
    const r = await graphc('train', file('defaults.ts', toyLike('')), '--no-check', '--data', file('defaults.csv', '1,2,0\n3,4,1\n'), '--json');
    const { config } = JSON.parse(r.stdout) as { config: Record<string, number> };
    expect(config).toEqual({ epochs: Number(said.epochs), lr: Number(said.lr), logEvery: Number(said.logEvery), batchSize: null, shuffle: false, holdout: 0, optimizer: { kind: 'sgd' } });
  });
  it('--help shows no default for a repeatable option (an empty list is no default a user can read)', async () => {
    for (const cmd of ['train', 'compile', 'run', 'inspect']) {
      const help = (await graphc(cmd, '--help')).stdout.replace(/\s+/g, ' ');
      expect(help).toMatch(/\(repeatable/);
      expect(help, cmd).not.toMatch(/default: \[\]/);
    }
  });
  it('every option that --help lists for train is accepted', async () => {
    const help = (await graphc('train', '--help')).stdout;
    for (const opt of ['--data', '--epochs', '--lr', '--log-every', '--option', '--json', '--onnx', '--plot', '--no-opt', '--no-fuse', '--no-check', '--no-progress', '--loss']) expect(help).toContain(opt);
  });
});

// (a test process's 'exit' is not its worker's end: removed when the file's tests are done)
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
