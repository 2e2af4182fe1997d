/**
 * The plan: a graph compiled for concrete input shapes. Planning resolves every symbolic dim from the
 * inputs, gives every node an output buffer, and prepares each kernel once; running it then only calls
 * the prepared kernels in order, reading and writing those buffers: nothing is allocated per run.
 */
import type { Graph } from '../compiler/ir/graph.ts';
import type { Node } from '../compiler/ir/node.ts';
import type { Kernel } from '../compiler/ir/op.ts';
import { getOp } from '../compiler/ir/registry.ts';
import { bindShape, resolveShape, sizeOf } from '../compiler/ir/shape.ts';
import { GraphError } from '../compiler/ir/errors.ts';

export interface TensorValue {
  readonly data: Float32Array;
  readonly shape: readonly number[];
}

interface Step {
  readonly kernel: Kernel;
  readonly ins: Float32Array[];
  readonly inSlots: Int32Array;
  readonly out: Float32Array;
}

export class Plan {
  readonly shapes = new Map<Node, number[]>();
  /** Buffer of each node (leaves: set per run). */
  private readonly slots: Float32Array[];
  private readonly slotOf = new Map<Node, number>();
  private readonly steps: Step[] = [];
  private readonly leafSlots: { node: Node; slot: number; key: string }[] = [];
  readonly env = new Map<string, number>();
  /** Bytes of the buffers this plan owns. */
  readonly bytes: number;

  /**
   * `precision: 'f64'` runs the same kernels on Float64Array buffers (a float64 reference for gradient
   * checks; kernels are written against the array interface, so they work on either).
   */
  constructor(
    readonly graph: Graph,
    leafShapes: ReadonlyMap<string, readonly number[]>,
    readonly precision: 'f32' | 'f64' = 'f32',
  ) {
    const Buf = (precision === 'f64' ? Float64Array : Float32Array) as unknown as Float32ArrayConstructor;
    for (const n of graph.nodes) {
      if (n.op === 'Input') {
        const name = String(n.attrs.name);
        const s = leafShapes.get(name);
        if (!s) throw new GraphError(`no value given for input '${name}'`, n.src);
        bindShape(n.shape, s, this.env, `input '${name}'`);
      }
    }
    this.slots = [];
    let bytes = 0;
    for (const n of graph.nodes) {
      const shape = resolveShape(n.shape, this.env);
      this.shapes.set(n, shape);
      const slot = this.slots.length;
      this.slotOf.set(n, slot);
      const def = getOp(n.op);
      if (n.op === 'Input' || n.op === 'Param') {
        this.slots.push(EMPTY);
        this.leafSlots.push({ node: n, slot, key: String(n.attrs.name) });
        continue;
      }
      if (n.op === 'Const') {
        this.slots.push(precision === 'f64' ? (Float64Array.from(n.attrs.value as Float32Array) as unknown as Float32Array) : (n.attrs.value as Float32Array));
        continue;
      }
      const out = new Buf(sizeOf(shape));
      bytes += out.byteLength;
      this.slots.push(out);
      const inShapes = n.inputs.map((i) => this.shapes.get(i)!);
      const kernel = def.kernel!({ node: n, inShapes, outShape: shape, attrs: n.attrs });
      this.steps.push({ kernel, ins: new Array(n.inputs.length), inSlots: Int32Array.from(n.inputs.map((i) => this.slotOf.get(i)!)), out });
    }
    this.bytes = bytes;
  }

  /** Runs the plan; `leaves` gives the buffer of every input and parameter by name. */
  run(leaves: ReadonlyMap<string, Float32Array>): void {
    const slots = this.slots;
    for (let i = 0; i < this.leafSlots.length; i++) {
      const l = this.leafSlots[i];
      const buf = leaves.get(l.key);
      if (buf === undefined) throw new GraphError(`no value given for '${l.key}'`, l.node.src);
      slots[l.slot] = buf;
    }
    const steps = this.steps;
    for (let s = 0; s < steps.length; s++) {
      const st = steps[s];
      const ins = st.ins;
      for (let j = 0; j < ins.length; j++) ins[j] = slots[st.inSlots[j]];
      st.kernel(ins, st.out);
    }
  }

  /** The buffer of a node after `run`, without copying (it is overwritten by the next run). */
  buffer(n: Node): Float32Array {
    const slot = this.slotOf.get(n);
    if (slot === undefined) throw new Error(`node ${n} is not in this plan`);
    return this.slots[slot];
  }

  /** The buffer holding a node's value after `run` (shared: copy it to keep it). */
  value(n: Node): TensorValue {
    const slot = this.slotOf.get(n);
    if (slot === undefined) throw new Error(`node ${n} is not in this plan`);
    return { data: this.slots[slot], shape: this.shapes.get(n)! };
  }
}

const EMPTY = new Float32Array(0);
