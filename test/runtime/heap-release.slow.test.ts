/**
 * Heap regions are returned when their owners are collected: plans and parameter stores made and dropped
 * in a loop do not grow the heap without bound. Run in a child process with --expose-gc, so the test can
 * collect garbage and let the finalizers run.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const script = `
import '${root}compiler/ops/index.ts';
import { heap } from '${root}runtime/kernels/heap.ts';
import { Plan } from '${root}runtime/plan.ts';
import { ParamStore } from '${root}runtime/executable.ts';
import { trainStepGraph } from '${root}compiler/train/step.ts';
import mlp from '${root}graphs/mlp-w4.ts';
const h = heap();
const settle = async () => { for (let i = 0; i < 3; i++) { globalThis.gc(); await new Promise((r) => setTimeout(r, 20)); } };
const once = () => {
  const step = trainStepGraph(mlp.build(), { lr: 0.05 });
  const plan = new Plan(step, new Map([['x', [128, 784]], ['y', [128]]]));
  const params = new ParamStore(step.params);
  plan.run(new Map([['x', new Float32Array(128 * 784)], ['y', new Float32Array(128)], ...params.values]));
  return plan.memory.arenaBytes + 4 * [...params.values.values()].reduce((a, v) => a + v.length, 0);
};
let perRound = 0;
for (let i = 0; i < 5; i++) perRound = once();
await settle();
const before = h.usedBytes;
for (let i = 0; i < 60; i++) { once(); if (i % 10 === 9) await settle(); }
await settle();
const after = h.usedBytes;
// a region freed by hand whose offset is handed out again, then its first owner collected: the new region stays
let first = {};
const a = h.alloc(1000, first);
h.free(a);
const keep = {};
const b = h.alloc(1000, keep);
first = null;
await settle();
const c = h.alloc(1000, keep);
console.log(JSON.stringify({ before, after, perRound, size: h.sizeBytes, reused: a.byteOffset === b.byteOffset, kept: c.byteOffset !== b.byteOffset }));
`;

describe('heap regions are freed with their owners', () => {
  it('60 plans and parameter stores made and dropped leave the heap where it was', () => {
    const r = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', '--conditions=graphc-source', '--input-type=module', '-e', script], { cwd: root, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const { before, after, perRound, reused, kept } = JSON.parse(r.stdout.trim().split('\n').pop()!);
    // each round holds ~3.5 MB (arena, input copies, parameters); without freeing, 60 rounds would add ~200 MB
    expect(perRound).toBeGreaterThan(2e6);
    expect(after - before).toBeLessThan(10 * perRound);
    // Heap.free then the owner's collection frees nothing more
    expect(reused).toBe(true);
    expect(kept).toBe(true);
  });
});
