/**
 * A numeric CSV reader that reads what `numpy.loadtxt(path, delimiter=',')` reads and refuses what it
 * refuses (numpy 1.23+, its C reader), fed bytes chunk by chunk so that a large file streams through it:
 * - lines end with `\n`, `\r\n` or `\r`, mixed in one file (numpy opens the file with universal newlines);
 * - `#` starts a comment up to the line's end; a line with nothing before its comment (or nothing at all)
 *   is skipped, while a line of blanks is a row of one empty field (an error, as in numpy);
 * - a field is a number as Python's float() parser reads it once blanks around it are stripped: decimal
 *   digits with an optional sign, point and exponent, or `inf`, `infinity`, `nan` in any case with an
 *   optional sign; `0x10`, `0b101`, `1_000`, `1d5`, an empty field and quotes are refused;
 * - bytes are read as Latin-1 (numpy's default encoding for loadtxt), so 0xA0 is a blank;
 * - every row has the first row's number of fields.
 * Values are rounded to float64 (as numpy stores them), then to float32 (as graphc computes); a number
 * beyond float32's range (1e39) is stored as ±Infinity, as numpy's float32 holds it, and the table keeps
 * its text for the error that refuses it (`CsvTable.beyondFloat32`). Numbers are parsed in csv-number.ts.
 * No I/O here: the caller reads the file (runtime/node.ts `readCsvFile` in Node) or gives the text.
 */
import { beyondFloat32, FLOAT32_OVERFLOW, parseNumberBytes, shown } from './csv-number.ts';

/** Data that cannot be read or used as given: one line naming the file, its line and the column. */
export class DataError extends Error {
  override name = 'DataError';
}

/** A numeric table: rows of `cols` values, stored in blocks as read (`CsvTable.copyColumns` reads them out). */
export class CsvTable {
  private readonly blocks: (Float32Array | null)[];
  constructor(
    readonly file: string,
    readonly rows: number,
    readonly cols: number,
    blocks: readonly Float32Array[],
    private readonly blockRows: number,
    /** [first data row, its file line] wherever a skipped line shifted the numbering. */
    private readonly lineMarks: readonly (readonly [number, number])[],
    /** Per column, the first value float32 could not hold: [data row, its text]. */
    private readonly beyond: ReadonlyMap<number, readonly [number, string]> = new Map(),
  ) {
    this.blocks = [...blocks];
  }

  /** The file line (1-based) of data row `row` (0-based). */
  lineOf(row: number): number {
    return lineOfRow(this.lineMarks, row);
  }

  /** `lineOf` without the table: it holds the line numbering only, so the values can be freed. */
  lines(): (row: number) => number {
    const marks = this.lineMarks;
    return (row) => lineOfRow(marks, row);
  }

  /**
   * The text of the value at data row `row`, column `col` (both 0-based) where it is a number float32
   * cannot hold (stored as ±Infinity), for the error that refuses it; else undefined. Known for the first
   * such value of each column: the one that a check going through the rows in order, stopping at the
   * first value that is not finite, can meet. Like `lines`, it holds no values.
   */
  beyondFloat32(): (row: number, col: number) => string | undefined {
    const beyond = this.beyond;
    return (row, col) => {
      const b = beyond.get(col);
      return b && b[0] === row ? b[1] : undefined;
    };
  }

  private block(r: number): Float32Array {
    const b = this.blocks[Math.floor(r / this.blockRows)];
    if (!b) throw new Error(`${this.file}: the table's values were taken`);
    return b;
  }

  /** Columns [from, to) of every row, row-major. */
  copyColumns(from: number, to: number): Float32Array {
    const w = to - from, out = new Float32Array(this.rows * w);
    for (let r = 0; r < this.rows; r++) {
      const b = this.block(r), o = (r % this.blockRows) * this.cols + from;
      for (let c = 0; c < w; c++) out[r * w + c] = b[o + c];
    }
    return out;
  }

