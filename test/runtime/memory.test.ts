/** Memory planning: buffers share one arena by liveness, without changing any result. */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import diabetes from '../../graphs/diabetes.ts';
import toy from '../../graphs/toy.ts';
import { trainStepGraph } from '../../compiler/train/step.ts';
import { Plan } from '../../runtime/plan.ts';
import { feedsFor } from '../../runtime/fit.ts';
import { parseCsv } from '../../runtime/data.ts';

const data = parseCsv(readFileSync(fileURLToPath(toy.spec.data as URL), 'utf8'));

describe('arena planning', () => {
  for (const model of [toy, diabetes]) {
    it(`${model.spec.name}: train step, shared arena gives the same outputs as separate buffers`, () => {
      const m = model.build();
      const step = trainStepGraph(m, { lr: 1 });
      const rows = 6;
      const features = Number(m.forward.inputs.find((n) => n.attrs.name === 'x')!.shape[1]);
      const d = model === toy ? data : { x: Float32Array.from({ length: rows * features }, (_, i) => Math.sin(i)), y: Float32Array.from({ length: rows }, (_, i) => i % 2), rows, features };
      const feeds = feedsFor(m.forward, d);
      const leaves = new Map<string, Float32Array>([['x', feeds.x.data], ['y', feeds.y.data]]);
      for (const p of step.params) leaves.set(String(p.attrs.name), Float32Array.from(p.attrs.init as Float32Array, (v, i) => v + 0.1 * (i + 1)));
      const shapes = new Map([['x', feeds.x.shape], ['y', feeds.y.shape]]);
      const shared = new Plan(step, shapes);
      const separate = new Plan(step, shapes, { reuse: false });
      shared.run(leaves);
      separate.run(leaves);
      for (const o of step.outputs) expect(Array.from(shared.value(o.node).data)).toEqual(Array.from(separate.value(o.node).data));
      const mem = shared.memory;
      expect(mem.arenaBytes).toBeGreaterThanOrEqual(mem.livenessBound);
      expect(mem.arenaBytes).toBeLessThan(mem.unsharedBytes);
      expect(separate.memory.arenaBytes).toBe(mem.unsharedBytes);
    });
  }
});
