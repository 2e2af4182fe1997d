/** Training curves as SVG: the cost per epoch, and the accuracy at logged epochs where there is one. */

export interface Curve {
  readonly label: string;
  readonly color: string;
  readonly points: readonly (readonly [number, number])[];
  /** Fixed range of values (accuracy: [0, 1]); otherwise from the data. */
  readonly range?: readonly [number, number];
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

function panel(c: Curve, x0: number, y0: number, w: number, h: number, maxEpoch: number): string[] {
  const ys = c.points.map((p) => p[1]).filter(Number.isFinite);
  let [lo, hi] = c.range ?? [Math.min(...ys), Math.max(...ys)];
  if (hi === lo) [lo, hi] = [lo - 0.5, hi + 0.5];
  const X = (e: number) => x0 + (maxEpoch ? (e / maxEpoch) * w : 0);
  const Y = (v: number) => y0 + h - ((v - lo) / (hi - lo)) * h;
  const path = c.points.filter((p) => Number.isFinite(p[1])).map((p, i) => `${i ? 'L' : 'M'} ${X(p[0]).toFixed(1)} ${Y(p[1]).toFixed(1)}`).join(' ');
  const out = [
    `<rect x="${x0}" y="${y0}" width="${w}" height="${h}" fill="none" stroke="#d4d4d8"/>`,
    `<text x="${x0}" y="${y0 - 8}" font-size="13" font-weight="bold">${esc(c.label)}</text>`,
    `<path d="${path}" fill="none" stroke="${c.color}" stroke-width="1.8"/>`,
  ];
  for (let k = 0; k <= 4; k++) {
    const v = lo + ((hi - lo) * k) / 4;
    out.push(`<text x="${x0 - 6}" y="${Y(v) + 4}" font-size="10" text-anchor="end" fill="#52525b">${v.toPrecision(3)}</text>`);
    out.push(`<line x1="${x0}" x2="${x0 + w}" y1="${Y(v)}" y2="${Y(v)}" stroke="#f4f4f5"/>`);
  }
  for (let k = 0; k <= 4; k++) {
    const e = Math.round((maxEpoch * k) / 4);
    out.push(`<text x="${X(e)}" y="${y0 + h + 14}" font-size="10" text-anchor="middle" fill="#52525b">${e}</text>`);
  }
  out.push(`<text x="${x0 + w / 2}" y="${y0 + h + 28}" font-size="10" text-anchor="middle" fill="#52525b">epoch</text>`);
  return out;
}

export function plotSvg(title: string, curves: readonly Curve[]): string {
  const W = 640, H = 220, top = 40, gap = 70, left = 60;
  const maxEpoch = Math.max(1, ...curves.flatMap((c) => c.points.map((p) => p[0])));
  const height = top + curves.length * (H + gap);
  const out = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W + left + 30}" height="${height}" font-family="Helvetica, Arial, sans-serif">`, '<rect width="100%" height="100%" fill="white"/>', `<text x="${left}" y="22" font-size="15">${esc(title)}</text>`];
  curves.forEach((c, i) => out.push(...panel(c, left, top + 20 + i * (H + gap), W, H, maxEpoch)));
  out.push('</svg>');
  return out.join('\n');
}
