/** Timing as the workloads define it: one warm-up run, then the best of `repeats` (seconds). */
export interface Timing {
  readonly seconds: number;
  readonly all: number[];
}

export async function bestOf(repeats: number, fn: () => unknown): Promise<Timing> {
  await fn();
  const all: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t = performance.now();
    await fn();
    all.push((performance.now() - t) / 1000);
  }
  return { seconds: Math.min(...all), all };
}
