/**
 * Argument parsers shared by the commands. A bad value is a user error: commander prints it as one line
 * naming the option and what it expected, and the process exits 1.
 */
import { InvalidArgumentError, type Command } from 'commander';
import { UserError } from './user-error.ts';

/** A count written in decimal digits (`0x10`, `1e3`, `1.5` and the empty string are refused). */
function decimalInt(v: string, what: string, min: number): number {
  const n = /^\s*\d+\s*$/.test(v) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n) || n < min) throw new InvalidArgumentError(`expected ${what}, got '${v}'`);
  return n;
}

/** An integer ≥ 0 (epochs: `--epochs 0` is the one step of epoch 0). */
export function nonNegativeInt(v: string): number {
  return decimalInt(v, 'a non-negative integer', 0);
}

/** An integer ≥ 1 (a batch size, a logging interval, a row count: zero of them means nothing). */
export function positiveInt(v: string): number {
  return decimalInt(v, 'a positive integer', 1);
}

/**
 * A learning rate: 0 or more (0 trains nothing, as PyTorch's optimizers and the package's train() take it),
 * and one the step's float32 leaf holds as given (1e40 would be Infinity and 1e-50 zero, training silently
 * wrong).
 */
export function learningRate(v: string): number {
  const n = v.trim() === '' ? NaN : Number(v);
  if (!(n >= 0 && Number.isFinite(Math.fround(n)) && (n === 0 || Math.fround(n) > 0))) throw new InvalidArgumentError(`expected a number 0 or more that float32 holds (0, or 1.4e-45 to 3.4e38), got '${v}'`);
  return n === 0 ? 0 : n;
}

/** A fraction strictly between 0 and 1 (a share of the rows). */
export function fraction(v: string): number {
  const n = v.trim() === '' ? NaN : Number(v);
  if (!(n > 0 && n < 1)) throw new InvalidArgumentError(`expected a fraction between 0 and 1, got '${v}'`);
  return n;
}

/** A parser that takes one of `choices`. */
export function oneOf(...choices: string[]): (v: string) => string {
  return (v) => {
    if (!choices.includes(v)) throw new InvalidArgumentError(`expected ${choices.length > 2 ? `${choices.slice(0, -1).join(', ')} or ${choices.at(-1)}` : choices.join(' or ')}, got '${v}'`);
    return v;
  };
}

/** `--option key=value`, repeatable: each checked as it is parsed. */
export function collectOption(v: string, prev: string[]): string[] {
  if (v.indexOf('=') <= 0) throw new InvalidArgumentError(`expected key=value (e.g. loss=bce), got '${v}'`);
  return [...prev, v];
}

/** `--input name=file`, repeatable, where the name is needed (inspect: the graph input that decides a shape). */
export function collectNamedInput(v: string, prev: string[]): string[] {
  if (v.indexOf('=') <= 0) throw new InvalidArgumentError(`expected name=file (the graph input's name and the file of its value, e.g. shape=shape.json), got '${v}'`);
  return [...prev, v];
}

export function parseOptions(kv: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const s of kv) {
    const i = s.indexOf('=');
    if (i <= 0) throw new UserError(`--option expects key=value, got '${s}'`);
    out[s.slice(0, i)] = s.slice(i + 1);
  }
  return out;
}

/**
 * Refuses an option given on the command line that would do nothing here (`why`: where it applies), so
 * that a choice the user made is never dropped in silence.
 */
export function refuseUnused(cmd: Command, option: string, unused: boolean, why: string): void {
  const key = option.replace(/^--(no-)?/, '').replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
  if (unused && cmd.getOptionValueSource(key) === 'cli') throw new UserError(`${option} ${why}`);
}
