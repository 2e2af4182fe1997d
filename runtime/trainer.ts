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

  constructor(
    readonly step: Graph,
    readonly params: ParamStore,
  ) {
    this.exe = new Executable(step, params);
    this.lossNode = step.output('loss');
    this.updates = [...params.values].map(([name, param]) => ({ param, next: step.output(nextName(name)) }));
  }

  /** One training step on a batch; returns the loss computed before the update (PyTorch's order). */
  run(batch: Readonly<Record<string, TensorValue>>): number {
    const plan = this.exe.run(batch);
    for (let i = 0; i < this.updates.length; i++) {
      const u = this.updates[i];
      u.param.set(plan.buffer(u.next));
    }
    return plan.buffer(this.lossNode)[0];
  }
}
