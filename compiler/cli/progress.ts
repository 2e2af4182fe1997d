/**
 * Training progress: on a terminal, a progress bar (cli-progress) with the epoch and the current cost,
 * on standard error so the log lines on standard output stay clean; nothing when output is not a
 * terminal or with --json.
 */
import cliProgress from 'cli-progress';

export interface Progress {
  update(epoch: number, cost: number): void;
  /** Prints a line above the bar. */
  log(line: string): void;
  stop(): void;
}

export function progress(total: number, enabled: boolean): Progress {
  if (!enabled || !process.stderr.isTTY) {
    return { update() {}, log: (l) => process.stdout.write(l + '\n'), stop() {} };
  }
  const bar = new cliProgress.SingleBar(
    { format: 'training [{bar}] {percentage}% | epoch {value}/{total} | cost {cost}', stream: process.stderr, hideCursor: true, clearOnComplete: true },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0, { cost: '-' });
  let last = 0;
  return {
    update(epoch, cost) {
      const now = Date.now();
      if (now - last < 50 && epoch !== total) return; // redraw at most 20 times a second
      last = now;
      bar.update(epoch, { cost: cost.toFixed(6) });
    },
    log(line) {
      // keep the bar below the log: clear it, print, redraw
      process.stderr.write('\r\x1b[2K');
      process.stdout.write(line + '\n');
      bar.render();
    },
    stop() {
      bar.stop();
    },
  };
}
