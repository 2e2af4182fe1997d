/**
 * Where the runtime could not build or use a WebAssembly kernel and took another way (its JavaScript form,
 * one thread, kernel by kernel), with the cause. Nothing is swallowed: `graphc compile --explain` and
 * `Plan.report()` list these, and `GRAPHC_STRICT_WASM=1` turns each into an error (the tests set it).
 */
export interface Fallback {
  /** What was given up, e.g. "elementwise chain Exp·Mul in WebAssembly SIMD". */
  readonly what: string;
  /** The error's first line. */
  readonly cause: string;
}

const seen = new Map<string, Fallback>();

const strict = (): boolean => typeof globalThis.process === 'object' && globalThis.process?.env?.GRAPHC_STRICT_WASM === '1';

/** Records that `what` fell back because of `error` (once per what and cause); throws in strict mode. */
export function noteFallback(what: string, error: unknown): void {
  const cause = String((error as Error)?.message ?? error).split('\n')[0];
  if (strict()) throw new Error(`graphc: ${what} failed and would fall back: ${cause}`);
  const key = `${what}\u0000${cause}`;
  if (!seen.has(key)) seen.set(key, { what, cause });
}

/** Every fallback taken in this process so far. */
export const fallbacks = (): readonly Fallback[] => [...seen.values()];
