/** Errors raised while a graph is built or checked: they name the op, the shapes and the source line. */
import { posStr, type SourcePos } from './source.ts';

export class GraphError extends Error {
  override name = 'GraphError';
  constructor(
    message: string,
    readonly src?: SourcePos,
  ) {
    super(src ? `${posStr(src)}: ${message}` : message);
  }
}
