/**
 * Source positions: each node remembers where in the user's model file it was built, so errors, the
 * `--explain` report and the exported ONNX can point back to the DSL line. Captured from the JavaScript
 * stack (works in Node and browsers whose stacks name `file:line:col`), skipping graphc's own frames.
 * In a bundle (graphc and the user's code in one file), positions go through the bundle's source map
 * (`useSourceMap`), and graphc's own frames are those whose mapped source lies in graphc's folders.
 */
import { sourceMapLookup, type SourceMapJson } from './source-map.ts';

export interface SourcePos {
  readonly file: string;
  readonly line: number;
  readonly col: number;
  /** A place in a file that has no lines, shown in place of the line: an imported ONNX model's node (`node 3 'conv1'`). */
  readonly at?: string;
}

/** A position in `file` as shown: `file:line`, or `file node 3 'conv1'` in a file that has no lines. */
export const posIn = (file: string, p: SourcePos): string => (p.at ? `${file} ${p.at}` : `${file}:${p.line}`);

/**
 * graphc's own code: a stack frame in one of these folders (or below) is not the user's. Each part of
 * graphc that builds nodes on its caller's behalf registers its own folder, `ownSources(import.meta.url)`,
 * so positions are found without naming the repository's folders.
 */
const own = new Set<string>();
/**
 * Where each registering module is, as a stack (its second frame is the module's own line): in a bundle,
 * where every module shares the bundle's URL, the bundle's source map names each one's original folder.
 */
const marks: Error[] = [];
/** Those folders, as mapped (recomputed when a map is registered). */
let ownMapped: Set<string> | null = null;
export function ownSources(moduleUrl: string): void {
  const dir = moduleUrl.slice(0, moduleUrl.lastIndexOf('/') + 1);
  own.add(dir);
  if (dir.startsWith('file://')) own.add(decodeURIComponent(dir.slice(7)));
  marks.push(new Error());
  ownMapped = null;
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
  ownMapped = null;
}

/**
 * Positions in a bundle name the user's lines: registers the bundle's source map, given as its JSON (text
 * or parsed), as a `data:` URL, or as the bundle's own text ending in an inline `sourceMappingURL`.
 * `bundle` is the bundle's URL; by default the file graphc itself runs from, which is the bundle when
 * graphc is bundled into it. The map's sources are taken relative to the bundle (as bundlers write them),
 * and shown relative to its folder when they lie in it.
 */
export function useSourceMap(map: string | SourceMapJson, bundle: string = import.meta.url): void {
  if (typeof map !== 'string' && (typeof map !== 'object' || map === null)) throw new TypeError(`useSourceMap: expected a source map (its JSON, as text or parsed, or a data: URL), got ${map === null ? 'null' : typeof map}`);
  const json = typeof map === 'string' ? parseMap(map) : map;
  const lookup = sourceMapLookup(json);
  // a source in the bundle's folder or below is shown relative to it (as `graphc` shows a model relative to
  // the working directory: `graphs/toy.ts:17`, in errors and in exported ONNX alike); others in full
  const names = new Map<string, string>();
  const shown = (source: string): string => {
    let f = names.get(source);
    if (f === undefined) {
      try {
        const abs = new URL(source, bundle).href;
        const base = new URL('./', bundle).href;
        f = abs.startsWith(base) ? decodeURIComponent(abs.slice(base.length)) : abs;
      } catch {
        f = source; // a bundle named by a bare path: sources as the map names them
      }
      names.set(source, f);
    }
    return f;
  };
  mapSource(bundle, (line, col) => {
    const p = lookup(line, col);
    if (!p) return undefined;
    return { file: shown(p.source), line: p.line, col: p.col };
  });
}

function parseMap(text: string): SourceMapJson {
  const t = text.trimStart();
  if (t.startsWith('{')) return JSON.parse(t) as SourceMapJson;
  const inline = /(?:^|\n)\/\/[#@] sourceMappingURL=(data:[^\s]*)\s*$/.exec(t);
  const url = t.startsWith('data:') ? t.trim() : inline?.[1];
  const m = url && /^data:application\/json[^,]*?(;base64)?,(.*)$/s.exec(url);
  if (!m) throw new Error('useSourceMap: expected a source map (its JSON or a data: URL) or a bundle with an inline sourceMappingURL');
  const body = m[1] ? new TextDecoder().decode(Uint8Array.from(atob(m[2]), (c) => c.charCodeAt(0))) : decodeURIComponent(m[2]);
  return JSON.parse(body) as SourceMapJson;
}

/** A `file:line:col` position as the user wrote it (through a registered source map). */
export function originalPos(file: string, line: number, col: number): SourcePos {
  return mappedPos(file, line, col) ?? { file, line, col };
}

/** Whether positions in `file` go through a source map; then `mappedPos` gives them, or undefined where it maps none. */
const mapOf = (file: string): PositionMap | undefined => maps.get(file.startsWith('file://') ? decodeURIComponent(file.slice(7)) : file);
const mappedPos = (file: string, line: number, col: number): SourcePos | undefined => mapOf(file)?.(line, col);

/** graphc's own folders as a bundle's source map names them: those of the modules that registered. */
function ownMappedDirs(): Set<string> {
  if (ownMapped) return ownMapped;
  const dirs = new Set<string>();
  for (const e of marks) {
    const m = frameRe.exec((e.stack ?? '').split('\n').filter((l) => frameRe.test(l.trim()))[1]?.trim() ?? '');
    const p = m && mappedPos(m[1], Number(m[2]), Number(m[3]));
    const dir = p ? p.file.slice(0, p.file.lastIndexOf('/') + 1) : '';
    if (dir) dirs.add(dir);
  }
  return (ownMapped = dirs);
}

export function displayFile(file: string): string {
  let f = file.startsWith('file://') ? decodeURIComponent(file.slice(7)) : file;
  f = aliases.get(f) ?? f;
  if (displayBase && f.startsWith(displayBase)) f = f.slice(displayBase.length);
  return f;
}

export const posStr = (p: SourcePos | undefined): string => {
  const q = resolvePos(p);
  return q ? posIn(displayFile(q.file), q) : '<unknown>';
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
    if (mapOf(file)) {
      // a bundle: the frame is the user's when its source is outside graphc's folders (a frame the map
      // names no source for is the bundler's glue)
      const p = mappedPos(file, Number(m[2]), Number(m[3]));
      if (!p || p.file.includes('/node_modules/')) continue;
      const dirs = ownMappedDirs();
      if ([...dirs].some((d) => p.file.startsWith(d))) continue;
      return p;
    }
    if (isOwn(file)) continue;
    return { file, line: Number(m[2]), col: Number(m[3]) };
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
