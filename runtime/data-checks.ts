/**
 * Training data checked as PyTorch checks it, before any step runs: class indices (the targets of
 * CrossEntropy, NLL and OneHot) are integers in [0, C) (PyTorch: "Target 7 is out of bounds"), BCE
 * targets lie in [0, 1] (PyTorch: "all elements of target should be between 0 and 1"), and every value
 * is finite (PyTorch trains on NaN and Infinity silently; graphc refuses them). Each failure is one line
 * naming the file, its line and the column.
 */
import type { BuiltModel } from '../compiler/dsl/model.ts';
import type { Node } from '../compiler/ir/node.ts';
import { checkFinite, DataError, wherePos, type Dataset } from './data.ts';

type TargetRule = { kind: 'classes'; classes: number; op: string } | { kind: 'probability'; op: string };

/** What the model's losses require of the target input `y`. */
export function targetRules(m: BuiltModel): TargetRule[] {
  const y = m.forward.inputs.find((n) => n.attrs.name === 'y');
  if (!y) return [];
  const isY = (n: Node): boolean => n === y || (n.op === 'Cast' && n.inputs[0] === y);
  const rules: TargetRule[] = [];
  for (const n of m.forward.nodes) {
    if ((n.op === 'CrossEntropy' || n.op === 'NLL') && n.inputs.length > 1 && isY(n.inputs[1])) {
      const c = n.inputs[0].shape[n.inputs[0].shape.length - 1];
      if (typeof c === 'number') rules.push({ kind: 'classes', classes: c, op: n.op });
    } else if (n.op === 'OneHot' && isY(n.inputs[0]) && typeof n.attrs.classes === 'number') {
      rules.push({ kind: 'classes', classes: n.attrs.classes, op: n.op });
    } else if ((n.op === 'BCE' || n.op === 'BCEWithLogits') && n.inputs.length > 1 && isY(n.inputs[1])) {
      rules.push({ kind: 'probability', op: n.op });
    }
  }
  return rules;
}

/** Every value finite, and the targets what the model's losses take; else a DataError. */
export function checkData(m: BuiltModel, d: Dataset): void {
  checkFinite(d);
  for (const rule of targetRules(m)) {
    for (let r = 0; r < d.rows; r++) {
      const v = d.y[r];
      if (rule.kind === 'classes') {
        if (!Number.isInteger(v)) throw new DataError(`${wherePos(d, r, d.features)}: ${v} is not a class index (${rule.op} takes integers 0 to ${rule.classes - 1})`);
        if (v < 0 || v >= rule.classes) throw new DataError(`${wherePos(d, r, d.features)}: class index ${v} is out of range (${rule.op} over ${rule.classes} classes takes 0 to ${rule.classes - 1})`);
      } else if (!(v >= 0 && v <= 1)) {
        throw new DataError(`${wherePos(d, r, d.features)}: target ${v} is outside [0, 1] (${rule.op} takes probabilities)`);
      }
    }
  }
}
