import { describe, expect, it } from 'vitest';
import { lineChartSvg, niceTicks, stackSvg } from '../src/report/plot-svg.js';

/** The smallest text of an SVG, in CSS px, when the whole figure is shown `shownWidth` px wide. */
function smallestTextPx(svg: string, shownWidth: number): number {
  const width = Number(/<svg [^>]*width="([\d.]+)"/.exec(svg)![1]);
  const sizes = [...svg.matchAll(/font-size="([\d.]+)"/g)].map((m) => Number(m[1]));
  return (Math.min(...sizes) * shownWidth) / width;
}

/** The y-axis tick labels of a chart (right-aligned text left of the plot). */
const yLabels = (svg: string): number[] => [...svg.matchAll(/text-anchor="end" dominant-baseline="middle">([^<]+)</g)].map((m) => Number(m[1]));

const lossCurves = [
  { label: 'scion val', color: '#000', points: [[0, 4.18], [250, 2.43], [500, 2.2], [1000, 1.99], [2000, 1.62]] as [number, number][] },
  { label: 'a<b & c', color: '#111', dashed: true, points: [[0, 4.18], [250, Number.NaN], [500, 2.0]] as [number, number][] },
];

describe('SVG line chart', () => {
  it('draws one path and one legend entry per series, escapes text, skips non-finite points', () => {
    const svg = lineChartSvg(lossCurves, { title: 'loss', xLabel: 'iteration', yLabel: 'loss' });
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trim().endsWith('</svg>')).toBe(true);
    expect(svg.match(/<path /g)).toHaveLength(2);
    expect(svg).toContain('a&lt;b &amp; c');
    expect(svg).toContain('stroke-dasharray');
    expect(svg).not.toContain('NaN');
  });

  it('ticks the y axis of a loss curve every 0.5, not only at 2, 3 and 4', () => {
    expect(yLabels(lineChartSvg(lossCurves, { title: 'loss', xLabel: 'iteration', yLabel: 'loss' }))).toEqual([1.5, 2, 2.5, 3, 3.5, 4]);
  });

  it('has text of at least 12 px where the docs show it (about 688 px wide), with short and long legends', () => {
    expect(smallestTextPx(lineChartSvg(lossCurves, { title: 't', xLabel: 'x', yLabel: 'y' }), 688)).toBeGreaterThanOrEqual(12);
    const long = lossCurves.map((s, i) => ({ ...s, label: `family=uscion schedule=cosine decay=– variant ${i}` }));
    const svg = lineChartSvg(long, { title: 't', xLabel: 'x', yLabel: 'y' });
    expect(smallestTextPx(svg, 688)).toBeGreaterThanOrEqual(12);
    // a long legend goes below the plot: the plot keeps the chart's width (the frame is 720 − 70 − 20 wide)
    expect(svg).toMatch(/<rect x="70" y="44" width="630"/);
  });

  it('stacks charts one above the other, so each keeps its size', () => {
    const a = lineChartSvg(lossCurves, { title: 'a', xLabel: 'x', yLabel: 'y' });
    const stacked = stackSvg([a, a]);
    expect(stacked).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg" width="720" height="840"/);
    expect(stacked).toContain('<svg x="0" y="420" ');
    expect(smallestTextPx(stacked, 688)).toBeGreaterThanOrEqual(12);
  });
});

describe('niceTicks', () => {
  it('takes the coarsest step of 1, 2, 2.5 or 5 × 10^k that gives at least five ticks', () => {
    expect(niceTicks(1.49, 4.31)).toEqual([1.5, 2, 2.5, 3, 3.5, 4]);
    expect(niceTicks(1.55, 2.5)).toEqual([1.6, 1.8, 2, 2.2, 2.4]);
    expect(niceTicks(0, 2000)).toEqual([0, 500, 1000, 1500, 2000]);
    expect(niceTicks(2.05, 2.125)).toEqual([2.05, 2.06, 2.07, 2.08, 2.09, 2.1, 2.11, 2.12]);
  });

  it('every tick lies in the range, equally spaced, at least `min` of them', () => {
    for (const [lo, hi] of [[0.3, 0.31], [1.7, 4.5], [-3, 7], [1e-4, 3e-4], [123, 5678]] as const) {
      const t = niceTicks(lo, hi);
      expect(t.length, `${lo}..${hi}`).toBeGreaterThanOrEqual(5);
      expect(t.length).toBeLessThanOrEqual(13);
      for (const v of t) expect(v >= lo - 1e-12 && v <= hi + 1e-12, `${v} in ${lo}..${hi}`).toBe(true);
      const steps = t.slice(1).map((v, i) => v - t[i]!);
      for (const s of steps) expect(s).toBeCloseTo(steps[0]!, 9);
    }
  });
});
