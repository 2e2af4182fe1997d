/** The op table of the IR: every op's shape rule, gradient rule and traits, by name (compiler/ops registers them). */
import type { OpCore } from './op.ts';

const ops = new Map<string, OpCore>();

export function registerOp(def: OpCore): void {
  if (ops.has(def.name)) throw new Error(`op ${def.name} declared twice`);
  ops.set(def.name, def);
}

export function getOp(name: string): OpCore {
  const def = ops.get(name);
  if (!def) throw new Error(`unknown op '${name}'`);
  return def;
}

export const allOps = (): OpCore[] => [...ops.values()];