  /**
   * All columns but the last (x) and the last (y), row-major, each block of the table released once
   * copied: the memory used at once is the values and one block, not the values twice. The table holds
   * no values after. `place` allocates x and y (a caller may put them where the kernels read them).
   */
  takeXY(place: Place = (n) => new Float32Array(n)): { x: Float32Array; y: Float32Array } {
    const f = this.cols - 1, x = place(this.rows * f), y = place(this.rows);
    for (let k = 0, r = 0; r < this.rows; k++) {
      const b = this.block(r);
      for (let o = 0; o < b.length; o += this.cols, r++) {
        for (let c = 0; c < f; c++) x[r * f + c] = b[o + c];
        y[r] = b[o + f];
      }
      this.blocks[k] = null;
    }
    return { x, y };
  }
}

function lineOfRow(marks: readonly (readonly [number, number])[], row: number): number {
  let line = row + 1;
  for (const [r, l] of marks) {
    if (r > row) break;
    line = l + (row - r);
  }
  return line;
}

const BLOCK_VALUES = 1 << 18;
const NL = 10, CR = 13, COMMA = 44, HASH = 35;

/** The longest line read (bytes): /dev/zero or a binary file without line ends stops here, not at 4 GiB. */
const MAX_LINE = 2 ** 28;
/** Allocates a zeroed float32 buffer of `floats` values. */
export type Place = (floats: number) => Float32Array;

/**
 * Reads a CSV file pushed in chunks of bytes; `end()` gives the table. Complete lines are parsed where
 * they lie in the chunk; only a line cut by the chunk's end is copied (to the next chunk's front).
 */
export class CsvReader {
  private tail = new Uint8Array(256);
  private tailLen = 0;
  private afterCR = false;
  private line = 1;
  private cols = -1;
  private rows = 0;
  private first: number[] = [];
  private block = new Float32Array(0);
  private blockRows = 0;
  private readonly blocks: Float32Array[] = [];
  private readonly lineMarks: [number, number][] = [];
  private readonly beyond = new Map<number, [number, string]>();
  private lineOffset = 1;

  constructor(readonly file = '<data>') {}

  push(chunk: Uint8Array): void {
    let start = 0;
    if (this.afterCR && chunk.length > 0) {
      this.afterCR = false;
      if (chunk[0] === NL) start = 1; // \r\n cut between chunks: one line end
    }
    let last = chunk.length - 1;
    while (last >= start && chunk[last] !== NL && chunk[last] !== CR) last--;
    if (last < start) return this.keep(chunk, start, chunk.length);
    if (this.tailLen > 0) {
      this.keep(chunk, start, last + 1);
      const t = this.tail.subarray(0, this.tailLen);
      this.tailLen = 0;
      this.lines(t, 0, t.length);
    } else this.lines(chunk, start, last + 1);
    this.afterCR = chunk[last] === CR;
    this.keep(chunk, last + 1, chunk.length);
  }

  /** Text (one string or several, in order) instead of bytes; characters above U+00FF are not numbers. */
  pushText(text: string): void {
    // a byte-order mark read as text is U+FEFF: its UTF-8 bytes, so that the error names it as in a file
    if (text.charCodeAt(0) === 0xfeff && this.line === 1 && this.tailLen === 0 && this.rows === 0) {
      this.push(new Uint8Array([0xef, 0xbb, 0xbf]));
      text = text.slice(1);
    }
    const n = 1 << 16, buf = new Uint8Array(n);
    for (let s = 0; s < text.length; s += n) {
      const e = Math.min(text.length, s + n);
      for (let i = s; i < e; i++) {
        const c = text.charCodeAt(i);
        buf[i - s] = c < 256 ? c : 0x3f;
      }
      this.push(buf.subarray(0, e - s));
    }
  }

