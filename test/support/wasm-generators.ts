/**
 * Every WebAssembly generator of the runtime, over a grid of the shapes and programs it is generated
 * for (sizes 1, odd, multiples of the SIMD width and not, large): each entry a name and its module's
 * bytes, for the tests that validate them all and compare them with a reference.
 */
import '../../compiler/ops/index.ts';
import { getOp } from '../../compiler/ops/op.ts';
import { module, type Func, type Import } from '../../runtime/kernels/wasm/asm.ts';
import { kernelModuleBytes } from '../../runtime/kernels/wasm/module.ts';
import { copyRowsKernel, gemmRowsKernel, packKernel, packTailKernel, packTKernel, panelKernel } from '../../runtime/kernels/wasm/panel.ts';
import { addToKernel, matvec4Kernel, matvecKernel, vecmatKernel, vecmatTallKernel, vecmatWideKernel } from '../../runtime/kernels/wasm/vector.ts';
import { sumAllKernel, sumColsKernel } from '../../runtime/kernels/wasm/sums.ts';
import { softmaxRowsKernel } from '../../runtime/kernels/wasm/softmax.ts';
import { bceKernel } from '../../runtime/kernels/wasm/losses.ts';
import { elementwiseFunc, simdRuleOf, type SimdStep } from '../../runtime/kernels/wasm/elementwise.ts';
import { rowKernel, type RowProgram } from '../../runtime/kernels/wasm/rows.ts';
import { sequenceFunc, type Entry } from '../../runtime/kernels/wasm/sequence.ts';
import { vecmatDriverFunc } from '../../runtime/kernels/wasm/vecmat-entry.ts';
import { MAX_PAGES } from '../../runtime/kernels/heap.ts';

export interface Generated {
  readonly name: string;
  readonly bytes: Uint8Array;
}

const heapModule = (funcs: readonly Func[], imports: readonly Import[] = []) => module(funcs, { shared: true, maxPages: MAX_PAGES }, imports);
const I32 = 0x7f;

/** A step of a chain by op name (the op's own SIMD rule). */
export const step = (name: string, args: readonly number[]): SimdStep => ({ name, rule: simdRuleOf(getOp(name).traits!.elementwise)!, args });

/** Chains of elementwise ops (arguments: k >= 0 step k, -(j+1) input j) and their input count. */
export const CHAINS: { name: string; inputs: number; steps: SimdStep[] }[] = [
  { name: 'Add', inputs: 2, steps: [step('Add', [-1, -2])] },
  { name: 'Exp', inputs: 1, steps: [step('Exp', [-1])] },
  { name: 'Sigmoid·Sub', inputs: 2, steps: [step('Sigmoid', [-1]), step('Sub', [0, -2])] },
  { name: 'Mul·Sub', inputs: 3, steps: [step('Mul', [-1, -2]), step('Sub', [-3, 0])] },
  { name: 'Relu·Max·Div·Sqrt', inputs: 4, steps: [step('Relu', [-1]), step('Max', [0, -2]), step('Div', [1, -3]), step('Abs', [-4]), step('Sqrt', [3]), step('Mul', [2, 4])] },
  { name: 'GreaterEqual·Neg', inputs: 2, steps: [step('GreaterEqual', [-1, -2]), step('Neg', [0])] },
  { name: 'SigmoidExp·Equal', inputs: 2, steps: [step('SigmoidExp', [-1, -2]), step('Equal', [0, -1])] },
];

/** Row programs over K features (values: −1 z, −(j+2) operand j, k step k). */
export const rowPrograms = (K: number): RowProgram[] => [
  { K, operands: [], steps: [], stores: [-1], grads: [], sums: [] },
  { K, operands: ['row'], steps: [step('Sigmoid', [-1]), step('Sub', [0, -2])], stores: [0], grads: [1], sums: [1] },
  { K, operands: ['row', 'scalar'], steps: [step('Add', [-1, -3]), step('Sub', [0, -2])], stores: [0, 1], grads: [1, 0], sums: [1, -1] },
];

