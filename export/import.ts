/**
 * ONNX import: a ModelProto becomes graphc IR (inputs, initializers as parameters, nodes through the
 * import table), so graphc's runtime runs it and graphc can train it. Files are not trusted: every size
 * a header claims is checked against the bytes present and the limits before anything is allocated
 * (import-tensor.ts), every tensor a node reads must be defined, and the graph must be acyclic. Each
 * refusal is one line saying what is wrong.
 */
import { Graph } from '../compiler/ir/graph.ts';
import { inLeafScope, type Node, type DType } from '../compiler/ir/node.ts';
import * as B from '../compiler/ir/build.ts';
import { isStatic, type Dim } from '../compiler/ir/shape.ts';
import { onnx, DataType, toNumber, ProtoIntegerError, type ModelProto, type AttributeProto } from './proto.ts';
import { NEWEST_OPSET, importerFor, supportedOps, UnsupportedError, type OpContext } from './import-ops.ts';
import { intConst, isIntConst, NeedsValuesError, SymbolicDimError, type IntConst, type OnnxValue } from '../compiler/ops/op.ts';
import { foldFloats, foldInts } from './import-fold.ts';
import { OnnxImportError, OnnxSpecializeError, shownName } from './import-error.ts';
import { constantValue, intOutput, needsValues, specializable, tensorValue } from './import-constant.ts';
import { boundDims, boundInts, declaredDims, declaredSizes, dimSizeNode, intDefault, needsShapes, sameDims } from './import-dims.ts';
import { atSource, ownSources, type SourcePos } from '../compiler/ir/source.ts';
import { nodeOrder } from './import-order.ts';
import { onnxTypeName } from '../compiler/ops/onnx-read.ts';
import { GraphError } from '../compiler/ir/errors.ts';
import { fail, floats, ints, bools, dimsOf, checkTotal, printable, recordedDefaults, MAX_NODES, MAX_RANK } from './import-tensor.ts';
import { float64Model, FLOAT64_NOTE } from './import-f64.ts';
import { isIntegerType } from '../compiler/ops/int-types.ts';
import { declaredTypes, settle, typeOutputs } from './import-int.ts';
import { decodeModel, withSource, type ImportedModel, type ImportOptions } from './import-model.ts';

export { MAX_ELEMENTS, MAX_NODES, MAX_RANK, MAX_TOTAL_ELEMENTS } from './import-tensor.ts';

// nodes built here are built for the caller: their position is the caller's
ownSources(import.meta.url);

const AT = onnx.AttributeProto.AttributeType;
const attrTypeName = (t: number | null | undefined) => Object.entries(AT).find(([, v]) => v === (t ?? 0))?.[0] ?? String(t);

export { OnnxImportError, OnnxSpecializeError };
export { decodeModel, type ImportedModel, type ImportOptions } from './import-model.ts';

/** The ONNX ops the importer reads itself, not through an import rule: Constant (its value folded at import). */
export const IMPORTER_OPS: readonly string[] = ['Constant'];

export function importOnnx(bytes: Uint8Array | ArrayBuffer, opts: ImportOptions = {}): ImportedModel {
  const model = decodeModel(bytes);
  try {
    const g = model.graph ?? fail('the model has no graph');
    const opset = toNumber((model.opsetImport ?? []).find((o) => !o.domain || o.domain === 'ai.onnx')?.version as number, 'the opset');
    if (!opset) fail('the model does not import the default ONNX opset');
    if (opset > NEWEST_OPSET) fail(`opset ${opset}: graphc imports opsets up to ${NEWEST_OPSET}`);
    const count = (g.node ?? []).length;
    if (count > MAX_NODES) fail(`the graph has ${count} nodes, more than graphc accepts (${MAX_NODES})`);
    checkTotal(g);
    // every node's position is in the file (the node it comes from), never graphc's own code or the caller's
    const at = (where: string): SourcePos => ({ file: opts.file ?? 'model.onnx', line: 0, col: 0, at: where });
    return withSource(inLeafScope(() => atSource(at('graph'), () => build(model, g, opset, opts, at))), bytes, opts);
  } catch (e) {
    // an int64 field read outside a node's rule (dims, integer data): the file is malformed
    if (e instanceof ProtoIntegerError) fail(e.message);
    throw e;
  }
}

