import { describe, expect, it } from 'vitest';
import { lineChartSvg } from '../src/report/plot-svg.js';

describe('SVG line chart', () => {
  it('draws one path and one legend entry per series, escapes text, skips non-finite points', () => {
    const svg = lineChartSvg(
      [
        { label: 'scion val', color: '#000', points: [[0, 4.2], [250, 2.1], [500, 1.9]] },
        { label: 'a<b & c', color: '#111', dashed: true, points: [[0, 4.2], [250, Number.NaN], [500, 2.0]] },
      ],
      { title: 'loss', xLabel: 'iteration', yLabel: 'loss' },
    );
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trim().endsWith('</svg>')).toBe(true);
    expect(svg.match(/<path /g)).toHaveLength(2);
    expect(svg).toContain('a&lt;b &amp; c');
    expect(svg).toContain('stroke-dasharray');
    expect(svg).not.toContain('NaN');
  });
});
