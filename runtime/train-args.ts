/**
 * The package's `train` and `predict` arguments, checked as they arrive from JavaScript (where the types do
 * not stop a wrong one): each refused with a TypeError naming the function and the parameter, before a
 * property of `undefined` is read somewhere deep inside or a string turns into a NaN cost.
 */
import { isModel } from '../compiler/dsl/model.ts';

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
  const d = o.data;
  if (d !== undefined && typeof d !== 'string' && !isObject(d)) throw new TypeError(`train: data must be CSV text, { x, y } or a Dataset, got ${shownArg(d)}`);
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
