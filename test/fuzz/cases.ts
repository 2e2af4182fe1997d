/** The fuzz cases of a run: case i of seed s is the same bytes on every machine. */
import { mutateBytes, mutateModel, rng, truncate } from './mutate.ts';
import type { Seed } from './seeds.ts';
import { targeted } from './targeted.ts';

export interface Case {
  readonly id: string;
  readonly kind: 'seed' | 'targeted' | 'bytes' | 'truncation' | 'structure';
  readonly bytes: Uint8Array;
}

/** The seeds themselves, the targeted cases (heavy ones when asked), then `count` mutations. */
export function* cases(seeds: readonly Seed[], count: number, seed: number, heavy = false): Generator<Case> {
  for (const s of seeds) yield { id: s.name, kind: 'seed', bytes: s.bytes };
  for (const t of targeted) if (heavy || !t.heavy) yield { id: t.name, kind: 'targeted', bytes: t.bytes() };
  const r = rng(seed);
  for (let i = 0; i < count; i++) {
    const s = seeds[i % seeds.length];
    const k = r.int(10);
    let bytes: Uint8Array | null;
    let kind: Case['kind'];
    if (k < 4) [bytes, kind] = [mutateBytes(r, s.bytes), 'bytes'];
    else if (k < 5) [bytes, kind] = [truncate(r, s.bytes), 'truncation'];
    else {
      kind = 'structure';
      bytes = mutateModel(r, s.bytes);
      // a second change on top of the first, now and then
      if (bytes && r.chance(0.3)) bytes = mutateModel(r, bytes) ?? bytes;
      bytes ??= mutateBytes(r, s.bytes);
    }
    yield { id: `seed ${seed} case ${i} (${kind} of ${s.name})`, kind, bytes };
  }
}
