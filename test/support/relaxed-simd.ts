/** Imported first by a test file: V8's relaxed SIMD on before any kernel is generated (as the CLI does). */
import { useRelaxedSimd } from '../../runtime/node.ts';

export const relaxed = useRelaxedSimd();
