/**
 * An executable graph: plans it for the shapes of the inputs it is given (a plan per distinct input
 * shapes, kept) and runs it. Parameters come from a `ParamStore`; inputs are fed per run.
 */
import type { Graph } from '../compiler/ir/graph.ts';
import type { Node } from '../compiler/ir/node.ts';
import { GraphError } from '../compiler/ir/errors.ts';
import { Plan, type Copy, type PlanOptions, type TensorValue } from './plan.ts';
import { allocate, heap } from './kernels/heap.ts';

/** Parameter values by name, initialized from the graph's initializers. */
export class ParamStore {
  readonly values = new Map<string, Float32Array>();
  readonly shapes = new Map<string, readonly number[]>();
  constructor(params: readonly Node[]) {
    for (const p of params) {
      const name = String(p.attrs.name);
      // in the runtime's heap, so that kernels use parameters in place; freed with the store
      const init = p.attrs.init as Float32Array;
      // (not cleared first: the initial values overwrite it whole)
      const v = allocate(init.length, this, false);
      v.set(init);
      this.values.set(name, v);
      this.shapes.set(name, p.shape as number[]);
    }
  }
  get(name: string): Float32Array {
    const v = this.values.get(name);
    if (!v) throw new Error(`no parameter '${name}'`);
    return v;
  }

  /**
   * Frees the values' memory in the heap now, for the next allocations (as `Plan.dispose`); the store
   * and its values must not be used after.
   */
  dispose(): void {
    const h = heap();
    if (h) for (const v of this.values.values()) if (h.owns(v)) h.free(v);
    this.values.clear();
  }
}

/** What runs a graph's outputs for inputs: an `Executable`, or one per input shape (runtime/shaped.ts). */
export interface Runner {
  /** Runs; the named output's buffer (valid until the next run). */
  value(inputs: Readonly<Record<string, TensorValue>>, output: string): Float32Array;
  /** Runs and copies out the outputs by name. */
  outputs(inputs: Readonly<Record<string, TensorValue>>): Record<string, TensorValue>;
  dispose(): void;
}

export class Executable implements Runner {
  private plan: Plan | null = null;
  private disposed = false;
  private readonly inputNodes: readonly Node[];
  /** Leaf buffers in the plan's order, and where each input and parameter goes in it. */
  private leafBufs: Float32Array[] = [];
  private inputIndex: number[] = [];
  private paramIndex: number[] = [];
  private readonly lastShapes: number[][];
  private readonly plans = new Map<string, { plan: Plan; leafBufs: Float32Array[]; inputIndex: number[]; paramIndex: number[] }>();
  private readonly inputNames: string[];
  private readonly paramNames: string[];

  /** `options`: how its plans are made (a trainer's: its updates written in place, `PlanOptions.updates`). */
  constructor(
    readonly graph: Graph,
    readonly params: ParamStore,
    private readonly options: PlanOptions = {},
  ) {
    this.inputNodes = graph.inputs;
    this.inputNames = this.inputNodes.map((n) => String(n.attrs.name));
    this.paramNames = graph.params.map((p) => String(p.attrs.name));
    this.lastShapes = this.inputNodes.map(() => []);
  }

  /**
   * Plans for the shapes of these inputs (if not planned yet) and places them, without running; with
   * `copies`, prepares `runTimes` with them too.
   */
  prepare(inputs: Readonly<Record<string, TensorValue>>, copies?: readonly Copy[]): void {
    const bufs = this.leaves(inputs);
    this.plan!.place(bufs);
    if (copies) this.plan!.placeTimes(bufs, copies);
  }

  /** Runs with the given inputs; returns the plan, whose `value(node)` reads the results. */
  run(inputs: Readonly<Record<string, TensorValue>>): Plan {
    const bufs = this.leaves(inputs);
    this.plan!.runWith(bufs);
    return this.plan!;
  }

  /**
   * Runs `times` times with the given inputs, copying after each run `copies` (see `Plan.runTimes`) as
   * one WebAssembly call; returns false, having run nothing, where the plan cannot.
   */
  runTimes(inputs: Readonly<Record<string, TensorValue>>, times: number, copies: readonly Copy[]): boolean {
    const bufs = this.leaves(inputs);
    return this.plan!.runTimes(bufs, times, copies);
  }

