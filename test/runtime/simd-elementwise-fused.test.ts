/**
 * The elementwise SIMD checks again with relaxed SIMD on (as the CLI runs): exp's polynomial then uses
 * fused multiply-adds, which must keep exp and sigmoid within the same few ulps, and every other op bit
 * for bit with its JS kernel. (simd-elementwise.test.ts runs them without it, in a process of its own.)
 */
import { relaxed } from '../support/relaxed-simd.ts';
import { describe, expect, it } from 'vitest';
import './simd-elementwise.test.ts';

describe('relaxed SIMD', () => {
  it('is on in this file (Node 20 has it behind a flag)', () => expect(relaxed).toBe(true));
});
