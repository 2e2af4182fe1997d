/**
 * Training: runs the train-step graph and writes each `next:<param>` output back into the parameter
 * store. After the first step (which plans), a step allocates nothing.
 */
import type { Graph } from '../compiler/ir/graph.ts';
import type { Node } from '../compiler/ir/node.ts';
import { nextName } from '../compiler/train/step.ts';
import { Executable, ParamStore, type TensorValue } from './executable.ts';

export class Trainer {
  readonly exe: Executable;
  private readonly updates: { param: Float32Array; next: Node }[];
  private readonly lossNode: Node;
  private readonly accNode: Node | null;
  private lastAcc = NaN;

  constructor(
    readonly step: Graph,
    readonly params: ParamStore,
  ) {
    this.exe = new Executable(step, params);
    this.lossNode = step.output('loss');
    this.accNode = step.has('accuracy') ? step.output('accuracy') : null;
    this.updates = [...params.values].map(([name, param]) => ({ param, next: step.output(nextName(name)) }));
  }

  /** One training step on a batch; returns the loss computed before the update (PyTorch's order). */
  run(batch: Readonly<Record<string, TensorValue>>): number {
    const plan = this.exe.run(batch);
    for (let i = 0; i < this.updates.length; i++) {
      const u = this.updates[i];
      u.param.set(plan.buffer(u.next));
    }
    if (this.accNode) this.lastAcc = plan.buffer(this.accNode)[0];
    return plan.buffer(this.lossNode)[0];
  }

  /** Accuracy of the predictions of the last step's forward pass (NaN without an accuracy output). */
  get accuracy(): number {
    return this.lastAcc;
  }
}
