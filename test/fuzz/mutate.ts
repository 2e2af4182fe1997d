/**
 * The fuzzer's mutations, all driven by one seeded generator: byte mutations (flips, random bytes,
 * over-long varints, spans deleted or repeated), truncations, and structural mutations made through the
 * ONNX schema (decode, change one field, encode): dims, data types, attribute types, op names, wiring.
 */
import { onnx, AttrType, DataType, type ModelProto } from '../../export/proto.ts';
import { encodeModel } from './build.ts';

export interface Rng {
  int(n: number): number;
  pick<T>(xs: readonly T[]): T;
  chance(p: number): boolean;
}

/** mulberry32: a small seeded generator with a full 2^32 period. */
export function rng(seed: number): Rng {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  return { int, pick: (xs) => xs[int(xs.length)], chance: (p) => next() < p };
}

const VARINT_BOMB = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01];

export function mutateBytes(r: Rng, src: Uint8Array): Uint8Array {
  let b = Uint8Array.from(src);
  const edits = 1 + r.int(4);
  for (let k = 0; k < edits && b.length; k++) {
    const at = r.int(b.length);
    switch (r.int(6)) {
      case 0: b[at] ^= 1 << r.int(8); break;
      case 1: b[at] = r.int(256); break;
      case 2: b[at] = r.pick([0x00, 0x7f, 0x80, 0xff]); break;
      case 3: { // an over-long varint
        const out = new Uint8Array(b.length + VARINT_BOMB.length);
        out.set(b.subarray(0, at));
        out.set(VARINT_BOMB, at);
        out.set(b.subarray(at), at + VARINT_BOMB.length);
        b = out;
        break;
      }
      case 4: { // delete a span
        const len = 1 + r.int(Math.min(16, b.length - at));
        b = Uint8Array.from([...b.subarray(0, at), ...b.subarray(at + len)]);
        break;
      }
      default: { // repeat a span
        const len = 1 + r.int(Math.min(32, b.length - at));
        b = Uint8Array.from([...b.subarray(0, at + len), ...b.subarray(at, at + len), ...b.subarray(at + len)]);
      }
    }
  }
  return b;
}

export const truncate = (r: Rng, src: Uint8Array): Uint8Array => src.slice(0, r.int(src.length));

const HOSTILE_NAMES = ['toString', 'constructor', '__proto__', 'hasOwnProperty', 'valueOf', '', 'Relu\n', 'prototype'];
const OPS = ['Abs', 'Add', 'Cast', 'Div', 'Equal', 'Exp', 'Gemm', 'Greater', 'Identity', 'Log', 'MatMul', 'Max', 'Mul', 'Neg', 'ReduceMean', 'ReduceSum', 'Relu', 'Reshape', 'Sigmoid', 'Softplus', 'Sub', 'Tanh', 'Transpose', 'Unsqueeze', 'Constant'];
const BIG = [0, 1, 2, -1, -2, 3, 7, 65536, 2 ** 31, 2 ** 53, -(2 ** 31)];

function pickDim(r: Rng): number | string {
  if (r.chance(0.1)) return r.pick(['N', 'batch', '']);
  if (r.chance(0.1)) return '9223372036854775807';
  return r.pick(BIG);
}

