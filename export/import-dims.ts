/**
 * Graph inputs' dims as the file declares them (a `dim_param` is a symbolic dim by its name, an unset dim
 * one named `<input>_<axis>`), and symbolic dims bound to sizes (`ImportOptions.shapes`): the model
 * specialised on the shapes of inputs whose symbolic dims an operand needed at import reads (Shape, Size),
 * or whose symbolic dims an op needs as numbers (`SymbolicDimError`: a sequence unrolled, an extent).
 */
import { isStatic, type Dim } from '../compiler/ir/shape.ts';
import type { Node } from '../compiler/ir/node.ts';
import * as B from '../compiler/ir/build.ts';
import type { SourcePos } from '../compiler/ir/source.ts';
import { shownName } from './import-error.ts';
import { toNumber, type ModelProto } from './proto.ts';
import { fail, MAX_RANK } from './import-tensor.ts';
import { intConst, NeedsValuesError, UnsupportedError, type IntConst, type SymbolicDimError } from '../compiler/ops/op.ts';

type GraphProto = NonNullable<ModelProto['graph']>;
export type ValueInfo = NonNullable<GraphProto['input']>[number];
type TensorShape = NonNullable<NonNullable<NonNullable<ValueInfo['type']>['tensorType']>['shape']>;

/** A graph input's declared dims: numbers, and symbolic dims by name (bound ones replaced by their sizes). */
export function declaredDims(name: string, shape: TensorShape, bound: ReadonlyMap<string, number> = new Map()): Dim[] {
  const raw = shape.dim ?? [];
  if (raw.length > MAX_RANK) fail(`input '${name}': rank ${raw.length} is more than ${MAX_RANK}`);
  return raw.map((d, k) => {
    if (d.dimParam) return bound.get(d.dimParam) ?? d.dimParam;
    if (d.dimValue === null || d.dimValue === undefined) return bound.get(`${name}_${k}`) ?? `${name}_${k}`;
    const v = toNumber(d.dimValue as number, `input '${name}': dimension ${k}`);
    if (v < 0) fail(`input '${name}': dimension ${v} is negative`);
    return v;
  });
}

/**
 * The sizes of the symbolic dims the shapes given for graph inputs bind (each input's dims, by name): every
 * input carrying one of those dims has its size. Refused in one line: an input the graph does not have (or
 * whose value is an initializer), a shape of another rank, a static dim of another size, a symbolic dim
 * given two sizes.
 */
export function boundDims(g: GraphProto, shapes: ReadonlyMap<string, readonly number[]> | undefined, inits: ReadonlySet<string>): Map<string, number> {
  const bound = new Map<string, number>();
  for (const [name, dims] of shapes ?? []) {
    const vi = (g.input ?? []).find((i) => i.name === name && !inits.has(name));
    const shape = vi?.type?.tensorType?.shape ?? fail(`a shape is bound to '${name}', which is no graph input with a declared shape`);
    const declared = declaredDims(name, shape);
    const shown = `the shape bound [${dims.join(', ')}]`;
    if (dims.length !== declared.length) fail(`input '${name}': ${shown} has rank ${dims.length}, the input's ${declared.length} ([${declared.join(', ')}])`);
    dims.forEach((d, k) => {
      if (!Number.isSafeInteger(d) || d < 0) fail(`input '${name}': ${shown} holds ${d}, not a size`);
      const want = declared[k];
      if (typeof want === 'number') {
        if (want !== d) fail(`input '${name}': ${shown} has ${d} at axis ${k}, where the input's is ${want}`);
      } else if ((bound.get(want) ?? d) !== d) fail(`input '${name}': ${shown} gives the dim '${want}' the size ${d}, another input's shape ${bound.get(want)}`);
      else bound.set(want as string, d);
    });
  }
  return bound;
}

/** Whether bound dims match declared ones (null: a dim the file leaves open; a symbolic dim takes any size). */
export const sameDims = (a: readonly number[], b: readonly (Dim | null)[]): boolean => a.length === b.length && a.every((d, i) => b[i] === null || typeof b[i] === 'string' || b[i] === d);

/** A graph input's declared dims as a bound value must match them: null where the file leaves a dim open or symbolic. */
export const declaredSizes = (shape: TensorShape | null | undefined): (number | null)[] | undefined =>
  shape?.dim?.map((d) => (d.dimValue === null || d.dimValue === undefined || d.dimParam ? null : toNumber(d.dimValue as number)));

/**
 * The value bound to integer graph input `name` (`ImportOptions.bind`, or `intInputs`, whose bare list is
 * a vector of any length): its count must fill its dims, and its dims match the input's declared ones.
 */
