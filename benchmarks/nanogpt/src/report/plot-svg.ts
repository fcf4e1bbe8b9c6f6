/** One line of a chart. */
export interface Series {
  readonly label: string;
  readonly points: ReadonlyArray<readonly [x: number, y: number]>;
  /** Dashed (used for train loss next to the solid val loss). */
  readonly dashed?: boolean;
  readonly color: string;
}

export interface ChartOptions {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly width?: number;
  readonly height?: number;
  /** A logarithmic x axis (x must be > 0): ticks at `xTicks`, else at the powers of 2 in range. */
  readonly xLog?: boolean;
  /** Where to put the x ticks (default: "nice" values, or powers of 2 on a log axis). */
  readonly xTicks?: readonly number[];
  /** How to label an x tick (default: 3 significant digits; `2^k` on a log axis). */
  readonly xFormat?: (x: number) => string;
  /** The y range drawn; values outside are clamped to its edge (default: the data's, padded by 5%). */
  readonly yRange?: readonly [number, number];
}

/** A colour per run, colour-blind friendly (Okabe–Ito). */
export const PALETTE = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000'];

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const fmt = (v: number): string => (Math.abs(v) >= 1000 ? v.toFixed(0) : Number(v.toPrecision(3)).toString());

/** "Nice" tick values covering [lo, hi]. */
function ticks(lo: number, hi: number, count: number): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

/** The powers of 2 between 2^lo and 2^hi (exponents), as values. */
function log2Ticks(lo: number, hi: number): number[] {
  const out: number[] = [];
  for (let k = Math.ceil(lo - 1e-9); k <= hi + 1e-9; k++) out.push(2 ** k);
  return out;
}

/**
 * Several charts (each a complete SVG from {@link lineChartSvg}) in one row, one SVG document.
 */
export function sideBySideSvg(charts: readonly string[]): string {
  const size = (svg: string): [number, number] => {
    const w = /width="(\d+(?:\.\d+)?)"/.exec(svg);
    const h = /height="(\d+(?:\.\d+)?)"/.exec(svg);
    return [Number(w?.[1] ?? 0), Number(h?.[1] ?? 0)];
  };
  let x = 0;
  let height = 0;
  const inner: string[] = [];
  for (const svg of charts) {
    const [w, h] = size(svg);
    inner.push(svg.trim().replace(/^<svg /, `<svg x="${x}" y="0" `));
    x += w;
    height = Math.max(height, h);
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${x}" height="${height}" viewBox="0 0 ${x} ${height}">\n${inner.join('\n')}\n</svg>\n`;
}

/** A self-contained SVG line chart (axes, grid, legend); no browser or library needed. */
export function lineChartSvg(series: readonly Series[], o: ChartOptions): string {
  const W = o.width ?? 760;
  const H = o.height ?? 440;
  const m = { l: 64, r: 190, t: 40, b: 52 };
  const tx = (x: number): number => (o.xLog ? Math.log2(x) : x);
  const usable = ([x, y]: readonly [number, number]): boolean => Number.isFinite(tx(x)) && Number.isFinite(y);
  const pts = series.flatMap((s) => s.points).filter(usable);
  const xs = pts.map((p) => tx(p[0]));
  const ys = pts.map((p) => p[1]);
  const x0 = xs.length ? Math.min(...xs) : 0;
  const x1 = xs.length ? Math.max(...xs) : 1;
  let y0: number;
  let y1: number;
  if (o.yRange) {
    [y0, y1] = o.yRange;
  } else {
    y0 = ys.length ? Math.min(...ys) : 0;
    y1 = ys.length ? Math.max(...ys) : 1;
    const pad = (y1 - y0) * 0.05 || 0.5;
    y0 -= pad;
    y1 += pad;
  }
  const sx = (x: number): number => m.l + ((tx(x) - x0) / (x1 - x0 || 1)) * (W - m.l - m.r);
  const sy = (y: number): number => H - m.b - ((Math.min(y1, Math.max(y0, y)) - y0) / (y1 - y0 || 1)) * (H - m.t - m.b);
  const xTicks = o.xTicks ?? (o.xLog ? log2Ticks(x0, x1) : ticks(x0, x1, 8));
  const xFormat = o.xFormat ?? (o.xLog ? (x: number) => `2^${Math.round(Math.log2(x) * 100) / 100}` : fmt);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${m.l}" y="24" font-size="15" font-weight="bold">${esc(o.title)}</text>`,
  ];
  for (const t of ticks(y0, y1, 6)) {
    const y = sy(t).toFixed(1);
    parts.push(`<line x1="${m.l}" x2="${W - m.r}" y1="${y}" y2="${y}" stroke="#e5e5e5"/>`);
    parts.push(`<text x="${m.l - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${fmt(t)}</text>`);
  }
  for (const t of xTicks) {
    if (!(tx(t) >= x0 - 1e-9 && tx(t) <= x1 + 1e-9)) continue;
    const x = sx(t).toFixed(1);
    parts.push(`<line x1="${x}" x2="${x}" y1="${m.t}" y2="${H - m.b}" stroke="#f0f0f0"/>`);
    parts.push(`<text x="${x}" y="${H - m.b + 16}" text-anchor="middle">${esc(xFormat(t))}</text>`);
  }
  parts.push(
    `<rect x="${m.l}" y="${m.t}" width="${W - m.l - m.r}" height="${H - m.t - m.b}" fill="none" stroke="#333"/>`,
    `<text x="${(m.l + W - m.r) / 2}" y="${H - 12}" text-anchor="middle">${esc(o.xLabel)}</text>`,
    `<text transform="translate(16 ${(m.t + H - m.b) / 2}) rotate(-90)" text-anchor="middle">${esc(o.yLabel)}</text>`,
  );
  series.forEach((s, i) => {
    const d = s.points
      .filter(usable)
      .map(([x, y], j) => `${j === 0 ? 'M' : 'L'}${sx(x).toFixed(1)},${sy(y).toFixed(1)}`)
      .join(' ');
    const dash = s.dashed ? ' stroke-dasharray="6 4"' : '';
    parts.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="2"${dash}/>`);
    for (const [x, y] of s.points) {
      if (usable([x, y])) parts.push(`<circle cx="${sx(x).toFixed(1)}" cy="${sy(y).toFixed(1)}" r="2.5" fill="${s.color}"/>`);
    }
    const ly = m.t + 10 + i * 20;
    parts.push(
      `<line x1="${W - m.r + 14}" x2="${W - m.r + 44}" y1="${ly}" y2="${ly}" stroke="${s.color}" stroke-width="2"${dash}/>`,
      `<text x="${W - m.r + 50}" y="${ly}" dominant-baseline="middle">${esc(s.label)}</text>`,
    );
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
