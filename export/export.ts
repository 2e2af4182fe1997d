/**
 * ONNX export of a graphc graph. Opset 17: the newest opset that PyTorch 1.13's exporter writes (so files
 * from both are comparable) and one onnxruntime 1.30 supports in full; IR version 8, which every current
 * runtime reads. Two forms:
 *  - inference: the model's inputs to its predictions, parameters as initializers (their initial values,
 *    or trained values when given);
 *  - training step: parameters and a batch (x, y) as inputs, the loss and the updated parameters
 *    (`<name>.next`) as outputs, in standard ops, so any ONNX runtime trains the model by feeding the
 *    outputs back in; the learning rate `optimizer.lr` is an input too, its default recorded in the
 *    metadata (`graphc.default:optimizer.lr`), which graphc's importer reads.
 * Each ONNX node's doc_string holds the DSL source position of the graphc node it implements.
 */
import type { Graph } from '../compiler/ir/graph.ts';
import type { Node, DType } from '../compiler/ir/node.ts';
import type { Dim } from '../compiler/ir/shape.ts';
import { importOnnx, OnnxImportError } from './import.ts';
import { posStr, resolvePos } from '../compiler/ir/source.ts';
import { getOp } from '../compiler/ops/op.ts';
import { expandRegions } from '../compiler/ops/row-region.ts';
import { GraphError } from '../compiler/ir/errors.ts';
import { nextName } from '../compiler/train/step.ts';
import { onnx, DataType, DEFAULT_KEY } from './proto.ts';
import { OnnxBuilder, floatTensor } from './emit.ts';
import { onnxTypes } from './types.ts';
import { shapeStandIns } from './stand-ins.ts';
import { version as graphcVersion } from './version.ts';

export const OPSET = 17;
export const IR_VERSION = 8;

export interface ExportOptions {
  /** 'inference': parameters become initializers; 'train': parameters become inputs. */
  readonly mode: 'inference' | 'train';
  readonly name: string;
  readonly description?: string;
  /** Parameter values to write instead of the initial ones (trained values). */
  readonly params?: ReadonlyMap<string, Float32Array>;
}

const elemType: Record<DType, number> = { f32: DataType.FLOAT, bool: DataType.BOOL, i64: DataType.INT64 };

/** ONNX names: the graph's own output names, with `next:W` written `W.next`. */
export const onnxOutputName = (name: string): string => (name.startsWith('next:') ? `${name.slice(5)}.next` : name);

