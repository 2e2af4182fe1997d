/**
 * A plan as one WebAssembly call. Where every kernel of a plan has a WebAssembly entry (`WasmEntry`,
 * compiler/ir/op.ts), a generated function imports those kernels and calls each in the plan's order,
 * reading their arguments from an argument block in the heap; running the plan is then one call from JS.
 * For a small plan (W2's step: four kernels, a few microseconds in all) the JS loop over kernels and
 * their wrappers cost as much as the kernels until V8 has optimized them, which for a training loop
 * of a hundred steps is most of the loop; in WebAssembly the calls cost the same from the first step.
 *
 * The function depends only on the kernels' kinds and arities (modules are cached by them); the buffers'
 * offsets are in the argument block, written again only when a plan's leaves move (`bind`).
 */
import type { WasmEntry } from '../../compiler/ir/op.ts';
import { I32, module, op, type Import } from './asm.ts';
import { MAX_PAGES, type Heap } from '../heap.ts';

type Call = (args: number, times: number) => void;

/** An entry of a sequence: a kernel's, or a copy of `bytes` bytes (its arguments: destination, source, bytes). */
export type Entry = WasmEntry & { readonly copy?: boolean };

const MEMORY_COPY = [0xfc, 0x0a, 0x00, 0x00]; // memory.copy (bulk memory): destination, source, bytes

const modules = new Map<string, WebAssembly.Module | null>();

/** The module running entries of these kinds in order, `times` times: `run(block, times)`; null where it does not compile. */
function sequenceModule(entries: readonly Entry[]): WebAssembly.Module | null {
  const key = entries.map((e) => (e.fn ? e.arity : e.copy ? 'c' : 's')).join(',');
  let m = modules.get(key);
  if (m !== undefined) return m;
  const imports: Import[] = [];
  // while (times != 0) { the entries; times -= 1 }
  const b: number[] = [...op.block, ...op.loop, ...op.get(1), ...op.eqz, ...op.brIf(1)];
  let at = 0; // the entry's first argument, in i32s from the block's start
  for (const e of entries) {
    const arg = (j: number) => [...op.get(0), ...op.i32Load(4 * (at + j))];
    if (e.fn) {
      for (let j = 0; j < e.arity; j++) b.push(...arg(j));
      b.push(...op.call(imports.length));
      imports.push({ name: `k${imports.length}`, params: Array(e.arity).fill(I32) });
    } else if (e.copy) b.push(...arg(0), ...arg(1), ...arg(2), ...MEMORY_COPY);
    else b.push(...arg(0), ...arg(1), ...op.i32Store(0));
    at += e.arity;
  }
  b.push(...op.get(1), ...op.i32(1), ...op.sub, ...op.set(1), ...op.br(0), ...op.end, ...op.end);
  try {
    m = new WebAssembly.Module(module([{ name: 'run', params: [I32, I32], locals: [], body: b }], { shared: true, maxPages: MAX_PAGES }, imports) as Uint8Array<ArrayBuffer>);
  } catch {
    m = null;
  }
  modules.set(key, m);
  return m;
}

export class Sequence {
  private readonly run: Call;
  private readonly block: Int32Array;
  private readonly at: number[];

  private constructor(
    private readonly entries: readonly Entry[],
    mod: WebAssembly.Module,
    h: Heap,
    owner: object,
  ) {
    const env: Record<string, unknown> = { memory: h.memory };
    let k = 0;
    for (const e of entries) if (e.fn) env[`k${k++}`] = e.fn;
    this.run = new WebAssembly.Instance(mod, { env: env as WebAssembly.ModuleImports }).exports.run as Call;
    this.at = [];
    let total = 0;
    for (const e of entries) {
      this.at.push(total);
      total += e.arity;
    }
    const cells = h.alloc(Math.max(total, 1), owner);
    this.block = new Int32Array(cells.buffer, cells.byteOffset, Math.max(total, 1));
  }

  /** The sequence of these kernels' entries, or null where one has none (or the module does not compile). */
  static of(entries: readonly (Entry | undefined)[], h: Heap, owner: object): Sequence | null {
    if (entries.length === 0 || entries.some((e) => e === undefined)) return null;
    const mod = sequenceModule(entries as Entry[]);
    return mod ? new Sequence(entries as Entry[], mod, h, owner) : null;
  }

  /** Writes entry i's arguments for buffers(i); false where an entry cannot take its buffers. */
  bind(buffers: (i: number) => { ins: readonly Float32Array[]; out: Float32Array }): boolean {
    for (let i = 0; i < this.entries.length; i++) {
      const { ins, out } = buffers(i);
      const a = this.entries[i].args(ins, out);
      if (a === null) return false;
      this.block.set(a, this.at[i]);
    }
    return true;
  }

  /** Runs every entry in order, `times` times (after a successful `bind`). */
  call(times = 1): void {
    this.run(this.block.byteOffset, times);
  }
}
