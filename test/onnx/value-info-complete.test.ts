/**
 * Every export carries a value_info for every tensor its nodes compute but the graph's outputs, including
 * those a mapping computes on its way to a graphc node's value, and records no tensor as left untyped
 * (`graphc.untyped`): the models of graphs/ in both modes, and a training step with dropout, whose mask is
 * drawn by RandomUniformLike (which graphc's importer does not read). The types asked of that mask follow
 * ONNX's operator specs: RandomUniformLike outputs its input's shape in its `dtype`, GreaterOrEqual bool,
 * Cast its `to`. (value-info.slow.test.ts holds graphs/'s value_info to ONNX's own shape inference.)
 */
import { describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { BatchNorm1d, Dropout, Linear, defineModel, input } from '../../compiler/index.ts';
import { compileModel } from '../../compiler/passes/compile.ts';
import type { Model } from '../../compiler/dsl/model.ts';
import { exportModel } from '../../export/model.ts';
import { UNTYPED_KEY } from '../../export/export.ts';
import { onnx, DataType, type GraphProto } from '../../export/proto.ts';
import { trainStepRefused } from '../support/train-export.ts';

const graphsDir = fileURLToPath(new URL('../../graphs/', import.meta.url));
const files = readdirSync(graphsDir).filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'));

/** The export's graph, after checking each computed tensor has a value_info and none is recorded untyped. */
function complete(bytes: Uint8Array) {
  const m = onnx.ModelProto.decode(bytes);
  const g = m.graph!;
  const outputs = new Set(g.output!.map((o) => o.name));
  const computed = g.node!.flatMap((n) => n.output!).filter((o) => !outputs.has(o));
  expect(g.valueInfo!.map((v) => v.name).sort()).toEqual([...computed].sort());
  expect(m.metadataProps!.filter((p) => p.key === UNTYPED_KEY)).toEqual([]);
  return g;
}

const dims = (v: GraphProto['valueInfo'][number]) => v.type!.tensorType!.shape!.dim!.map((d) => (d.dimParam ? d.dimParam : Number(d.dimValue)));

const withDropout = defineModel({
  name: 'dropout-step',
  build() {
    const x = input('x', ['N', 3]), y = input('y', ['N', 1]);
    const l1 = new Linear(3, 4, 'l1'), bn = new BatchNorm1d(4), l2 = new Linear(4, 1, 'l2');
    const p = l2.forward(new Dropout(0.25).forward(bn.forward(l1.forward(x)).relu()));
    const d = p.sub(y);
    return { loss: d.mul(d).mean(), predict: p };
  },
});

describe('exports type every computed tensor', () => {
  for (const file of files)
    it(`${file}: inference and training step`, async () => {
      const model = (await import(pathToFileURL(join(graphsDir, file)).href)).default as Model;
      const compiled = compileModel(model.build(), { lr: model.train.lr });
      complete(exportModel(compiled, 'inference'));
      if (!trainStepRefused[file]) complete(exportModel(compiled, 'train'));
    });

  it('a training step with dropout: the mask drawn by RandomUniformLike, and what follows it', () => {
    for (const optimize of [false, true]) {
      const g = complete(exportModel(compileModel(withDropout.build(), { lr: 0.1, optimize }), 'train'));
      const info = new Map(g.valueInfo!.map((v) => [v.name!, v]));
      const draws = g.node!.filter((n) => n.opType === 'RandomUniformLike');
      expect(draws.length).toBeGreaterThan(0);
      for (const r of draws) {
        const drawn = info.get(r.output![0])!;
        expect(drawn.type!.tensorType!.elemType).toBe(DataType.FLOAT);
        expect(dims(drawn)).toEqual(['N', 4]);
        const ge = g.node!.find((n) => n.opType === 'GreaterOrEqual' && n.input![0] === r.output![0])!;
        expect(info.get(ge.output![0])!.type!.tensorType!.elemType).toBe(DataType.BOOL);
        expect(dims(info.get(ge.output![0])!)).toEqual(['N', 4]);
        const cast = g.node!.find((n) => n.opType === 'Cast' && n.input![0] === ge.output![0])!;
        expect(info.get(cast.output![0])!.type!.tensorType!.elemType).toBe(DataType.FLOAT);
        expect(dims(info.get(cast.output![0])!)).toEqual(['N', 4]);
      }
    }
  });
});
