/**
 * The WebAssembly module writer: LEB128 integers, sections, and a module of functions (written with the
 * function builder, builder.ts) over an imported memory. Kernels are generated as bytes at run time; no
 * toolchain. The binary format is the WebAssembly core specification's.
 */
export const uleb = (v: number): number[] => {
  const out: number[] = [];
  do {
    let b = v & 0x7f;
    v >>>= 7;
    if (v) b |= 0x80;
    out.push(b);
  } while (v);
  return out;
};

export const sleb = (v: number): number[] => {
  const out: number[] = [];
  for (;;) {
    const b = v & 0x7f;
    v >>= 7;
    if ((v === 0 && !(b & 0x40)) || (v === -1 && b & 0x40)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
};

const section = (id: number, body: number[]) => [id, ...uleb(body.length), ...body];
const vec = (items: number[][]) => [...uleb(items.length), ...items.flat()];
const name = (s: string) => [...uleb(s.length), ...new TextEncoder().encode(s)];

export interface Func {
  readonly name: string;
  readonly params: number[];
  readonly locals: number[];
  readonly body: number[];
  /** Result types (none where absent). */
  readonly results?: number[];
}

/** A function a module imports (as env.<name>), taking these parameters and returning nothing. */
export interface Import {
  readonly name: string;
  readonly params: number[];
}

/**
 * A module importing its memory as env.memory (and the given functions, which take the first function
 * indices, so the module's own functions start after them) and exporting the given functions (no
 * results). A shared memory must be declared shared, with a maximum of at least the memory's own.
 */
export function module(funcs: readonly Func[], memory: { shared: boolean; maxPages?: number } = { shared: false }, fnImports: readonly Import[] = []): Uint8Array {
  const signature = (params: number[], results: number[] = []) => [0x60, ...vec(params.map((p) => [p])), ...vec(results.map((r) => [r]))];
  const types = [...fnImports.map((f) => signature(f.params)), ...funcs.map((f) => signature(f.params, f.results))];
  // limits: flags 0x00 (min) or 0x03 (shared, min and max); min 1 page
  const limits = memory.shared ? [0x03, 1, ...uleb(memory.maxPages ?? 65536)] : [0x00, 1];
  const imports = [[...name('env'), ...name('memory'), 0x02, ...limits], ...fnImports.map((f, i) => [...name('env'), ...name(f.name), 0x00, ...uleb(i)])];
  const nImp = fnImports.length;
  // the code section: each body copied into place whole (a kernel's body is thousands of bytes, which
  // spreading into one array of numbers after another costs milliseconds in code that runs once)
  const codes = funcs.map((f) => {
    const locals = f.locals.length ? vec(f.locals.map((t) => [1, t])) : [0];
    return { head: [...uleb(locals.length + f.body.length + 1), ...locals], body: f.body };
  });
  const count = uleb(funcs.length);
  const codeBytes = codes.reduce((n, c) => n + c.head.length + c.body.length + 1, count.length);
  const parts: (readonly number[])[] = [
    [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    section(1, vec(types)),
    section(2, vec(imports)),
    section(3, vec(funcs.map((_, i) => uleb(nImp + i)))),
    section(7, vec(funcs.map((f, i) => [...name(f.name), 0x00, ...uleb(nImp + i)]))),
    [10, ...uleb(codeBytes), ...count],
    ...codes.flatMap((c) => [c.head, c.body, [0x0b]]),
  ];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
