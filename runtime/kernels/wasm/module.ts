/**
 * The kernel module: every WebAssembly kernel graphc generates, in one module, compiled once per memory
 * kind (shared: the runtime's heap and its helper thread; private: the copying fallback).
 */
import { module, type Func } from './asm.ts';
import { FunctionBuilder } from './builder.ts';
import { copyRowsKernel, gemmRowsKernel, packKernel, packTailKernel, packTKernel, panelKernel } from './panel.ts';
import { addToKernel, matvec4Kernel, matvecKernel, vecmatKernel, vecmatTallKernel } from './vector.ts';
import { narrowKernel } from './narrow.ts';
import { MAX_PAGES } from '../heap.ts';
import { noteFallback } from '../fallbacks.ts';

type Fn = (...args: number[]) => void;

/** The kernels of one module instance, bound to one memory. */
export class WasmKernels {
  readonly panel: Fn;
  readonly gemmRows: Fn;
  readonly matvec: Fn;
  readonly vecmat4: Fn;
  readonly vecmat1: Fn;
  readonly addTo: Fn;
  readonly pack: Fn;
  readonly packT: Fn;
  readonly packTail: Fn;
  readonly copyRows: Fn;
  readonly matvec4: Fn;
  readonly narrow: Fn;
  /** vecmatTall[V - 1]: the narrow vector-matrix kernel for V vectors a row (V = 1..4). */
  readonly vecmatTall: Fn[];
  constructor(
    readonly memory: WebAssembly.Memory,
    /** Bound to the shared heap (the helper thread shares it); false for a private memory. */
    readonly shared: boolean,
    mod: WebAssembly.Module = compiled(shared),
  ) {
    const inst = new WebAssembly.Instance(mod, { env: { memory } });
    const e = inst.exports as Record<string, Fn>;
    this.panel = e.panel;
    this.gemmRows = e.gemmRows;
    this.matvec = e.matvec;
    this.vecmat4 = e.vecmat4;
    this.vecmat1 = e.vecmat1;
    this.addTo = e.addTo;
    this.pack = e.pack;
    this.packT = e.packT;
    this.packTail = e.packTail;
    this.copyRows = e.copyRows;
    this.matvec4 = e.matvec4;
    this.narrow = e.narrow;
    this.vecmatTall = [1, 2, 3, 4].map((V) => e[`vecmatTall${V}`]);
  }
}

/** The kernels, as a module for a shared or a private memory; `fma` uses relaxed SIMD's multiply-add. */
export function kernelModuleBytes(shared: boolean, fma: boolean): Uint8Array {
  return module([panelKernel(fma), gemmRowsKernel(0), matvecKernel(), vecmatKernel(4, fma), vecmatKernel(1, fma), packKernel(), matvec4Kernel(fma), ...[1, 2, 3, 4].map((V) => vecmatTallKernel(V, fma)), addToKernel(), packTKernel(), packTailKernel(), copyRowsKernel(), narrowKernel(fma)], { shared, maxPages: MAX_PAGES });
}

let relaxed: boolean | undefined;
/**
 * True where the engine compiles relaxed SIMD (browsers since 2023; Node 20 with V8's flag, which the CLI
 * sets): a module of one relaxed multiply-add validates, not the kernels' own module, whose bytes (tens
 * of milliseconds to generate) are made once, for the engine it runs on.
 */
export function hasRelaxedSimd(): boolean {
  relaxed ??= WebAssembly.validate(relaxedProbe() as Uint8Array<ArrayBuffer>);
  return relaxed;
}

/** A module of one function: a relaxed multiply-add of three f32x4 constants, dropped. */
function relaxedProbe(): Uint8Array {
  const f = new FunctionBuilder('probe', []);
  f.f32x4(1).f32x4(2).f32x4(3).op('f32x4.relaxed_madd').drop();
  return module([f.func()], { shared: false, maxPages: 1 });
}

const modules = new Map<boolean, WebAssembly.Module>();
export function compiled(shared: boolean): WebAssembly.Module {
  let m = modules.get(shared);
  if (!m) {
    m = new WebAssembly.Module(kernelModuleBytes(shared, hasRelaxedSimd()) as Uint8Array<ArrayBuffer>);
    modules.set(shared, m);
  }
  return m;
}


/**
 * Kernels of their own module for the shared heap (the fused loss, the sums): compiled once, instantiated
 * once per memory; null where they do not compile.
 */
export function heapKernels<T>(funcs: () => readonly Func[]): (memory: WebAssembly.Memory) => T | null {
  const instances = new WeakMap<WebAssembly.Memory, T | null>();
  let mod: WebAssembly.Module | undefined;
  return (memory) => {
    let k = instances.get(memory);
    if (k === undefined) {
      try {
        mod ??= new WebAssembly.Module(module(funcs(), { shared: true, maxPages: MAX_PAGES }) as Uint8Array<ArrayBuffer>);
        k = new WebAssembly.Instance(mod, { env: { memory } }).exports as unknown as T;
      } catch (e) {
        noteFallback('the WebAssembly matrix kernels', e);
        k = null;
      }
      instances.set(memory, k);
    }
    return k;
  };
}

/**
 * A kernel generated for one shape or program (a row region's, a vector-matrix product's of one width),
 * compiled as its own module over the shared heap: its function here (exported as `kernel`, taking the
 * byte offset of its argument block), and its module's bytes, from which a helper thread compiles its
 * own (`HelperThread.load`). `key` names what it was generated for.
 */
export interface ShapeKernel {
  readonly key: string;
  readonly fn: (args: number) => void;
  readonly bytes: Uint8Array;
}

/** Per memory: the kernels by key (a kernel's instance is bound to the memory it was made for). */
const shapeKernels = new WeakMap<WebAssembly.Memory, Map<string, ShapeKernel | null>>();

/** The kernel `generate` makes for `key`, compiled once for this memory (the heap's); null where it does not compile. */
export function shapeKernel(key: string, generate: () => Func, memory: WebAssembly.Memory): ShapeKernel | null {
  let byKey = shapeKernels.get(memory);
  if (!byKey) shapeKernels.set(memory, (byKey = new Map()));
  let k = byKey.get(key);
  if (k === undefined) {
    try {
      const bytes = module([generate()], { shared: true, maxPages: MAX_PAGES });
      const mod = new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>);
      k = { key, bytes, fn: new WebAssembly.Instance(mod, { env: { memory } }).exports.kernel as (args: number) => void };
    } catch (e) {
      noteFallback(`the WebAssembly kernel ${key}`, e);
      k = null;
    }
    byKey.set(key, k);
  }
  return k;
}
