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

/**
 * "Nice" tick values in [lo, hi]: multiples of 1, 2, 2.5 or 5 × 10ᵏ, the coarsest such step that still
 * gives at least `min` ticks (so a loss axis from 1.6 to 4.2 gets 2, 2.5, …, 4, not just 2, 3, 4).
 */
export function niceTicks(lo: number, hi: number, min = 5): number[] {
  if (!(hi > lo)) return [lo];
  const count = (step: number): number => Math.floor(hi / step + 1e-9) - Math.ceil(lo / step - 1e-9) + 1;
  let step = 10 ** Math.ceil(Math.log10(hi - lo));
  for (let mag = step; count(step) < min; mag /= 10) {
    const next = [5, 2.5, 2, 1].map((m) => (m * mag) / 10).find((s) => count(s) >= min);
    step = next ?? mag / 10;
  }
  const out: number[] = [];
  for (let k = Math.ceil(lo / step - 1e-9); k * step <= hi + step * 1e-9; k++) out.push(Number((k * step).toPrecision(12)));
  return out;
}

/** The powers of 2 between 2^lo and 2^hi (exponents), as values. */
function log2Ticks(lo: number, hi: number): number[] {
  const out: number[] = [];
  for (let k = Math.ceil(lo - 1e-9); k <= hi + 1e-9; k++) out.push(2 ** k);
  return out;
}

/**
 * Several charts (each a complete SVG from {@link lineChartSvg}) one above the other, one SVG
 * document: each keeps its full width, so its text stays readable where the figure is shown.
 */
export function stackSvg(charts: readonly string[]): string {
  const size = (svg: string): [number, number] => {
    const w = /width="(\d+(?:\.\d+)?)"/.exec(svg);
    const h = /height="(\d+(?:\.\d+)?)"/.exec(svg);
    return [Number(w?.[1] ?? 0), Number(h?.[1] ?? 0)];
  };
  let y = 0;
  let width = 0;
  const inner: string[] = [];
  for (const svg of charts) {
    const [w, h] = size(svg);
    inner.push(svg.trim().replace(/^<svg /, `<svg x="0" y="${y}" `));
    y += h;
    width = Math.max(width, w);
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${y}" viewBox="0 0 ${width} ${y}">\n${inner.join('\n')}\n</svg>\n`;
}

/** Font sizes (px at the chart's own size): the docs show charts about 700 px wide, so 14 px reads as ~13. */
const FONT = 14;
const TITLE_FONT = 16;
/** A rough width of `text` in the chart's font (sans-serif averages about 0.55 em per character). */
const textWidth = (text: string, size = FONT): number => Math.ceil(text.length * size * 0.56);

/**
 * A self-contained SVG line chart (axes, grid, legend); no browser or library needed. The legend
 * sits right of the plot when its labels are short, else below it, one entry per line.
 */
export function lineChartSvg(series: readonly Series[], o: ChartOptions): string {
  const W = o.width ?? 720;
  const plotH = o.height ?? 420;
  const legendW = 44 + Math.max(0, ...series.map((s) => textWidth(s.label)));
  const legendRight = legendW + 16 <= W * 0.32;
  const legendLine = 22;
  const m = { l: 70, r: legendRight ? legendW + 16 : 20, t: 44, b: 58 };
  const H = plotH + (legendRight ? 0 : series.length * legendLine + 8);
  const bottom = plotH - m.b;
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
  const sy = (y: number): number => bottom - ((Math.min(y1, Math.max(y0, y)) - y0) / (y1 - y0 || 1)) * (bottom - m.t);
  const xTicks = o.xTicks ?? (o.xLog ? log2Ticks(x0, x1) : niceTicks(x0, x1, 5));
  const xFormat = o.xFormat ?? (o.xLog ? (x: number) => `2^${Math.round(Math.log2(x) * 100) / 100}` : fmt);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="${FONT}">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${m.l}" y="26" font-size="${TITLE_FONT}" font-weight="bold">${esc(o.title)}</text>`,
  ];
  for (const t of niceTicks(y0, y1, 5)) {
    const y = sy(t).toFixed(1);
    parts.push(`<line x1="${m.l}" x2="${W - m.r}" y1="${y}" y2="${y}" stroke="#e5e5e5"/>`);
    parts.push(`<text x="${m.l - 8}" y="${y}" text-anchor="end" dominant-baseline="middle">${fmt(t)}</text>`);
  }
  for (const t of xTicks) {
    if (!(tx(t) >= x0 - 1e-9 && tx(t) <= x1 + 1e-9)) continue;
    const x = sx(t).toFixed(1);
    parts.push(`<line x1="${x}" x2="${x}" y1="${m.t}" y2="${bottom}" stroke="#f0f0f0"/>`);
    parts.push(`<text x="${x}" y="${bottom + 20}" text-anchor="middle">${esc(xFormat(t))}</text>`);
  }
  parts.push(
    `<rect x="${m.l}" y="${m.t}" width="${W - m.l - m.r}" height="${bottom - m.t}" fill="none" stroke="#333"/>`,
    `<text x="${(m.l + W - m.r) / 2}" y="${plotH - 12}" text-anchor="middle">${esc(o.xLabel)}</text>`,
    `<text transform="translate(20 ${(m.t + bottom) / 2}) rotate(-90)" text-anchor="middle">${esc(o.yLabel)}</text>`,
  );
  series.forEach((s, i) => {
    const d = s.points
      .filter(usable)
      .map(([x, y], j) => `${j === 0 ? 'M' : 'L'}${sx(x).toFixed(1)},${sy(y).toFixed(1)}`)
      .join(' ');
    const dash = s.dashed ? ' stroke-dasharray="6 4"' : '';
    parts.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="2"${dash}/>`);
    for (const [x, y] of s.points) {
      if (usable([x, y])) parts.push(`<circle cx="${sx(x).toFixed(1)}" cy="${sy(y).toFixed(1)}" r="3" fill="${s.color}"/>`);
    }
    const [lx, ly] = legendRight ? [W - m.r + 12, m.t + 12 + i * legendLine] : [m.l, plotH + 4 + i * legendLine];
    parts.push(
      `<line x1="${lx}" x2="${lx + 32}" y1="${ly}" y2="${ly}" stroke="${s.color}" stroke-width="2"${dash}/>`,
      `<text x="${lx + 40}" y="${ly}" dominant-baseline="middle">${esc(s.label)}</text>`,
    );
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
