/**
 * What graphc is doing, shown at once on a terminal: one line on standard error ("checking model.ts…",
 * "compiling…") that the next status replaces and that is erased before any output is printed. Nothing
 * at all when standard error is not a terminal (pipes, files, tests) or GRAPHC_QUIET is set.
 */
let shown = false;

const enabled = (): boolean => process.stderr.isTTY === true && !process.env.GRAPHC_QUIET;

/** Replaces the status line with `what`. */
export function status(what: string): void {
  if (!enabled()) return;
  const width = (process.stderr.columns ?? 80) - 1;
  process.stderr.write(`\r\x1b[2K${what.length > width ? what.slice(0, width - 1) + '…' : what}`);
  shown = true;
}

/** Erases the status line (before printing results or an error). */
export function clearStatus(): void {
  if (!shown) return;
  process.stderr.write('\r\x1b[2K');
  shown = false;
}
