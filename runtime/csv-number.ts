/**
 * A CSV field as a number (runtime/csv.ts reads the file): the spellings Python's float() reads (see
 * csv.ts), numpy's rounding to float64, float32's range, and a cell as an error shows it.
 */

/** Blanks Python strips around a number (Latin-1: \t..\r, \x1c..\x1f, space, \x85, \xa0). */
const isBlank = (b: number) => (b >= 9 && b <= 13) || (b >= 28 && b <= 32) || b === 0x85 || b === 0xa0;

const POW10 = Array.from({ length: 23 }, (_, i) => 10 ** i);

/**
 * The number in bytes [s, e) (blanks stripped), or undefined where numpy refuses the field. Up to 15
 * significant digits and a power of ten within 10^±22, the value is computed exactly then rounded once
 * (both operands are exact doubles); otherwise the validated text goes to Number(), also correctly rounded.
 */
export function parseNumberBytes(t: Uint8Array, s: number, e: number): number | undefined {
  while (s < e && isBlank(t[s])) s++;
  while (e > s && isBlank(t[e - 1])) e--;
  if (s === e) return undefined;
  let i = s, neg = false;
  if (t[i] === 43 || t[i] === 45) { neg = t[i] === 45; i++; }
  const c0 = t[i] | 32;
  if (c0 === 105 || c0 === 110) return special(t, i, e, neg);
  let mant = 0, digits = 0, sig = 0, exp10 = 0, any = false;
  for (; i < e && t[i] >= 48 && t[i] <= 57; i++, any = true) {
    if (sig > 0 || t[i] !== 48) { if (sig < 19) mant = mant * 10 + (t[i] - 48); else exp10++; sig++; }
    digits++;
  }
  if (i < e && t[i] === 46) {
    for (i++; i < e && t[i] >= 48 && t[i] <= 57; i++, any = true) {
      if (sig > 0 || t[i] !== 48) { if (sig < 19) { mant = mant * 10 + (t[i] - 48); exp10--; } sig++; }
      else exp10--;
      digits++;
    }
  }
  if (!any) return undefined;
  if (i < e && (t[i] | 32) === 101) {
    i++;
    let eneg = false, ex = 0, ed = 0;
    if (i < e && (t[i] === 43 || t[i] === 45)) { eneg = t[i] === 45; i++; }
    for (; i < e && t[i] >= 48 && t[i] <= 57; i++, ed++) if (ex < 1e8) ex = ex * 10 + (t[i] - 48);
    if (ed === 0) return undefined;
    exp10 += eneg ? -ex : ex;
  }
  if (i !== e) return undefined;
  if (sig > 15 || exp10 < -22 || exp10 > 22) return Number(latin1(t, s, e));
  const v = exp10 < 0 ? mant / POW10[-exp10] : mant * POW10[exp10];
  return neg ? -v : v;
}

function special(t: Uint8Array, i: number, e: number, neg: boolean): number | undefined {
  const w = latin1(t, i, e).toLowerCase();
  if (w === 'nan') return NaN;
  if (w === 'inf' || w === 'infinity') return neg ? -Infinity : Infinity;
  return undefined;
}

export function latin1(t: Uint8Array, s: number, e: number): string {
  let out = '';
  for (let i = s; i < e; i += 4096) out += String.fromCharCode(...t.subarray(i, Math.min(e, i + 4096)));
  return out;
}


/** A cell as an error shows it: UTF-8, at most 40 characters, control and invisible characters escaped. */
export function shown(cell: Uint8Array): string {
  const text = new TextDecoder('utf-8', { ignoreBOM: true }).decode(cell.subarray(0, 160));
  const chars = [...text];
  const cut = chars.slice(0, 40).join('') + (chars.length > 40 || cell.length > 160 ? '…' : '');
  return cut.replace(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028\u2029\ufeff\ufffd']/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * The least magnitude float32 rounds to Infinity: 2^128 − 2^103, halfway between its largest value
 * (3.4028234663852886e38) and 2^128, to which a tie rounds (ties to even).
 */
export const FLOAT32_OVERFLOW = 2 ** 128 - 2 ** 103;

/**
 * The field in bytes [s, e), read as `v`, as an error shows it where it is a number float32 cannot hold:
 * written as a finite number (1e39; 1e400, which float64 cannot hold either), not as `inf`, and stored
 * as ±Infinity. Undefined otherwise.
 */
export function beyondFloat32(t: Uint8Array, s: number, e: number, v: number): string | undefined {
  if (!(Math.abs(v) >= FLOAT32_OVERFLOW)) return undefined; // NaN too
  while (s < e && isBlank(t[s])) s++;
  while (e > s && isBlank(t[e - 1])) e--;
  const sign = t[s] === 43 || t[s] === 45 ? 1 : 0;
  return (t[s + sign] | 32) === 105 ? undefined : shown(t.subarray(s, e));
}
