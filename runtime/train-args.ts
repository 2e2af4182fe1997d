/**
 * The package's `train` and `predict` arguments, checked as they arrive from JavaScript (where the types do
 * not stop a wrong one): each refused with a TypeError naming the function and the parameter, before a
 * property of `undefined` is read somewhere deep inside or a string turns into a NaN cost.
 */
import { isModel } from '../compiler/dsl/model.ts';
import type { TrainOptions } from './train.ts';

/** train()'s option names: a name outside them (a typo such as `epoch`) would be ignored silently. */
const TRAIN_OPTIONS = ['data', 'source', 'epochs', 'lr', 'logEvery', 'logAccuracy', 'batchSize', 'shuffle', 'holdout', 'optimizer', 'seed', 'options', 'optimize', 'fuse', 'onLog', 'onEpoch', 'costEveryEpoch', 'threads'] as const satisfies readonly (keyof TrainOptions)[];
// every option of TrainOptions is listed (this fails to compile when one is added there and not here)
const listed: Record<Exclude<keyof TrainOptions, (typeof TRAIN_OPTIONS)[number]>, never> = {};
void listed;

/** Levenshtein distance, for "did you mean" (names are short). */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length];
}

/** An option name train() does not know, refused with the nearest known one where one is near. */
function checkOptionNames(o: Record<string, unknown>): void {
  for (const k of Object.keys(o)) {
    if ((TRAIN_OPTIONS as readonly string[]).includes(k)) continue;
    const near = TRAIN_OPTIONS.map((n) => [n, distance(k.toLowerCase(), n.toLowerCase())] as const).sort((a, b) => a[1] - b[1])[0];
    const hint = near[1] <= 2 ? ` (did you mean '${near[0]}'?)` : '';
    throw new TypeError(`train: unknown option '${k}'${hint}; the options are ${TRAIN_OPTIONS.join(', ')}`);
  }
}

/** A value as an argument error shows it: strings quoted, objects by their kind. */
export function shownArg(v: unknown): string {
  if (typeof v === 'string') return `'${v.length > 60 ? v.slice(0, 60) + '…' : v}'`;
  if (v === null || v === undefined || typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (typeof v === 'function') return 'a function';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? `an object (${v.constructor?.name ?? 'no prototype'})` : typeof v;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A built model (a `BuiltModel`: `attachLoss`'s result, or `model.build()`), by its forward graph. */
const isBuilt = (v: unknown): boolean => isObject(v) && isObject(v.forward) && Array.isArray(v.forward.outputs);

export function checkTrainArgs(model: unknown, o: unknown): void {
  if (!isModel(model) && !isBuilt(model)) {
    const hint = typeof model === 'string' ? ' (import the model file and pass its default export)' : '';
    throw new TypeError(`train: model must be a defineModel({...}) or a built model (attachLoss(await importOnnx(bytes), 'bce')), got ${shownArg(model)}${hint}`);
  }
  if (!isObject(o)) throw new TypeError(`train: options must be an object, got ${shownArg(o)}`);
  checkOptionNames(o);
  const d = o.data;
  if (d !== undefined && typeof d !== 'string' && !isObject(d)) throw new TypeError(`train: data must be CSV text, { x, y } or a Dataset, got ${shownArg(d)}`);
  // one line, no comma and not a number: no CSV of x and y columns, but a file's name (as PyTorch users pass one)
  if (typeof d === 'string' && !/[,\r\n]/.test(d) && d.trim() !== '' && Number.isNaN(Number(d))) {
    throw new TypeError(`train: data is CSV text, and '${d}' is a file's name: read the file first (in Node, readFileSync(name, 'utf8'))`);
  }
  for (const k of ['onLog', 'onEpoch'] as const) {
    if (o[k] !== undefined && typeof o[k] !== 'function') throw new TypeError(`train: ${k} must be a function, got ${shownArg(o[k])}`);
  }
  const v = o.options;
  if (v !== undefined && !(isObject(v) && Object.values(v).every((s) => typeof s === 'string'))) {
    throw new TypeError(`train: options.options must be an object of strings (the model's variants, e.g. { loss: 'bce' }), got ${shownArg(v)}`);
  }
}

export function checkPredictArgs(input: unknown): void {
  if (!isObject(input)) throw new TypeError(`predict: input must be { x } (rows of numbers, or numbers with shape), got ${shownArg(input)}`);
  const x = input.x;
  if (!Array.isArray(x) && !(ArrayBuffer.isView(x) && !(x instanceof DataView))) {
    throw new TypeError(`predict: input.x must be an array (rows of numbers, or numbers) or a typed array, got ${shownArg(x)}`);
  }
}
