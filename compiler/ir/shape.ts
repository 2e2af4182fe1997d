/**
 * Shapes: each dimension is a number (static) or a name (symbolic, bound at run time, e.g. the batch 'N').
 * Broadcasting follows numpy: shapes align on the right; two dims agree when they are equal or one is 1.
 * A symbolic dim meets only itself or 1 at graph-build time, so every accepted graph is valid for every
 * binding of its symbols.
 */
export type Dim = number | string;
export type Shape = readonly Dim[];

export const shapeStr = (s: Shape): string => `[${s.join(', ')}]`;

/**
 * Why `shape` cannot be a leaf's as declared, or undefined: each dimension an integer 0 or more (as
 * `torch.zeros` takes) or, where `symbolic`, a name such as 'N'.
 */
export function leafShapeProblem(shape: Shape, symbolic: boolean): string | undefined {
  const bad = shape.find((d) => (typeof d === 'string' ? !symbolic || d === '' : !(Number.isSafeInteger(d) && d >= 0)));
  if (bad === undefined) return undefined;
  const shown = typeof bad === 'string' ? `'${bad}'` : String(bad);
  return `a dimension must be an integer 0 or more${symbolic ? " or a symbol such as 'N'" : ''}, got ${shown} in ${shapeStr(shape)}`;
}

export function sameShape(a: Shape, b: Shape): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function broadcastDim(a: Dim, b: Dim): Dim | null {
  if (a === b) return a;
  if (a === 1) return b;
  if (b === 1) return a;
  return null;
}

/** The shape `a` and `b` broadcast to: `a` itself (not a copy) when they are the same. */
export function broadcastShapes(a: Shape, b: Shape): Shape | null {
  if (sameShape(a, b)) return a;
  const n = Math.max(a.length, b.length);
  const out: Dim[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const da = i < n - a.length ? 1 : a[i - (n - a.length)];
    const db = i < n - b.length ? 1 : b[i - (n - b.length)];
    const d = broadcastDim(da, db);
    if (d === null) return null;
    out[i] = d;
  }
  return out;
}

/** Number of elements of a concrete shape. */
export const sizeOf = (s: readonly number[]): number => s.reduce((p, d) => p * d, 1);

export const isStatic = (s: Shape): s is readonly number[] => s.every((d) => typeof d === 'number');

/** Normalizes possibly negative axes against a rank, sorted and unique. */
export function normAxes(axes: readonly number[] | null | undefined, rank: number): number[] {
  if (axes == null) return [...Array(rank).keys()];
  const out = axes.map((a) => (a < 0 ? a + rank : a));
  for (const a of out) if (a < 0 || a >= rank) throw new RangeError(`axis ${a} out of range for rank ${rank}`);
  return [...new Set(out)].sort((x, y) => x - y);
}

/** Binds the symbols of `shape` against a concrete `actual`, recording new bindings in `env`. */
export function bindShape(shape: Shape, actual: readonly number[], env: Map<string, number>, what: string): void {
  if (shape.length !== actual.length) throw new ShapeError(`${what}: expected rank ${shape.length} ${shapeStr(shape)}, got ${shapeStr(actual)}`);
  shape.forEach((d, i) => {
    const a = actual[i];
    if (typeof d === 'number') {
      if (d !== a) throw new ShapeError(`${what}: expected ${shapeStr(shape)}, got ${shapeStr(actual)} (dim ${i} should be ${d})`);
    } else {
      const bound = env.get(d);
      if (bound === undefined) env.set(d, a);
      else if (bound !== a) throw new ShapeError(`${what}: dim '${d}' is ${bound} elsewhere but ${a} here (${shapeStr(actual)})`);
    }
  });
}

export function resolveShape(shape: Shape, env: ReadonlyMap<string, number>): number[] {
  return shape.map((d) => {
    if (typeof d === 'number') return d;
    const v = env.get(d);
    if (v === undefined) throw new ShapeError(`symbolic dim '${d}' is not bound by any input`);
    return v;
  });
}

export class ShapeError extends Error {
  override name = 'ShapeError';
}
