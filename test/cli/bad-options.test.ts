/**
 * Options and commands graphc refuses as the arguments are read (unknown, a bad value, or one that would do
 * nothing here), in one line with nothing on stdout; and --debug, which shows the stack trace.
 */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { expectUserError, graphc, toyLike } from '../support/cli-errors.ts';
import { scratchFolders } from '../support/scratch.ts';

const { out, file } = scratchFolders();

describe('bad input', () => {
  const good = file('good.ts', toyLike(''));
  const csv = (name: string, text: string) => file(name, text);
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
  it('--debug shows the stack trace', async () => {
    const r = await graphc('--debug', 'train', 'nope.ts');
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/\n\s+at /);
  });
});
