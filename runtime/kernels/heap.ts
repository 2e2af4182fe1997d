/**
 * The runtime's heap: one shared WebAssembly memory that holds plans' arenas, parameters and resident
 * data, so WebAssembly kernels read and write them in place (no copy per call) and worker threads can
 * share them. The memory is shared, which is what lets it grow without moving: views made before a
 * growth stay valid (a non-shared memory would detach them).
 *
 * Where shared WebAssembly memory is unavailable (a browser page without cross-origin isolation),
 * `heap()` is null and the runtime uses ordinary Float32Arrays; WebAssembly kernels then copy their
 * operands in, which is slower but gives the same results.
 *
 * Regions are allocated first-fit from a free list and coalesced when freed. A region belongs to an
 * owner object (a plan, a parameter store): it is freed when the owner is garbage-collected, or
 * explicitly with `free`.
 */
import { noteFallback } from './fallbacks.ts';

const PAGE = 65536;
const ALIGN = 64; // bytes: a cache line, and a multiple of one SIMD vector
/** Pages the memory may grow to (4 GiB, the most a 32-bit memory addresses). */
export const MAX_PAGES = 65536;

/** A model that needs more memory than WebAssembly can grow to (or the host can give): a user's error. */
export class MemoryLimitError extends Error {
  override name = 'MemoryLimitError';
}

const GiB = 2 ** 30;
/** "this model needs N GiB": `bytes` in all, against the 4 GiB a 32-bit memory addresses. */
export const memoryLimitError = (bytes: number, why = `more than the ${(MAX_PAGES * PAGE) / GiB} GiB WebAssembly memory can hold`): MemoryLimitError =>
  new MemoryLimitError(`this model needs ${(bytes / GiB).toFixed(1)} GiB of memory, ${why}`);

interface Region {
  offset: number;
  bytes: number;
}

export class Heap {
  readonly memory: WebAssembly.Memory;
  /** Every SharedArrayBuffer this memory has handed out (one per growth): views over any of them are ours. */
  private readonly buffers = new Set<ArrayBufferLike>();
  /** Free regions, sorted by offset. */
  private readonly freeList: Region[] = [];
  private top: number;
  /** Bytes from here up have never been handed out: they are still the zeros the memory grew with. */
  private clean: number;
  private readonly live = new Map<number, number>(); // offset -> bytes
  /** Each live region's allocation number: an owner collected after its region was freed (and the
   * offset handed out again) must not free the new region. */
  private readonly allocations = new Map<number, number>();
  private allocated = 0;
  private readonly registry = new FinalizationRegistry<readonly [number, number]>(([offset, n]) => {
    if (this.allocations.get(offset) === n) this.release(offset);
  });

  constructor(memory: WebAssembly.Memory, reserved = ALIGN) {
    this.memory = memory;
    this.buffers.add(memory.buffer);
    this.top = reserved; // offset 0 is never handed out
    this.clean = reserved;
  }

  /** Bytes in use by live regions. */
  get usedBytes(): number {
    let s = 0;
    for (const b of this.live.values()) s += b;
    return s;
  }

  /** Size of the memory in bytes. */
  get sizeBytes(): number {
    return this.memory.buffer.byteLength;
  }

  /**
   * The memory's current buffer, recorded as ours. A shared memory's `buffer` is a new SharedArrayBuffer
   * object after every grow call, one of no pages included (the JS API refreshes it), and the objects
   * were seen to change at an unchanged length in a process running many plans beside the helper thread:
   * every object a view is made over is recorded when it is met, not only the one read after a growth.
   */
  private current(): ArrayBufferLike {
    const b = this.memory.buffer;
    this.buffers.add(b);
    return b;
  }

  /** True when `a` is a view of this heap (WebAssembly kernels can then use its byte offset directly). */
  owns(a: ArrayBufferView): boolean {
    if (this.buffers.has(a.buffer)) return true;
    if (a.buffer !== this.memory.buffer) return false;
    this.buffers.add(a.buffer);
    return true;
  }

  /**
   * A zeroed region of `floats` float32 values, freed when `owner` is collected (or by `free`).
   * Returns a view valid for the region's life. With `zero` false the region holds whatever it held
   * (for a buffer its first writer overwrites whole); either way only memory handed out before is
   * cleared, the rest being zero since the memory grew.
   */
  alloc(floats: number, owner?: object, zero = true): Float32Array {
    const offset = this.allocBytes(Math.max(4, floats * 4));
    const view = new Float32Array(this.current(), offset, floats);
    if (zero && offset < this.clean) view.fill(0, 0, Math.min(floats, (this.clean - offset) >> 2));
    this.clean = Math.max(this.clean, offset + this.live.get(offset)!);
    const n = ++this.allocated;
    this.allocations.set(offset, n);
    if (owner) this.registry.register(owner, [offset, n]);
    return view;
  }

