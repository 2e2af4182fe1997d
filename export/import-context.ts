/**
 * What an import rule is handed for one ONNX node (`OnnxImportCtx`): its operands, folded values and
 * attributes through typed readers that record what the rule read (anything the file gives that it did
 * not read is refused after it returns), read from a `Scope`, the tensors defined so far. An If's taken
 * branch is read in a scope of its own over its graph's (`import-if.ts`).
 */
import type { Node } from '../compiler/ir/node.ts';
import * as B from '../compiler/ir/build.ts';
import type { SourcePos } from '../compiler/ir/source.ts';
import { SymbolicDimError, UnsupportedError, intConst, type IntConst, type OnnxImportCtx } from '../compiler/ops/op.ts';
import { isIntegerType } from '../compiler/ops/int-types.ts';
import { onnx, DataType, toInteger, toNumber } from './proto.ts';
import { foldFloats, foldInts } from './import-fold.ts';
import { needsValues, specializable, tensorValue } from './import-constant.ts';
import { dimSizeNode } from './import-dims.ts';
import { shownName } from './import-error.ts';
import { fail, floats, ints, bools, dimsOf, inexactAt, inexactRefusal } from './import-tensor.ts';

type NodeProto = import('onnx-proto').onnx.INodeProto;
type TensorProto = import('onnx-proto').onnx.ITensorProto;
type AttributeProto = import('onnx-proto').onnx.IAttributeProto;

const AT = onnx.AttributeProto.AttributeType;
const attrTypeName = (t: number | null | undefined) => Object.entries(AT).find(([, v]) => v === (t ?? 0))?.[0] ?? String(t);

/** The tensors defined where a node is read (a graph's, or a branch's over its graph's), and the model's leaves. */
export interface Scope {
  readonly values: Map<string, Node>;
  readonly intValues: Map<string, IntConst>;
  /** Every tensor's ONNX element type, where known: results of uint8... kept in their type. */
  readonly elemTypes: Map<string, number>;
  readonly params: Node[];
  readonly graphInputs: readonly Node[];
  /** Initializers that are graph inputs too: defaults a run may replace. */
  readonly defaults: readonly Node[];
  /** Defaults read at import, each with the node that read it. */
  readonly readDefaults: Map<string, string>;
  readonly opset: number;
  /** A position in the file, for a node or leaf there. */
  readonly at: (where: string) => SourcePos;
}

