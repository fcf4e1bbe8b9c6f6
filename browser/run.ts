/**
 * The adapters in headless Chromium: builds nothing (run `vite build` first; `pnpm test:browser`
 * does both), serves dist/ on 127.0.0.1, opens each adapter's page, asks it which backends this
 * browser offers, and runs the parity problem on each in a fresh page. Fails when an update
 * differs from the reference beyond the backend's tolerance, when tensors leak, or on page errors.
 * A backend the browser does not offer is skipped with the page's reason. Then runs the docs'
 * browser samples.
 *
 * `--write` saves the measured errors to results/chromium.json (the README's table).
 * Without Chromium: skipped (exit 0) unless CI is set, in which case it fails.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { BASE_FLAGS, WEBGPU_FLAGS, chromiumPath, hasChromium, launchChromium, serveDirectory } from './harness/index.js';
import type { ExampleResult } from './pages/examples.js';
import type { BackendAvailability, ParityResult } from './src/parity/page.js';
import type { StoredComparison } from './src/parity/stored.js';

/**
 * fp32 tolerances on max |Δ − Δ_ref| / max |Δ_ref|. Engines that compute on the CPU in IEEE float32
 * follow the reference's operation order closely; GPU shaders (and SwiftShader's emulation of
 * them) reorder reductions and may fuse multiply-adds, and Newton–Schulz's five quintic steps
 * amplify that.
 */
const TOLERANCE: Readonly<Record<string, number>> = {
  'tfjs/cpu': 1e-5,
  'tfjs/wasm': 1e-5,
  'tfjs/webgl': 1e-4,
  'tfjs/webgpu': 1e-4,
  'gpujs/cpu': 1e-5,
  'gpujs/webasm': 1e-5,
  'gpujs/webgl': 1e-4,
  'gpujs/webgl2': 1e-4,
  'gpujs/webgpu': 1e-4,
  'onnxruntime/wasm': 1e-5,
  'onnxruntime/webgpu': 1e-4,
};

/**
 * 16-bit rows (`<backend>:<dtype>`, ScionLight over 16-bit weights and G, against the reference
 * backend, which emulates the dtype with the same rounding): every final weight must be a value of
 * the dtype, at most STORED_MAX_DIFFERING of them may differ from the reference's at all, and none by
 * more than STORED_MAX_STEPS of the dtype's steps. Not bit for bit: float32 arithmetic that differs in
 * its last bits (a reduction's order, Newton–Schulz's matrix products) sends a value lying within
 * that of a midpoint of the dtype to the other neighbour, and such a weight (or its G, or its
 * compensation) then takes the remaining steps from a different start. Measured on wasm: 1, 2 and 10
 * of 2448 weights differ (bfloat16, bfloat16 + Kahan, float16), by at most 1, 3 and 2 steps.
 * Rounding that is not to nearest (truncation) moves about half the weights: far beyond 1%.
 */
const STORED_MAX_STEPS = 4;
const STORED_MAX_DIFFERING = 0.01;

/**
 * Backends that must refuse, with the refusal expected. onnxruntime-web 1.30.0 on webgpu computes 16-bit
 * storage wrong (bfloat16: weights millions of steps off; float16: its Cast shaders use f16, which not
 * every adapter has, and the weights come back non-finite), so `@lmo/onnxruntime/web` stores float32
 * alone there and refuses 16-bit tensors with a `BACKEND` error. The run fails if such a row trains, or
 * fails otherwise; the wasm rows are the engine's 16-bit check.
 */
const EXPECTED_REFUSALS: Readonly<Record<string, RegExp>> = {
  'onnxruntime/webgpu:bfloat16': /\(webgpu\) stores "float32" only, not "bfloat16"/,
  'onnxruntime/webgpu:bfloat16+kahan': /\(webgpu\) stores "float32" only, not "bfloat16"/,
  'onnxruntime/webgpu:float16': /\(webgpu\) stores "float32" only, not "float16"/,
};

const ADAPTERS = ['tfjs', 'gpujs', 'onnxruntime'] as const;

