/**
 * Builds an ONNX graph node by node: the `OnnxEmit` that each op's mapping calls. Names are generated
 * deterministically; every node carries the DSL source position of the graphc node it came from.
 */
import type { OnnxAttr, OnnxEmit } from '../compiler/ops/op.ts';
import { posStr, resolvePos, type SourcePos } from '../compiler/ir/source.ts';
import { onnx, DataType, AttrType, type NodeProto, type TensorProto } from './proto.ts';

type AttrValue = OnnxAttr;

export class OnnxBuilder implements OnnxEmit {
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];
  private count = 0;
  private consts = new Map<string, string>();
  /** Source position given to the nodes emitted next. */
  src: SourcePos | undefined;

  constructor(private readonly prefix = '') {}

  fresh(base: string): string {
    return `${this.prefix}${base}_${this.count++}`;
  }

  op(opType: string, inputs: readonly string[], attrs: Record<string, AttrValue> = {}, outputs = 1): string {
    const out = this.fresh(opType);
    this.nodes.push(
      onnx.NodeProto.create({
        opType,
        name: out,
        input: [...inputs],
        output: [out, ...Array.from({ length: outputs - 1 }, (_, i) => this.output(out, i + 1))],
        attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
        docString: resolvePos(this.src) ? posStr(this.src) : '',
      }),
    );
    return out;
  }

  output(first: string, k: number): string {
    return k === 0 ? first : `${first}_out${k}`;
  }

  /** A named identity, to give a graph output its name. */
  rename(from: string, to: string): void {
    this.nodes.push(onnx.NodeProto.create({ opType: 'Identity', name: `${to}_identity`, input: [from], output: [to] }));
  }

  constF32(values: ArrayLike<number>, dims: readonly number[]): string {
    return this.constant(floatTensor('', Float32Array.from(values), dims), `f${dims.join('x')}:${Array.from(values).join(',')}`);
  }

  constI64(values: readonly number[], dims: readonly number[] = [values.length]): string {
    return this.constant(onnx.TensorProto.create({ dataType: DataType.INT64, dims: [...dims], int64Data: [...values] }), `i${dims.join('x')}:${values.join(',')}`);
  }

  /** A bool constant (graphc holds bools as 0 and 1): one byte per value, as ONNX stores bools. */
  constBool(values: ArrayLike<number>, dims: readonly number[]): string {
    const bytes = Uint8Array.from(values, (v) => (v !== 0 ? 1 : 0));
    return this.constant(onnx.TensorProto.create({ dataType: DataType.BOOL, dims: [...dims], rawData: bytes }), `b${dims.join('x')}:${bytes.join(',')}`);
  }

  shapeOf(name: string): string {
    return this.op('Shape', [name]);
  }

  /** The tensors carrying each symbolic dim (the first one's name and axis), and the sizes read. */
  private readonly carriers = new Map<string, { name: string; axis: number; size?: string }>();

  /**
   * Records the shape of a tensor written so far (a graph input, or a node's output: a derived dim such as a
   * Pad's 'N+2' has no input of its own): its symbolic dims can be read from it by what is written after it
   * (`dimOf`), which keeps the graph in topological order.
   */
  carry(name: string, shape: readonly (number | string)[]): void {
    shape.forEach((d, axis) => typeof d === 'string' && !this.carriers.has(d) && this.carriers.set(d, { name, axis }));
  }

  dimOf(d: string): string | undefined {
    const c = this.carriers.get(d);
    if (c) c.size ??= this.op('Gather', [this.shapeOf(c.name), this.constI64([c.axis])], { axis: 0 });
    return c?.size;
  }

  /** Adds an initializer under `name` (parameters, constants). */
  initializer(t: TensorProto): void {
    this.initializers.push(t);
  }

  private constant(t: TensorProto, key: string): string {
    const hit = key.length < 256 ? this.consts.get(key) : undefined;
    if (hit) return hit;
    const name = this.fresh('const');
    t.name = name;
    this.initializers.push(t);
    if (key.length < 256) this.consts.set(key, name);
    return name;
  }
}

export function floatTensor(name: string, data: Float32Array, dims: readonly number[]): TensorProto {
  const bytes = new Uint8Array(data.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < data.length; i++) view.setFloat32(i * 4, data[i], true);
  return onnx.TensorProto.create({ name, dataType: DataType.FLOAT, dims: [...dims], rawData: bytes });
}

function attribute(name: string, v: AttrValue) {
  if (typeof v === 'object' && 'kind' in v) return onnx.AttributeProto.create({ name, type: AttrType.FLOAT, f: v.value });
  if (typeof v === 'number') return Number.isInteger(v) ? onnx.AttributeProto.create({ name, type: AttrType.INT, i: v }) : onnx.AttributeProto.create({ name, type: AttrType.FLOAT, f: v });
  if (typeof v === 'string') return onnx.AttributeProto.create({ name, type: AttrType.STRING, s: new TextEncoder().encode(v) });
  if (v.every((x) => typeof x === 'number')) return onnx.AttributeProto.create({ name, type: AttrType.INTS, ints: v as number[] });
  return onnx.AttributeProto.create({ name, type: AttrType.STRINGS, strings: (v as string[]).map((s) => new TextEncoder().encode(s)) });
}
