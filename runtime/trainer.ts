/**
 * Training: runs the train-step graph and writes each `next:<param>` output back into the parameter
 * store: its plans write an update straight into its parameter's buffer where that is safe
 * (`PlanOptions.updates`, in-place.ts), and the others are copied after the step. After the first step
 * of each kind (which plans), a step allocates nothing.
 *
 * A step whose loss nobody reads runs the same graph without its `loss` output (`update`): a graph holds
 * only what its outputs reach, so the loss's own work (the log terms of a cross-entropy, their sum) is
 * not in it, while everything the gradient needs is. The parameters it writes are the same, bit for bit
 * (the same kernels on the same values).
 */
import { Graph } from '../compiler/ir/graph.ts';
import type { Node } from '../compiler/ir/node.ts';
import { nextName } from '../compiler/train/step.ts';
import { LR_NAME } from '../compiler/train/optimizers.ts';
import { GraphError } from '../compiler/ir/errors.ts';
import { Executable, ParamStore, type TensorValue } from './executable.ts';
import { sameMemory, type Copy, type Plan } from './plan.ts';
import { Sequence } from './kernels/wasm/sequence.ts';
import { heap } from './kernels/heap.ts';

interface Stepper {
  readonly exe: Executable;
  /** Each parameter's update: its `next:` output copied into the parameter after a step. */
  readonly copies: readonly Copy[];
  /** The plan of the last step and its placement count, and the buffers of its `next:` outputs in `copies` order. */
  plan: Plan | null;
  placements: number;
  nexts: Float32Array[];
  /** Whether each copy is needed: its value was not written in place, into the parameter itself. */
  copied: boolean[];
}

export class Trainer {
  readonly exe: Executable;
  private readonly withLoss: Stepper;
  private readonly quiet: Stepper;
  private readonly lossNode: Node;
  /** `cycles`' call, and the plans it was made for (with the loss, without it). */
  private cycle: { a: Plan; b: Plan; seq: Sequence | null } | null = null;
  private losses: Float32Array | null = null;
  /** The most cycles one call of `cycles` runs. */
  static readonly MAX_CYCLES = 256;
  /** The value of the step's learning-rate leaf (in the store, read in place by the plans), or null without one. */
  private readonly rate: Float32Array | null;

  constructor(
    readonly step: Graph,
    readonly params: ParamStore,
  ) {
    this.lossNode = step.output('loss');
    const updated = [...params.values].filter(([name]) => name !== LR_NAME);
    const updates = stepUpdates(step);
    const stepper = (g: Graph): Stepper => ({
      exe: new Executable(g, params, { updates }),
      copies: updated.map(([name, param]) => ({ from: g.output(nextName(name)), to: param })),
      plan: null,
      placements: -1,
      nexts: [],
      copied: [],
    });
    this.withLoss = stepper(step);
    this.exe = this.withLoss.exe;
    this.quiet = stepper(new Graph(step.outputs.filter((o) => o.name !== 'loss'), `${step.name}.update`));
    this.rate = step.params.some((p) => p.attrs.name === LR_NAME) ? params.get(LR_NAME) : null;
  }

  /** Whether the step reads its learning rate from a leaf (steps compiled by graphc do), so that `lr` can be set. */
  get hasRate(): boolean {
    return this.rate !== null;
  }

  /** The learning rate the next step uses (NaN for a step without a learning-rate leaf). */
  get lr(): number {
    return this.rate ? this.rate[0] : NaN;
  }

  /** Sets the learning rate of the next steps: the step's leaf is written, nothing is planned again. */
  set lr(value: number) {
    if (!this.rate) throw new GraphError(`train step ${this.step.name} has no learning-rate leaf ('${LR_NAME}'): its rate is fixed`);
    if (!Number.isFinite(value)) throw new GraphError(`learning rate must be a finite number, got ${value}`);
    this.rate[0] = value;
  }

  /**
   * Plans the step with the loss for a batch of these shapes, so that the first such step does not. The
   * step without the loss (and the cycles' call) is planned at its first use: a loop that computes the
   * cost on every step never runs it.
   */
  prepare(batch: Readonly<Record<string, TensorValue>>): void {
    this.withLoss.exe.prepare(batch);
  }

