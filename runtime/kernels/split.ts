/**
 * Whether a kernel's split with the helper thread pays, measured by the kernel itself. A second thread is
 * faster on a quiet machine and can be slower on a shared one: where every core is busy (another process
 * on the other), the scheduler wakes the helper on the caller's own core, beside its waker, and the two
 * take turns there until its balancing moves one of them, after tens of milliseconds of split calls if at
 * all (so a look, which wakes a helper idle since the last, tends to find the split slower there). The
 * runtime cannot know which machine it is on, so each splittable kernel (one timer per kernel, that is per
 * shape) times its own calls: now and then a few calls each way, alternating, then the faster way
 * until the next look. A look compares the median call each way (one call slowed by the scheduler moves
 * neither). A kernel's first look comes after WARM split calls that are not timed (the helper's side
 * paying its one-time costs); it starts on one thread and adopts the split only where a look measured it
 * faster by a margin (ADOPT), and keeps it while it stays faster at all: two threads are never chosen on a tie or on
 * noise. A look that confirms the choice doubles the time to the next (up to MAX_PERIOD calls, or
 * LOOK_MS of the kernel's time, whichever comes first: a machine's load changes), so a kernel that
 * settles spends a small fraction of its calls measuring; one that flips looks again soon. Between looks
 * a split kernel still watches its calls: DROP split calls in a row that were slower than the latest
 * look's one-thread median, or UNHELPED_DROP in a row in which the helper computed less than HELPED of the
 * work (another process has taken the helper's core since; this holds where the look's median was itself
 * slowed, which leaves the first no margin to see) return it to one thread at once. A call the helper did
 * not help is the caller computing every chunk, about a one-thread call: it counts as slower only beyond
 * UNHELPED_SLACK of the one-thread median, and it takes more of them in a row to drop the split, since a
 * helper that missed a call or two (its wake-up late, its core taken for a moment) costs a call or two
 * about as long as on one thread, while dropping costs RELOOK calls without the split. Then the kernel
 * stays on one thread until a look RELOOK calls later measures the split faster by ADOPT's margin again,
 * so a split adopted at a quiet moment costs at most those few calls once the machine gets busy, and a
 * split dropped for a moment's absence of the helper (its core taken for a millisecond or two: the
 * engine's own compiler and collector threads run on the same cores) is back a few calls later. Calls made
 * while tests force the choice (`SplitTimer.force`) are not measurements. Kernels below a work-size floor (each kernel's own: gemm.ts, vector-drivers.ts, rows.ts)
 * never ask: a plan whose kernels are all below it never wakes the helper, nor starts it.
 *
 * The choice changes only who computes a share, never how: both ways run the same kernels over the same
 * rows (the caller runs the helper's share itself when it does not post it), so results are the same bit
 * for bit either way.
 */

/** Calls between two looks, at first and at most. */
export const MIN_PERIOD = 32, MAX_PERIOD = 1024;
/**
 * Calls on one thread after a drop before the next look. A drop is often a moment's absence of the helper
 * that has passed by then: in W4's training (64 steps of two split products, `bench/graphc.ts`), with
 * MIN_PERIOD there, a drop cost about 32 one-thread calls, 14 ms of a 105 ms epoch.
 */
export const RELOOK = 8;
/** Calls timed each way in a look. */
export const SAMPLES = 3;
/**
 * Split calls a kernel makes before its first look, not timed: a kernel's first split calls pay once for
 * the helper's side (its kernel compiled there, its code warming, its scratch's first pages), which would
 * make the look's split median that of a call no later one resembles.
 */
export const WARM = 2;
/** The kernel's time (ms, its calls summed) after which it looks again even before MAX_PERIOD calls. */
export const LOOK_MS = 2000;
/** A kernel on one thread adopts the split where a split call took at most this fraction of a one-thread call. */
export const ADOPT = 0.9;
/** Split calls in a row, between looks, slower than the latest look's one-thread median, that drop the split. */
export const DROP = 2;
/** Split calls in a row, between looks, not helped by the helper (`helped`), that drop the split. */
export const UNHELPED_DROP = 4;
/** A call the helper did not help counts as slower than the one-thread median beyond this factor of it. */
export const UNHELPED_SLACK = 1.1;
/** The least fraction of a split call's work (its chunks) the helper must compute for the call to count as helped. */
export const HELPED = 1 / 8;

/** Whether a split call in which the helper computed `done` of its `count` chunks was helped (HELPED of them, at least one). */
export const helped = (done: number, count: number): boolean => done > 0 && done >= HELPED * count;

/**
 * The choice after a look: `splitMs` and `oneMs` the look's median times of a call each way, `splitting`
 * the choice before it. Adopting the split needs a gain of at least 1 − ADOPT; keeping it, any gain.
 */
export function choose(splitting: boolean, splitMs: number, oneMs: number): boolean {
  return splitMs < (splitting ? 1 : ADOPT) * oneMs;
}

