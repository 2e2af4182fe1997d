/**
 * Parameter initializers. An initializer draws the initial values when the parameter is declared, from the
 * model's generator (PyTorch's mt19937 stream after `manual_seed(model.seed)`), so declaring parameters in
 * the same order as a PyTorch module draws the same numbers.
 */
import type { TorchGenerator } from '../init/torch-random.ts';

export type Initializer = (gen: TorchGenerator, shape: readonly number[]) => Float32Array;

const count = (s: readonly number[]) => s.reduce((p, d) => p * d, 1);

export const zeros = (): Initializer => (_g, s) => new Float32Array(count(s));
export const ones = (): Initializer => (_g, s) => new Float32Array(count(s)).fill(1);
export const full = (v: number): Initializer => (_g, s) => new Float32Array(count(s)).fill(v);
/** `tensor.uniform_(low, high)`. */
export const uniform = (low: number, high: number): Initializer => (g, s) => g.uniform(count(s), low, high);
/** `tensor.normal_(mean, std)`. */
export const normal = (mean = 0, std = 1): Initializer => (g, s) => g.normal(count(s), mean, std);
/** Given values, row-major. */
export const values = (v: ArrayLike<number>): Initializer => () => Float32Array.from(v);
