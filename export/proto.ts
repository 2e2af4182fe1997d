/**
 * The ONNX protobuf schema (onnx.proto), from the `onnx-proto` package: encode and decode ModelProto.
 * int64 fields decode as Long objects; `toNumber` turns them into numbers, refusing what a double cannot
 * hold exactly.
 */
import onnxProto from 'onnx-proto';

export const onnx = onnxProto.onnx;
export type ModelProto = InstanceType<typeof onnx.ModelProto>;
export type GraphProto = InstanceType<typeof onnx.GraphProto>;
export type NodeProto = InstanceType<typeof onnx.NodeProto>;
export type TensorProto = InstanceType<typeof onnx.TensorProto>;
export type ValueInfoProto = InstanceType<typeof onnx.ValueInfoProto>;
export type AttributeProto = InstanceType<typeof onnx.AttributeProto>;

export const DataType = onnx.TensorProto.DataType;
/**
 * The metadata key prefix under which graphc records an input's default value (`graphc.default:optimizer.lr`,
 * a JSON array): a default that is no initializer, so runtimes keep the input required and overridable.
 */
export const DEFAULT_KEY = 'graphc.default:';
export const AttrType = onnx.AttributeProto.AttributeType;

type LongLike = number | bigint | { toNumber(): number; toString(): string } | null | undefined;

/** An integer in a file that a double cannot hold exactly: the importer reports it as its own one-line error. */
export class ProtoIntegerError extends Error {
  override name = 'ProtoIntegerError';
}

/**
 * `v` as a number, where a double holds it exactly (within ±2^53); beyond, the nearest double, which is no
 * longer exact (`Number.isSafeInteger` tells): the int64 extremes PyTorch writes as Slice's open ends
 * (±9223372036854775807), which only their comparison with a dim decides. The importer refuses such a value
 * wherever else it is read (`export/import-context.ts`).
 */
export function toInteger(v: LongLike): number {
  if (v === null || v === undefined) return 0;
  if (typeof v === 'number') return v;
  return typeof v === 'bigint' ? Number(v) : Number(BigInt(v.toString()));
}

/** `v` as a number; `what` names the field in the error when it is too large. */
export function toNumber(v: LongLike, what = 'an integer'): number {
  if (v === null || v === undefined) return 0;
  if (typeof v === 'number') return v;
  const n = typeof v === 'bigint' ? Number(v) : v.toNumber();
  if (!Number.isSafeInteger(n)) throw new ProtoIntegerError(`${what}: integer ${v.toString()} is too large (more than 2^53)`);
  return n;
}
