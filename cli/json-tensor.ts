/**
 * A tensor in JSON, as `graphc run` reads and writes it: nested arrays (`[[1, 2], [3, 4]]`, a number for
 * a scalar), or `{ "shape": [2, 2], "data": [1, 2, 3, 4] }` with the values in row-major order. JSON has
 * no NaN or infinities: they are the strings "NaN", "Infinity" and "-Infinity", read and written so.
 */

export class JsonTensorError extends Error {
  override name = 'JsonTensorError';
}

const fail = (msg: string): never => {
  throw new JsonTensorError(msg);
};

const special: Record<string, number> = { NaN: NaN, Infinity: Infinity, '-Infinity': -Infinity };

const place = (at: string) => at || 'the top level';

function value(v: unknown, at: string): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string' && Object.hasOwn(special, v)) return special[v];
  return fail(`expected a number at ${place(at)}, got ${JSON.stringify(v)?.slice(0, 40) ?? String(v)}`);
}

/** The shape of nested arrays, from their first elements; `flatten` then checks every level. */
function nestedShape(v: unknown): number[] {
  const shape: number[] = [];
  for (let x = v; Array.isArray(x); x = x[0]) {
    shape.push(x.length);
    if (x.length === 0) break;
  }
  return shape;
}

function flatten(v: unknown, shape: readonly number[], depth: number, at: string, out: number[]): void {
  if (depth === shape.length) {
    out.push(value(v, at));
    return;
  }
  if (!Array.isArray(v)) return fail(`expected an array of ${shape[depth]} at ${place(at)} (shape [${shape.join(', ')}]), got ${JSON.stringify(v)?.slice(0, 40)}`);
  if (v.length !== shape[depth]) fail(`expected ${shape[depth]} elements at ${place(at)} (shape [${shape.join(', ')}]), got ${v.length}`);
  v.forEach((x, i) => flatten(x, shape, depth + 1, `${at}[${i}]`, out));
}

export function readJsonTensor(text: string): { shape: number[]; data: number[] } {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    return fail(`not JSON (${(e as Error).message.split('\n')[0]})`);
  }
  const data: number[] = [];
  if (doc !== null && typeof doc === 'object' && !Array.isArray(doc)) {
    const o = doc as { shape?: unknown; data?: unknown };
    if (!('shape' in o) || !('data' in o)) fail('expected nested arrays or an object { "shape": [...], "data": [...] }');
    const shape = o.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) return fail(`expected "shape" to be an array of sizes, got ${JSON.stringify(shape)?.slice(0, 40)}`);
    const count = (shape as number[]).reduce((a, b) => a * b, 1);
    // the data may be flat (row-major) or nested to the shape
    const flat = Array.isArray(o.data) && !o.data.some(Array.isArray);
    if (flat && (o.data as unknown[]).length === count) (o.data as unknown[]).forEach((x, i) => data.push(value(x, `data[${i}]`)));
    else if (Array.isArray(o.data) && !flat) flatten(o.data, shape as number[], 0, 'data', data);
    else fail(`expected "data" to hold ${count} values for shape [${shape.join(', ')}], got ${Array.isArray(o.data) ? o.data.length : JSON.stringify(o.data)?.slice(0, 40)}`);
    return { shape: shape as number[], data };
  }
  const shape = nestedShape(doc);
  flatten(doc, shape, 0, '', data);
  return { shape, data };
}
