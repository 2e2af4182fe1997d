/**
 * Exports describe every tensor: each tensor a node computes, but the graph's outputs, has a value_info
 * with its element type and shape (the batch dim the symbolic `N`), agreeing with what ONNX's own shape
 * inference (onnx.shape_inference, strict) derives from the file with the value_info removed; graph
 * inputs and outputs carry a doc_string; onnx.checker's full check (which re-infers against the
 * value_info) accepts the file, and onnxruntime-node loads it.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as ort from 'onnxruntime-node';
import { compileModel } from '../../compiler/passes/index.ts';
import { exportModel } from '../../export/index.ts';
import { onnx } from '../../export/proto.ts';
import type { Model } from '../../compiler/dsl/model.ts';
import { hasOnnx, python, sayIfMissing } from '../support/peers.ts';
import { trainStepRefused } from '../support/train-export.ts';

sayIfMissing('python3-onnx (onnx.checker, shape inference)', hasOnnx, 'value-info.slow.test');
const graphsDir = fileURLToPath(new URL('../../graphs/', import.meta.url));
const files = readdirSync(graphsDir).filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'));
const dir = mkdtempSync(join(tmpdir(), 'graphc-value-info-'));

/** Prints the disagreements between the file's value_info and ONNX's inference without it. */
const COMPARE = `
import onnx, sys, json
from onnx import shape_inference
m = onnx.load(sys.argv[1])
onnx.checker.check_model(m, full_check=True)
ours = {v.name: v.type.tensor_type for v in m.graph.value_info}
del m.graph.value_info[:]
inferred = {v.name: v.type.tensor_type for v in shape_inference.infer_shapes(m, strict_mode=True).graph.value_info}
bad = []
for k, a in ours.items():
    b = inferred.get(k)
    if b is None: continue
    if a.elem_type != b.elem_type: bad.append([k, 'elem_type', a.elem_type, b.elem_type]); continue
    if not b.HasField('shape'): continue
    if len(a.shape.dim) != len(b.shape.dim): bad.append([k, 'rank', len(a.shape.dim), len(b.shape.dim)]); continue
    for x, y in zip(a.shape.dim, b.shape.dim):
        # onnx names a dim it cannot infer unk__<n>: graphc may know it
        if (y.HasField('dim_value') and x.dim_value != y.dim_value) or (y.HasField('dim_param') and not y.dim_param.startswith('unk__') and x.dim_param != y.dim_param):
            bad.append([k, 'dims', str(x).strip(), str(y).strip()])
print(json.dumps({'bad': bad, 'compared': sum(1 for k in ours if k in inferred)}))
`;

describe('exports carry value_info and doc_strings', () => {
  for (const file of files)
    for (const mode of ['inference', 'train'] as const)
      it(`${file} (${mode}): every computed tensor typed and shaped, as ONNX infers`, async () => {
        const model = (await import(pathToFileURL(join(graphsDir, file)).href)).default as Model;
        const compiled = compileModel(model.build(), { lr: model.train.lr });
        if (mode === 'train' && trainStepRefused[file]) return void expect(() => exportModel(compiled, mode)).toThrow(trainStepRefused[file]);
        const bytes = exportModel(compiled, mode);
        const g = onnx.ModelProto.decode(bytes).graph!;
        const outputs = new Set(g.output!.map((o) => o.name));
        const computed = g.node!.flatMap((n) => n.output!).filter((o) => !outputs.has(o));
        expect(g.valueInfo!.map((v) => v.name).sort()).toEqual([...computed].sort());
        for (const v of g.valueInfo!) {
          expect(v.type!.tensorType!.elemType, v.name!).toBeGreaterThan(0);
          expect(v.type!.tensorType!.shape, v.name!).toBeTruthy();
        }
        expect(g.valueInfo!.some((v) => v.type!.tensorType!.shape!.dim!.some((d) => d.dimParam === 'N'))).toBe(true);
        for (const v of [...g.input!, ...g.output!]) expect(v.docString, v.name!).toMatch(/graphs\/[\w-]+\.ts:\d+/);
        const path = join(dir, `${file}.${mode}.onnx`);
        writeFileSync(path, bytes);
        await ort.InferenceSession.create(path);
        if (!hasOnnx) return;
        const r = JSON.parse(python(COMPARE, [path])) as { bad: unknown[]; compared: number };
        expect(r.bad).toEqual([]);
        expect(r.compared).toBeGreaterThanOrEqual(computed.length - 2);
      });
});
