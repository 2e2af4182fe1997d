/**
 * If, read by the importer itself: a condition known at import (a constant, or computed from constants and
 * shapes the importer folds: PyTorch's `nn.LocalResponseNorm` asks whether a dim it computed is 1) selects a
 * branch, whose graph is read in a scope over the one around it (its nodes read the outer tensors by name)
 * and whose outputs are the If's. The other branch is never read. A condition from small graph inputs
 * specialises the model on their values (as every operand needed at import); one computed at run time from
 * other tensors is refused.
 */
import { UnsupportedError, type OnnxImportCtx, type OnnxValue } from '../compiler/ops/op.ts';
import { onnx } from './proto.ts';
import { shownName } from './import-error.ts';
import { fail } from './import-tensor.ts';
import { declaredTypes } from './import-int.ts';
import { readInitializer, type Scope } from './import-context.ts';

type NodeProto = import('onnx-proto').onnx.INodeProto;
type GraphProto = import('onnx-proto').onnx.IGraphProto;
type AttributeProto = import('onnx-proto').onnx.IAttributeProto;

const AT = onnx.AttributeProto.AttributeType;

/** If's schema versions from opset 1 to 26: the later ones widen the types of its outputs only (sequences, optionals, ...). */
export const IF_SINCE: readonly number[] = [1, 11, 13, 16, 19, 21, 23, 24, 25];

/** Branches nested deeper than this are refused (a hostile file's recursion). */
export const MAX_BRANCH_DEPTH = 32;

const raise = (what: string): never => {
  throw new UnsupportedError(what);
};

/**
 * The names the subgraphs of node `n` (an If's branches, a Loop's body) read from the graphs around them, at
 * any depth: the edges that order `n` after their producers.
 */
export function freeNames(n: NodeProto, depth = 0): string[] {
  const out: string[] = [];
  for (const a of n.attribute ?? []) for (const g of [a.g, ...(a.graphs ?? [])]) if (g) out.push(...graphFree(g, depth + 1));
  return out;
}

function graphFree(g: GraphProto, depth: number): string[] {
  if (depth > MAX_BRANCH_DEPTH) fail(`subgraphs nested more than ${MAX_BRANCH_DEPTH} deep`);
  const defined = new Set<string>([...(g.input ?? []), ...(g.initializer ?? [])].map((v) => v.name ?? ''));
  for (const n of g.node ?? []) for (const o of n.output ?? []) defined.add(o);
  const free: string[] = [];
  for (const n of g.node ?? []) for (const name of [...(n.input ?? []), ...freeNames(n, depth)]) if (name && !defined.has(name)) free.push(name);
  for (const o of g.output ?? []) if (o.name && !defined.has(o.name)) free.push(o.name);
  return free;
}

/**
 * The outputs of If node `n`: its taken branch read into a scope over `s`, by `run` (the importer's own
 * reader of a graph's nodes); `at` names the If (`node 31 '/If'`) before the branch's nodes in refusals and
 * positions.
 */
export function importIf(
  c: OnnxImportCtx,
  attr: (name: string, type: number) => AttributeProto | undefined,
  n: NodeProto,
  s: Scope,
  at: string,
  run: (nodes: readonly NodeProto[], s: Scope, prefix: string) => unknown,
): OnnxValue[] {
  const cond = c.known(0, 'the condition decides which branch the If takes');
  if (cond.length !== 1) raise(`a condition of ${cond.length} values (a single bool expected)`);
  const [taken, other] = cond[0] ? ['then_branch', 'else_branch'] : ['else_branch', 'then_branch'];
  // both must be graphs; the one not taken is never read
  if (!attr(other, AT.GRAPH)?.g) raise(`no ${other}`);
  const g = attr(taken, AT.GRAPH)?.g ?? raise(`no ${taken}`);
  if ((g.input ?? []).length) raise(`${taken} declares inputs (an If's branches take none)`);
  const prefix = `${at} ${taken}, `;
  const inner: Scope = { ...s, values: new Map(s.values), intValues: new Map(s.intValues), elemTypes: new Map([...s.elemTypes, ...declaredTypes(g)]) };
  for (const t of g.initializer ?? []) readInitializer(t, inner, prefix);
  run(g.node ?? [], inner, prefix);
  const outs = g.output ?? [], wanted = n.output ?? [];
  if (outs.length !== wanted.length) raise(`${taken} has ${outs.length} outputs, the If ${wanted.length}`);
  return outs.map((o, k) => {
    const name = o.name ?? '';
    if (o.type && !o.type.tensorType) raise(`${taken}'s output '${shownName(name)}' is not a tensor (graphc reads tensors only)`);
    const v = inner.values.get(name) ?? inner.intValues.get(name) ?? raise(`${taken}'s output '${shownName(name)}' is not computed in it`);
    const type = o.type?.tensorType?.elemType || inner.elemTypes.get(name);
    if (type && wanted[k]) s.elemTypes.set(wanted[k], type);
    return v;
  });
}