function build(model: ModelProto, g: NonNullable<ModelProto['graph']>, opset: number, opts: ImportOptions, at: (where: string) => SourcePos): ImportedModel {
  const values = new Map<string, Node>();
  const intValues = new Map<string, IntConst>();
  const params: Node[] = [];
  const inits = new Set<string>();
  const elemTypes = declaredTypes(g); // every tensor's ONNX element type: results of uint8... kept in their type
  for (const t of g.initializer ?? []) {
    const name = t.name || fail('an initializer has no name');
    inits.add(name);
    if (isIntegerType(t.dataType)) {
      intValues.set(name, intConst(ints(t, `initializer '${name}'`), dimsOf(t)));
      continue;
    }
    if (t.dataType === DataType.BOOL) {
      // a mask or a condition: a constant of 0s and 1s, as graphc holds every bool (never a parameter)
      const { dims, data } = bools(t, `initializer '${name}'`);
      values.set(name, B.mk('Const', [], { value: data, shape: dims, dtype: 'bool' }, at(`initializer '${shownName(name)}'`)));
      continue;
    }
    const { dims, data } = floats(t, `initializer '${name}'`);
    const p = B.mk('Param', [], { name, shape: dims, init: data }, at(`initializer '${shownName(name)}'`));
    params.push(p);
    values.set(name, p);
  }
  const inputs: Node[] = [];
  const defaults: Node[] = [];
  const readDefaults = new Map<string, string>();
  const recorded = recordedDefaults(model);
  // symbolic dims bound to the shapes given (the model specialised on them): Shape of them folds
  const dimSizes = boundDims(g, opts.shapes, inits);
  for (const vi of g.input ?? []) {
    const name = vi.name || fail('a graph input has no name');
    if (inits.has(name)) {
      const stored = intValues.get(name);
      if (stored) {
        // an integer default is a constant at import (a shape, axes...): a value bound for it replaces it,
        // else the input is listed, so that a value fed for it imports the model again bound to it
        const given = opts.bind?.get(name) ?? opts.intInputs?.get(name);
        if (given) intValues.set(name, boundInts(name, given, vi.type?.tensorType?.shape));
        else defaults.push(intDefault(name, vi, stored, dimSizes, readDefaults, at));
        continue;
      }
      const p = values.get(name);
      if (p?.op === 'Const') fail(`input '${name}': a bool initializer that is also a graph input (a default a run may replace) is not supported: graphc holds bool initializers as constants`);
      const given = opts.bind?.get(name);
      if (p && given) {
        // a default bound to the value fed for it (the model specialised on it): a constant, no parameter
        if (!sameDims(given.dims, p.shape)) fail(`input '${name}': the value bound has dims [${given.dims.join(', ')}], the initializer [${p.shape.join(', ')}]`);
        values.set(name, atSource(at(`input '${shownName(name)}'`), () => B.constant(Float32Array.from(given.values), [...given.dims])));
        params.splice(params.indexOf(p), 1);
      } else if (p) defaults.push(p);
      continue;
    }
    const tt = vi.type?.tensorType ?? fail(`input '${name}' is not a tensor`);
    const isInt = isIntegerType(tt.elemType);
    const bound = opts.bind?.get(name) ?? opts.intInputs?.get(name);
    if (bound && isInt) {
      intValues.set(name, boundInts(name, bound, tt.shape));
      continue;
    }
    // float64 inputs are computed in float32 (export/import-f64.ts)
    const dtype = tt.elemType === DataType.FLOAT || tt.elemType === DataType.DOUBLE ? 'f32' : tt.elemType === DataType.BOOL ? 'bool' : isInt ? 'i64' : fail(`input '${name}': element type ${onnxTypeName(tt.elemType)} is not supported (float32, float64, bool, int64, int32, uint8, int8, uint16, int16, uint32, uint64)`);
    const given = opts.bind?.get(name);
    if (given) {
      // a float or bool input bound to its value: a constant (the model specialised on it)
      const count = given.dims.reduce((p, d) => p * d, 1);
      if (count !== given.values.length) fail(`input '${name}': the value bound holds ${given.values.length} numbers for dims [${given.dims.join(', ')}]`);
      const declared = declaredSizes(tt.shape) ?? [];
      if (tt.shape && !sameDims(given.dims, declared)) fail(`input '${name}': the value bound has dims [${given.dims.join(', ')}], the input's are [${declared.map((d) => d ?? '?').join(', ')}]`);
      values.set(name, atSource(at(`input '${shownName(name)}'`), () => B.mk('Const', [], { value: Float32Array.from(given.values), shape: [...given.dims], dtype })));
      continue;
    }
    if (!tt.shape?.dim) fail(`input '${name}' has no shape`);
    const shape = declaredDims(name, tt.shape!, dimSizes);
    const recordedValue = recorded.get(name);
    if (recordedValue && dtype === 'f32' && isStatic(shape) && (shape as number[]).reduce((p, d) => p * d, 1) === recordedValue.length) {
      // an input whose default graphc recorded (a training step's learning rate): a parameter, fed or not
      const p = B.mk('Param', [], { name, shape: shape as number[], init: Float32Array.from(recordedValue) }, at(`input '${shownName(name)}'`));
      params.push(p);
      defaults.push(p);
      values.set(name, p);
      continue;
    }
    const n = B.mk('Input', [], { name, shape: shape as number[], dtype }, at(`input '${shownName(name)}'`));
    inputs.push(n);
    values.set(name, n);
  }

  // order the nodes, refusing undefined tensors and cycles
  const nodes = g.node ?? [];
  const producer = new Map<string, number>();
  nodes.forEach((n, i) => (n.output ?? []).forEach((o) => {
    if (producer.has(o) || values.has(o) || intValues.has(o)) fail(`tensor '${o}' is defined twice (node '${n.name || i}')`);
    producer.set(o, i);
  }));
  const order = nodeOrder(nodes.length, (i, edge) =>
    (nodes[i].input ?? []).forEach((name) => {
      if (!name) return;
      const p = producer.get(name);
      if (p !== undefined) edge(p);
      else if (!values.has(name) && !intValues.has(name)) fail(`node '${nodes[i].name || i}' (${nodes[i].opType}) reads '${name}', which no input, initializer or node defines`);
    }),
  ) ?? fail('the graph has a cycle');

  const graphInputs = inputs;
  for (const i of order) {
    const n = nodes[i];
    const label = `node '${n.name || i}' (${n.opType})`;
    const pos = at(`node ${i}${n.name ? ` '${shownName(n.name)}'` : ''}`);
    if (n.domain && n.domain !== 'ai.onnx') fail(`${label}: domain '${n.domain}' is not supported`);
    const attrs = new Map((n.attribute ?? []).map((a) => [a.name ?? '', a]));
    if (attrs.size !== (n.attribute ?? []).length) fail(`${label}: an attribute is given twice`);
    typeOutputs(n, elemTypes);
    if (n.opType === 'Constant') {
      const v = constantValue(n, opset, `node '${n.name || i}' (Constant, opset ${opset})`);
      const out = n.output?.[0];
      if (out) {
        if (v.integer) intValues.set(out, intConst(v.values, v.dims));
        else if (v.bool) values.set(out, atSource(pos, () => B.mk('Const', [], { value: Float32Array.from(v.values), shape: v.dims, dtype: 'bool' })));
        else values.set(out, atSource(pos, () => B.constant(v.values, v.dims)));
      }
      continue;
    }
    const imp = importerFor(n.opType ?? '') ?? fail(`${label}: unsupported op; graphc imports ${[...supportedOps(), ...IMPORTER_OPS].sort().join(', ')}`);
    const where = `node '${n.name || i}' (${n.opType}, opset ${opset})`;
    const names = n.input ?? [];
    // what the rule reads: anything the file gives that it did not read is refused after it returns
    const readAttrs = new Set<string>(), readInputs = new Set<number>();
    const attr = (name: string, type: number) => {
      readAttrs.add(name);
      const a = attrs.get(name);
      // the declared type is checked, absent (UNDEFINED) included: reading another field would give its default, 0
      if (a && a.type !== type) throw new UnsupportedError(`attribute '${name}' has type ${attrTypeName(a.type)}, expected ${attrTypeName(type)}`);
      return a;
    };
    const inputs = new Proxy(names.map((name) => (name ? values.get(name) : undefined)), {
      get(t, p, r) {
        if (typeof p === 'string' && /^\d+$/.test(p)) readInputs.add(Number(p));
        return Reflect.get(t, p, r);
      },
    });
    const ctx: OpContext = {
      inputs,
      opset,
      has: (k) => !!names[k],
      elemType: (k) => elemTypes.get(names[k] ?? ''),
      ints: (k) => {
        readInputs.add(k);
        const v = intValues.get(names[k] ?? '');
        return v && v.values.every((d) => typeof d === 'number') ? (v.values as number[]) : undefined;
      },
      intConst: (k) => {
        readInputs.add(k);
        return intValues.get(names[k] ?? '');
      },
      known: (k, what) => {
        readInputs.add(k);
        const name = names[k] ?? '';
        const ic = intValues.get(name);
        if (ic) {
          if (ic.values.every((d) => typeof d === 'number')) return ic.values as number[];
          // symbolic dims (Shape of a symbolic shape): the inputs carrying them, the model specialised on their shapes
          const carriers = ic.values.filter((d) => typeof d === 'string').map((d) => graphInputs.find((x) => x.shape.includes(d)));
          if (carriers.every(Boolean)) throw needsValues(what, k, { values: [], shapes: [...new Set(carriers.map((x) => String(x!.attrs.name)))].sort() });
          throw new UnsupportedError(`${what}: input ${k} holds the symbolic dims [${ic.values.join(', ')}]`);
        }
        const x = name ? values.get(name) : undefined;
        if (!x) throw new UnsupportedError(`${what}: input ${k} is missing`);
        if (x.op === 'Param' && x.attrs.init instanceof Float32Array) {
          // a graph input's default read as a value: a value fed for it specialises the model (OnnxSession)
          if (defaults.includes(x)) readDefaults.set(name, `${where}: ${what}; input ${k} is graph input '${shownName(name)}', its default (an initializer) read at import`);
          return Array.from(x.attrs.init);
        }
        const folded = x.dtype === 'i64' ? foldInts(x)?.values : foldFloats(x);
        if (folded && folded.every((d) => typeof d === 'number')) return folded as number[];
        const from = specializable(x);
        if (from) throw needsValues(what, k, from);
        throw new UnsupportedError(`${what}; input ${k} is computed at run time (graphc fixes shapes at import, and specialises a model only on small graph inputs, a scalar or a shape vector, computed with no initializer, and on the shapes of graph inputs, never on other tensors' values)`);
      },
      // folded integers, else a float tensor evaluated now where it is computed from constants alone
      folded: (k) => ctx.ints(k) ?? (inputs[k] ? foldFloats(inputs[k]) : undefined),
      // an initializer a run cannot replace is as constant as a Constant (a graph input's default is not)
      fixed: (k) => {
        const x = inputs[k];
        if (x?.op === 'Param' && x.attrs.init instanceof Float32Array) return defaults.includes(x) ? undefined : Array.from(x.attrs.init);
        return ctx.folded(k);
      },
      attrInt: (name, d) => { const a = attr(name, AT.INT); return a ? toNumber(a.i as number, `attribute '${name}'`) : d; },
      attrFloat: (name, d) => { const a = attr(name, AT.FLOAT); return a ? (a.f ?? 0) : d; },
      attrInts: (name) => attr(name, AT.INTS)?.ints?.map((v) => toNumber(v as number, `attribute '${name}'`)),
      attrFloats: (name) => attr(name, AT.FLOATS)?.floats?.map(Number),
      attrTensor: (name) => {
        const t = attr(name, AT.TENSOR)?.t;
        return t ? tensorValue(t, `${where} attribute '${name}'`) : undefined;
      },
      attrString: (name, d) => { const a = attr(name, AT.STRING); return a ? new TextDecoder().decode(a.s ?? new Uint8Array(0)) : d; },
      attrStrings: (name) => attr(name, AT.STRINGS)?.strings?.map((b) => new TextDecoder().decode(b)),
      outputs: (n.output ?? []).length, nodeName: label,
      dimSize: (d) => dimSizeNode(graphInputs, d),
    };
    let out: OnnxValue | readonly OnnxValue[];
    try {
      out = atSource(pos, () => imp(ctx));
      // a rule given too few inputs (a variadic op with none) builds nothing: never stored as a value
      if (out === undefined) throw new UnsupportedError('no value computed from the inputs given');
      const ignored = [...attrs.keys()].filter((a) => !readAttrs.has(a));
      if (ignored.length) throw new UnsupportedError(`attribute${ignored.length > 1 ? 's' : ''} ${ignored.map((a) => `'${a}'`).join(', ')} not supported`);
      const unread = names.flatMap((name, k) => (name && !readInputs.has(k) ? [`${k} ('${name}')`] : []));
      if (unread.length) throw new UnsupportedError(`input ${unread.join(', ')} not supported`);
    } catch (thrown) {
      const e = thrown instanceof SymbolicDimError ? needsShapes(thrown, names.map((name) => values.get(name)), graphInputs) : thrown;
      if (e instanceof NeedsValuesError) throw new OnnxSpecializeError(printable(`${where}: ${e.message}`), e.inputs, graphInputs, defaults, e.shapes);
      if (e instanceof UnsupportedError) fail(`${where}: ${e.message}`);
      // a graph error's position is this node, which `where` names already
      return fail(`${where}: ${(e instanceof GraphError ? e.detail : (e as Error).message).split('\n')[0]}`);
    }
    const outs = Array.isArray(out) ? (out as readonly OnnxValue[]) : [out as OnnxValue];
    const wanted = n.output ?? [];
    if (outs.length < wanted.filter(Boolean).length || wanted.slice(outs.length).some(Boolean)) fail(`${where}: output ${outs.length} ('${wanted[outs.length]}') not supported`);
    outs.forEach((result, k) => {
      const name = wanted[k];
      if (!name) return;
      // kept within a small integer type, folded where computed from constants only (shape arithmetic)
      const v = settle(result, elemTypes.get(name), n.opType ?? '', where, pos);
      if (isIntConst(v)) intValues.set(name, v);
      else values.set(name, v);
    });
  }
  const outputs = (g.output ?? []).map((o) => ({ name: o.name || fail('a graph output has no name'), node: values.get(o.name ?? '') ?? intOutput(intValues.get(o.name ?? ''), o.name ?? '') }));
  if (outputs.length === 0) fail('the graph has no outputs');
  const tensors = new Map<string, { shape: readonly Dim[]; dtype: DType }>([...intValues].map(([k, v]) => [k, { shape: v.dims, dtype: 'i64' as DType }]));
  for (const [k, v] of values) tensors.set(k, { shape: v.shape, dtype: v.dtype });
  const float64 = float64Model(g, order, values);
  const notes = float64.any ? [FLOAT64_NOTE] : [];
  return { name: g.name || 'onnx', description: model.docString ?? '', opset, graph: new Graph(outputs, g.name || 'onnx'), inputs, params, defaults, tensors, readDefaults, float64, notes };
}
