/**
 * Row regions: where a plan runs a narrow linear layer, the elementwise chain after it and the gradients
 * that reduce that chain over the rows as one kernel (wasm/rows.ts) instead of one kernel each:
 *   head     z = MatMul(X, w)            X [N, K] (K at most 16), w [K, 1]
 *   members  the elementwise ops of shape [N, 1] that read z or another member, and otherwise only
 *            values the region can read when it runs (leaves, constants, element counts, nodes
 *            computed before the head, one such value expanded to every row): per-row ones [N, 1]
 *            and scalars
 *   exits    MatMul(X, g, transA) ([K, 1], the weights' gradient) and sums of g over the rows (the
 *            bias's), g a member
 * The region runs where its head was scheduled and writes its exits and every member read outside it;
 * its other members are never materialized. (The gradient of a logistic or a linear regression is one
 * such region.) This fusion is the plan's: the graph is unchanged, so printing, export and the float64
 * reference plans see the ops one by one.
 */
import type { Node } from '../compiler/ir/node.ts';
import type { Kernel, WasmEntry } from './kernels/kernel.ts';
import { getOp } from '../compiler/ir/registry.ts';
import { elementwiseRule } from '../compiler/ir/op.ts';
import { bodyOf, instruction, stepName, type Instruction } from '../compiler/ops/fused.ts';
import { normAxes, shapeStr } from '../compiler/ir/shape.ts';
import { simdRuleOf, type SimdRule, type SimdStep } from './kernels/wasm/elementwise.ts';
import { ARG, rowKernelFor, type RowProgram } from './kernels/wasm/rows.ts';
import { hasRelaxedSimd } from './kernels/wasm/module.ts';
import type { Heap } from './kernels/heap.ts';
import { idleHelper } from './kernels/threads.ts';
import { SplitTimer } from './kernels/split.ts';

/** A product that did not become a region's head, and why (for `graphc compile --explain`). */
export interface RegionMiss {
  readonly node: Node;
  readonly why: string;
}

export interface RowRegion {
  readonly head: Node;
  /** The head, then the chain, in schedule order. */
  readonly members: readonly Node[];
  /** The gradients, then the sums (the program's order). */
  readonly exits: readonly Node[];
  /** External inputs of the chain (nodes), or the value of an element count known when planning. */
  readonly operands: readonly (Node | number)[];
  /** Members read outside the region (stored), in the program's `stores` order. */
  readonly stores: readonly Node[];
  /** Expansions of one value to every row that only the region read (it reads the value): not computed. */
  readonly absorbed: readonly Node[];
  readonly program: RowProgram;
}

/** The SIMD steps of an elementwise node (a Fused chain's body, or the op itself), or null if an op has no rule. */
function stepsOf(n: Node): { name: string; rule: SimdRule; args: number[] }[] | null {
  const body: Instruction[] = n.op === 'Fused' ? bodyOf(n) : [instruction(n.op, n.inputs.map((_, j) => -(j + 1)), n.attrs)];
  const out = [];
  for (const [op, args, attrs] of body) {
    const rule = simdRuleOf(elementwiseRule(getOp(op), attrs));
    if (!rule) return null;
    out.push({ name: stepName(op, attrs), rule, args: [...args] });
  }
  return out;
}

const same = (a: readonly number[] | undefined, b: readonly number[]) => !!a && a.length === b.length && a.every((d, i) => d === b[i]);
const size = (s: readonly number[]) => s.reduce((p, d) => p * d, 1);
/** The value of SizeOf(x) for x of this shape: the product of its dims over the node's axes. */
const countOf = (n: Node, s: readonly number[]) => normAxes(n.attrs.axes as number[] | null, s.length).reduce((p, a) => p * s[a], 1);

/**
 * The row regions of a schedule: `computed` are the plan's computed nodes in order, `shapes` their
 * concrete shapes, `outputs` the graph's output nodes.
 */
