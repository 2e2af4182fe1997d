/**
 * What the exporter gives graphc's importer to learn the types and shapes of the tensors a mapping
 * computes on its way to a graphc node's value: the graph with each random op (which the importer does
 * not read: it has no value to fold) replaced by a node with the same output type and shape. ONNX's
 * RandomUniformLike and RandomNormalLike output their input's shape, in their `dtype` (else their input's
 * type): a Cast to that `dtype`, or an Identity.
 */
import { onnx, AttrType, type NodeProto } from './proto.ts';

const RANDOM_LIKE = new Set(['RandomUniformLike', 'RandomNormalLike']);

/** The ONNX element type a `*Like` random op is asked to output, if its `dtype` says. */
export const randomLikeType = (n: NodeProto): number | undefined => {
  const dtype = (n.attribute ?? []).find((a) => a.name === 'dtype')?.i;
  return dtype === undefined || dtype === null ? undefined : Number(dtype);
};

export function shapeStandIns(nodes: readonly NodeProto[]): NodeProto[] {
  return nodes.map((n) => {
    if (!RANDOM_LIKE.has(n.opType ?? '')) return n;
    const to = randomLikeType(n);
    return onnx.NodeProto.create({
      name: n.name,
      input: n.input,
      output: n.output,
      docString: n.docString,
      opType: to === undefined ? 'Identity' : 'Cast',
      attribute: to === undefined ? [] : [{ name: 'to', type: AttrType.INT, i: to }],
    });
  });
}

export const isRandomLike = (op: string): boolean => RANDOM_LIKE.has(op);
