/** The errors an ONNX file graphc cannot read raises (kept apart from the importer: they load nothing). */
import type { Node } from '../compiler/ir/node.ts';

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
