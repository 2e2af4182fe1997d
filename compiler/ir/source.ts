/**
 * Source positions: each node remembers where in the user's model file it was built, so errors, the
 * `--explain` report and the exported ONNX can point back to the DSL line. Captured from the JavaScript
 * stack (works in Node and browsers whose stacks name `file:line:col`), skipping graphc's own frames.
 */
export interface SourcePos {
  readonly file: string;
  readonly line: number;
  readonly col: number;
}

/**
 * graphc's own code: a stack frame in one of these folders (or below) is not the user's. Each part of
 * graphc that builds nodes on its caller's behalf registers its own folder, `ownSources(import.meta.url)`,
 * so positions are found without naming the repository's folders.
 */
const own = new Set<string>();
export function ownSources(moduleUrl: string): void {
  const dir = moduleUrl.slice(0, moduleUrl.lastIndexOf('/') + 1);
  own.add(dir);
  if (dir.startsWith('file://')) own.add(decodeURIComponent(dir.slice(7)));
}
ownSources(import.meta.url);
const isOwn = (file: string): boolean => {
  for (const d of own) if (file.startsWith(d)) return true;
  return false;
};

const frameRe = /\(?((?:file:\/\/|\/|[A-Za-z]:\\|https?:\/\/)[^()\s]*?):(\d+):(\d+)\)?\s*$/;

/** Base against which positions are shown (set by the CLI to the working directory). */
let displayBase = '';
export function setSourceBase(base: string): void {
  displayBase = base.endsWith('/') ? base : base + '/';
}

const aliases = new Map<string, string>();
/** Shows positions in `file` as positions in `shownAs` (a model loaded through a temporary copy). */
export function aliasSource(file: string, shownAs: string): void {
  aliases.set(file, shownAs);
}

/** Maps a generated file's positions (1-based) back to its sources: a bundled model and its source map. */
export type PositionMap = (line: number, col: number) => SourcePos | undefined;
const maps = new Map<string, PositionMap>();
/** Positions in `file` (a path or URL) are shown through `map` (undefined: as they are). */
export function mapSource(file: string, map: PositionMap): void {
  maps.set(file.startsWith('file://') ? decodeURIComponent(file.slice(7)) : file, map);
}

/** A `file:line:col` position as the user wrote it (through a registered source map). */
export function originalPos(file: string, line: number, col: number): SourcePos {
  const f = file.startsWith('file://') ? decodeURIComponent(file.slice(7)) : file;
  const m = maps.get(f);
  return (m && m(line, col)) ?? { file, line, col };
}

export function displayFile(file: string): string {
  let f = file.startsWith('file://') ? decodeURIComponent(file.slice(7)) : file;
  f = aliases.get(f) ?? f;
  if (displayBase && f.startsWith(displayBase)) f = f.slice(displayBase.length);
  return f;
}

export const posStr = (p: SourcePos | undefined): string => {
  const q = resolvePos(p);
  return q ? `${displayFile(q.file)}:${q.line}` : '<unknown>';
};

/**
 * A caller's position read from a captured stack when it is first needed. Capturing a stack costs about a
 * microsecond; formatting it as text costs many more (through source maps under a TypeScript loader, most
 * of building a model), and most nodes' positions are never read. `resolvePos` gives the position, or
 * undefined where the stack has no frame outside graphc; the fields read '<unknown>', 0 then.
 */
class StackPos implements SourcePos {
  private err: Error | null;
  private pos: SourcePos | undefined;
  constructor(err: Error) {
    this.err = err;
  }
  resolve(): SourcePos | undefined {
    if (this.err) {
      this.pos = fromStack(this.err.stack);
      this.err = null;
    }
    return this.pos;
  }
  get file(): string {
    return this.resolve()?.file ?? '<unknown>';
  }
  get line(): number {
    return this.resolve()?.line ?? 0;
  }
  get col(): number {
    return this.resolve()?.col ?? 0;
  }
}

/** The position `p` stands for: a captured caller's found now (undefined where there is none). */
export function resolvePos(p: SourcePos | undefined): SourcePos | undefined {
  return p instanceof StackPos ? p.resolve() : p;
}

/** The first stack frame outside graphc's own sources, found when first read (`resolvePos`). */
export function callerPos(): SourcePos | undefined {
  return new StackPos(new Error());
}

function fromStack(stack: string | undefined): SourcePos | undefined {
  if (!stack) return undefined;
  for (const line of stack.split('\n').slice(1)) {
    const m = frameRe.exec(line.trim());
    if (!m) continue;
    const file = m[1];
    if (file.startsWith('node:') || file.includes('/node_modules/')) continue;
    if (isOwn(file)) continue;
    return originalPos(file, Number(m[2]), Number(m[3]));
  }
  return undefined;
}

let forced: SourcePos | undefined;
/** Runs `fn` with every node it creates attributed to `pos` (used by autodiff and rewrites). */
export function atSource<T>(pos: SourcePos | undefined, fn: () => T): T {
  const prev = forced;
  forced = pos;
  try {
    return fn();
  } finally {
    forced = prev;
  }
}
export const forcedPos = (): SourcePos | undefined => forced;
