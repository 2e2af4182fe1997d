/**
 * Reading a source map (version 3, as bundlers write them): from a position in generated code (a bundle)
 * to the position in the source it came from. Plain JavaScript, no platform API, so a bundled page can
 * name its user's lines (source.ts, `useSourceMap`).
 *
 * `mappings` holds one group per generated line, separated by ';'; a group holds segments separated by
 * ','; a segment is 1, 4 or 5 base64 VLQ numbers: the generated column, then the source's index, its line
 * and its column (and a name's index, unused here), each relative to the same field of the segment before
 * (the generated column only within its line).
 */

/** The fields of a source map this module reads. */
export interface SourceMapJson {
  readonly version: number;
  readonly sources: readonly (string | null)[];
  readonly mappings: string;
  readonly sourceRoot?: string;
  readonly file?: string;
}

/** An original position: the source as the map names it (with `sourceRoot`), 1-based line and column. */
export interface MappedPosition {
  readonly source: string;
  readonly line: number;
  readonly col: number;
}

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const DIGIT = new Int8Array(128).fill(-1);
for (let i = 0; i < BASE64.length; i++) DIGIT[BASE64.charCodeAt(i)] = i;

export const NO_SOURCE = -1;

/**
 * Decodes `mappings` into rows of [generated column, source, source line, source column] (0-based, absolute),
 * `NO_SOURCE` as the source of a segment that maps to none; `lineStart[l]` is the first row of generated
 * line l (and `lineStart[l + 1]` the end of its rows).
 */
export function decodeMappings(mappings: string): { readonly rows: Int32Array; readonly lineStart: Int32Array } {
  let rows = new Int32Array(4096);
  let n = 0;
  const starts: number[] = [0];
  const f = [0, 0, 0, 0, 0];
  let src = 0, srcLine = 0, srcCol = 0;
  let i = 0;
  const len = mappings.length;
  while (i < len) {
    const c = mappings.charCodeAt(i);
    if (c === 59 /* ; */) {
      starts.push(n);
      i++;
      continue;
    }
    if (c === 44 /* , */) {
      i++;
      continue;
    }
    // one segment: up to five VLQ numbers
    let k = 0;
    while (i < len && mappings.charCodeAt(i) !== 44 && mappings.charCodeAt(i) !== 59) {
      let value = 0, shift = 0, digit: number;
      do {
        const ch = mappings.charCodeAt(i++);
        digit = ch < 128 ? DIGIT[ch] : -1;
        if (digit < 0) throw new Error(`source map: '${mappings[i - 1] ?? 'end'}' at ${i - 1} of its mappings is not a base64 digit`);
        value += (digit & 31) * 2 ** shift;
        shift += 5;
      } while (digit & 32);
      if (k < 5) f[k++] = value % 2 === 1 ? -(value - 1) / 2 : value / 2;
    }
    if (k !== 1 && k !== 4 && k !== 5) throw new Error(`source map: a segment of ${k} fields (expected 1, 4 or 5) on generated line ${starts.length}`);
    if (n + 4 > rows.length) {
      const grown = new Int32Array(rows.length * 2);
      grown.set(rows);
      rows = grown;
    }
    const line = starts.length - 1;
    const prevCol = n > starts[line] ? rows[n - 4] : 0;
    rows[n] = prevCol + f[0];
    if (k === 1) rows[n + 1] = NO_SOURCE;
    else {
      src += f[1];
      srcLine += f[2];
      srcCol += f[3];
      rows[n + 1] = src;
      rows[n + 2] = srcLine;
      rows[n + 3] = srcCol;
    }
    n += 4;
  }
  starts.push(n);
  return { rows: rows.subarray(0, n), lineStart: Int32Array.from(starts) };
}

/**
 * A map's lookup: the original position of generated `line`, `col` (1-based, as stack traces give them),
 * from the last segment of that line at or before the column; undefined where none maps to a source.
 */
export function sourceMapLookup(map: SourceMapJson): (line: number, col: number) => MappedPosition | undefined {
  if (map.version !== 3) throw new Error(`source map: version ${String(map.version)} (expected 3)`);
  if (typeof map.mappings !== 'string' || !Array.isArray(map.sources)) throw new Error('source map: no mappings or sources (an index map with sections is not read)');
  const root = map.sourceRoot ? (map.sourceRoot.endsWith('/') ? map.sourceRoot : map.sourceRoot + '/') : '';
  let decoded: ReturnType<typeof decodeMappings> | undefined;
  return (line, col) => {
    decoded ??= decodeMappings(map.mappings);
    const { rows, lineStart } = decoded;
    if (line < 1 || line >= lineStart.length) return undefined;
    // binary search: the last row of the line whose generated column is <= col - 1
    let lo = lineStart[line - 1] / 4, hi = lineStart[line] / 4 - 1, at = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (rows[mid * 4] <= col - 1) {
        at = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (at < 0 || rows[at * 4 + 1] === NO_SOURCE) return undefined;
    const source = map.sources[rows[at * 4 + 1]];
    if (source == null) return undefined;
    return { source: root + source, line: rows[at * 4 + 2] + 1, col: rows[at * 4 + 3] + 1 };
  };
}