/**
 * Training a PyTorch-exported GPT with uSCG (createOnnxTrainer): the loss at every step against
 * PyTorch's reference Scion, to 1e-3 relative (the Node tests' bound). 50 steps on wasm; 10 on
 * webgpu, whose SwiftShader adapter emulates the GPU on the CPU (50 steps take 1.5 minutes there).
 */
const TRAINING_TOLERANCE = 1e-3;
const TRAINING_STEPS: Readonly<Record<string, number>> = { wasm: 50, webgpu: 10 };

/** Backends that need nothing of the browser beyond JavaScript and WebAssembly: skipping one is a failure. */
const ALWAYS_AVAILABLE: ReadonlySet<string> = new Set(['tfjs/cpu', 'tfjs/wasm', 'gpujs/cpu', 'gpujs/webasm', 'onnxruntime/wasm', 'onnxruntime/wasm:bfloat16', 'onnxruntime/wasm:bfloat16+kahan', 'onnxruntime/wasm:float16']);
const RUN_TIMEOUT_MS = 120_000;

const dist = fileURLToPath(new URL('./dist', import.meta.url));
const resultsFile = fileURLToPath(new URL('./results/chromium.json', import.meta.url));
const writeResults = process.argv.includes('--write');
const inCI = Boolean(process.env.CI);

if (!hasChromium()) {
  if (!inCI) {
    console.log(`browser tests SKIPPED: no Chromium at ${chromiumPath} and CI is not set (apt-get install -y chromium, or set CHROMIUM_PATH).`);
    process.exit(0);
  }
  console.error(`browser tests FAILED: CI is set but there is no Chromium at ${chromiumPath} (apt-get install -y chromium).`);
  process.exit(1);
}
if (!existsSync(`${dist}/tfjs.html`)) {
  console.error(`browser tests FAILED: ${dist}/tfjs.html is missing; run \`vite build\` in browser/ first.`);
  process.exit(1);
}

/** Why a 16-bit run's weights fail {@link STORED_MAX_STEPS} and {@link STORED_MAX_DIFFERING}, or `undefined`. */
function storedFailure(s: StoredComparison): string | undefined {
  if (s.notRepresentable > 0) return `${s.notRepresentable} final weights are not ${s.dtype} values`;
  if (s.maxSteps > STORED_MAX_STEPS) return `a weight is ${s.maxSteps} ${s.dtype} steps from the reference's (at most ${STORED_MAX_STEPS})`;
  if (s.differing > STORED_MAX_DIFFERING * s.elements) return `${s.differing} of ${s.elements} weights differ from the reference's (at most ${STORED_MAX_DIFFERING * 100}%)`;
  return undefined;
}

