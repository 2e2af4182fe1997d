/**
 * The errors an ONNX file graphc cannot read raises (kept apart from the importer: they load nothing),
 * and how a name from the file is shown in them.
 */
import type { Node } from '../compiler/ir/node.ts';

/** A name read from the file as a position shows it: control characters escaped, at most 80 characters. */
export const shownName = (name: string): string => {
  const clean = name.replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return clean.length > 80 ? clean.slice(0, 80) + '…' : clean;
};

export class OnnxImportError extends Error {
  override name = 'OnnxImportError';
}

/**
 * A model whose shapes (or a mode) depend on the values of small graph inputs (`inputs`, by name): it
 * imports once they are given (`ImportOptions.bind`); `OnnxSession` (export/specialize.ts) binds them from
 * what each run is fed. `graphInputs` and `defaults` are the model's inputs as the import read them.
 */
export class OnnxSpecializeError extends OnnxImportError {
  override name = 'OnnxSpecializeError';
  constructor(
    message: string,
    readonly inputs: readonly string[],
    readonly graphInputs: readonly Node[],
    readonly defaults: readonly Node[],
  ) {
    super(message);
  }
}
