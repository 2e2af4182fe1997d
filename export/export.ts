/**
 * ONNX export of a graphc graph. Opset 17: the newest opset that PyTorch 1.13's exporter writes (so files
 * from both are comparable) and one onnxruntime 1.30 supports in full; IR version 8, which every current
 * runtime reads. Two forms:
 *  - inference: the model's inputs to its predictions, parameters as initializers (their initial values,
 *    or trained values when given);
 *  - training step: parameters and a batch (x, y) as inputs, the loss and the updated parameters
 *    (`<name>.next`) as outputs, in standard ops, so any ONNX runtime trains the model by feeding the
 *    outputs back in; the learning rate `optimizer.lr` is an input whose initializer is its default.
 * Each ONNX node's doc_string holds the DSL source position of the graphc node it implements.
 */
import type { Graph } from '../compiler/ir/graph.ts';
import type { Node, DType } from '../compiler/ir/node.ts';
import { getOp } from '../compiler/ops/op.ts';
import { GraphError } from '../compiler/ir/errors.ts';
import { nextName } from '../compiler/train/step.ts';
import { onnx, DataType } from './proto.ts';
import { OnnxBuilder, floatTensor } from './emit.ts';
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

function valueInfo(name: string, n: Node) {
  return onnx.ValueInfoProto.create({
    name,
    type: {
      tensorType: {
        elemType: elemType[n.dtype],
        shape: { dim: n.shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  });
}

export function exportGraph(g: Graph, opts: ExportOptions): Uint8Array {
  const e = new OnnxBuilder();
  const names = new Map<Node, string>();
  const inputs = [];
  for (const n of g.nodes) {
    const name = String(n.attrs.name);
    if (n.op === 'Input' || (n.op === 'Param' && opts.mode === 'train')) {
      names.set(n, name);
      inputs.push(valueInfo(name, n));
      // a leaf the step reads and does not update (its learning rate): an input with its value as default
      if (n.op === 'Param' && !g.has(nextName(name))) e.initializer(floatTensor(name, opts.params?.get(name) ?? (n.attrs.init as Float32Array), n.shape as number[]));
    } else if (n.op === 'Param') {
      names.set(n, name);
      const value = opts.params?.get(name) ?? (n.attrs.init as Float32Array);
      e.initializer(floatTensor(name, value, n.shape as number[]));
    } else if (n.op === 'Const') {
      e.src = undefined;
      names.set(n, e.constF32(n.attrs.value as Float32Array, n.shape as number[]));
    } else {
      const def = getOp(n.op);
      if (!def.onnx) throw new GraphError(`ONNX export: op ${n.op} has no ONNX mapping`, n.src);
      e.src = n.src;
      names.set(n, def.onnx(e, n, n.inputs.map((i) => names.get(i)!)));
    }
  }
  const outputs = g.outputs.map((o) => {
    const name = onnxOutputName(o.name);
    e.src = o.node.src;
    e.rename(names.get(o.node)!, name);
    return valueInfo(name, o.node);
  });
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
    metadataProps: [{ key: 'graphc.mode', value: opts.mode }],
  });
  // a copy: protobufjs hands out views into a shared buffer pool
  return new Uint8Array(onnx.ModelProto.encode(model).finish());
}
