/**
 * Models: a TypeScript module under graphs/ default-exports `defineModel({...})`. Its `build` declares
 * inputs and parameters and returns the loss (and the prediction, and an accuracy where the model is a
 * classifier); graphc turns that into static graphs. Building runs the user's code once per build, with
 * the model's generator seeded, so parameter initial values are reproducible.
 */
import { Graph, type GraphOutput } from '../ir/graph.ts';
import * as B from '../ir/build.ts';
import { GraphError } from '../ir/errors.ts';
import { callerPos, posStr, type SourcePos } from '../ir/source.ts';
import { leafShapeProblem, type Dim, type Shape } from '../ir/shape.ts';
import { inLeafScope, type DType, type Node } from '../ir/node.ts';
import { TorchGenerator } from '../init/torch-random.ts';
import type { OptimizerConfig } from '../train/optimizers.ts';
import { wrap, type AnyTensor, type Mutable, type Tensor } from './tensor.ts';
import type { Initializer } from './init.ts';
import { withDropoutCount } from './vision.ts';

export interface TrainConfig {
  /** Epochs after the initial one: the seed runs epochs 0..epochs, i.e. epochs + 1 steps. */
  readonly epochs: number;
  readonly lr: number;
  /** Log every K epochs (and the last). */
  readonly logEvery: number;
  /** Print the accuracy with each logged epoch (otherwise once, after training). */
  readonly logAccuracy: boolean;
  /** The optimizer (default: plain SGD), with PyTorch's semantics; its learning rate is `lr`. */
  readonly optimizer?: OptimizerSpec;
  /** Minibatch size (default: the whole data set, one step per epoch). */
  readonly batchSize?: number;
  /** Visit the examples in a new order each epoch, as DataLoader(shuffle=True) after the model's seed. */
  readonly shuffle?: boolean;
  /** Hold out this fraction of the rows (the last ones) for evaluation: logged as `valAccuracy`. */
  readonly holdout?: number;
}

/** An optimizer without its learning rate (which is TrainConfig.lr). */
export type OptimizerSpec = DistributiveOmit<OptimizerConfig, 'lr'>;
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

export interface ModelOutputs {
  readonly loss: AnyTensor;
  /** What inference returns (the inference graph and the ONNX export end here). */
  readonly predict: AnyTensor;
  /** Classifier models: the fraction of correct predictions, as a scalar. */
  readonly accuracy?: AnyTensor;
}

export interface InlineData {
  readonly x: readonly (readonly number[])[];
  readonly y: readonly (readonly number[])[];
}

/** Data a model makes itself (synthetic sets): row-major features and targets. */
export interface GeneratedData {
  readonly x: Float32Array;
  readonly y: Float32Array;
  readonly rows: number;
  readonly features: number;
}

type Options = Record<string, readonly [string, ...string[]]>;
export type OptionValues<O extends Options> = { [K in keyof O]: O[K][number] };

export interface ModelSpec<O extends Options = Options> {
  readonly name: string;
  readonly description?: string;
  /** Built-in data: a CSV file (URL or path relative to the working directory) or inline rows. */
  readonly data?: URL | string | InlineData | (() => GeneratedData);
  /** Seed of the model's generator (PyTorch's `torch.manual_seed`), default 0. */
  readonly seed?: number;
  readonly train?: Partial<TrainConfig>;
  /** Named variants, first value the default, e.g. `{ loss: ['manual', 'bce'] }`. */
  readonly options?: O;
  build(opts: OptionValues<O>): ModelOutputs;
}

export interface Model<O extends Options = Options> {
  readonly kind: 'graphc-model';
  readonly spec: ModelSpec<O>;
  readonly train: TrainConfig;
  /** Builds the graphs; `opts` picks variants (defaults: the first of each option). */
  build(opts?: Partial<Record<string, string>>): BuiltModel;
}

