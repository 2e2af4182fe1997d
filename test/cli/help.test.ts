/**
 * `--help` tells the truth: each command's help lists the options it takes and the defaults it applies, and
 * the output formats it names are the ones graphc writes (others refused before any work).
 */
import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expectUserError, graphc, toyLike } from '../support/cli-errors.ts';
import { scratchFolders } from '../support/scratch.ts';

const { out, file } = scratchFolders();

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
