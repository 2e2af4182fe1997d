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
 * A model whose shapes (or a mode) depend on the values of small graph inputs (`inputs`, by name), or on
 * the shapes of inputs with symbolic dims (`shapes`): it imports once they are given (`ImportOptions.bind`,
 * `ImportOptions.shapes`); `OnnxSession` (export/specialize.ts) binds them from
 * what each run is fed. `graphInputs` and `defaults` are the model's inputs as the import read them.
 */
export class OnnxSpecializeError extends OnnxImportError {
  override name = 'OnnxSpecializeError';
  constructor(
    message: string,
    readonly inputs: readonly string[],
    readonly graphInputs: readonly Node[],
    readonly defaults: readonly Node[],
    /** The graph inputs whose shapes (symbolic dims) it needs: it imports once they are given (`ImportOptions.shapes`). */
    readonly shapes: readonly string[] = [],
  ) {
    super(message);
  }
}