export const FEATURES = [1, 2, 3, 4, 5, 8, 13, 16];
export const WIDTHS = [1, 3, 4, 8, 17, 33, 256, 1000];

const entry = (arity: number, e: Partial<Entry> = {}): Entry => ({ fn: (() => {}) as unknown as Entry['fn'], arity, args: () => null, ...e });
const SEQUENCES: [string, Entry[], Entry[]][] = [
  ['one kernel', [entry(1)], []],
  ['kernels of each arity', [1, 3, 4, 6, 7, 8, 12].map((a) => entry(a)), []],
  ['copies and stores', [entry(4), entry(3, { fn: undefined, copy: true }), entry(2, { fn: undefined })], []],
  ['inner and outer with emits', [entry(3, { fn: undefined, emit: true }), entry(1)], [entry(5), entry(3, { fn: undefined, copy: true })]],
];

/** Every generator's module over its grid. */
export function generated(): Generated[] {
  const out: Generated[] = [];
  const add = (name: string, bytes: Uint8Array) => out.push({ name, bytes });
  for (const fma of [false, true]) {
    for (const shared of [false, true]) add(`kernel module shared=${shared} fma=${fma}`, kernelModuleBytes(shared, fma));
    add(`panel fma=${fma}`, heapModule([panelKernel(fma)]));
    add(`matvec4 fma=${fma}`, heapModule([matvec4Kernel(fma)]));
    for (const R of [1, 2, 3, 4, 8]) add(`vecmat${R} fma=${fma}`, heapModule([vecmatKernel(R, fma)]));
    for (const V of [1, 2, 3, 4]) add(`vecmatTall${V} fma=${fma}`, heapModule([vecmatTallKernel(V, fma)]));
    for (const N of WIDTHS) add(`vecmatWide N=${N} fma=${fma}`, heapModule([vecmatWideKernel(4 * N, fma)]));
    for (const K of FEATURES)
      for (const [i, p] of rowPrograms(K).entries())
        for (const copies of [1, 2, 4]) add(`rows K=${K} program ${i} copies=${copies} fma=${fma}`, heapModule([rowKernel(p, fma, copies)]));
  }
  add('gemmRows', heapModule([panelKernel(false), gemmRowsKernel(0)]));
  add('pack', heapModule([packKernel()]));
  add('packT', heapModule([packTKernel()]));
  add('packTail', heapModule([packTailKernel()]));
  add('copyRows', heapModule([copyRowsKernel()]));
  add('matvec', heapModule([matvecKernel()]));
  add('addTo', heapModule([addToKernel()]));
  add('sums', heapModule([sumAllKernel(), sumColsKernel()]));
  add('softmaxRows', heapModule([softmaxRowsKernel()]));
  add('bce', heapModule([bceKernel(false), bceKernel(true)]));
  add('vecmat driver', heapModule([vecmatDriverFunc()], [{ name: 'wide', params: [I32] }, { name: 'addTo', params: [I32, I32, I32] }]));
  for (const c of CHAINS)
    for (const kinds of kindGrid(c.inputs)) add(`elementwise ${c.name} ${kinds.join(',')}`, heapModule([elementwiseFunc(c.steps, kinds)]));
  for (const [name, outer, inner] of SEQUENCES) {
    const { run, imports } = sequenceFunc(outer, inner);
    add(`sequence ${name}`, heapModule([run], imports));
  }
  return out;
}

type Kind = 'same' | 'scalar' | 'tile';
/** Each input's way of being read: all alike, and each kind once in the first place. */
export function kindGrid(inputs: number): Kind[][] {
  const grid: Kind[][] = (['same', 'scalar', 'tile'] as const).map((k) => Array(inputs).fill(k));
  if (inputs > 1) for (const k of ['scalar', 'tile'] as const) grid.push([k, ...Array(inputs - 1).fill('same')]);
  return grid;
}