export function findRowRegions(computed: readonly Node[], shapes: ReadonlyMap<Node, readonly number[]>, outputs: ReadonlySet<Node>, misses: RegionMiss[] = []): RowRegion[] {
  const index = new Map(computed.map((n, i) => [n, i] as const));
  const consumers = new Map<Node, Node[]>();
  for (const n of computed)
    for (const i of n.inputs) {
      const c = consumers.get(i);
      if (c) c.push(n);
      else consumers.set(i, [n]);
    }
  const taken = new Set<Node>();
  const regions: RowRegion[] = [];
  for (const [h, head] of computed.entries()) {
    if (head.op !== 'MatMul' || taken.has(head)) continue;
    const miss = (why: string) => misses.push({ node: head, why });
    // products with a transposed operand are gradients' (Xᵀ·g: a region's exit where one forms; g·Wᵀ)
    if (head.attrs.transA || head.attrs.transB) continue;
    const [X, w] = head.inputs;
    const sx = shapes.get(X)!;
    const sw = shapes.get(w)!;
    if (sx.length !== 2 || sx[0] === 0) { miss(`X is ${shapeStr(sx)}: a region needs rows of a 2-D X`); continue; }
    if (sx[1] > 16) { miss(`X has ${sx[1]} features: a region holds at most 16 in registers`); continue; }
    if (!same(sw, [sx[1], 1])) { miss(`w is ${shapeStr(sw)}: a region computes one output column`); continue; }
    const rowShape = [sx[0], 1];
    // what the region can read when it runs: leaves, constants, nodes computed before the head, and one
    // value expanded to every row (a mean's gradient is ExpandAs(1, ·) / N), read as that value
    const before = (n: Node) => !index.has(n) || index.get(n)! < h;
    const scalarExpanded = (n: Node) => n.op === 'ExpandAs' && size(shapes.get(n.inputs[0])!) === 1 && before(n.inputs[0]);
    const members = [head];
    const isMember = new Set<Node>([head]);
    for (const n of computed.slice(h + 1)) {
      if (taken.has(n) || n.dtype !== 'f32' || !same(shapes.get(n), rowShape) || !n.inputs.some((i) => isMember.has(i)) || !stepsOf(n)) continue;
      const readable = n.inputs.every((i) => isMember.has(i) || i.op === 'SizeOf' || scalarExpanded(i) || (before(i) && (same(shapes.get(i), rowShape) || size(shapes.get(i)!) === 1)));
      if (!readable) continue;
      members.push(n);
      isMember.add(n);
    }
    const exits = computed.slice(h + 1).filter((n) =>
      !isMember.has(n) && !taken.has(n) &&
      ((n.op === 'MatMul' && n.attrs.transA && !n.attrs.transB && n.inputs[0] === X && isMember.has(n.inputs[1])) ||
        (n.op === 'Sum' && isMember.has(n.inputs[0]) && size(shapes.get(n)!) === 1)));
    if (exits.length === 0) { miss('no gradient reduces the chain over the rows (an inference graph): separate kernels'); continue; }
    const grads = exits.filter((e) => e.op === 'MatMul'), sums = exits.filter((e) => e.op === 'Sum');
    const isExit = new Set(exits);
    // element counts read a member's shape only; any other reader outside the region needs its values
    const stores = members.filter((m) => outputs.has(m) || (consumers.get(m) ?? []).some((c) => !isMember.has(c) && !isExit.has(c) && c.op !== 'SizeOf'));

    const operands: (Node | number)[] = [];
    const value = new Map<Node, number>([[head, -1]]);
    const valueOf = (n: Node): number => {
      let v = value.get(n);
      if (v === undefined && scalarExpanded(n)) value.set(n, (v = valueOf(n.inputs[0])));
      if (v === undefined) {
        v = -(operands.length + 2);
        operands.push(n.op === 'SizeOf' ? countOf(n, shapes.get(n.inputs[0])!) : n);
        value.set(n, v);
      }
      return v;
    };
    const steps: SimdStep[] = [];
    for (const m of members.slice(1)) {
      const base = steps.length;
      for (const st of stepsOf(m)!) steps.push({ name: st.name, rule: st.rule, args: st.args.map((a) => (a >= 0 ? base + a : valueOf(m.inputs[-a - 1]))) });
      value.set(m, steps.length - 1);
    }
    const program: RowProgram = {
      K: sx[1],
      operands: operands.map((o) => (typeof o === 'number' || size(shapes.get(o)!) === 1 ? 'scalar' : 'row')),
      steps,
      stores: stores.map((m) => value.get(m)!),
      grads: grads.map((e) => value.get(e.inputs[1])!),
      sums: sums.map((e) => value.get(e.inputs[0])!),
    };
    // expansions that only the region reads are not computed at all
    const absorbed = [...value.keys()].filter((n) => n.op === 'ExpandAs' && !outputs.has(n) && (consumers.get(n) ?? []).every((c) => isMember.has(c)));
    for (const n of [...members, ...exits]) taken.add(n);
    regions.push({ head, members, exits: [...grads, ...sums], operands, stores, absorbed, program });
  }
  return regions;
}

