/** The fuzzer's seed models: graphc's own exports of graphs/*.ts (inference and training step) and PyTorch's (seeds/*.onnx). */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { compileModel } from '../../compiler/passes/index.ts';
import { exportModel } from '../../export/index.ts';
import type { Model } from '../../compiler/dsl/model.ts';
import { trainStepRefused } from '../support/train-export.ts';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

export interface Seed {
  readonly name: string;
  readonly bytes: Uint8Array;
}

export async function loadSeeds(): Promise<Seed[]> {
  const seeds: Seed[] = [];
  for (const f of readdirSync(here('../../graphs')).filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts')).sort()) {
    const def = (await import(here(`../../graphs/${f}`))).default as Model;
    const c = compileModel(def.build(), { lr: 0.1 });
    seeds.push({ name: `graphc ${f} inference`, bytes: exportModel(c, 'inference') });
    if (!trainStepRefused[f]) seeds.push({ name: `graphc ${f} train step`, bytes: exportModel(c, 'train') });
  }
  for (const f of readdirSync(here('seeds')).filter((f) => f.endsWith('.onnx')).sort())
    seeds.push({ name: `PyTorch ${f}`, bytes: new Uint8Array(readFileSync(here(`seeds/${f}`))) });
  return seeds;
}
