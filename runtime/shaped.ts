/**
 * Training a model specialised on its input's shape (`BuiltModel.specialized`: an ONNX model whose shapes
 * are computed from its dynamic batch's size). Each shape of the input fed (the minibatch, the last,
 * shorter one, the held-out rows, the whole training set, a prediction) runs the model built and compiled
 * for that shape, compiled as the first was, and all of them read and write one `ParamStore`: one set of
 * parameters and of optimizer state, by name, as PyTorch trains one module on batches of any size.
 */
import type { Graph } from '../compiler/ir/graph.ts';
import type { Node } from '../compiler/ir/node.ts';
import { GraphError } from '../compiler/ir/errors.ts';
import { compileModel, type CompiledModel } from '../compiler/passes/compile.ts';
import { Executable, type ParamStore, type Runner, type TensorValue } from './executable.ts';
import { Trainer } from './trainer.ts';

/** How many other shapes each holder keeps (compiled models, trainers, executables) before dropping the oldest. */
const MAX_SHAPES = 16;

type Feeds = Readonly<Record<string, TensorValue>>;

/** A bounded cache: the value for a key, made at its first use; the oldest dropped (and `drop` called) past MAX_SHAPES. */
function cached<T>(map: Map<string, T>, key: string, make: () => T, drop?: (v: T) => void): T {
  let v = map.get(key);
  if (v === undefined) {
    v = make();
    if (map.size >= MAX_SHAPES) {
      const [oldKey, old] = map.entries().next().value!;
      map.delete(oldKey);
      drop?.(old);
    }
    map.set(key, v);
  }
  return v;
}

/** A leaf as the parameter check shows it: `name [shape]`. */
const leafText = (n: Node) => `${String(n.attrs.name)} [${n.shape.join(', ')}]`;

/** The compiled model for each shape of the specialised input: the first as given, the others compiled at their first use. */
export class Shapes {
  readonly input: string;
  private readonly firstKey: string;
  private readonly compiled = new Map<string, CompiledModel>();

  constructor(readonly first: CompiledModel) {
    const s = first.model.specialized;
    if (!s) throw new GraphError(`model ${first.model.name} is not specialised on its input's shape`);
    this.input = s.input;
    this.firstKey = s.shape.join('x');
  }

  /** The key of the input's shape in these feeds, or null for the first's shape. */
  keyOf(feeds: Feeds): string | null {
    const v = feeds[this.input];
    if (!v) throw new GraphError(`no value given for input '${this.input}'`);
    const key = v.shape.join('x');
    return key === this.firstKey ? null : key;
  }

  /** The model compiled for the input's shape in these feeds; its parameters must be the first's (names and shapes). */
  compiledFor(feeds: Feeds): CompiledModel {
    const key = this.keyOf(feeds);
    if (key === null) return this.first;
    return cached(this.compiled, key, () => {
      const shape = feeds[this.input].shape;
      const c = compileModel(this.first.model.specialized!.on(shape), this.first.options);
      const want = this.first.trainStep.params.map(leafText).sort(), got = c.trainStep.params.map(leafText).sort();
      const diff = want.filter((p) => !got.includes(p)).concat(got.filter((p) => !want.includes(p)));
      if (diff.length) throw new GraphError(`model ${this.first.model.name} for input '${this.input}' [${shape.join(', ')}] has other parameters than for [${this.first.model.specialized!.shape.join(', ')}]: ${diff.join(', ')}`);
      return c;
    });
  }
}

/** A trainer whose steps on a batch of another shape than the first's run that shape's train step, over the same parameters. */
export class ShapedTrainer extends Trainer {
  private readonly others = new Map<string, Trainer>();

  constructor(
    private readonly shapes: Shapes,
    params: ParamStore,
  ) {
    super(shapes.first.trainStep, params);
  }

  /** The trainer for the batch's shape, or null for the first's (this one's own steps). */
  private other(batch: Feeds): Trainer | null {
    const key = this.shapes.keyOf(batch);
    return key === null ? null : cached(this.others, key, () => new Trainer(this.shapes.compiledFor(batch).trainStep, this.params), (t) => t.dispose());
  }

  override prepare(batch: Feeds): void {
    const t = this.other(batch);
    if (t) t.prepare(batch);
    else super.prepare(batch);
  }

  override run(batch: Feeds): number {
    const t = this.other(batch);
    return t ? t.run(batch) : super.run(batch);
  }

  override update(batch: Feeds): void {
    const t = this.other(batch);
    if (t) t.update(batch);
    else super.update(batch);
  }

  override updateTimes(batch: Feeds, times: number): void {
    const t = this.other(batch);
    if (t) t.updateTimes(batch, times);
    else super.updateTimes(batch, times);
  }

  override cycles(batch: Feeds, cycles: number, quiet: number): Float32Array | null {
    const t = this.other(batch);
    return t ? t.cycles(batch, cycles, quiet) : super.cycles(batch, cycles, quiet);
  }

  override dispose(): void {
    for (const t of this.others.values()) t.dispose();
    this.others.clear();
    super.dispose();
  }
}

/** One of a specialised model's graphs (its inference or metrics), run on each shape's own compilation over the same parameters. */
export class ShapedExecutable implements Runner {
  private readonly byShape = new Map<string, Executable>();

  constructor(
    private readonly shapes: Shapes,
    private readonly graphOf: (c: CompiledModel) => Graph,
    private readonly params: ParamStore,
  ) {}

  private exe(inputs: Feeds): Executable {
    return cached(this.byShape, this.shapes.keyOf(inputs) ?? '', () => new Executable(this.graphOf(this.shapes.compiledFor(inputs)), this.params), (e) => e.dispose());
  }

  value(inputs: Feeds, output: string): Float32Array {
    return this.exe(inputs).value(inputs, output);
  }

  outputs(inputs: Feeds): Record<string, TensorValue> {
    return this.exe(inputs).outputs(inputs);
  }

  dispose(): void {
    for (const e of this.byShape.values()) e.dispose();
    this.byShape.clear();
  }
}
