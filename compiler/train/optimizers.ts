/**
 * Optimizers as graph nodes inside the train step, with PyTorch 1.13's exact update rules. Optimizer
 * state (momentum buffers, Adam's moments, the step count) are parameters of the step graph, initialized
 * to zero and carried from step to step like the model's parameters (`next:<state>` outputs).
 *
 * SGD (torch.optim.SGD): d = g + wd·p; with momentum μ: buf = d on the first step, else
 *   buf = μ·buf + (1 - dampening)·d; d = d + μ·buf (Nesterov) or d = buf; p = p - lr·d.
 * Adam (torch.optim.Adam, amsgrad off): t = t + 1; g = g + wd·p; m = β1·m + (1 - β1)·g;
 *   v = β2·v + (1 - β2)·g²; p = p - (lr / (1 - β1^t)) · m / (√v / √(1 - β2^t) + ε).
 * AdamW: p = p·(1 - lr·wd) first, then Adam without weight decay in the gradient.
 *
 * The learning rate is a leaf of the step, the scalar parameter `optimizer.lr` (initialized to `lr`, with
 * no `next:` output): the runtime writes it before a step, as a PyTorch scheduler writes an optimizer's
 * `param_groups[0]['lr']`, so a schedule needs no recompiling and every rate gives the same graph.
 */
import type { Node } from '../ir/node.ts';
import * as B from '../ir/build.ts';
import { atSource, ownSources, type SourcePos } from '../ir/source.ts';
import { GraphError } from '../ir/errors.ts';

// nodes built here are built for the caller: their position is the caller's
ownSources(import.meta.url);

export type OptimizerConfig =
  | { readonly kind?: 'sgd'; readonly lr: number; readonly momentum?: number; readonly dampening?: number; readonly nesterov?: boolean; readonly weightDecay?: number }
  | { readonly kind: 'adam' | 'adamw'; readonly lr: number; readonly betas?: readonly [number, number]; readonly eps?: number; readonly weightDecay?: number };

/** The options of each optimizer (its rate is the training's `lr`, not one of them). */
const OPTIONS = { sgd: ['kind', 'momentum', 'dampening', 'nesterov', 'weightDecay'], adam: ['kind', 'betas', 'eps', 'weightDecay'], adamw: ['kind', 'betas', 'eps', 'weightDecay'] } as const;

/**
 * Refuses an optimizer torch.optim would refuse, and one the types would have (from JavaScript): a kind
 * graphc lacks, an option the kind does not take (`weight_decay`, PyTorch's spelling, would otherwise be
 * dropped and train without it), or a value out of range (a negative momentum, a β of 1 or more,
 * Nesterov without momentum), each of which trained silently wrong. `spec` is without the rate.
 */
export function checkOptimizer(spec: unknown, src?: SourcePos): void {
  if (spec === undefined) return;
  const bad = (why: string): GraphError => new GraphError(`optimizer: ${why}`, src);
  const shown = (v: unknown) => (typeof v === 'string' ? `'${v}' (a string)` : Array.isArray(v) ? `[${v.join(', ')}]` : String(v));
  if (typeof spec !== 'object' || spec === null) throw bad(`must be an object such as { kind: 'adam' }, got ${shown(spec)}`);
  const o = spec as Record<string, unknown>;
  const kind = o.kind ?? 'sgd';
  if (kind !== 'sgd' && kind !== 'adam' && kind !== 'adamw') throw bad(`kind must be 'sgd', 'adam' or 'adamw', got ${typeof kind === 'string' ? `'${kind}'` : shown(kind)}`);
  const known: readonly string[] = OPTIONS[kind];
  for (const k of Object.keys(o)) {
    if (known.includes(k)) continue;
    if (k === 'lr') throw bad("lr is the training's rate, not the optimizer's: give it as lr beside optimizer (train(model, { lr }), or the model's train.lr)");
    const near = known.find((n) => n.toLowerCase() === k.replace(/_/g, '').toLowerCase());
    throw bad(`${kind} has no option '${k}'${near ? ` (did you mean '${near}'?)` : ''}; its options are ${known.join(', ')}`);
  }
  const atLeast0 = (k: string) => {
    const v = o[k];
    if (v !== undefined && !(typeof v === 'number' && v >= 0 && Number.isFinite(v))) throw bad(`${kind} ${k} must be a number 0 or more, got ${shown(v)}`);
  };
  atLeast0('weightDecay');
  if (kind === 'sgd') {
    atLeast0('momentum');
    if (o.dampening !== undefined && !(typeof o.dampening === 'number' && Number.isFinite(o.dampening))) throw bad(`sgd dampening must be a number, got ${shown(o.dampening)}`);
    if (o.nesterov !== undefined && typeof o.nesterov !== 'boolean') throw bad(`sgd nesterov must be true or false, got ${shown(o.nesterov)}`);
    const momentum = (o.momentum as number | undefined) ?? 0, dampening = (o.dampening as number | undefined) ?? 0;
    if (o.nesterov && (momentum <= 0 || dampening !== 0)) throw bad(`Nesterov momentum needs a momentum above 0 and no dampening, got momentum ${momentum}, dampening ${dampening}`);
  } else {
    atLeast0('eps');
    const b = o.betas;
    if (b !== undefined && !(Array.isArray(b) && b.length === 2 && b.every((v) => typeof v === 'number' && v >= 0 && v < 1))) throw bad(`${kind} betas must be two numbers in [0, 1), got ${shown(b)}`);
  }
}

