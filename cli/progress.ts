/**
 * Training progress: on a terminal, a progress bar (cli-progress) with the epoch and the latest cost,
 * on standard error so the log lines on standard output stay clean; nothing when output is not a
 * terminal or with --json. The bar leaves the terminal's modes alone (the cursor shown, lines wrapping,
 * each line cut to the width anyway): training runs synchronously, so Ctrl-C ends the process with no
 * handler of ours to run, and a mode set here would stay set in the user's shell.
 */
import { createRequire } from 'node:module';
import type CliProgress from 'cli-progress';

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
  // loaded for the bar alone: a training whose standard error is no terminal starts without it
  const cliProgress = createRequire(import.meta.url)('cli-progress') as typeof CliProgress;
  const bar = new cliProgress.SingleBar(
    { format: 'training [{bar}] {percentage}% | epoch {value}/{total} | cost {cost}', stream: process.stderr, hideCursor: false, clearOnComplete: true, stopOnComplete: false, linewrap: true },
    cliProgress.Presets.shades_classic,
  );
  let last = 0;
  let running = false;
  let state = { epoch: 0, cost: '-' };
  return {
    update(epoch, cost) {
      state = { epoch, cost: cost.toFixed(6) };
      const now = Date.now();
      if (now - last < 50) return; // redraw at most 20 times a second
      last = now;
      if (!running) {
        bar.start(total, epoch, { cost: state.cost });
        running = true;
      } else bar.update(epoch, { cost: state.cost });
    },
    log(line) {
      // the bar stays below the log: take it down, print, and let the next update draw it again
      if (running) bar.stop();
      running = false;
      last = 0;
      process.stdout.write(line + '\n');
    },
    stop() {
      if (running) bar.stop();
      running = false;
    },
  };
}
