// Layout checks of the built site at a common laptop width (1280 × 720): display math fits its column,
// figure text (the SVG figures and the playground's chart) is readable at the size it is shown, and
// the Tuning page's tables (and the Benchmarks page's headline table) fit without a horizontal
// scrollbar hiding columns.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BrowserContext } from 'playwright-core';

/** The smallest text in an SVG file, in the SVG's own px. */
function smallestFont(svg: string): number {
  const sizes = [...svg.matchAll(/font-size="([\d.]+)"/g)].map((m) => Number(m[1]));
  return sizes.length > 0 ? Math.min(...sizes) : 16;
}

const MATH_PAGES = ['/concepts/update-rule.html', '/concepts/orthogonalization.html', '/guide/norms.html', '/guide/custom-backend.html'];
const FIGURE_PAGES = ['/benchmarks.html', '/tuning.html'];
/** Figure text at least this large as shown (px). */
const MIN_TEXT_PX = 12;

/** Runs the checks; returns the problems found (empty when all pass). */
export async function checkLayout(context: BrowserContext, origin: string, dist: string): Promise<string[]> {
  const problems: string[] = [];
  const page = await context.newPage();
  await page.setViewportSize({ width: 1280, height: 720 });
  try {
    for (const path of MATH_PAGES) {
      await page.goto(origin + path, { waitUntil: 'networkidle' });
      const cut = await page.$$eval('main mjx-container[display="true"]', (els) =>
        els.filter((e) => e.scrollWidth > e.clientWidth + 1).map((e) => `${e.scrollWidth} px wide in ${e.clientWidth} px`),
      );
      for (const c of cut) problems.push(`${path}: display math does not fit its column (${c})`);
      console.log(`${cut.length === 0 ? 'ok  ' : 'FAIL'} ${path}: display math fits at 1280 px`);
    }
    for (const path of FIGURE_PAGES) {
      const before = problems.length;
      await page.goto(origin + path, { waitUntil: 'networkidle' });
      const figures = await page.$$eval('main img', (els) =>
        els.map((e) => ({ src: new URL((e as HTMLImageElement).src).pathname, shown: (e as HTMLImageElement).clientWidth, natural: (e as HTMLImageElement).naturalWidth })),
      );
      if (figures.length === 0) problems.push(`${path}: no figure`);
      for (const f of figures.filter((x) => x.src.endsWith('.svg'))) {
        const px = (smallestFont(readFileSync(join(dist, f.src), 'utf8')) * f.shown) / f.natural;
        if (!(px >= MIN_TEXT_PX)) problems.push(`${path}: ${f.src} shows its smallest text at ${px.toFixed(1)} px (under ${MIN_TEXT_PX})`);
      }
      // tables outside folded details: every column visible
      const wide = await page.$$eval('main table', (els) =>
        els
          .filter((e) => !e.closest('details') && e.scrollWidth > e.clientWidth + 1)
          .map((e) => `${e.querySelector('th')?.textContent?.trim()} … (${e.scrollWidth} px in ${e.clientWidth} px)`),
      );
      const checked = path === '/tuning.html' ? wide : wide.filter((w) => w.startsWith('optimizer …'));
      for (const w of checked) problems.push(`${path}: a table wider than the page hides columns: ${w}`);
      console.log(`${problems.length === before ? 'ok  ' : 'FAIL'} ${path}: ${figures.length} figure(s) with text ≥ ${MIN_TEXT_PX} px as shown; tables fit`);
    }
    // the playground's live chart: CSS px scaled from its viewBox to its width
    await page.goto(`${origin}/playground.html`, { waitUntil: 'networkidle' });
    const chart = await page
      .waitForSelector('.playground svg.loss-chart', { timeout: 30_000 })
      .then((e) => e.evaluate((svg) => ({ font: parseFloat(getComputedStyle(svg).fontSize), shown: svg.clientWidth, box: Number(svg.getAttribute('viewBox')!.split(' ')[2]) })))
      .catch(() => undefined);
    const chartPx = chart ? (chart.font * chart.shown) / chart.box : 0;
    if (!(chartPx >= MIN_TEXT_PX)) problems.push(`/playground.html: the loss chart's text is ${chartPx.toFixed(1)} px as shown (under ${MIN_TEXT_PX})`);
    console.log(`${chartPx >= MIN_TEXT_PX ? 'ok  ' : 'FAIL'} /playground.html: loss chart text ${chartPx.toFixed(1)} px as shown`);
  } finally {
    await page.close();
  }
  return problems;
}