export interface BuiltModel {
  readonly name: string;
  readonly description: string;
  /** Outputs: loss, predict, and accuracy when there is one. */
  readonly forward: Graph;
  readonly options: Readonly<Record<string, string>>;
  /** The model's generator after its parameters drew from it (what shuffling draws from next). */
  readonly generator?: TorchGenerator;
  /** Present where the graph holds one shape of its input, fixed at build: the same model for other shapes. */
  readonly specialized?: Specialized;
}

/**
 * A model built for one shape of its input (an ONNX model whose shapes are computed from its dynamic
 * batch's size: export/trainable.ts): `forward` takes `input` of exactly `shape`, and `on` builds the same
 * model for another shape, with the same parameters (names, shapes and initial values). Training runs each
 * batch's shape on its own build, all over one set of parameters (runtime/shaped.ts).
 */
export interface Specialized {
  readonly input: string;
  readonly shape: readonly number[];
  on(shape: readonly number[]): BuiltModel;
}

const defaultTrain: TrainConfig = { epochs: 100, lr: 0.1, logEvery: 10, logAccuracy: true };

export function defineModel<const O extends Options = {}>(spec: ModelSpec<O>): Model<O> {
  // (from JavaScript, where the types do not stop it: said here, not as "spec.build is not a function" at the first build)
  if (typeof spec !== 'object' || spec === null) throw new TypeError(`defineModel: spec must be an object { name, build, ... }, got ${String(spec)}`);
  if (typeof spec.name !== 'string' || spec.name === '') throw new TypeError(`defineModel: spec.name must be a non-empty string, got ${JSON.stringify(spec.name) ?? 'undefined'}`);
  if (typeof spec.build !== 'function') throw new TypeError(`defineModel: spec.build must be a function returning { loss, predict }, got ${typeof spec.build === 'undefined' ? 'undefined' : typeof spec.build}`);
  const train = { ...defaultTrain, ...spec.train };
  return {
    kind: 'graphc-model',
    spec,
    train,
    build(opts = {}) {
      const chosen: Record<string, string> = {};
      for (const [k, vals] of Object.entries(spec.options ?? {})) {
        const v = opts[k] ?? vals[0];
        if (!vals.includes(v)) throw new GraphError(`model ${spec.name}: option ${k} must be one of ${vals.join(', ')}, got '${v}'`);
        chosen[k] = v;
      }
      for (const k of Object.keys(opts)) if (!(k in (spec.options ?? {}))) throw new GraphError(`model ${spec.name} has no option '${k}'`);
      const gen = new TorchGenerator(spec.seed ?? 0);
      let last = gen;
      const out = inLeafScope(() =>
        withBuildContext(gen, spec.name, () => {
          const r = spec.build(chosen as OptionValues<O>);
          last = generator(); // manualSeed() inside build replaces the generator
          return r;
        }),
      );
      if (!out || !out.loss || !out.predict) throw new GraphError(`model ${spec.name}: build() must return { loss, predict }`);
      if (out.loss.shape.length !== 0) throw new GraphError(`model ${spec.name}: the loss must be a scalar, got [${out.loss.shape.join(', ')}]`, out.loss.node.src);
      const outputs: GraphOutput[] = [
        { name: 'loss', node: out.loss.node },
        { name: 'predict', node: out.predict.node },
      ];
      if (out.accuracy) outputs.push({ name: 'accuracy', node: out.accuracy.node });
      const forward = new Graph(outputs, spec.name);
      uniqueLeafNames(spec.name, forward);
      return { name: spec.name, description: spec.description ?? '', forward, options: chosen, generator: last };
    },
  };
}

/** Inputs and parameters are fed and saved by name: two different leaves with one name are refused. */
function uniqueLeafNames(model: string, g: Graph): void {
  const seen = new Map<string, Node>();
  for (const n of g.nodes) {
    if (n.op !== 'Param' && n.op !== 'Input') continue;
    const name = String(n.attrs.name);
    const first = seen.get(name);
    const what = (m: Node) => (m.op === 'Param' ? 'a parameter' : 'an input');
    if (first && first !== n) throw new GraphError(`model ${model}: ${what(n)} is named '${name}', as is ${what(first)} (${posStr(first.src)}); names must be unique`, n.src);
    seen.set(name, n);
  }
}