export function boundInts(name: string, b: readonly number[] | { readonly values: readonly number[]; readonly dims: readonly number[] }, shape: TensorShape | null | undefined): IntConst {
  if (Array.isArray(b)) return intConst(b as readonly number[]);
  const { values, dims } = b as { readonly values: readonly number[]; readonly dims: readonly number[] };
  if (dims.reduce((p, d) => p * d, 1) !== values.length) fail(`input '${name}': the value bound holds ${values.length} numbers for dims [${dims.join(', ')}]`);
  const declared = declaredSizes(shape);
  if (declared && !sameDims(dims, declared)) fail(`input '${name}': the value bound has dims [${dims.join(', ')}], the input's are [${declared.map((d) => d ?? '?').join(', ')}]`);
  return intConst(values, dims);
}

/**
 * An integer or bool graph input `vi` with an initializer (`stored`, its dims), no value bound for it: ONNX
 * makes the initializer its default, which a value fed replaces, and graphc holds integers and bools known at
 * import as constants (shapes, axes, masks...), so the stored value holds in this import and the input is
 * listed in `readDefaults`: a value fed for it imports the model again bound to it (OnnxSession), as a float
 * default read at import does. The node returned names the input (of its declared dims, else the
 * initializer's) for those who feed it (`ImportedModel.defaults`); the graph does not read it.
 */
export function constDefault(name: string, vi: ValueInfo, stored: readonly number[], dtype: 'i64' | 'bool', bound: ReadonlyMap<string, number>, readDefaults: Map<string, string>, at: (where: string) => SourcePos): Node {
  const declared = vi.type?.tensorType?.shape;
  const shape = declared?.dim ? declaredDims(name, declared, bound) : stored;
  readDefaults.set(name, `${dtype === 'bool' ? 'a bool' : 'an integer'} graph input with a default (an initializer), a constant at import: a value fed for it imports the model again, bound to it`);
  return B.mk('Input', [], { name, shape: shape as number[], dtype }, at(`input '${shownName(name)}'`));
}

/** A bool default's value bound (`given`): 0s and 1s of the initializer's dims (`stored`), a constant. */
export function boundBools(name: string, given: { readonly values: readonly number[]; readonly dims: readonly number[] }, stored: readonly number[]): Float32Array {
  if (!sameDims(given.dims, stored)) fail(`input '${name}': the value bound has dims [${given.dims.join(', ')}], the initializer [${stored.join(', ')}]`);
  const bad = given.values.findIndex((v) => v !== 0 && v !== 1);
  if (bad >= 0) fail(`input '${name}' (bool): value ${bad} is ${given.values[bad]}, not 0 or 1`);
  return Float32Array.from(given.values);
}

/** A node computing symbolic dim `d`'s size at run time: the size of the first graph input carrying it. */
export function dimSizeNode(inputs: readonly Node[], d: string): Node | undefined {
  for (const x of inputs) {
    const axis = x.shape.indexOf(d);
    if (axis >= 0) return B.mk('SizeOf', [x], { axes: [axis] });
  }
  return undefined;
}

/**
 * An op that needs numbers where its operands have symbolic dims (`e`): NeedsValuesError naming the graph
 * inputs with symbolic dims those operands are computed from (the model is then specialised on their
 * shapes, every symbolic dim bound), or the refusal as it is where no graph input carries one.
 */
export function needsShapes(e: SymbolicDimError, operands: readonly (Node | undefined)[], graphInputs: readonly Node[]): UnsupportedError {
  const carriers = new Set<string>();
  const seen = new Set<Node>();
  const stack = operands.filter((n): n is Node => !!n);
  while (stack.length) {
    const m = stack.pop()!;
    if (seen.has(m)) continue;
    seen.add(m);
    if (m.op === 'Input' && !isStatic(m.shape) && graphInputs.includes(m)) carriers.add(String(m.attrs.name));
    stack.push(...m.inputs);
  }
  // a dim given by an operand folded at import (a Reshape's target) names its carriers directly
  const dims = e.dims.filter((d) => typeof d === 'string');
  for (const d of dims) for (const x of graphInputs) if (x.shape.includes(d)) carriers.add(String(x.attrs.name));
  // a dim computed from others (H' after a window, C*4, T+2) read off a shape: the inputs carrying those
  const from = (d: Dim, x: Node) => x.shape.some((s) => typeof s === 'string' && String(d).includes(s));
  if (carriers.size === 0) for (const d of dims) for (const x of graphInputs) if (from(d, x)) carriers.add(String(x.attrs.name));
  const names = [...carriers].sort();
  if (names.length === 0) return new UnsupportedError(`${e.message} (no graph input's shape gives it)`);
  const many = names.length > 1;
  const shown = names.map((n) => `'${shownName(n)}'`).join(', ');
  return new NeedsValuesError(`${e.message}; it comes from the shape${many ? 's' : ''} of graph input${many ? 's' : ''} ${shown}, known at run time: graphc specialises the model on ${many ? 'them' : 'it'} (graphc run and OnnxSession, once per distinct shape; importOnnx's shapes option)`, [], names);
}