  end(): CsvTable {
    if (this.tailLen > 0) this.lines(this.tail, 0, this.tailLen);
    this.tailLen = 0;
    if (this.rows === 0) throw new DataError(`${this.file}: no data rows`);
    if (this.rows % this.blockRows) this.blocks.push(this.block.slice(0, (this.rows % this.blockRows) * this.cols));
    return new CsvTable(this.file, this.rows, this.cols, this.blocks, this.blockRows, this.lineMarks, this.beyond);
  }

  private keep(b: Uint8Array, s: number, e: number): void {
    const need = this.tailLen + e - s;
    if (need > MAX_LINE) throw new DataError(`${this.file}:${this.line}: a line of more than ${MAX_LINE / 2 ** 20} MiB (is it a CSV text file?)`);
    if (need > this.tail.length) {
      const t = new Uint8Array(Math.max(need, this.tail.length * 2));
      t.set(this.tail.subarray(0, this.tailLen));
      this.tail = t;
    }
    this.tail.set(b.subarray(s, e), this.tailLen);
    this.tailLen = need;
  }

  /** Parses the lines in b[s, e): e is a line's end (or the file's). */
  private lines(b: Uint8Array, s: number, e: number): void {
    let i = s;
    while (i < e) {
      let col = 0;
      let off = (this.rows % this.blockRows) * this.cols;
      for (;;) {
        const fs = i;
        let c = NL;
        while (i < e && (c = b[i]) !== COMMA && c !== NL && c !== CR && c !== HASH) i++;
        if (i === e) c = NL;
        if (c === COMMA || col > 0 || i > fs) {
          // a field: numpy reads every field of a line that holds anything before its comment
          const v = parseNumberBytes(b, fs, i);
          if (v === undefined) this.notANumber(b, fs, i, col);
          // (NaN and ±Infinity come here too, and are no such number; a column's first one is kept)
          if (!(v! < FLOAT32_OVERFLOW && v! > -FLOAT32_OVERFLOW) && !this.beyond.has(col)) {
            const text = beyondFloat32(b, fs, i, v!);
            if (text !== undefined) this.beyond.set(col, [this.rows, text]);
          }
          if (this.cols < 0) this.first.push(v!);
          else if (col < this.cols) this.block[off + col] = v!;
          else throw new DataError(`${this.file}:${this.line}: expected ${this.cols} columns like the first row, got more`);
          col++;
          if (c === COMMA) {
            i++;
            continue;
          }
        }
        break;
      }
      if (col > 0) this.endRow(col);
      if (i < e && b[i] === HASH) while (i < e && b[i] !== NL && b[i] !== CR) i++;
      if (i < e) i += b[i] === CR && i + 1 < e && b[i + 1] === NL ? 2 : 1;
      this.line++;
    }
  }

  private endRow(col: number): void {
    if (this.cols < 0) {
      this.cols = col;
      this.blockRows = Math.max(1, Math.floor(BLOCK_VALUES / col));
      this.block = new Float32Array(this.blockRows * col);
      this.block.set(this.first);
    } else if (col !== this.cols) {
      throw new DataError(`${this.file}:${this.line}: expected ${this.cols} columns like the first row, got ${col}`);
    }
    if (this.line - this.rows !== this.lineOffset) {
      this.lineOffset = this.line - this.rows;
      this.lineMarks.push([this.rows, this.line]);
    }
    this.rows++;
    if (this.rows % this.blockRows === 0) {
      this.blocks.push(this.block);
      this.block = new Float32Array(this.blockRows * this.cols);
    }
  }

  private notANumber(b: Uint8Array, s: number, e: number, col: number): never {
    const bom = this.line === 1 && col === 0 && b[s] === 0xef && b[s + 1] === 0xbb && b[s + 2] === 0xbf;
    const why = bom ? ' (the file starts with a byte-order mark: save it as UTF-8 without one)' : '';
    throw new DataError(`${this.file}:${this.line}: column ${col + 1} is not a number: '${shown(b.subarray(s, e))}'${why}`);
  }
}
