// Browser test of the BUILT docs site (run `pnpm docs:build` first).
//
// Serves docs/.vitepress/dist on 127.0.0.1, opens pages in headless Chromium (Debian's `chromium`,
// driven by playwright-core) and fails on console errors, page errors, failed requests or missing
// content; then trains the playground for a few steps (see playground.ts). Skips (exit 0) only
// when Chromium is absent AND the environment variable CI is unset; in CI a missing browser is a
// failure.
//
// LMO_PLAYGROUND_BACKENDS (default `wasm`) lists the playground backends to train on; `webgl` and
// `webgpu` also work in headless Chromium, on SwiftShader, but take minutes (see docs/CI.md).
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromiumPath, hasChromium, launchChromium, serveDirectory } from '@lmo/browser-tests/harness';
import { checkLayout } from './layout.js';
import { checkPlayground } from './playground.js';

const docs = resolve(fileURLToPath(new URL('..', import.meta.url)));
const dist = join(docs, '.vitepress', 'dist');
const inCI = Boolean(process.env.CI);
const playgroundBackends = (process.env.LMO_PLAYGROUND_BACKENDS ?? 'wasm').split(',').filter(Boolean);

if (!hasChromium()) {
  if (!inCI) {
    console.log(`docs:test SKIPPED: no Chromium at ${chromiumPath} and CI is not set.`);
    console.log('Install it with `apt-get install -y chromium` (or set CHROMIUM_PATH) to run the browser test.');
    process.exit(0);
  }
  console.error(`docs:test FAILED: CI is set but there is no Chromium at ${chromiumPath} (apt-get install -y chromium).`);
  process.exit(1);
}
if (!existsSync(join(dist, 'index.html'))) {
  console.error(`docs:test FAILED: ${dist}/index.html is missing; run \`pnpm docs:build\` first.`);
  process.exit(1);
}

// ---- static check: every internal link with a #fragment points at an existing id -------------------
// (VitePress's own dead-link check covers pages, not fragments.)
{
  const pagesHtml: string[] = [];
  const walk = (d: string): void => {
    for (const f of readdirSync(d)) {
      const p = join(d, f);
      if (statSync(p).isDirectory()) walk(p);
      else if (p.endsWith('.html')) pagesHtml.push(p);
    }
  };
  walk(dist);
  const idCache = new Map<string, Set<string>>();
  const idsOf = (file: string): Set<string> => {
    if (!idCache.has(file)) idCache.set(file, new Set([...readFileSync(file, 'utf8').matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]!)));
    return idCache.get(file)!;
  };
  const broken: string[] = [];
  for (const file of pagesHtml) {
    for (const m of readFileSync(file, 'utf8').matchAll(/href="([^"]*#[^"]+)"/g)) {
      const href = m[1]!.replace(/&amp;/g, '&');
      if (/^[a-z]+:/i.test(href)) continue;
      const [path = '', hash = ''] = href.split('#');
      let target = path === '' ? file : path.startsWith('/') ? join(dist, decodeURIComponent(path)) : resolve(dirname(file), decodeURIComponent(path));
      if (existsSync(target) && statSync(target).isDirectory()) target = join(target, 'index.html');
      else if (!existsSync(target) && existsSync(`${target}.html`)) target = `${target}.html`;
      if (!existsSync(target)) broken.push(`${file.slice(dist.length)}: ${href} (no such page)`);
      else if (!idsOf(target).has(decodeURIComponent(hash))) broken.push(`${file.slice(dist.length)}: ${href} (no such anchor)`);
    }
  }
  console.log(`${broken.length === 0 ? 'ok  ' : 'FAIL'} fragment links in ${pagesHtml.length} pages`);
  if (broken.length > 0) {
    console.error(`\ndocs:test FAILED: ${broken.length} link(s) to missing anchors:`);
    for (const b of broken.slice(0, 50)) console.error(`  - ${b}`);
    process.exit(1);
  }
}

const server = await serveDirectory(dist, { notFound: '404.html' });
const origin = server.origin;