/** The name of the step's learning-rate leaf. */
export const LR_NAME = 'optimizer.lr';

export interface Update {
  /** The parameter or state leaf (a Param node). */
  readonly leaf: Node;
  /** Its value after the step. */
  readonly next: Node;
}

const state = (name: string, like: Node): Node => B.mk('Param', [], { name, shape: [...like.shape] as number[], init: new Float32Array(like.shape.reduce((p: number, d) => p * (d as number), 1)) });

/**
 * Adam's bias correction 1 − β^t, accurate in float32 where 1 − e^(t·ln β) is not: for β2 = 0.999 the
 * first steps' 1 − β2^t is about 0.001, and float32's e^x near 1 leaves it about 3e-5 off (PyTorch computes
 * it in double), which a network with batch normalization amplifies over epochs. As −expm1(x), x = t·ln β,
 * written e^x − 1 = 2·tanh(x/2) / (1 − tanh(x/2)): no cancellation.
 */
function biasCorrection(t: Node, beta: number): Node {
  const th = B.tanh(B.mul(t, Math.log(beta) / 2));
  return B.div(B.mul(th, -2), B.sub(1, th));
}

/** The updates of `params` given their gradients; the optimizer's own leaves are placed at `src` (the loss's). */
export function optimizerUpdates(params: readonly Node[], grads: readonly Node[], cfg: OptimizerConfig, src?: SourcePos): Update[] {
  const updates: Update[] = [];
  const kind = cfg.kind ?? 'sgd';
  const needsStep = kind !== 'sgd' || ((cfg as { dampening?: number }).dampening ?? 0) !== 0;
  const { step, lr } = atSource(src, () => ({
    step: needsStep ? B.mk('Param', [], { name: 'optimizer.step', shape: [], init: new Float32Array(1) }) : null,
    lr: B.mk('Param', [], { name: LR_NAME, shape: [], init: Float32Array.of(cfg.lr) }),
  }));
  if (step) updates.push({ leaf: step, next: atSource(src, () => B.add(step, 1)) });
  params.forEach((p, i) => {
    const name = String(p.attrs.name);
    atSource(p.src, () => {
      let g = grads[i];
      if (cfg.kind === 'adam' || cfg.kind === 'adamw') {
        const [b1, b2] = cfg.betas ?? [0.9, 0.999];
        const eps = cfg.eps ?? 1e-8;
        const wd = cfg.weightDecay ?? 0;
        let base = p;
        if (wd && cfg.kind === 'adam') g = B.add(g, B.mul(p, wd));
        if (wd && cfg.kind === 'adamw') base = B.mul(p, B.sub(1, B.mul(lr, wd)));
        const m = state(`${name}.exp_avg`, p);
        const v = state(`${name}.exp_avg_sq`, p);
        const m2 = B.add(B.mul(m, b1), B.mul(g, 1 - b1));
        const v2 = B.add(B.mul(v, b2), B.mul(B.mul(g, g), 1 - b2));
        const t = B.add(step!, 1);
        const bc1 = biasCorrection(t, b1);
        const bc2 = biasCorrection(t, b2);
        const denom = B.add(B.div(B.sqrt(v2), B.sqrt(bc2)), eps);
        updates.push({ leaf: m, next: m2 }, { leaf: v, next: v2 });
        updates.push({ leaf: p, next: B.sub(base, B.mul(B.div(lr, bc1), B.div(m2, denom))) });
        return;
      }
      const c = cfg as Extract<OptimizerConfig, { kind?: 'sgd' }>;
      if (c.weightDecay) g = B.add(g, B.mul(p, c.weightDecay));
      const mu = c.momentum ?? 0;
      if (mu) {
        const damp = c.dampening ?? 0;
        const buf = state(`${name}.momentum_buffer`, p);
        let buf2 = B.add(B.mul(buf, mu), damp ? B.mul(g, 1 - damp) : g);
        if (damp) {
          const first = B.cast(B.mk('Equal', [step!, B.scalar(0)]), 'f32');
          buf2 = B.add(B.mul(first, g), B.mul(B.sub(1, first), buf2));
        }
        updates.push({ leaf: buf, next: buf2 });
        g = c.nesterov ? B.add(g, B.mul(buf2, mu)) : buf2;
      }
      updates.push({ leaf: p, next: B.sub(p, B.mul(g, lr)) });
    });
  });
  return updates;
}
