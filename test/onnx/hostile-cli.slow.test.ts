/**
 * The command line on a hostile ONNX file (a process of its own, so in the slow tier): one line on
 * stderr naming what the file claims, exit 1, no stack trace.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { graphc } from '../support/cli.ts';
import { exportModel } from '../../export/index.ts';
import { onnx } from '../../export/proto.ts';
import { compileModel } from '../../compiler/passes/index.ts';
import toy from '../../graphs/toy.ts';

const valid = exportModel(compileModel(toy.build(), { lr: 1 }), 'inference');

describe('the CLI on a hostile file', () => {
  it('one line on stderr, exit 1, no stack trace', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'graphc-hostile-'));
    const m = onnx.ModelProto.decode(valid);
    m.graph!.initializer![0].dims = [1e9, 1e9];
    writeFileSync(join(dir, 'lying.onnx'), onnx.ModelProto.encode(m).finish());
    writeFileSync(join(dir, 'x.csv'), '1,2\n3,4\n');
    const r = await graphc(['run', join(dir, 'lying.onnx'), '--input', join(dir, 'x.csv')]);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^graphc: .*lying\.onnx: initializer '\w+': dims \[1000000000, 1000000000\] claim/);
  });
});