// ---- the checks ---------------------------------------------------------------------------------
/** Each page: its path, the h1 it must show, selectors and texts that must be present, texts that must not. */
interface PageSpec {
  readonly path: string;
  readonly title: string | null;
  readonly selectors: readonly string[];
  readonly texts: readonly string[];
  readonly absent?: readonly string[];
}
const pages: PageSpec[] = [
  { path: '/', title: null, selectors: ['.VPHero', '.VPFeatures'], texts: ['Norm-constrained optimizers for TypeScript', 'Get started'] },
  { path: '/guide/getting-started.html', title: 'Getting started', selectors: ['.VPSidebar', 'div[class*="language-ts"] pre code'], texts: ['@lmo/core'] },
  { path: '/guide/tfjs.html', title: 'Getting started with TensorFlow.js', selectors: ['div[class*="language-ts"] pre code'], texts: ['train.scion', 'model.fit'] },
  { path: '/guide/norms.html', title: 'Choosing norms and scales per layer', selectors: ['mjx-container', 'table'], texts: ['spectral()', 'colNorm({ transpose: true })'] },
  { path: '/concepts/update-rule.html', title: 'The unified update rule', selectors: ['mjx-container'], texts: ['signSGD', 'Muon'] },
  // The tolerance table's formulas: rendered math, no remains of escapes lost to control characters.
  { path: '/guide/custom-backend.html', title: 'Implement your own tensor backend', selectors: ['table mjx-container'], texts: ['conformanceCheckIds'], absent: ['ext{', 'ext{got}', 'vert \\le'] },
  { path: '/guide/tfjs.html#tfjs-core-and-a-backend-with-a-bundler', title: 'Getting started with TensorFlow.js', selectors: [], texts: ['register_all_gradients', 'withSaveHandler'] },
  { path: '/api/', title: 'lmo API', selectors: ['.VPSidebar'], texts: ['@lmo/core'] },
  { path: '/api/@lmo/core/functions/scion.html', title: 'Function: scion()', selectors: ['div[class*="language-ts"]'], texts: ['PresetOptions'] },
  { path: '/api/@lmo/core/interfaces/TensorBackend.html', title: 'Interface: TensorBackend', selectors: [], texts: ['matmul'] },
  { path: '/benchmarks.html', title: 'Benchmarks', selectors: ['main img[src$="headline.svg"]'], texts: ['Headline', 'uscion-tuned', 'what pnpm nanogpt trains by default'] },
  { path: '/tuning.html', title: 'Learning rates across width', selectors: ['main img'], texts: ['Does the transfer claim hold here', 'differs from uscion-tuned'] },
  { path: '/guide/browser.html', title: 'lmo in the browser', selectors: ['div[class*="language-ts"] pre code'], texts: ['setWasmPaths'] },
  { path: '/playground.html', title: 'Playground', selectors: ['.playground select[name=backend]', '.playground svg.loss-chart'], texts: ['Scion', 'AdamW'] },
];

const browser = await launchChromium({ webgpu: true });
const failures: string[] = [];
try {
  const context = await browser.newContext();
  // Nothing outside the local server may be fetched (fonts, analytics, CDNs): block and report it.
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith(origin) || url.startsWith('data:')) return route.continue();
    failures.push(`request to an external URL: ${url}`);
    return route.abort();
  });
  for (const spec of pages) {
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('console', (msg) => {
      if (msg.type() === 'error') problems.push(`console error: ${msg.text()}`);
    });
    page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
    page.on('requestfailed', (req) => {
      if (req.url().startsWith(origin)) problems.push(`request failed: ${req.url()} (${req.failure()?.errorText})`);
    });
    page.on('response', (res) => {
      if (res.status() >= 400) problems.push(`HTTP ${res.status()} for ${res.url()}`);
    });
    const response = await page.goto(origin + spec.path, { waitUntil: 'networkidle' });
    if (!response || response.status() !== 200) problems.push(`status ${response?.status()} for the page itself`);
    // VitePress hydrates the static HTML; wait for the app to mount.
    await page.waitForSelector('#app .Layout', { timeout: 15_000 }).catch(() => problems.push('the VitePress layout never appeared'));
    if (spec.title !== null) {
      const h1 = (await page.locator('main h1').first().textContent().catch(() => null))?.replace(/\s+/g, ' ').replace(/\u200b/g, '').trim();
      if (!h1 || !h1.startsWith(spec.title)) problems.push(`h1 is ${JSON.stringify(h1)}, expected it to start with ${JSON.stringify(spec.title)}`);
    }
    for (const selector of spec.selectors) {
      if ((await page.locator(selector).count()) === 0) problems.push(`missing element ${selector}`);
    }
    const body = (await page.locator('body').innerText()).replace(/\s+/g, ' ');
    for (const text of spec.texts) if (!body.includes(text)) problems.push(`missing text ${JSON.stringify(text)}`);
    for (const text of spec.absent ?? []) if (body.includes(text)) problems.push(`shows ${JSON.stringify(text)}`);
    if (body.includes('404') && body.includes('PAGE NOT FOUND')) problems.push('rendered the 404 page');
    console.log(`${problems.length === 0 ? 'ok  ' : 'FAIL'} ${spec.path}`);
    for (const p of problems) failures.push(`${spec.path}: ${p}`);
    await page.close();
  }
  // Client-side navigation: follow the home page's "Get started" button.
  const page = await context.newPage();
  const navErrors: string[] = [];
  page.on('pageerror', (err) => navErrors.push(err.message));
  await page.goto(origin + '/', { waitUntil: 'networkidle' });
  await page.getByRole('link', { name: 'Get started' }).first().click();
  await page.waitForURL(/\/guide\/getting-started/, { timeout: 15_000 }).catch(() => navErrors.push('"Get started" did not navigate'));
  console.log(`${navErrors.length === 0 ? 'ok  ' : 'FAIL'} client-side navigation from / to the getting-started guide`);
  for (const e of navErrors) failures.push(`navigation: ${e}`);
  await page.close();

  for (const p of await checkLayout(context, origin, dist)) failures.push(`layout: ${p}`);

  for (const p of await checkPlayground(context, origin, { backends: playgroundBackends, steps: 30, timeoutMs: 300_000 })) {
    failures.push(`/playground.html: ${p}`);
  }
} finally {
  await browser.close();
  await server.close();
}

if (failures.length > 0) {
  console.error(`\ndocs:test FAILED (${failures.length}):`);
  for (const f of failures) console.error(`  - ${f}`);
  process.exit(1);
}
console.log('\ndocs:test passed');
