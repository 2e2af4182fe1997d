/**
 * Setup of every file in the fast tier, which share one process: V8's relaxed SIMD on before any kernel
 * is generated (as the CLI does), whichever file runs first. The files that need a process of their own
 * (relaxed SIMD off, the heap turned off) are the tier's `alone` list in vitest.config.ts.
 */
import { useRelaxedSimd } from '../../runtime/node.ts';

useRelaxedSimd();
