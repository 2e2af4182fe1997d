/**
 * Whether a kernel's split with the helper thread pays, measured by the kernel itself. A second thread is
 * faster on a quiet machine and can be slower on a shared one (the helper's core busy with another
 * process); the runtime cannot know which it is on, so each splittable kernel times its own calls: now
 * and then a few calls each way, alternating, then the faster way until the next look. A look that
 * confirms the choice doubles the time to the next (up to MAX_PERIOD calls), so a kernel that settles
 * spends a small fraction of its calls measuring; one that flips looks again soon.
 *
 * The choice changes only who computes a share, never how: both ways run the same kernels over the same
 * rows (the caller runs the helper's share itself when it does not post it), so results are the same bit
 * for bit either way.
 */

/** Calls between two looks, at first and at most. */
export const MIN_PERIOD = 32, MAX_PERIOD = 1024;
/** Calls timed each way in a look. */
export const SAMPLES = 3;

/** What a kernel's latest look measured (for reports: `splitChoices`). */
export interface SplitChoice {
  /** The kernel, e.g. `matrix product [128,784]·[784,256]`. */
  readonly what: string;
  /** Whether its calls post the helper thread their share now. */
  readonly splitting: boolean;
  /** Looks taken so far. */
  readonly looks: number;
  /** The latest look's mean time of a call, split and on one thread (milliseconds). */
  readonly splitMs: number;
  readonly oneMs: number;
}

/** The timers of the kernels that exist (weakly: a kernel collected takes its timer with it). */
const timers = new Set<WeakRef<SplitTimer>>();

export class SplitTimer {
  private n = 0;
  private period = MIN_PERIOD;
  private choice = true;
  private readonly sums = [0, 0];
  private readonly counts = [0, 0];
  /** Set by tests: always split (true), never (false), or measure (null). */
  static force: boolean | null = null;
  private looks = 0;
  private splitMs = 0;
  private oneMs = 0;

  /** `what`: the kernel, as reports name it. */
  constructor(readonly what = 'a kernel') {
    timers.add(new WeakRef(this));
  }

  /** Whether this call should post the helper its share. */
  split(): boolean {
    if (SplitTimer.force !== null) return SplitTimer.force;
    const i = this.n;
    // a look: the first 2·SAMPLES calls of a period, alternating (the call before them warms both ways)
    if (i > 0 && i <= 2 * SAMPLES) return (i & 1) === 1;
    return this.choice;
  }

  /** Records the time of a call that `split` answered (milliseconds); ends a look when it is complete. */
  record(split: boolean, ms: number): void {
    const i = this.n++;
    if (i > 0 && i <= 2 * SAMPLES) {
      const w = split ? 1 : 0;
      this.sums[w] += ms;
      this.counts[w]++;
      if (i === 2 * SAMPLES) {
        this.splitMs = this.sums[1] / this.counts[1];
        this.oneMs = this.sums[0] / this.counts[0];
        this.looks++;
        const next = this.splitMs < this.oneMs;
        this.period = next === this.choice ? Math.min(MAX_PERIOD, this.period * 2) : MIN_PERIOD;
        this.choice = next;
        this.sums.fill(0);
        this.counts.fill(0);
      }
    }
    if (this.n >= this.period) this.n = 0;
  }

  /** The current choice (for reports and tests). */
  get splitting(): boolean {
    return this.choice;
  }

  /** The latest look's outcome, or null before the first look ends. */
  get outcome(): SplitChoice | null {
    return this.looks ? { what: this.what, splitting: this.choice, looks: this.looks, splitMs: this.splitMs, oneMs: this.oneMs } : null;
  }
}

/**
 * What every living splittable kernel that has measured itself chose (a kernel measures itself only where
 * a helper thread takes jobs): whether it splits its work with the helper, and the times it chose by.
 */
export function splitChoices(): SplitChoice[] {
  const out: SplitChoice[] = [];
  for (const ref of timers) {
    const t = ref.deref();
    if (!t) timers.delete(ref);
    else if (t.outcome) out.push(t.outcome);
  }
  return out;
}
