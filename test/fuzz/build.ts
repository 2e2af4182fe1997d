/** Small ONNX models written field by field (the fuzzer's targeted cases and the scale benchmark's graphs). */
import { onnx, AttrType, DataType, type ModelProto } from '../../export/proto.ts';
import type { onnx as OnnxTypes } from 'onnx-proto';

export type Attr = { name: string } & ({ i: number | bigint } | { f: number } | { ints: number[] } | { floats: number[] } | { s: string } | { t: TensorSpec });
export interface TensorSpec {
  name?: string;
  dims: (number | bigint)[];
  floats?: number[];
  ints?: number[];
  raw?: Uint8Array;
  dataType?: number;
  external?: boolean;
}
export interface NodeSpec {
  op: string;
  inputs: string[];
  outputs?: string[];
  attrs?: Attr[];
  name?: string;
  domain?: string;
}
export interface ModelSpec {
  inputs?: { name: string; dims: (number | string | bigint)[]; elemType?: number }[];
  inits?: TensorSpec[];
  nodes: NodeSpec[];
  outputs: string[];
  opset?: number;
}

const long = (v: number | bigint) => (typeof v === 'bigint' ? BigInt.asIntN(64, v).toString() : v);

export function tensor(t: TensorSpec): OnnxTypes.ITensorProto {
  const isInt = t.ints !== undefined;
  return {
    name: t.name ?? '',
    dims: t.dims.map(long) as number[],
    dataType: t.dataType ?? (isInt ? DataType.INT64 : DataType.FLOAT),
    floatData: t.floats,
    int64Data: t.ints,
    rawData: t.raw,
    dataLocation: t.external ? onnx.TensorProto.DataLocation.EXTERNAL : undefined,
    externalData: t.external ? [{ key: 'location', value: '../../etc/passwd' }] : undefined,
  };
}

function attr(a: Attr): OnnxTypes.IAttributeProto {
  if ('i' in a) return { name: a.name, type: AttrType.INT, i: long(a.i) as number };
  if ('f' in a) return { name: a.name, type: AttrType.FLOAT, f: a.f };
  if ('ints' in a) return { name: a.name, type: AttrType.INTS, ints: a.ints };
  if ('floats' in a) return { name: a.name, type: AttrType.FLOATS, floats: a.floats };
  if ('s' in a) return { name: a.name, type: AttrType.STRING, s: new TextEncoder().encode(a.s) };
  return { name: a.name, type: AttrType.TENSOR, t: tensor(a.t) };
}

export function modelProto(m: ModelSpec): ModelProto {
  return onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: m.opset ?? 17 }],
    producerName: 'fuzz',
    graph: {
      name: 'g',
      input: (m.inputs ?? []).map((i) => ({
        name: i.name,
        type: { tensorType: { elemType: i.elemType ?? DataType.FLOAT, shape: { dim: i.dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: long(d) as number })) } } },
      })),
      initializer: (m.inits ?? []).map(tensor),
      node: m.nodes.map((n, k) => ({ name: n.name ?? `n${k}`, opType: n.op, domain: n.domain ?? '', input: n.inputs, output: n.outputs ?? [`t${k}`], attribute: (n.attrs ?? []).map(attr) })),
      output: m.outputs.map((name) => ({ name, type: { tensorType: { elemType: DataType.FLOAT } } })),
    },
  });
}

export const encodeModel = (m: ModelProto): Uint8Array => onnx.ModelProto.encode(m).finish();
export const model = (m: ModelSpec): Uint8Array => encodeModel(modelProto(m));

/** A chain of `n` unary or binary nodes over an [N, width] input: x → op → op → … */
export function chain(n: number, op: 'Relu' | 'Add', width = 4): Uint8Array {
  const nodes: NodeSpec[] = [];
  let prev = 'x';
  for (let k = 0; k < n; k++) {
    nodes.push({ op, inputs: op === 'Add' ? [prev, 'x'] : [prev], outputs: [`t${k}`] });
    prev = `t${k}`;
  }
  return model({ inputs: [{ name: 'x', dims: ['N', width] }], nodes, outputs: [prev] });
}

/**
 * `n` independent nodes reading one input, each adding its own constant (so no two are the same node),
 * summed pairwise into one output: a graph `n` nodes wide.
 */
export function wide(n: number, width = 4): Uint8Array {
  const nodes: NodeSpec[] = [];
  const inits: TensorSpec[] = [];
  let level: string[] = [];
  for (let k = 0; k < n; k++) {
    inits.push({ name: `c${k}`, dims: [1], floats: [k] });
    nodes.push({ op: 'Add', inputs: ['x', `c${k}`], outputs: [`w${k}`] });
    level.push(`w${k}`);
  }
  let id = 0;
  while (level.length > 1) {
    const next: string[] = [];
    for (let k = 0; k + 1 < level.length; k += 2) {
      nodes.push({ op: 'Add', inputs: [level[k], level[k + 1]], outputs: [`s${id}`] });
      next.push(`s${id++}`);
    }
    if (level.length % 2) next.push(level[level.length - 1]);
    level = next;
  }
  return model({ inputs: [{ name: 'x', dims: ['N', width] }], inits, nodes, outputs: [level[0]] });
}
