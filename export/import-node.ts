/**
 * A graph's nodes read into IR in a scope (`import-context.ts`): ordered (Kahn's, `import-order.ts`), each
 * through its import rule, Constant's value folded, an If replaced by its taken branch (`import-if.ts`);
 * every refusal one line naming the node.
 */
import * as B from '../compiler/ir/build.ts';
import { atSource } from '../compiler/ir/source.ts';
import { GraphError } from '../compiler/ir/errors.ts';
import { intConst, isIntConst, NeedsValuesError, SymbolicDimError, type OnnxValue } from '../compiler/ops/op.ts';
import { importerFor, supportedOps, UnsupportedError } from './import-ops.ts';
import { OnnxImportError, OnnxSpecializeError, shownName } from './import-error.ts';
import { constantValue } from './import-constant.ts';
import { nodeOrder } from './import-order.ts';
import { fail, printable } from './import-tensor.ts';
import { settle, typeOutputs } from './import-int.ts';
import { nodeContext, type Scope } from './import-context.ts';
import { needsShapes } from './import-dims.ts';
import { freeNames, importIf } from './import-if.ts';

type NodeProto = import('onnx-proto').onnx.INodeProto;

/** The ONNX ops the importer reads itself, not through an import rule: Constant (its value folded at import) and If (its taken branch). */
export const IMPORTER_OPS: readonly string[] = ['Constant', 'If'];

/**
 * Reads `nodes` into `s`, each node's outputs defined there; returns the order they were read in. `prefix`
 * names the branch they are in (empty for the model's graph), before each node's label and position.
 */
export function importNodes(nodes: readonly NodeProto[], s: Scope, prefix = ''): number[] {
  // order the nodes, refusing undefined tensors and cycles; a branch's reads of the graph around it count
  const producer = new Map<string, number>();
  nodes.forEach((n, i) => (n.output ?? []).forEach((o) => {
    if (producer.has(o) || s.values.has(o) || s.intValues.has(o)) fail(`${prefix}tensor '${o}' is defined twice (node '${n.name || i}')`);
    producer.set(o, i);
  }));
  const order = nodeOrder(nodes.length, (i, edge) =>
    [...(nodes[i].input ?? []), ...freeNames(nodes[i])].forEach((name) => {
      if (!name) return;
      const p = producer.get(name);
      if (p !== undefined) edge(p);
      else if (!s.values.has(name) && !s.intValues.has(name)) fail(`${prefix}node '${nodes[i].name || i}' (${nodes[i].opType}) reads '${name}', which no input, initializer or node defines`);
    }),
  ) ?? fail(`${prefix}the graph has a cycle`);
  for (const i of order) importNode(nodes[i], i, s, prefix);
  return order;
}

function importNode(n: NodeProto, i: number, s: Scope, prefix: string): void {
  const label = `${prefix}node '${n.name || i}' (${n.opType})`;
  const at = `${prefix}node ${i}${n.name ? ` '${shownName(n.name)}'` : ''}`;
  const pos = s.at(at);
  const opset = s.opset;
  if (n.domain && n.domain !== 'ai.onnx') fail(`${label}: domain '${n.domain}' is not supported`);
  if (new Set((n.attribute ?? []).map((a) => a.name ?? '')).size !== (n.attribute ?? []).length) fail(`${label}: an attribute is given twice`);
  if (n.opType !== 'If') typeOutputs(n, s.elemTypes);
  if (n.opType === 'Constant') {
    const v = constantValue(n, opset, `${prefix}node '${n.name || i}' (Constant, opset ${opset})`);
    const out = n.output?.[0];
    if (out) {
      if (v.integer) s.intValues.set(out, intConst(v.values, v.dims));
      else if (v.bool) s.values.set(out, atSource(pos, () => B.mk('Const', [], { value: Float32Array.from(v.values), shape: v.dims, dtype: 'bool' })));
      else s.values.set(out, atSource(pos, () => B.constant(v.values, v.dims)));
    }
    return;
  }
  const imp = n.opType === 'If' ? undefined : (importerFor(n.opType ?? '') ?? fail(`${label}: unsupported op; graphc imports ${[...supportedOps(), ...IMPORTER_OPS].sort().join(', ')}`));
  const where = `${prefix}node '${n.name || i}' (${n.opType}, opset ${opset})`;
  const { ctx, attr, check } = nodeContext(n, label, where, s);
  let out: OnnxValue | readonly OnnxValue[];
  try {
    out = imp ? atSource(pos, () => imp(ctx)) : importIf(ctx, attr, n, s, at, importNodes);
    // a rule given too few inputs (a variadic op with none) builds nothing: never stored as a value
    if (out === undefined) throw new UnsupportedError('no value computed from the inputs given');
    check();
  } catch (thrown) {
    // a refusal from within a branch names its node already
    if (thrown instanceof OnnxImportError && !imp) throw thrown;
    const e = thrown instanceof SymbolicDimError ? needsShapes(thrown, (n.input ?? []).map((name) => s.values.get(name)), s.graphInputs) : thrown;
    if (e instanceof NeedsValuesError) throw new OnnxSpecializeError(printable(`${where}: ${e.message}`), e.inputs, s.graphInputs, s.defaults, e.shapes);
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
    const v = settle(result, s.elemTypes.get(name), n.opType ?? '', where, pos);
    if (isIntConst(v)) s.intValues.set(name, v);
    else s.values.set(name, v);
  });
}
