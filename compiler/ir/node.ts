/**
 * The IR node: immutable and interned. Building a node equal to an existing one (same op, same inputs,
 * same attributes) in the same build returns the existing object, so identical subexpressions are shared
 * by construction and nodes can be used as map keys. Shapes and dtypes are inferred once, by the op's
 * own rule. Interning never reaches across builds: a node's identity, printout and source position do
 * not depend on what was built before it.
 */
import type { Shape } from './shape.ts';
import { callerPos, forcedPos, type SourcePos } from './source.ts';
import { getOp } from './registry.ts';

export type DType = 'f32' | 'bool' | 'i64';
export type AttrValue = number | string | boolean | null | readonly number[] | readonly string[] | Float32Array;
export type Attrs = Readonly<Record<string, AttrValue>>;

let nextId = 1;
let scope = 0;
let scopes = 0;

/**
 * Runs `fn` in a fresh scope (each model build is one): nodes built inside are distinct from those of
 * any other scope, constants and expressions over constants included, so two builds never share nodes
 * or source positions. Within a scope, equal leaves and equal expressions are one node. A node belongs
 * to the latest scope among its inputs and the scope it is built in.
 */
export function inLeafScope<T>(fn: () => T): T {
  return withScope(++scopes, fn);
}

/**
 * Runs `fn` in the scope of `nodes` (the latest among them): what a transform of a graph builds (its
 * gradient, its rewrites, the constants they need) belongs to the graph's build, not to every build.
 */
export function inScopeOf<T>(nodes: readonly Node[], fn: () => T): T {
  return withScope(nodes.reduce((s, n) => Math.max(s, n.scope), scope), fn);
}

function withScope<T>(s: number, fn: () => T): T {
  const prev = scope;
  scope = s;
  try {
    return fn();
  } finally {
    scope = prev;
  }
}
const table = new Map<string, WeakRef<Node>>();
const registry = new FinalizationRegistry<string>((key) => {
  const ref = table.get(key);
  if (ref && ref.deref() === undefined) table.delete(key);
});

export class Node {
  readonly id: number;
  readonly op: string;
  readonly inputs: readonly Node[];
  readonly attrs: Attrs;
  readonly shape: Shape;
  readonly dtype: DType;
  readonly #src: SourcePos | undefined;
  readonly key: string;
  /** The build it belongs to (see `inLeafScope`). */
  readonly scope: number;

  /** Use `mk` (interning) rather than the constructor. */
  private constructor(op: string, inputs: readonly Node[], attrs: Attrs, shape: Shape, dtype: DType, src: SourcePos | undefined, key: string, scope: number) {
    this.id = nextId++;
    this.op = op;
    this.inputs = Object.freeze([...inputs]);
    this.attrs = Object.freeze({ ...attrs });
    this.shape = Object.freeze([...shape]);
    this.dtype = dtype;
    this.#src = src;
    this.key = key;
    this.scope = scope;
    Object.freeze(this);
  }

  /** Creates (or finds) the node `op(inputs; attrs)`; the op's shape rule validates it. */
  static mk(op: string, inputs: readonly Node[], attrs: Attrs = {}, src?: SourcePos): Node {
    const def = getOp(op);
    const at = inputs.reduce((s, i) => Math.max(s, i.scope), scope);
    const key = `${op}(${inputs.map((i) => i.id).join(',')})${attrKey(attrs)}@${at}`;
    const hit = table.get(key)?.deref();
    if (hit && samePayload(hit.attrs, attrs)) return hit;
    if (def.arity !== 'variadic' && inputs.length !== def.arity)
      throw new Error(`${op} takes ${def.arity} input(s), got ${inputs.length}`);
    const pos = src ?? forcedPos() ?? callerPos();
    const { shape, dtype } = def.infer(inputs, attrs, pos);
    const n = new Node(op, inputs, attrs, shape, dtype, pos, key, at);
    table.set(key, new WeakRef(n));
    registry.register(n, key);
    return n;
  }

  /**
   * Where in the user's model file the node was built: possibly a caller's position not yet read from its
   * stack (source.ts); `resolvePos` gives it, or undefined where there is none. Passed on as it is, it is
   * read once, when something shows it.
   */
  get src(): SourcePos | undefined {
    return this.#src;
  }

  toString(): string {
    return `%${this.id}:${this.op}`;
  }
}

/** Array payloads are keyed by a hash; a hit is confirmed element by element. */
function samePayload(a: Attrs, b: Attrs): boolean {
  for (const k of Object.keys(b)) {
    const x = a[k], y = b[k];
    if (y instanceof Float32Array) {
      if (!(x instanceof Float32Array) || x.length !== y.length) return false;
      for (let i = 0; i < y.length; i++) if (!Object.is(x[i], y[i])) return false;
    }
  }
  return true;
}

function attrKey(attrs: Attrs): string {
  const keys = Object.keys(attrs).sort();
  if (keys.length === 0) return '';
  return '{' + keys.map((k) => `${k}=${valueKey(attrs[k])}`).join(';') + '}';
}

function valueKey(v: AttrValue): string {
  if (v instanceof Float32Array) return `f32[${v.length}]#${hashF32(v)}`;
  return JSON.stringify(v);
}

/** FNV-1a over the bytes of a float array: interning key for constant and initializer payloads. */
function hashF32(a: Float32Array): string {
  const b = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  let h1 = 0x811c9dc5, h2 = 0x01000193 ^ b.length;
  for (let i = 0; i < b.length; i++) {
    h1 = Math.imul(h1 ^ b[i], 0x01000193);
    h2 = Math.imul(h2 ^ b[i], 0x5bd1e995);
  }
  return (h1 >>> 0).toString(16) + (h2 >>> 0).toString(16);
}