/** Opens an adapter's page and waits for its `window.lmoParity`; collects page errors. */
async function openPage(newPage: () => Promise<Page>, url: string, problems: string[]): Promise<Page> {
  const page = await newPage();
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
  });
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} (${r.failure()?.errorText ?? '?'})`));
  await page.goto(url, { waitUntil: 'load' });
  await page.waitForFunction(() => window.lmoParity !== undefined, undefined, { timeout: 30_000 });
  return page;
}

const server = await serveDirectory(dist);
const browser = await launchChromium({ webgpu: true });
console.log(`Chromium ${browser.version()} (${chromiumPath}), flags: ${[...BASE_FLAGS, ...WEBGPU_FLAGS].join(" ")}\n`);

const failures: string[] = [];
const results: ParityResult[] = [];
const trainingResults: Array<{ readonly provider: string; readonly maxError: number; readonly steps: number }> = [];
const skipped: Array<{ readonly key: string; readonly reason: string }> = [];
const refused: string[] = [];
const flags = [...BASE_FLAGS, ...WEBGPU_FLAGS];
const chromiumVersion = browser.version();
try {
  const context = await browser.newContext();
  // Everything comes from the local server: any other request is blocked and reported.
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith(server.origin) || url.startsWith('data:') || url.startsWith('blob:')) return route.continue();
    failures.push(`request to an external URL: ${url}`);
    return route.abort();
  });
  const newPage = () => context.newPage();
  for (const adapter of ADAPTERS) {
    const url = `${server.origin}/${adapter}.html`;
    const problems: string[] = [];
    const probePage = await openPage(newPage, url, problems);
    const available: BackendAvailability[] = await probePage.evaluate(() => window.lmoParity!.availability());
    await probePage.close();
    for (const a of available) {
      const key = `${adapter}/${a.backend}`;
      if (!a.available) {
        if (ALWAYS_AVAILABLE.has(key)) {
          console.log(`FAIL ${key.padEnd(30)} unavailable: ${a.reason ?? ''}`);
          failures.push(`${key}: unavailable in a browser with WebAssembly (${a.reason ?? 'no reason given'})`);
          continue;
        }
        console.log(`skip ${key.padEnd(30)} ${a.reason ?? ''}`);
        skipped.push({ key, reason: a.reason ?? '' });
        continue;
      }
      const tolerance = TOLERANCE[key.split(':')[0]!];
      if (tolerance === undefined) {
        failures.push(`${key}: no tolerance stated for this backend`);
        continue;
      }
      const runProblems: string[] = [];
      const page = await openPage(newPage, url, runProblems);
      const refusal = EXPECTED_REFUSALS[key];
      if (refusal !== undefined) {
        const outcome = await page
          .evaluate((backend) => window.lmoParity!.run(backend), a.backend)
          .then(() => 'it trained')
          .catch((e: unknown) => (e instanceof Error ? e.message : String(e)));
        if (refusal.test(outcome)) {
          console.log(`ok   ${key.padEnd(30)} refused as expected: ${outcome}`);
          refused.push(key);
        } else {
          console.log(`FAIL ${key.padEnd(30)} expected a refusal matching ${String(refusal)}, got: ${outcome}`);
          failures.push(`${key}: expected a refusal matching ${String(refusal)}, got: ${outcome}`);
        }
        await page.close();
        continue;
      }
      try {
        const r = await Promise.race([
          page.evaluate((backend) => window.lmoParity!.run(backend), a.backend),
          new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`timed out after ${RUN_TIMEOUT_MS / 1000} s`)), RUN_TIMEOUT_MS)),
        ]);
        results.push(r);
        const storedProblem = r.stored ? storedFailure(r.stored) : undefined;
        const ok = (r.stored ? storedProblem === undefined : r.maxError <= tolerance) && r.leaked === 0 && runProblems.length === 0;
        const worst = Object.entries(r.errors).sort((x, y) => y[1] - x[1])[0]!;
        console.log(
          `${ok ? 'ok  ' : 'FAIL'} ${key.padEnd(30)} max rel. error ${r.maxError.toExponential(2)} (${r.stored ? 'informational' : `tolerance ${tolerance.toExponential(0)}`}, worst ${worst[0]}), ` +
            `leaked ${r.leaked}, ${r.steps} steps in ${r.ms.toFixed(0)} ms — ${r.detail}`,
        );
        if (r.stored) {
          const s = r.stored;
          console.log(`     ${''.padEnd(30)} ${s.differing} of ${s.elements} weights not bit for bit the reference's, at most ${s.maxSteps} ${s.dtype} step(s) apart`);
          if (storedProblem !== undefined) failures.push(`${key}: ${storedProblem}`);
        } else if (r.maxError > tolerance) failures.push(`${key}: max relative error ${r.maxError} > ${tolerance} (${JSON.stringify(r.errors)})`);
        if (r.leaked !== 0) failures.push(`${key}: ${r.leaked} engine objects still alive after dispose`);
      } catch (e) {
        console.log(`FAIL ${key.padEnd(30)} ${e instanceof Error ? e.message : String(e)}`);
        failures.push(`${key}: ${e instanceof Error ? e.message : String(e)}`);
      }
      for (const p of runProblems) failures.push(`${key}: ${p}`);
      await page.close();
    }
    for (const p of problems) failures.push(`${adapter} (probe): ${p}`);
  }

  // Training a PyTorch-exported model with createOnnxTrainer, against PyTorch's losses.
  const trainingProblems: string[] = [];
  const trainingPage = await newPage();
  trainingPage.on('pageerror', (e) => trainingProblems.push(`page error: ${e.message}`));
  await trainingPage.goto(`${server.origin}/training.html`, { waitUntil: 'load' });
  await trainingPage.waitForFunction(() => window.lmoTraining !== undefined, undefined, { timeout: 30_000 });
  for (const a of await trainingPage.evaluate(() => window.lmoTraining!.availability())) {
    const key = `training/${a.provider}`;
    if (!a.available) {
      console.log(`skip ${key.padEnd(30)} ${a.reason ?? ''}`);
      skipped.push({ key, reason: a.reason ?? '' });
      continue;
    }
    const tolerance = TRAINING_TOLERANCE;
    try {
      const r = await trainingPage.evaluate(([provider, steps]) => window.lmoTraining!.run(provider, steps), [a.provider, TRAINING_STEPS[a.provider]!] as const);
      const ok = r.maxError <= tolerance && r.sessionsLeft === 0;
      console.log(`${ok ? 'ok  ' : 'FAIL'} ${key.padEnd(30)} losses vs PyTorch: max rel. error ${r.maxError.toExponential(2)} (tolerance ${tolerance.toExponential(0)}), sessions left ${r.sessionsLeft} — ${r.detail}`);
      if (r.maxError > tolerance) failures.push(`${key}: losses differ from PyTorch's by ${r.maxError} > ${tolerance}`);
      if (r.sessionsLeft !== 0) failures.push(`${key}: ${r.sessionsLeft} sessions left open`);
      trainingResults.push({ provider: a.provider, maxError: r.maxError, steps: r.losses.length });
    } catch (e) {
      console.log(`FAIL ${key.padEnd(30)} ${e instanceof Error ? e.message : String(e)}`);
      failures.push(`${key}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  for (const p of trainingProblems) failures.push(`training page: ${p}`);
  await trainingPage.close();

  // The docs' browser samples, run as the guide shows them.
  const problems: string[] = [];
  const page = await newPage();
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  await page.goto(`${server.origin}/examples.html`, { waitUntil: 'load' });
  await page.waitForFunction(() => window.lmoExamples !== undefined, undefined, { timeout: 30_000 });
  const examples: ExampleResult[] = await page.evaluate(() => window.lmoExamples!.run());
  for (const e of examples) {
    console.log(`${e.ok ? 'ok  ' : 'FAIL'} docs/examples-browser/${e.example}: ${e.summary}`);
    if (!e.ok) failures.push(`docs/examples-browser/${e.example}: ${e.summary}`);
  }
  for (const p of problems) failures.push(`examples page: ${p}`);
  await page.close();
} finally {
  await browser.close();
  await server.close();
}

if (results.length === 0) failures.push('no backend ran at all');
if (writeResults && failures.length === 0) {
  mkdirSync(fileURLToPath(new URL('./results', import.meta.url)), { recursive: true });
  const record = {
    command: 'pnpm browser:test -- --write',
    chromium: chromiumVersion,
    flags,
    tolerance: TOLERANCE,
    stored: { maxSteps: STORED_MAX_STEPS, maxDiffering: STORED_MAX_DIFFERING },
    results: results.map(({ ms: _ms, ...r }) => r), // timings are not results: SwiftShader emulates the GPU
    training: { tolerance: TRAINING_TOLERANCE, steps: TRAINING_STEPS, results: trainingResults },
    refused,
    skipped,
  };
  writeFileSync(resultsFile, `${JSON.stringify(record, null, 2)}\n`);
  console.log(`wrote ${resultsFile}`);
}
if (failures.length > 0) {
  console.error(`\nbrowser tests FAILED (${failures.length}):`);
  for (const f of failures) console.error(`  - ${f}`);
  process.exit(1);
}
console.log(`\nbrowser tests passed: ${results.length} backends${refused.length > 0 ? `, ${refused.length} refusals as expected` : ''}`);
