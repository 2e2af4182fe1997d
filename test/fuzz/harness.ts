/**
 * One fuzz case: the bytes are imported; a model that imports is planned and run on small inputs (each
 * symbolic dimension bound to 0, 1 or 3) and exported again. Every failure must be one of graphc's own
 * errors, one line. Anything else (a TypeError, a RangeError from a library, a stack overflow) is an
 * escape: the suite fails on it, as it does on a case slower than its time limit.
 */
import { importOnnx, OnnxImportError, exportGraph } from '../../export/index.ts';
import { GraphError } from '../../compiler/ir/errors.ts';
import { ShapeError } from '../../compiler/ir/shape.ts';
import { Plan } from '../../runtime/plan.ts';
import { MemoryLimitError } from '../../runtime/kernels/heap.ts';

export type Outcome = 'refused' | 'graph-error' | 'run-error' | 'memory' | 'ran' | 'large' | 'escaped' | 'slow';

export interface CaseResult {
  readonly outcome: Outcome;
  readonly message?: string;
  readonly ms: number;
}

const ours = (e: unknown) => e instanceof OnnxImportError || e instanceof GraphError || e instanceof ShapeError || e instanceof MemoryLimitError;

export interface CaseOptions {
  /** The value of every symbolic dimension. */
  readonly bind?: number;
  /** A case taking longer is 'slow' (a failure). */
  readonly slowMs?: number;
  /** Models whose values (all nodes, in elements) exceed this are imported and exported, not planned. */
  readonly planLimit?: number;
}

export function runCase(bytes: Uint8Array, { bind = 3, slowMs = 5000, planLimit = 1 << 24 }: CaseOptions = {}): CaseResult {
  const t0 = performance.now();
  const done = (outcome: Outcome, e?: unknown): CaseResult => {
    const ms = performance.now() - t0;
    const message = e === undefined ? undefined : e instanceof Error ? e.message : String(e);
    if (outcome !== 'escaped' && message !== undefined && message.includes('\n')) return { outcome: 'escaped', message: `multi-line: ${message}`, ms };
    if (outcome !== 'escaped' && ms > slowMs) return { outcome: 'slow', message: `${ms.toFixed(0)} ms`, ms };
    return { outcome, message: outcome === 'escaped' && e instanceof Error ? e.stack : message, ms };
  };
  let m;
  try {
    m = importOnnx(bytes);
  } catch (e) {
    return done(e instanceof OnnxImportError ? 'refused' : 'escaped', e);
  }
  let stage = 'graph-error' as Outcome;
  try {
    const shapes = new Map<string, number[]>();
    const leaves = new Map<string, Float32Array>();
    for (const n of m.inputs) {
      const s = n.shape.map((d) => (typeof d === 'number' ? d : bind));
      const size = s.reduce((a, b) => a * b, 1);
      shapes.set(String(n.attrs.name), s);
      const data = new Float32Array(size > planLimit ? 0 : size);
      for (let i = 0; i < data.length; i++) data[i] = Math.sin(i * 12.9898) * 2;
      leaves.set(String(n.attrs.name), data);
    }
    for (const p of m.params) leaves.set(String(p.attrs.name), p.attrs.init as Float32Array);
    exportGraph(m.graph, { mode: 'inference', name: m.name });
    let values = 0;
    for (const n of m.graph.nodes) values += n.shape.reduce<number>((a, d) => a * (typeof d === 'number' ? d : bind), 1);
    if (values > planLimit) return done('large');
    const plan = new Plan(m.graph, shapes);
    stage = 'run-error';
    plan.run(leaves);
    for (const o of m.graph.outputs) plan.value(o.node);
  } catch (e) {
    if (e instanceof MemoryLimitError) return done('memory', e);
    return done(ours(e) ? stage : 'escaped', e);
  }
  return done('ran');
}