/** What a kernel's latest look measured (for reports: `splitChoices`). */
export interface SplitChoice {
  /** The kernel, e.g. `matrix product [128,784]·[784,256]`. */
  readonly what: string;
  /** Whether its calls post the helper thread their share now. */
  readonly splitting: boolean;
  /** Looks taken so far. */
  readonly looks: number;
  /** The latest look's median time of a call, split and on one thread (milliseconds). */
  readonly splitMs: number;
  readonly oneMs: number;
  /** Whether the split the look chose was dropped since (DROP calls slower than `oneMs`, or UNHELPED_DROP not helped). */
  readonly dropped: boolean;
}

/**
 * The timers by kernel shape (`splitTimer`): every plan's kernel of one shape shares its timer, so a
 * shape's choice carries over from one plan to the next (a training run plans its step again), and the
 * kernels of one engine on different shapes never share one.
 */
const timers = new Map<string, SplitTimer>();

export class SplitTimer {
  private n = 0;
  /** Untimed split calls left before the first look (WARM). */
  private warm = WARM;
  private period = MIN_PERIOD;
  private choice = false;
  /** A look's times of a call, on one thread ([0]) and split ([1]). */
  private readonly times: [number[], number[]] = [[], []];
  /** The kernel's time since the latest look (ms). */
  private since = 0;
  /** Set by tests: always split (true), never (false), or measure (null). */
  static force: boolean | null = null;
  private looks = 0;
  private splitMs = 0;
  private oneMs = 0;
  /** Split calls in a row since the latest look slower than `oneMs` (UNHELPED_SLACK of it for a call not helped). */
  private slow = 0;
  /** Split calls in a row since the latest look not helped. */
  private unhelped = 0;
  /** Whether the split was dropped since the latest look. */
  private dropped = false;

  /** `what`: the kernel, as reports name it (kernels take theirs from `splitTimer`, by shape). */
  constructor(readonly what = 'a kernel') {}

  /** Whether this call should post the helper its share. */
  split(): boolean {
    if (SplitTimer.force !== null) return SplitTimer.force;
    if (this.warm > 0) return true;
    const i = this.n;
    // a look: the first 2·SAMPLES calls of a period, alternating (the call before them warms both ways)
    if (i > 0 && i <= 2 * SAMPLES) return (i & 1) === 1;
    return this.choice;
  }

  /**
   * Records the time of a call that `split` answered (milliseconds) and, for a split call, whether the
   * helper did its part (`helped`); ends a look when it is complete.
   */
  record(split: boolean, ms: number, helped = true): void {
    if (SplitTimer.force !== null) return;
    if (this.warm > 0) {
      if (split) this.warm--;
      return;
    }
    const i = this.n++;
    this.since += ms;
    if (i > 0 && i <= 2 * SAMPLES) {
      this.times[split ? 1 : 0].push(ms);
      if (i === 2 * SAMPLES) {
        this.splitMs = median(this.times[1]);
        this.oneMs = median(this.times[0]);
        this.looks++;
        const next = choose(this.choice, this.splitMs, this.oneMs);
        this.period = next === this.choice ? Math.min(MAX_PERIOD, this.period * 2) : MIN_PERIOD;
        this.choice = next;
        this.times[0].length = this.times[1].length = 0;
        this.since = 0;
        this.slow = this.unhelped = 0;
        this.dropped = false;
      }
    } else if (split && this.choice) {
      this.slow = ms > (helped ? 1 : UNHELPED_SLACK) * this.oneMs ? this.slow + 1 : 0;
      this.unhelped = helped ? 0 : this.unhelped + 1;
      if (this.slow >= DROP || this.unhelped >= UNHELPED_DROP) {
        this.choice = false;
        this.slow = this.unhelped = 0;
        this.dropped = true;
        // the next look RELOOK calls from now
        this.n = 2 * SAMPLES + 1;
        this.period = this.n + RELOOK;
      }
    }
    if (this.n >= this.period || (this.n > 2 * SAMPLES && this.since >= LOOK_MS)) this.n = 0;
  }

  /** The current choice (for reports and tests). */
  get splitting(): boolean {
    return this.choice;
  }

  /** The latest look's outcome, or null before the first look ends. */
  get outcome(): SplitChoice | null {
    return this.looks ? { what: this.what, splitting: this.choice, looks: this.looks, splitMs: this.splitMs, oneMs: this.oneMs, dropped: this.dropped } : null;
  }
}

/** The middle of `v` (the mean of the two middle ones for an even count). */
function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b), m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * The timer of the kernels of one shape, `what` naming it (`matrix product [128,784]·[784,256]`); `key`
 * tells apart kernels that `what` names alike (row regions of different programs over the same shape).
 */
export function splitTimer(what: string, key = what): SplitTimer {
  let t = timers.get(key);
  if (!t) timers.set(key, (t = new SplitTimer(what)));
  return t;
}

/**
 * What every splittable kernel shape that has measured itself chose (a kernel measures itself only where
 * a helper thread takes jobs): whether it splits its work with the helper, and the times it chose by.
 */
export function splitChoices(): SplitChoice[] {
  const out: SplitChoice[] = [];
  for (const t of timers.values()) if (t.outcome) out.push(t.outcome);
  return out;
}