export function isModel(x: unknown): x is Model {
  return typeof x === 'object' && x !== null && (x as Model).kind === 'graphc-model';
}

// --- the build context: the generator that parameter initializers draw from, and the dropouts' count ---

let current: TorchGenerator | null = null;
/** The model being built and the parameters its build declared (see `declareParam`); null outside a build. */
let building: { readonly model: string; readonly params: Set<Node> } | null = null;

function withBuildContext<T>(gen: TorchGenerator, model: string, fn: () => T): T {
  const prev = current, prevBuilding = building;
  current = gen;
  building = { model, params: new Set() };
  try {
    return withDropoutCount(fn);
  } finally {
    current = prev;
    building = prevBuilding;
  }
}

/**
 * Records a parameter declaration (`param()`, a layer's constructor) in the model being built. Equal
 * leaves are one node within a build, so a second declaration alike (same name, shape and initial
 * values: a helper called twice, two BatchNorm layers of the default name) would return the first
 * parameter and tie the two in silence; it is refused, as two declarations that differ are. Sharing is
 * reusing the first declaration's tensor.
 */
export function declareParam(node: Node, src: SourcePos | undefined): Node {
  if (!building) return node;
  if (building.params.has(node)) {
    throw new GraphError(`model ${building.model}: parameter '${String(node.attrs.name)}' is declared twice (first at ${posStr(node.src)}): give each its own name, or reuse the first one's tensor to share it`, src);
  }
  building.params.add(node);
  return node;
}

/** A leaf is fed and saved by its name: a non-empty string (from JavaScript, where the types do not say it). */
function checkLeafName(fn: string, name: unknown): void {
  if (typeof name !== 'string' || name === '') throw new TypeError(`${fn}: name must be a non-empty string, got ${typeof name === 'string' ? "''" : String(name)}`);
}

/** Refuses a dimension no leaf can have (-3, 2.5; a symbol where `symbolic` is false), naming the leaf. */
export function checkLeafShape(what: string, shape: Shape, symbolic: boolean, src: SourcePos | undefined): void {
  const problem = leafShapeProblem(shape, symbolic);
  if (problem) throw new GraphError(`${what}: ${problem}`, src);
}

/** The generator of the model being built (a fresh seed-0 generator outside a build). */
export function generator(): TorchGenerator {
  return current ?? (current = new TorchGenerator(0));
}

/** Reseeds the model's generator, like `torch.manual_seed(seed)`. */
export function manualSeed(seed: number): void {
  current = new TorchGenerator(seed);
}

/** A graph input, fed with data at each run. Symbolic dims (strings) are bound by the data. */
export function input<const S extends readonly Dim[]>(name: string, shape: S, dtype: DType = 'f32'): Tensor<Mutable<S>> {
  const src = callerPos();
  checkLeafName('input', name);
  checkLeafShape(`input '${name}'`, shape, true, src);
  return wrap(B.mk('Input', [], { name, shape: [...shape] as number[], dtype }, src));
}

/** A trainable parameter with a static shape and its initializer. */
export function param<const S extends readonly number[]>(name: string, shape: S, init: Initializer): Tensor<Mutable<S>> {
  const src = callerPos();
  checkLeafName('param', name);
  if (typeof init !== 'function') throw new TypeError(`param: init must be an initializer such as zeros() or normal(), got ${typeof init === 'object' ? (init === null ? 'null' : 'an object') : String(init)}`);
  checkLeafShape(`parameter '${name}'`, shape, false, src);
  const value = init(generator(), shape);
  return wrap(declareParam(B.mk('Param', [], { name, shape: [...shape], init: value }, src), src));
}

export type { Shape };
