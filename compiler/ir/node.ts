/**
 * The IR node: immutable and interned. Building a node equal to an existing one (same op, same inputs,
 * same attributes) in the same build returns the existing object, so identical subexpressions are shared
 * by construction and nodes can be used as map keys. Shapes and dtypes are inferred once, by the op's
 * own rule. Interning never reaches across builds: a node's identity, printout and source position do
 * not depend on what was built before it.
 */
import { sameShape, type Shape } from './shape.ts';
import { callerPos, forcedPos, type SourcePos } from './source.ts';
import { getOp } from './registry.ts';
import { InternTable, nodeHash } from './intern.ts';

export type DType = 'f32' | 'bool' | 'i64';
export type AttrValue = number | string | boolean | null | readonly number[] | readonly string[] | Float32Array;
export type Attrs = Readonly<Record<string, AttrValue>>;

let nextId = 1;
let scopes = 0;
/** Nodes built outside any build: held weakly, since this table is never dropped. */
const outside = new InternTable<Node>(0, true);
let current: InternTable<Node> = outside;

/**
 * Runs `fn` in a fresh scope (each model build is one): nodes built inside are distinct from those of
 * any other scope, constants and expressions over constants included, so two builds never share nodes
 * or source positions. Within a scope, equal leaves and equal expressions are one node. A node belongs
 * to the latest scope among its inputs and the scope it is built in.
 */
export function inLeafScope<T>(fn: () => T): T {
  return withScope(new InternTable<Node>(++scopes), fn);
}

/**
 * Runs `fn` in the scope of `nodes` (the latest among them): what a transform of a graph builds (its
 * gradient, its rewrites, the constants they need) belongs to the graph's build, not to every build.
 */
export function inScopeOf<T>(nodes: readonly Node[], fn: () => T): T {
  let t = current;
  for (const n of nodes) {
    const tn = tableOf(n);
    if (tn.id > t.id) t = tn;
  }
  return withScope(t, fn);
}

function withScope<T>(t: InternTable<Node>, fn: () => T): T {
  const prev = current;
  current = t;
  try {
    return fn();
  } finally {
    current = prev;
  }
}

let tableOf: (n: Node) => InternTable<Node>;
let construct: (op: string, inputs: readonly Node[], attrs: Attrs, shape: Shape, dtype: DType, src: SourcePos | undefined, table: InternTable<Node>) => Node;

export class Node {
  readonly id: number;
  readonly op: string;
  readonly inputs: readonly Node[];
  readonly attrs: Attrs;
  readonly shape: Shape;
  readonly dtype: DType;
  readonly #src: SourcePos | undefined;
  /** Its build's table (which holds it): a build's nodes live and go together. */
  readonly #table: InternTable<Node>;
  /** The build it belongs to (see `inLeafScope`). */
  readonly scope: number;

  static {
    tableOf = (n) => n.#table;
    construct = (op, inputs, attrs, shape, dtype, src, table) => new Node(op, inputs, attrs, shape, dtype, src, table);
  }

  /** Use `mk` (interning) rather than the constructor. */
  private constructor(op: string, inputs: readonly Node[], attrs: Attrs, shape: Shape, dtype: DType, src: SourcePos | undefined, table: InternTable<Node>) {
    this.id = nextId++;
    this.op = op;
    // frozen arrays and attributes (another node's) are shared as they are
    this.inputs = Object.isFrozen(inputs) ? inputs : Object.freeze([...inputs]);
    this.attrs = Object.isFrozen(attrs) ? attrs : Object.freeze({ ...attrs });
    this.shape = Object.isFrozen(shape) ? shape : Object.freeze([...shape]);
    this.dtype = dtype;
    this.#src = src;
    this.#table = table;
    this.scope = table.id;
    Object.freeze(this);
  }

  /**
   * Creates (or finds) the node `op(inputs; attrs)`; the op's arity and shape rule validate it. This is
   * the only way to make a node (`remake` is this with the rule's answer known) and a node never changes,
   * so every node's arity and shape are its op's in every graph: the verifier does not run the rules again.
   */
  static mk(op: string, inputs: readonly Node[], attrs: Attrs = {}, src?: SourcePos): Node {
    return make(op, inputs, attrs, src, undefined);
  }

  /**
   * `n` over other inputs: `Node.mk(n.op, inputs, n.attrs, n.src)`. Where each input has the shape and
   * dtype of the one it replaces (a rewrite keeps what it replaces), the op's shape rule, a function of the
   * attributes and of the inputs' shapes and dtypes (OpCore.infer), gives n's shape and dtype again: they
   * are kept rather than inferred again. Elsewhere the rule runs as in `mk`.
   */
  static remake(n: Node, inputs: readonly Node[]): Node {
    return make(n.op, inputs, n.attrs, n.src, n);
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

/** `Node.mk`, and `Node.remake` of `like` (its shape and dtype, where the inputs' shapes and dtypes are its inputs'). */
function make(op: string, inputs: readonly Node[], attrs: Attrs, src: SourcePos | undefined, like: Node | undefined): Node {
  const def = getOp(op);
  let t = current;
  for (let i = 0; i < inputs.length; i++) {
    const ti = tableOf(inputs[i]);
    if (ti.id > t.id) t = ti;
  }
  const h = nodeHash(op, inputs, attrs);
  const hit = t.find(h, op, inputs, attrs);
  if (hit) return hit;
  if (def.arity !== 'variadic' && inputs.length !== def.arity)
    throw new Error(`${op} takes ${def.arity} input(s), got ${inputs.length}`);
  const pos = src ?? forcedPos() ?? callerPos();
  const { shape, dtype } = like && sameInputs(like.inputs, inputs) ? like : def.infer(inputs, attrs, pos);
  const n = construct(op, inputs, attrs, shape, dtype, pos, t);
  t.add(h, n);
  return n;
}

/** Whether `b` has `a`'s length and each of its nodes the shape and dtype of `a`'s. */
function sameInputs(a: readonly Node[], b: readonly Node[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i], y = b[i];
    if (x !== y && (x.dtype !== y.dtype || (x.shape !== y.shape && !sameShape(x.shape, y.shape)))) return false;
  }
  return true;
}