/** One change through the schema; returns null when the model has nothing of the kind to change. */
export function mutateModel(r: Rng, src: Uint8Array): Uint8Array | null {
  let m: ModelProto;
  try {
    m = onnx.ModelProto.decode(src);
  } catch {
    return null;
  }
  const g = m.graph;
  if (!g) return null;
  const nodes = g.node ?? [];
  const inits = g.initializer ?? [];
  const node = nodes.length ? r.pick(nodes) : undefined;
  const allNames = [...inits.map((t) => t.name ?? ''), ...(g.input ?? []).map((i) => i.name ?? ''), ...nodes.flatMap((n) => n.output ?? [])];
  switch (r.int(16)) {
    case 0: if (!node) return null; node.opType = r.chance(0.5) ? r.pick(HOSTILE_NAMES) : r.pick(OPS); break;
    case 1: { // an input rewired: cycles, self-loops, missing names
      if (!node || !node.input?.length) return null;
      node.input[r.int(node.input.length)] = r.chance(0.2) ? 'nowhere' : r.chance(0.3) ? (node.output?.[0] ?? '') : r.pick(allNames);
      break;
    }
    case 2: { // an attribute's type changed, its value kept or moved
      const a = node?.attribute?.length ? r.pick(node.attribute) : undefined;
      if (!a) return null;
      a.type = r.pick([AttrType.INT, AttrType.INTS, AttrType.FLOAT, AttrType.FLOATS, AttrType.STRING, AttrType.TENSOR, AttrType.GRAPH, 99 as typeof AttrType.INT]);
      if (r.chance(0.5)) { a.ints = [r.pick(BIG), r.pick(BIG)]; a.i = 0; a.f = 0; }
      break;
    }
    case 3: { // an attribute added with a hostile value
      if (!node) return null;
      node.attribute = [...(node.attribute ?? []), { name: r.pick(['alpha', 'beta', 'transA', 'transB', 'axes', 'perm', 'keepdims', 'to', 'allowzero', 'axis', 'value']), type: r.pick([AttrType.INT, AttrType.INTS, AttrType.FLOAT]), i: r.pick(BIG), ints: [r.pick(BIG)], f: r.pick([NaN, Infinity, -1, 0, 2]) }];
      break;
    }
    case 4: { // initializer dims
      if (!inits.length) return null;
      const t = r.pick(inits);
      t.dims = Array.from({ length: r.int(10) }, () => pickDim(r) as number);
      break;
    }
    case 5: { // initializer data type, data location, data cut short
      if (!inits.length) return null;
      const t = r.pick(inits);
      const k = r.int(3);
      if (k === 0) t.dataType = r.pick([DataType.DOUBLE, DataType.INT64, DataType.INT32, DataType.BOOL, DataType.STRING, 0, 999]);
      else if (k === 1) { t.dataLocation = onnx.TensorProto.DataLocation.EXTERNAL; t.externalData = [{ key: 'location', value: r.pick(['/etc/passwd', '../x.bin', 'w.bin']) }]; }
      else if (t.rawData?.length) t.rawData = t.rawData.subarray(0, r.int(t.rawData.length));
      else t.floatData = (t.floatData ?? []).slice(0, r.int((t.floatData ?? []).length + 2));
      break;
    }
    case 6: { // input shape
      const inp = g.input?.length ? r.pick(g.input) : undefined;
      const dims = inp?.type?.tensorType?.shape?.dim;
      if (!dims) return null;
      if (r.chance(0.3)) dims.push({ dimValue: r.pick(BIG) });
      else if (dims.length) { const d = pickDim(r); dims[r.int(dims.length)] = typeof d === 'string' ? { dimParam: d } : { dimValue: d }; }
      break;
    }
    case 7: { // input element type
      const inp = g.input?.length ? r.pick(g.input) : undefined;
      if (!inp?.type?.tensorType) return null;
      inp.type.tensorType.elemType = r.pick([DataType.DOUBLE, DataType.INT64, DataType.BOOL, DataType.UINT8, 0]);
      break;
    }
    case 8: { // a node duplicated, removed or moved
      if (!node) return null;
      const i = nodes.indexOf(node);
      const k = r.int(3);
      if (k === 0) nodes.splice(r.int(nodes.length + 1), 0, onnx.NodeProto.fromObject(onnx.NodeProto.toObject(node as never)));
      else if (k === 1) nodes.splice(i, 1);
      else { nodes.splice(i, 1); nodes.splice(r.int(nodes.length + 1), 0, node); }
      break;
    }
    case 9: { // outputs renamed, doubled, removed
      const outs = g.output ?? [];
      if (!outs.length) return null;
      const k = r.int(3);
      if (k === 0) r.pick(outs).name = r.pick([...allNames, 'nowhere', '']);
      else if (k === 1) outs.push(onnx.ValueInfoProto.fromObject(onnx.ValueInfoProto.toObject(r.pick(outs) as never)));
      else g.output = [];
      break;
    }
    case 10: m.opsetImport = r.pick([[], [{ domain: '', version: r.pick([1, 7, 13, 17, 18, 99, -1]) }], [{ domain: 'com.x', version: 1 }]]); break;
    case 11: { // a node's outputs
      if (!node) return null;
      node.output = r.pick([[], ['a', 'b'], [r.pick(allNames)], [node.input?.[0] ?? 'x']]);
      break;
    }
    case 12: if (!node) return null; node.domain = r.pick(['com.microsoft', 'ai.onnx.ml', 'ai.onnx', '']); break;
    case 13: { // a Reshape target
      const ints = inits.filter((t) => t.dataType === DataType.INT64);
      const t = ints.length ? r.pick(ints) : undefined;
      if (!t) return null;
      const n = 1 + r.int(4);
      const vals = Array.from({ length: n }, () => r.pick([-1, -1, 0, 1, 2, 3, 40, -2, -3, 2 ** 40]));
      t.dims = [n];
      t.rawData = new Uint8Array(new BigInt64Array(vals.map((v) => BigInt(v))).buffer);
      t.int64Data = [];
      break;
    }
    case 14: { // every name of one tensor swapped for another (wiring changes that stay defined)
      if (!node?.input?.length) return null;
      const from = node.input[0], to = r.pick(allNames);
      for (const n of nodes) n.input = (n.input ?? []).map((x) => (x === from ? to : x));
      break;
    }
    default: { // a node of a random op spliced in
      const name = `fz${r.int(1000)}`;
      nodes.splice(r.int(nodes.length + 1), 0, onnx.NodeProto.create({ opType: r.pick(OPS), input: Array.from({ length: r.int(3) + 1 }, () => r.pick(allNames)), output: [name] }));
      if (r.chance(0.5) && g.output?.length) r.pick(g.output).name = name;
    }
  }
  try {
    return encodeModel(m);
  } catch {
    return null; // a value the schema cannot encode (a symbolic name as an initializer's dim)
  }
}
