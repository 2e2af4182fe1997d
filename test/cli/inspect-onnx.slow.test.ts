/**
 * `graphc inspect model.onnx` draws models other tools wrote: PyTorch's exports in the ONNX test data
 * (`pytorch-converted`: convolutions, pooling, padding, an embedding, a gated unit, a pixel shuffle) as
 * SVG and DOT, every node of the imported graph with its shape, and as text, each node at its place in the file;
 * and a model whose graph input decides a shape, drawn specialised on the value given for it.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importOnnx } from '../../export/index.ts';
import { shapeStr } from '../../compiler/ir/shape.ts';
import { graphc } from '../support/cli.ts';
import { model } from '../fuzz/build.ts';
import { DataType } from '../../export/proto.ts';

const DATA = '/usr/share/libonnx-testdata/data/pytorch-converted';
const dir = mkdtempSync(join(tmpdir(), 'graphc-inspect-onnx-'));
const MODELS = ['test_Conv2d_depthwise_with_multiplier', 'test_ConvTranspose2d', 'test_AvgPool1d_stride', 'test_ReflectionPad2d', 'test_Embedding', 'test_GLU_dim', 'test_PixelShuffle', 'test_log_softmax_dim3'];
const have = existsSync(DATA);
if (!have) console.log(`inspect-onnx.slow.test: ${DATA} is absent (Debian's libonnx-testdata): skipped`);

describe.skipIf(!have)('graphc inspect draws PyTorch-exported ONNX models with shapes', () => {
  for (const name of MODELS)
    it(name, async () => {
      const file = join(DATA, name, 'model.onnx');
      const g = importOnnx(new Uint8Array(readFileSync(file))).graph;
      const svg = join(dir, `${name}.svg`);
      const r = await graphc(['inspect', file, '--format', 'svg', '-o', svg]);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      const drawn = readFileSync(svg, 'utf8');
      expect(drawn).toMatch(/^<svg[\s\S]*<\/svg>\s*$/);
      const dot = await graphc(['inspect', file, '--format', 'dot']);
      expect(dot.status).toBe(0);
      // every node, its op and its shape: under its box in the SVG, on its label in DOT (after DOT's line break, \n)
      // (a tensor other than float32 with its type: the token ids `[1, 4] i64`)
      for (const n of g.nodes) {
        const label = `${shapeStr(n.shape)}${n.dtype === 'f32' ? '' : ` ${n.dtype}`}`;
        if (n.op !== 'Input' && n.op !== 'Param' && n.op !== 'Const') expect(drawn, n.op).toContain(`>${n.op}`);
        expect(drawn, `${n.op} ${label}`).toContain(`>${label}</text>`);
        expect(dot.stdout, `${n.op} ${label}`).toContain(`\\n${label}"`); // DOT's own line break
      }
      const text = await graphc(['inspect', file]);
      expect(text.status).toBe(0);
      expect(text.stdout).toContain(`: ${shapeStr(g.outputs[0].node.shape)}`);
      // each node placed in the file it comes from, never at a line of graphc's own code
      expect(text.stdout).toMatch(new RegExp(`@ ${name}/model\\.onnx node \\d+`));
      expect(text.stdout).not.toMatch(/\.(ts|js):\d+/);
    });
});

describe('graphc inspect on a model whose graph input decides a shape', () => {
  // Reshape(x [2, 6], shape): the shape is a graph input (int64), known only when given
  const file = join(dir, 'reshape.onnx');
  const shape = join(dir, 'shape.json');
  writeFileSync(file, model({ opset: 13, inputs: [{ name: 'x', dims: [2, 6] }, { name: 'shape', dims: [2], elemType: DataType.INT64 }], nodes: [{ op: 'Reshape', inputs: ['x', 'shape'], outputs: ['y'] }], outputs: ['y'] }));
  writeFileSync(shape, JSON.stringify({ shape: [2], data: [3, 4] }));

  it('without its value: one line naming the input and how to give it', async () => {
    const r = await graphc(['inspect', file]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^graphc: .*reshape\.onnx: node 'n0' \(Reshape, opset 13\): the shape decides what Reshape computes; input 1 comes from graph input 'shape'.*; draw it with --input shape=FILE\n$/);
  });

  it('with --input name=file: drawn specialised on it, with its shapes', async () => {
    const r = await graphc(['inspect', file, '--input', `shape=${shape}`]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/Reshape\(x\) \{\[3, 4\]\} : \[3, 4\]/);
  });
});