  /** A resident copy of `a`, owned by `owner` (or to be freed with `free`). */
  copyOf(a: ArrayLike<number>, owner?: object): Float32Array {
    const v = this.alloc(a.length, owner, false);
    v.set(a);
    return v;
  }

  /**
   * Frees the region starting at the view's first element now, rather than when its owner is collected
   * (which, the collector's callbacks running between tasks, never happens inside one synchronous loop).
   */
  free(view: Float32Array): void {
    if (!this.owns(view)) throw new Error('free: not a view of this heap');
    this.release(view.byteOffset);
  }

  private allocBytes(bytes: number): number {
    const size = Math.ceil(bytes / ALIGN) * ALIGN;
    for (let i = 0; i < this.freeList.length; i++) {
      const r = this.freeList[i];
      if (r.bytes >= size) {
        const offset = r.offset;
        if (r.bytes === size) this.freeList.splice(i, 1);
        else {
          r.offset += size;
          r.bytes -= size;
        }
        this.live.set(offset, size);
        return offset;
      }
    }
    const offset = this.top;
    const end = offset + size;
    const have = this.memory.buffer.byteLength;
    // (SIMD kernels may read up to 12 bytes past a matrix's last row: the memory always extends past the top)
    if (end + ALIGN > have) {
      if (end + ALIGN > MAX_PAGES * PAGE) throw memoryLimitError(end);
      const pages = Math.ceil((end + ALIGN - have) / PAGE);
      // grow by at least a quarter of the current size, so repeated small growths stay rare
      const grow = Math.max(pages, Math.min(Math.ceil(have / PAGE / 4), MAX_PAGES - have / PAGE));
      try {
        this.memory.grow(grow);
      } catch {
        try {
          this.memory.grow(pages); // the larger step may not fit under the maximum; this one must
        } catch (e) {
          throw memoryLimitError(end, `more than this machine could give (${String((e as Error)?.message ?? e).split('\n')[0]})`);
        }
      }
      this.current();
    }
    this.top = end;
    this.live.set(offset, size);
    return offset;
  }

  private release(offset: number): void {
    const size = this.live.get(offset);
    if (size === undefined) return;
    this.live.delete(offset);
    this.allocations.delete(offset);
    // insert sorted, then coalesce with neighbours
    let i = 0;
    while (i < this.freeList.length && this.freeList[i].offset < offset) i++;
    this.freeList.splice(i, 0, { offset, bytes: size });
    const next = this.freeList[i + 1];
    if (next && offset + size === next.offset) {
      this.freeList[i].bytes += next.bytes;
      this.freeList.splice(i + 1, 1);
    }
    const prev = this.freeList[i - 1];
    if (prev && prev.offset + prev.bytes === offset) {
      prev.bytes += this.freeList[i].bytes;
      this.freeList.splice(i, 1);
      i--;
    }
    // a free region at the top returns to the bump pointer
    const last = this.freeList[this.freeList.length - 1];
    if (last && last.offset + last.bytes === this.top) {
      this.top = last.offset;
      this.freeList.pop();
    }
  }
}

let theHeap: Heap | null | undefined;

/** The process-wide heap, or null where shared WebAssembly memory is not available. */
export function heap(): Heap | null {
  if (theHeap === undefined) {
    theHeap = null;
    if (typeof WebAssembly === 'object' && typeof SharedArrayBuffer === 'function' && !globalThis.process?.env?.GRAPHC_NO_HEAP) {
      try {
        theHeap = new Heap(new WebAssembly.Memory({ initial: 16, maximum: MAX_PAGES, shared: true }));
      } catch (e) {
        noteFallback('the shared WebAssembly heap (kernels run on ordinary arrays)', e);
        theHeap = null;
      }
    }
  }
  return theHeap;
}

/**
 * A float32 buffer: in the heap when there is one (owned by `owner`), else an ordinary array. Zeroed,
 * unless `zero` is false (for a buffer its first writer overwrites whole).
 */
export function allocate(floats: number, owner: object, zero = true): Float32Array {
  const h = heap();
  return h ? h.alloc(floats, owner, zero) : new Float32Array(floats);
}

/**
 * `data` placed where WebAssembly kernels read it in place: a copy in the heap (or `data` itself when it
 * is already there, or when there is no heap). The copy is freed when `owner` is collected, or, without
 * an owner, by `release`.
 */
export function resident(data: Float32Array, owner?: object): Float32Array {
  const h = heap();
  if (!h || h.owns(data)) return data;
  return h.copyOf(data, owner);
}

/** Frees a copy made by `resident` without an owner (nothing happens for arrays outside the heap). */
export function release(data: Float32Array, original: Float32Array): void {
  if (data !== original) heap()?.free(data);
}
