/** Errors raised while a graph is built or checked: they name the op, the shapes and the source line. */
import { posStr, resolvePos, type SourcePos } from './source.ts';

export class GraphError extends Error {
  override name = 'GraphError';
  readonly src?: SourcePos;
  /** The message without its position (for a caller that names the place itself: the ONNX importer). */
  readonly detail: string;
  constructor(message: string, src?: SourcePos) {
    const at = resolvePos(src);
    super(at ? `${posStr(at)}: ${message}` : message);
    this.src = at;
    this.detail = message;
  }
}
