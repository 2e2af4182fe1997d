/** The op table: every op of the IR, by name. Op files register themselves when imported. */
import type { OpDef } from './op.ts';

const ops = new Map<string, OpDef>();

export function defineOp(def: OpDef): OpDef {
  if (ops.has(def.name)) throw new Error(`op ${def.name} declared twice`);
  ops.set(def.name, def);
  return def;
}

export function getOp(name: string): OpDef {
  const def = ops.get(name);
  if (!def) throw new Error(`unknown op '${name}'`);
  return def;
}

export const allOps = (): OpDef[] => [...ops.values()];