/** One node's context, and `check`, which refuses the attributes and inputs its rule did not read. */
export function nodeContext(n: NodeProto, label: string, where: string, s: Scope): { ctx: OnnxImportCtx; attr: (name: string, type: number) => AttributeProto | undefined; check: () => void } {
  const names = n.input ?? [];
  const attrs = new Map((n.attribute ?? []).map((a) => [a.name ?? '', a]));
  const readAttrs = new Set<string>(), readInputs = new Set<number>();
  const attr = (name: string, type: number) => {
    readAttrs.add(name);
    const a = attrs.get(name);
    // the declared type is checked, absent (UNDEFINED) included: reading another field would give its default, 0
    if (a && a.type !== type) throw new UnsupportedError(`attribute '${name}' has type ${attrTypeName(a.type)}, expected ${attrTypeName(type)}`);
    return a;
  };
  // an int64 beyond ±2^53 is read as Slice's bounds only (`wide`); anywhere else refused
  const exact = <T extends readonly unknown[]>(values: T, what: string): T => {
    const i = inexactAt(values);
    if (i >= 0) throw new UnsupportedError(inexactRefusal(what, values[i] as number));
    return values;
  };
  const operand = (k: number) => `input ${k} ('${shownName(names[k] ?? '')}')`;
  const intValue = (k: number) => {
    const v = s.intValues.get(names[k] ?? '');
    return v && exact(v.values, operand(k)) && v;
  };
  const inputs = new Proxy(names.map((name) => (name ? s.values.get(name) : undefined)), {
    get(t, p, r) {
      if (typeof p === 'string' && /^\d+$/.test(p)) readInputs.add(Number(p));
      return Reflect.get(t, p, r);
    },
  });
  const known = (k: number, what: string, wide = false): number[] => {
    readInputs.add(k);
    const name = names[k] ?? '';
    const ic = wide ? s.intValues.get(name) : intValue(k);
    if (ic) {
      if (ic.values.every((d) => typeof d === 'number')) return ic.values as number[];
      // symbolic dims (Shape of a symbolic shape): the inputs carrying them, the model specialised on their shapes
      const carriers = ic.values.filter((d) => typeof d === 'string').map((d) => s.graphInputs.find((x) => x.shape.includes(d)));
      if (carriers.every(Boolean)) throw needsValues(what, k, { values: [], shapes: [...new Set(carriers.map((x) => String(x!.attrs.name)))].sort() });
      throw new SymbolicDimError(`${what}: input ${k} holds the symbolic dims [${ic.values.join(', ')}]`, ic.values);
    }
    const x = name ? s.values.get(name) : undefined;
    if (!x) throw new UnsupportedError(`${what}: input ${k} is missing`);
    if (x.op === 'Param' && x.attrs.init instanceof Float32Array) {
      // a graph input's default read as a value: a value fed for it specialises the model (OnnxSession)
      if (s.defaults.includes(x)) s.readDefaults.set(name, `${where}: ${what}; input ${k} is graph input '${shownName(name)}', its default (an initializer) read at import`);
      return Array.from(x.attrs.init);
    }
    const folded = x.dtype === 'i64' ? foldInts(x)?.values : foldFloats(x);
    if (folded && folded.every((d) => typeof d === 'number')) return folded as number[];
    const from = specializable(x);
    if (from) throw needsValues(what, k, from);
    throw new UnsupportedError(`${what}; input ${k} is computed at run time (graphc fixes shapes at import, and specialises a model only on small graph inputs, a scalar or a shape vector, computed with no initializer, and on the shapes of graph inputs, never on other tensors' values)`);
  };
  const ctx: OnnxImportCtx = {
    inputs,
    opset: s.opset,
    has: (k) => !!names[k],
    elemType: (k) => s.elemTypes.get(names[k] ?? ''),
    ints: (k) => {
      readInputs.add(k);
      const v = intValue(k);
      return v && v.values.every((d) => typeof d === 'number') ? (v.values as number[]) : undefined;
    },
    intConst: (k) => {
      readInputs.add(k);
      return intValue(k);
    },
    known,
    // folded integers, else a float tensor evaluated now where it is computed from constants alone
    folded: (k) => ctx.ints(k) ?? (inputs[k] ? foldFloats(inputs[k]) : undefined),
    // an initializer a run cannot replace is as constant as a Constant (a graph input's default is not)
    fixed: (k) => {
      const x = inputs[k];
      if (x?.op === 'Param' && x.attrs.init instanceof Float32Array) return s.defaults.includes(x) ? undefined : Array.from(x.attrs.init);
      return ctx.folded(k);
    },
    attrInt: (name, d) => { const a = attr(name, AT.INT); return a ? toNumber(a.i as number, `attribute '${name}'`) : d; },
    attrFloat: (name, d) => { const a = attr(name, AT.FLOAT); return a ? (a.f ?? 0) : d; },
    attrInts: (name, wide = false) => attr(name, AT.INTS)?.ints?.map((v) => (wide ? toInteger(v as number) : toNumber(v as number, `attribute '${name}'`))),
    attrFloats: (name) => attr(name, AT.FLOATS)?.floats?.map(Number),
    attrTensor: (name) => {
      const t = attr(name, AT.TENSOR)?.t;
      if (!t) return undefined;
      const v = tensorValue(t, `${where} attribute '${name}'`);
      return v.integer ? { ...v, values: exact(v.values, `attribute '${name}'`) } : v;
    },
    attrString: (name, d) => { const a = attr(name, AT.STRING); return a ? new TextDecoder().decode(a.s ?? new Uint8Array(0)) : d; },
    attrStrings: (name) => attr(name, AT.STRINGS)?.strings?.map((b) => new TextDecoder().decode(b)),
    outputs: (n.output ?? []).length, nodeName: label,
    dimSize: (d) => dimSizeNode(s.graphInputs, d),
  };
  const check = () => {
    const ignored = [...attrs.keys()].filter((a) => !readAttrs.has(a));
    if (ignored.length) throw new UnsupportedError(`attribute${ignored.length > 1 ? 's' : ''} ${ignored.map((a) => `'${a}'`).join(', ')} not supported`);
    const unread = names.flatMap((name, k) => (name && !readInputs.has(k) ? [`${k} ('${name}')`] : []));
    if (unread.length) throw new UnsupportedError(`input ${unread.join(', ')} not supported`);
  };
  return { ctx, attr, check };
}

/**
 * Initializer `t` defined in `s`: an integer tensor folded (an `IntConst`), a bool one a constant of 0s and
 * 1s (a mask or a condition, as graphc holds every bool; never a parameter), a float one a parameter.
 */
export function readInitializer(t: TensorProto, s: Scope, prefix = ''): void {
  const name = t.name || fail(`${prefix}an initializer has no name`);
  const what = `${prefix}initializer '${name}'`;
  if (isIntegerType(t.dataType)) {
    s.intValues.set(name, intConst(ints(t, what), dimsOf(t)));
    return;
  }
  const pos = s.at(`${prefix}initializer '${shownName(name)}'`);
  if (t.dataType === DataType.BOOL) {
    const { dims, data } = bools(t, what);
    s.values.set(name, B.mk('Const', [], { value: data, shape: dims, dtype: 'bool' }, pos));
    return;
  }
  const { dims, data } = floats(t, what);
  const p = B.mk('Param', [], { name, shape: dims, init: data }, pos);
  s.params.push(p);
  s.values.set(name, p);
}