/**
 * Regions from this many rows split their rows with the helper thread (each half some tens of
 * microseconds). Smaller ones stay on one thread: splitting W2's 759 rows made each warm step faster, but
 * a helper spinning beside a training loop of a few hundred microseconds slowed V8's optimizing of that
 * loop, on the second core, more than the split saved (W2 as a whole was slower).
 */
export const ROW_SPLIT_MIN_ROWS = 16384;

/**
 * The kernel of a region planned for N rows, and the nodes whose buffers it takes, in its order: X, w,
 * the operands that are nodes, the stored members, the exits. All must be in the heap (a float32 plan's
 * are: its arena, its constants, and its leaves, staged there). Null where the kernel does not compile.
 * With enough rows, the rows are done in two shares (the first a multiple of 8 rows), the second writing
 * its gradients and sums' partials to cells of its own, added to the first's after: the second is posted
 * to the helper thread where that pays (split.ts), else run here, the same bits either way.
 */
export function regionKernel(r: RowRegion, N: number, h: Heap): { kernel: Kernel; buffers: Node[] } | null {
  const rk = rowKernelFor(r.program, h.memory, hasRelaxedSimd());
  if (!rk) return null;
  const f = rk.fn;
  const p = r.program;
  const K = p.K, nOps = r.operands.length, nSt = p.stores.length, nG = p.grads.length, nS = p.sums.length;
  const buffers = [r.head.inputs[0], r.head.inputs[1], ...r.operands.filter((o): o is Node => typeof o !== 'number'), ...r.stores, ...r.exits];
  const nArgs = ARG.first + nOps + nSt + nG + 2 * nS;
  const nodeOperands = r.operands.flatMap((o, j) => (typeof o === 'number' ? [] : [j]));
  const sumOut = buffers.length - nS; // the sums' outputs: written by the kernel, or here from the partials
  const half = N >= ROW_SPLIT_MIN_ROWS ? (N >> 4) << 3 : 0;

  // heap cells freed with the kernel: three argument blocks (all rows; the first `half` rows; the rest),
  // the tail's lane mask, the element counts, the helper's gradients, the partials (ours, the helper's)
  const countsAt = 3 * nArgs + 4, gradsAt = countsAt + nOps, partialsAt = Math.ceil((gradsAt + nG * K) / 4) * 4;
  let cells: Float32Array;
  const at = (k: number) => cells.byteOffset + 4 * k;
  const block = (b: number) => new Int32Array(cells.buffer, at(b * nArgs), nArgs);
  let all: Int32Array, mine: Int32Array, theirs: Int32Array, partials: Float64Array, theirGrads: Float32Array;

  /**
   * Fills a block for rows [r0, r0 + rows) from the buffers' byte offsets; `own` selects its output
   * cells; `totals`, that the kernel writes the sums' totals (else only their partials).
   */
  const fill = (a: Int32Array, offs: Int32Array, r0: number, rows: number, own: 0 | 1, totals: boolean) => {
    a[ARG.x] = offs[0] + r0 * K * 4;
    a[ARG.w] = offs[1];
    a[ARG.groups] = rows >> 2;
    a[ARG.tail] = rows % 4;
    a[ARG.mask] = at(3 * nArgs);
    // per-row operands and stores start at row r0
    r.operands.forEach((o, j) => (a[ARG.first + j] = typeof o === 'number' ? at(countsAt + j) : offs[2 + nodeOperands.indexOf(j)] + (p.operands[j] === 'row' ? r0 * 4 : 0)));
    for (let j = 0; j < nSt; j++) a[ARG.first + nOps + j] = offs[2 + nodeOperands.length + j] + r0 * 4;
    for (let j = 0; j < nG; j++) a[ARG.first + nOps + nSt + j] = own ? at(gradsAt + j * K) : offs[2 + nodeOperands.length + nSt + j];
    for (let j = 0; j < nS; j++) a[ARG.first + nOps + nSt + nG + j] = at(partialsAt + 8 * (2 * j + own));
    for (let j = 0; j < nS; j++) a[ARG.first + nOps + nSt + nG + nS + j] = totals ? offs[sumOut + j] : 0;
  };
  const seen: (Float32Array | null)[] = buffers.map(() => null);
  const offs = new Int32Array(buffers.length);
  /** The argument blocks for these buffers (byte offsets read again only for a different view: a plan passes the same ones run after run). */
  const refresh = (ins: readonly Float32Array[]) => {
    let changed = false;
    for (let j = 0; j < buffers.length; j++)
      if (ins[j] !== seen[j]) {
        seen[j] = ins[j];
        offs[j] = ins[j].byteOffset;
        changed = true;
      }
    if (changed) {
      fill(all, offs, 0, N, 0, true);
      if (half) {
        fill(mine, offs, 0, half, 0, false);
        fill(theirs, offs, half, N - half, 1, false);
      }
    }
  };
  const kernel: Kernel = (ins) => {
    refresh(ins);
    if (!half) return f(all.byteOffset); // which writes the sums' totals too
    // two shares, the second posted to the helper when that pays (split.ts), else (or taken back) run here
    const helper = idleHelper();
    const post = helper !== null && timer.split();
    const t0 = helper ? performance.now() : 0;
    const slot = post ? helper!.load(rk) : -1;
    if (slot >= 0) {
      helper!.post('call', slot, theirs.byteOffset);
    }
    f(mine.byteOffset);
    if (slot < 0 || helper!.finish()) f(theirs.byteOffset);
    for (let g = 0; g < nG; g++) {
      const out = ins[2 + nodeOperands.length + nSt + g];
      for (let j = 0; j < K; j++) out[j] += theirGrads[g * K + j];
    }
    for (let s = 0; s < nS; s++) {
      const o = 8 * s;
      ins[sumOut + s][0] = (partials[o] + partials[o + 1]) + (partials[o + 2] + partials[o + 3]) + ((partials[o + 4] + partials[o + 5]) + (partials[o + 6] + partials[o + 7]));
    }
    if (helper) timer.record(post, performance.now() - t0);
  };
  const timer = new SplitTimer(`row region (${N} rows, ${K} features)`);
  cells = h.alloc(partialsAt + 16 * nS, kernel);
  [all, mine, theirs] = [block(0), block(1), block(2)];
  const mask = new Int32Array(cells.buffer, at(3 * nArgs), 4);
  for (let l = 0; l < 4; l++) mask[l] = l < N % 4 ? -1 : 0;
  r.operands.forEach((o, j) => typeof o === 'number' && (cells[countsAt + j] = o));
  theirGrads = cells.subarray(gradsAt, gradsAt + nG * K);
  partials = new Float64Array(cells.buffer, at(partialsAt), 8 * nS);
  // on one thread, the kernel is one WebAssembly call (a plan of such calls runs as one: wasm/sequence.ts)
  const wasm: WasmEntry | undefined = half ? undefined : { fn: f, arity: 1, args: (ins) => (ins.every((b) => h.owns(b)) ? (refresh(ins), [all.byteOffset]) : null) };
  return { kernel: Object.assign(kernel, { wasm, path: `WebAssembly SIMD row region (${N} rows, ${K} features)` }), buffers };
}