function tensorInfo(name: string, dtype: DType | number, shape: readonly Dim[]) {
  return onnx.ValueInfoProto.create({
    name,
    type: { tensorType: { elemType: typeof dtype === 'number' ? dtype : elemType[dtype], shape: { dim: shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
  });
}

const valueInfo = (name: string, n: Node) => tensorInfo(name, n.dtype, n.shape);

export function exportGraph(given: Graph, opts: ExportOptions): Uint8Array {
  // row regions are written as the standard ops they were formed from
  const g = expandRegions(given);
  const e = new OnnxBuilder();
  const names = new Map<Node, string>();
  const inputs = [];
  const defaults: { key: string; value: string }[] = [];
  // the type and shape of each tensor a graphc node computes, under its ONNX name
  const known = new Map<string, ReturnType<typeof valueInfo>>();
  const isInput = (n: Node) => n.op === 'Input' || (n.op === 'Param' && opts.mode === 'train');
  // graph inputs carry their dims from the start: a node ordered before the input (an Expand of a constant
  // to Shape(x), which reads no x) reads them too; a node's output carries its dims for what comes after it
  for (const n of g.nodes) if (isInput(n)) e.carry(String(n.attrs.name), n.shape);
  for (const n of g.nodes) {
    const name = String(n.attrs.name);
    if (isInput(n)) {
      names.set(n, name);
      inputs.push(Object.assign(valueInfo(name, n), { docString: inputDoc(n, opts.mode, g.has(nextName(name))) }));
      // a leaf the step reads and does not update (its learning rate): an input, its default recorded in the
      // metadata, not as an initializer (an initializer of an input makes onnxruntime warn, and one that is
      // no input cannot be fed)
      if (n.op === 'Param' && !g.has(nextName(name))) defaults.push({ key: `${DEFAULT_KEY}${name}`, value: JSON.stringify(Array.from(opts.params?.get(name) ?? (n.attrs.init as Float32Array))) });
    } else if (n.op === 'Param') {
      names.set(n, name);
      const value = opts.params?.get(name) ?? (n.attrs.init as Float32Array);
      e.initializer(floatTensor(name, value, n.shape as number[]));
    } else if (n.op === 'Const') {
      e.src = undefined;
      // an int64 constant (indices, as the importer keeps them) is written as int64, as ONNX's index inputs
      // require; a bool one (a mask, a condition) as bool, as Where's and the logical ops' inputs require
      const value = n.attrs.value as Float32Array;
      names.set(n, n.dtype === 'i64' ? e.constI64(Array.from(value), n.shape as number[]) : n.dtype === 'bool' ? e.constBool(value, n.shape as number[]) : e.constF32(value, n.shape as number[]));
    } else {
      const def = getOp(n.op);
      // (a gradient op standard ONNX has no op for, where graphc writes no composition of ops either)
      if (!def.onnx) throw new GraphError(`ONNX export: op ${n.op}${'internal' in def.dsl ? ` (${def.dsl.internal})` : ''} has no ONNX mapping: ONNX has no op for it and graphc writes none of standard ops, so this graph${opts.mode === 'train' ? ' (a training step through it)' : ''} cannot be written${opts.mode === 'train' ? '; the inference graph can' : ''}`, n.src);
      e.src = n.src;
      const out = def.onnx(e, n, n.inputs.map((i) => names.get(i)!));
      names.set(n, out);
      e.carry(out, n.shape);
      if (!known.has(out)) known.set(out, valueInfo(out, n));
    }
  }
  const outputs = g.outputs.map((o) => {
    const name = onnxOutputName(o.name);
    e.src = o.node.src;
    e.rename(names.get(o.node)!, name);
    return Object.assign(valueInfo(name, o.node), { docString: outputDoc(o.name, o.node, opts.mode) });
  });
  const outputNames = new Set(outputs.map((o) => o.name));
  const metadataProps = [{ key: 'graphc.mode', value: opts.mode }, ...defaults];
  const model = onnx.ModelProto.create({
    irVersion: IR_VERSION,
    opsetImport: [{ domain: '', version: OPSET }],
    producerName: 'graphc',
    producerVersion: graphcVersion,
    domain: 'graphc',
    modelVersion: 1,
    docString: opts.description ?? '',
    graph: onnx.GraphProto.create({
      name: opts.name,
      node: e.nodes,
      initializer: e.initializers,
      input: inputs,
      output: outputs,
      docString: opts.mode === 'train' ? 'training step: feed each <param>.next output back as <param>' : 'inference',
    }),
    metadataProps,
  });
  // value_info: every tensor a node computes, but the graph's outputs (typed above)
  const setValueInfo = () => (model.graph!.valueInfo = e.nodes.flatMap((n) => n.output ?? []).filter((o) => !outputNames.has(o) && known.has(o)).map((o) => known.get(o)!));
  // the tensors a mapping computes on its way to a graphc node's value (the stable BCE's Softplus...)
  // have no graphc node: their types and shapes are what graphc's importer infers reading the file back
  const inner = e.nodes.flatMap((n) => n.output ?? []).filter((o) => !known.has(o) && !outputNames.has(o));
  if (inner.length > 0) {
    setValueInfo();
    model.graph!.node = shapeStandIns(e.nodes);
    let tensors: ReturnType<typeof importOnnx>['tensors'] | undefined;
    let why = 'no type and shape known for it';
    try {
      tensors = importOnnx(onnx.ModelProto.encode(model).finish()).tensors;
    } catch (err) {
      if (!(err instanceof OnnxImportError)) throw err;
      why = `graphc's importer cannot read the export back: ${err.message}`;
    }
    model.graph!.node = e.nodes;
    const types = onnxTypes(e.nodes, [...inputs, ...known.values()], e.initializers);
    const untyped = [];
    for (const name of inner) {
      const t = tensors?.get(name), type = types.get(name);
      if (t && type !== undefined) known.set(name, tensorInfo(name, type, t.shape));
      else untyped.push(name);
    }
    // never silently: the tensors left without value_info are named in the file, with the reason
    if (untyped.length > 0) metadataProps.push({ key: UNTYPED_KEY, value: `${untyped.join(', ')}: ${why}` });
  }
  setValueInfo();
  // a copy: protobufjs hands out views into a shared buffer pool
  return new Uint8Array(onnx.ModelProto.encode(model).finish());
}

/** The metadata key naming the computed tensors an export could not give a value_info, and why. */
export const UNTYPED_KEY = 'graphc.untyped';

const where = (n: Node) => (resolvePos(n.src) ? ` (${posStr(n.src)})` : '');

/** A graph input's doc_string: what to feed, and where the model declares it. */
function inputDoc(n: Node, mode: ExportOptions['mode'], updated: boolean): string {
  const name = String(n.attrs.name);
  if (n.op === 'Param' && !updated) return `'${name}'${where(n)}: read by the step, not updated; graphc's default ${Array.from(n.attrs.init as Float32Array).join(', ')} (metadata '${DEFAULT_KEY}${name}')`;
  if (n.op === 'Param') return `parameter '${name}'${where(n)}: its current value; the step outputs the next as '${name}.next'`;
  return `input '${name}'${where(n)}${mode === 'train' ? ': a batch' : ''}`;
}

/** A graph output's doc_string: what it holds, and where the model computes it. */
function outputDoc(name: string, n: Node, mode: ExportOptions['mode']): string {
  if (name.startsWith('next:')) return `parameter '${name.slice(5)}' after one step${where(n)}: feed it back as '${name.slice(5)}'`;
  return `${mode === 'train' && name === 'loss' ? "the batch's loss before the step" : `output '${name}'`}${where(n)}`;
}
