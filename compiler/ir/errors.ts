/** Errors raised while a graph is built or checked: they name the op, the shapes and the source line. */
import { posStr, resolvePos, type SourcePos } from './source.ts';

export class GraphError extends Error {
  override name = 'GraphError';
  readonly src?: SourcePos;
  constructor(message: string, src?: SourcePos) {
    const at = resolvePos(src);
    super(at ? `${posStr(at)}: ${message}` : message);
    this.src = at;
  }
}