  /** The plan for these inputs, with them placed (`Plan.place`). */
  placed(inputs: Readonly<Record<string, TensorValue>>): Plan {
    const bufs = this.leaves(inputs);
    this.plan!.place(bufs);
    return this.plan!;
  }

  /** Selects the plan for the inputs' shapes; returns the leaves' buffers in its order. */
  private leaves(inputs: Readonly<Record<string, TensorValue>>): Float32Array[] {
    this.select(inputs);
    const bufs = this.leafBufs;
    for (let i = 0; i < this.inputNames.length; i++) bufs[this.inputIndex[i]] = inputs[this.inputNames[i]].data;
    // parameter buffers: read each run, in case the store replaced one
    for (let i = 0; i < this.paramNames.length; i++) bufs[this.paramIndex[i]] = this.params.get(this.paramNames[i]);
    return bufs;
  }

  /** Makes the plan for the inputs' shapes current (made, or found among those kept). */
  private select(inputs: Readonly<Record<string, TensorValue>>): void {
    let changed = this.plan === null;
    for (let i = 0; i < this.inputNames.length; i++) {
      const name = this.inputNames[i];
      const v = inputs[name];
      if (!v) throw new GraphError(`no value given for input '${name}'`, this.inputNodes[i].src);
      const prev = this.lastShapes[i];
      if (prev.length !== v.shape.length) changed = true;
      else for (let k = 0; k < prev.length; k++) if (prev[k] !== v.shape[k]) changed = true;
    }
    if (changed) this.switchPlan(inputs);
  }

  /**
   * Makes the plan for new input shapes current. (Apart from `select`, which runs on every call, so that
   * V8 optimizes the small per-call check alone: with this inside it, that optimization came late and
   * paused the calls of a new executable, as seen at W5 batch 1.)
   */
  private switchPlan(inputs: Readonly<Record<string, TensorValue>>): void {
    if (this.disposed) throw new Error('an executable was used after its dispose()');
    // plans are kept per input shapes (a minibatch loop alternates between full and last batches)
    const key = this.inputNames.map((n) => inputs[n].shape.join('x')).join(',');
    let entry = this.plans.get(key);
    if (!entry) {
      const plan = new Plan(this.graph, new Map(this.inputNames.map((n) => [n, inputs[n].shape])), this.options);
      const order = plan.leafNames;
      entry = { plan, leafBufs: order.map(() => EMPTY), inputIndex: this.inputNames.map((n) => order.indexOf(n)), paramIndex: this.paramNames.map((n) => order.indexOf(n)) };
      if (this.plans.size >= 8) this.plans.delete(this.plans.keys().next().value!);
      this.plans.set(key, entry);
    }
    ({ plan: this.plan, leafBufs: this.leafBufs, inputIndex: this.inputIndex, paramIndex: this.paramIndex } = entry);
    this.inputNames.forEach((n, i) => (this.lastShapes[i] = [...inputs[n].shape]));
  }

  /**
   * Frees the memory of every plan made (`Plan.dispose`); the executable refuses to run after, with new
   * input shapes as with the old (no plan is current, and `switchPlan` makes none).
   */
  dispose(): void {
    for (const e of this.plans.values()) e.plan.dispose();
    this.plans.clear();
    this.plan = null;
    this.disposed = true;
  }

  /** Runs; the named output's buffer in the plan (valid until the next run). */
  value(inputs: Readonly<Record<string, TensorValue>>, output: string): Float32Array {
    return this.run(inputs).buffer(this.graph.output(output));
  }

  /** Runs and copies out the named outputs. */
  outputs(inputs: Readonly<Record<string, TensorValue>>): Record<string, TensorValue> {
    const plan = this.run(inputs);
    return Object.fromEntries(this.graph.outputs.map((o) => {
      const v = plan.value(o.node);
      return [o.name, { data: Float32Array.from(v.data), shape: [...v.shape] }];
    }));
  }
}

const EMPTY = new Float32Array(0);

export type { TensorValue };
