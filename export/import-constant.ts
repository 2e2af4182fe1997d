/**
 * What the importer reads itself rather than through an op's import rule: Constant's value, in each of its
 * attribute forms, and which graph inputs an operand needed at import could be specialised on.
 */
import type { Node } from '../compiler/ir/node.ts';
import { toInteger, DataType, AttrType as AT, type GraphProto } from './proto.ts';
import { fail, floats, ints, bools, dimsOf, inexactAt, inexactRefusal, MAX_ELEMENTS } from './import-tensor.ts';
import { NeedsValuesError, type IntConst } from '../compiler/ops/op.ts';
import * as B from '../compiler/ir/build.ts';
import { shownName } from './import-error.ts';
import { isIntegerType } from '../compiler/ops/int-types.ts';

/**
 * Constant's schema versions, whose forms `constantValue` reads: `value` (a tensor) from 1, `sparse_value`
 * from 11 (refused), the scalar and list forms from 12 (`value_float(s)`, `value_int(s)`; the string forms
 * are refused). The versions after 12 widen the tensor's types only.
 */
export const CONSTANT_SINCE: readonly number[] = [1, 9, 11, 12, 13, 19, 21, 23, 24, 25];

/** A Constant node's value: float32 numbers, integers (int64, int32 or a small integer type, folded at import as int64), or bools (0 and 1). */
export function constantValue(n: NonNullable<GraphProto['node']>[number], opset: number, where: string): { values: number[]; dims: number[]; integer: boolean; bool?: boolean } {
  const attrs = n.attribute ?? [];
  if (attrs.length !== 1) fail(`${where}: ${attrs.length === 0 ? 'no value attribute' : `${attrs.length} attributes (ONNX's Constant takes exactly one value)`}`);
  const a = attrs[0];
  const name = a.name ?? '';
  const since = name === 'value' ? 1 : name === 'sparse_value' ? 11 : 12;
  const known = ['value', 'sparse_value', 'value_float', 'value_floats', 'value_int', 'value_ints', 'value_string', 'value_strings'];
  if (!known.includes(name)) fail(`${where}: attribute '${name}' not supported`);
  if (opset < since) fail(`${where}: attribute '${name}' is Constant's from opset ${since}`);
  const type = name === 'value' ? AT.TENSOR : name === 'value_float' ? AT.FLOAT : name === 'value_floats' ? AT.FLOATS : name === 'value_int' ? AT.INT : name === 'value_ints' ? AT.INTS : null;
  if (type === null) fail(`${where}: attribute '${name}' not supported (${name === 'sparse_value' ? 'sparse tensors' : 'string tensors'}: graphc computes in float32, int64 and bool)`);
  const typeName = (t: number | null | undefined) => Object.entries(AT).find(([, v]) => v === (t ?? 0))?.[0] ?? String(t);
  if (a.type !== type) fail(`${where}: attribute '${name}' has type ${typeName(a.type)}, expected ${typeName(type)}`);
  const what = `${where} attribute '${name}'`;
  const list = (count: number) => {
    if (count > MAX_ELEMENTS) fail(`${what}: ${count} values, more than graphc accepts (${MAX_ELEMENTS})`);
  };
  switch (name) {
    case 'value':
      return tensorValue(a.t ?? fail(`${what}: no tensor`), where);
    case 'value_float':
      return { values: [Math.fround(a.f ?? 0)], dims: [], integer: false };
    case 'value_floats':
      list(a.floats?.length ?? 0);
      return { values: (a.floats ?? []).map((v: number) => Math.fround(v)), dims: [a.floats?.length ?? 0], integer: false };
    case 'value_int':
      return { values: [toInteger(a.i as number)], dims: [], integer: true };
    default:
      list(a.ints?.length ?? 0);
      return { values: (a.ints ?? []).map((v: unknown) => toInteger(v as number)), dims: [a.ints?.length ?? 0], integer: true };
  }
}

/**
 * A tensor's values as the importer holds them (a Constant's, ConstantOfShape's value): integers of any
 * integer type, bools as 0s and 1s (`bool`), else float32 (float64 narrowed); `what` names it in refusals.
 */
export function tensorValue(t: import('onnx-proto').onnx.ITensorProto, what: string): { values: number[]; dims: number[]; integer: boolean; bool?: boolean } {
  if (isIntegerType(t.dataType)) return { values: ints(t, what), dims: dimsOf(t), integer: true };
  const { dims, data } = t.dataType === DataType.BOOL ? bools(t, what) : floats(t, what);
  return { values: Array.from(data), dims, integer: false, ...(t.dataType === DataType.BOOL ? { bool: true } : {}) };
}

/** The most elements a graph input the model is specialised on may hold: a scalar or a shape vector. */
export const MAX_SPECIALIZED_ELEMENTS = 64;

/**
 * The graph inputs `x` is computed from, when the model can be specialised on them: `values`, by name, the
 * inputs whose values it reads, each small (static, up to MAX_SPECIALIZED_ELEMENTS elements); `shapes`,
 * the inputs whose symbolic dims it reads (a `SizeOf` of an input: ONNX's Shape and Size of a symbolic
 * shape); nothing else it reads is an initializer (a parameter, which is not folded) or another tensor.
 * Undefined otherwise, or when it reads neither.
 */
export function specializable(x: Node): { values: string[]; shapes: string[] } | undefined {
  const values = new Set<string>();
  const shapes = new Set<string>();
  const seen = new Set<Node>();
  const stack = [x];
  while (stack.length) {
    const m = stack.pop()!;
    if (seen.has(m)) continue;
    seen.add(m);
    if (m.op === 'Param') return undefined;
    if (m.op === 'SizeOf' && m.inputs[0].op === 'Input' && !m.inputs[0].shape.every((d) => typeof d === 'number')) {
      // a size read off a graph input's shape: only its shape matters, not its values
      shapes.add(String(m.inputs[0].attrs.name));
      continue;
    }
    if (m.op === 'Input') {
      const s = m.shape;
      if (!s.every((d) => typeof d === 'number') || (s as number[]).reduce((p, d) => p * d, 1) > MAX_SPECIALIZED_ELEMENTS) return undefined;
      values.add(String(m.attrs.name));
    }
    stack.push(...m.inputs);
  }
  return values.size || shapes.size ? { values: [...values].sort(), shapes: [...shapes].sort() } : undefined;
}

const quoted = (names: readonly string[]) => names.map((n) => `'${shownName(n)}'`).join(', ');

/**
 * The refusal an operand needed at import raises when it comes from graph inputs the model can be
 * specialised on (`specializable`'s): OnnxSession catches it and imports the model bound to what is fed.
 */
export function needsValues(what: string, k: number, from: { values: readonly string[]; shapes: readonly string[] }): NeedsValuesError {
  const { values, shapes } = from;
  const s = (n: readonly string[], one: string, many: string) => (n.length > 1 ? many : one);
  if (shapes.length === 0) return new NeedsValuesError(`${what}; input ${k} comes from graph input${s(values, '', 's')} ${quoted(values)}, known at run time: graphc specialises the model on ${s(values, 'its value', 'their values')} (graphc run and OnnxSession, once per value; importOnnx's bind option)`, values);
  const on = [values.length ? `the value${s(values, '', 's')} of graph input${s(values, '', 's')} ${quoted(values)}` : '', `the shape${s(shapes, '', 's')} of graph input${s(shapes, '', 's')} ${quoted(shapes)}`].filter(Boolean).join(' and ');
  const options = values.length ? "importOnnx's bind and shapes options" : "importOnnx's shapes option";
  return new NeedsValuesError(`${what}; input ${k} is computed from ${on} (symbolic dims, read by Shape or Size), known at run time: graphc specialises the model on ${s([...values, ...shapes], 'it', 'them')} (graphc run and OnnxSession, once per distinct ${values.length ? 'value and shape' : 'shape'}; ${options})`, values, shapes);
}

/** An int64 tensor known at import that the graph outputs: a constant (symbolic values cannot be). */
export function intOutput(v: IntConst | undefined, name: string): Node {
  if (!v) return fail(`output '${name}' is not computed by the graph`);
  if (!v.values.every((d) => typeof d === 'number')) return fail(`output '${name}' holds symbolic dims [${v.values.join(', ')}]`);
  const wide = inexactAt(v.values);
  if (wide >= 0) fail(inexactRefusal(`output '${name}'`, v.values[wide] as number));
  return B.mk('Const', [], { value: Float32Array.from(v.values as number[]), shape: [...v.dims], dtype: 'i64' });
}