  /**
   * Full-batch training in cycles (the epochs after one logged epoch, up to the next): `cycles` times,
   * `quiet` steps without the loss, then a step computing it, all on the same batch, as one WebAssembly
   * call where both steps' plans are one call. Returns the cycles' losses (a view overwritten by the next
   * call), or null, having run nothing, where the plans cannot (the caller then runs the steps itself).
   * The parameters are those of the same steps one by one, bit for bit. At most `MAX_CYCLES` a call.
   */
  cycles(batch: Readonly<Record<string, TensorValue>>, cycles: number, quiet: number): Float32Array | null {
    if (cycles > Trainer.MAX_CYCLES) throw new Error(`Trainer.cycles: at most ${Trainer.MAX_CYCLES} cycles a call (${cycles} asked)`);
    const c = this.cycleFor(batch);
    if (c === null) return null;
    c.call(cycles, quiet);
    return this.losses!.subarray(0, cycles);
  }

  /** The call of `cycles` for this batch, its arguments written (made if the plans changed); null where there is none. */
  private cycleFor(batch: Readonly<Record<string, TensorValue>>): Sequence | null {
    const a = this.withLoss.exe.placed(batch), b = this.quiet.exe.placed(batch);
    const h = heap();
    if (!h) return null;
    let c = this.cycle;
    if (c === null || c.a !== a || c.b !== b) {
      this.losses ??= h.alloc(Trainer.MAX_CYCLES, this);
      const pa = a.program(this.withLoss.copies, { from: this.lossNode, to: this.losses });
      const pb = b.program(this.quiet.copies);
      const nA = pa ? pa.entries.length : 0;
      const seq = pa && pb ? Sequence.of(pa.entries, (i) => (i < nA ? pa.buffers(i) : pb.buffers(i - nA)), h, this, pb.entries) : null;
      c = this.cycle = { a, b, seq };
    }
    // (its arguments written again when either plan's leaves moved since: their counts only grow)
    return c.seq !== null && c.seq.ready(a.placements + b.placements) ? c.seq : null;
  }

  /**
   * Frees the memory of the trainer's plans now (`Plan.dispose`), for the next allocations; the trainer
   * must not be used after. The parameter store is the caller's (`ParamStore.dispose`).
   */
  dispose(): void {
    this.withLoss.exe.dispose();
    this.quiet.exe.dispose();
    if (this.losses) heap()?.free(this.losses);
    this.losses = null;
    this.cycle = null;
  }

  /** One training step on a batch; returns the loss computed before the update (PyTorch's order). */
  run(batch: Readonly<Record<string, TensorValue>>): number {
    const plan = stepOn(this.withLoss, batch);
    return plan.buffer(this.lossNode)[0];
  }

  /** One training step on a batch, without computing the loss. */
  update(batch: Readonly<Record<string, TensorValue>>): void {
    stepOn(this.quiet, batch);
  }

  /**
   * `times` training steps on the same batch without computing the loss (the epochs of a full-batch
   * loop between two that log the cost): one WebAssembly call where the step's plan is one, else one
   * step after another. The parameters are the same either way, bit for bit.
   */
  updateTimes(batch: Readonly<Record<string, TensorValue>>, times: number): void {
    if (times > 1 && this.quiet.exe.runTimes(batch, times, this.quiet.copies)) return;
    for (let i = 0; i < times; i++) stepOn(this.quiet, batch);
  }
}

/** A train step's updates as its trainer's plans take them (`PlanOptions.updates`): each `next:<leaf>` output, by the leaf's name. */
export function stepUpdates(step: Graph): Map<string, string> {
  return new Map([...step.params, ...step.inputs].map((n) => String(n.attrs.name)).filter((name) => step.has(nextName(name))).map((name) => [nextName(name), name]));
}

function stepOn(s: Stepper, batch: Readonly<Record<string, TensorValue>>): Plan {
  const plan = s.exe.run(batch);
  if (plan !== s.plan || plan.placements !== s.placements) {
    s.plan = plan;
    s.placements = plan.placements;
    s.nexts = s.copies.map((c) => plan.buffer(c.from));
    s.copied = s.copies.map((c, i) => !sameMemory(c.to, s.nexts[i]));
  }
  for (let i = 0; i < s.copies.length; i++) if (s.copied[i]) s.copies[i].to.set(s.nexts[i]);
  return plan;
}
