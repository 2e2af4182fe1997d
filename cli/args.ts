/** Argument parsers shared by the commands; a bad value is a one-line user error. */
import { InvalidArgumentError } from 'commander';

export function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`expected a non-negative integer, got '${v}'`);
  return n;
}

export function positiveNumber(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`expected a positive number, got '${v}'`);
  return n;
}

export function parseOptions(kv: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const s of kv) {
    const i = s.indexOf('=');
    if (i <= 0) throw new InvalidArgumentError(`--option expects key=value, got '${s}'`);
    out[s.slice(0, i)] = s.slice(i + 1);
  }
  return out;
}
