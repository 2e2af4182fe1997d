/**
 * Large outputs compared element by element with one expect, not one per element: a call of `expect`
 * costs tens of microseconds, and over the hundreds of thousands of elements of a training step's
 * outputs or a large product those calls, not the kernels checked, were most of a test's time.
 */
import { expect } from 'vitest';

/**
 * Fails on the first element whose |got − want| is not within `tol(want[i], i)` (a NaN is never within),
 * naming it with `what(i)`, both values and the tolerance.
 */
export function expectEachClose(got: ArrayLike<number>, want: ArrayLike<number>, tol: (want: number, i: number) => number, what: (i: number) => string = (i) => `[${i}]`): void {
  for (let i = 0; i < want.length; i++) {
    const t = tol(want[i], i);
    if (!(Math.abs(got[i] - want[i]) <= t)) expect.fail(`${what(i)}: ${got[i]} vs ${want[i]}, |difference| ${Math.abs(got[i] - want[i])} > tolerance ${t}`);
  }
}
