/**
 * How large a GPT a browser tab can train: nanoGPT's GPT (block 64, batch 1, vocab 65) at growing
 * depth and width, exported by PyTorch at run time (adapters/onnxruntime/bench/export-gpt.py; needs
 * python3 with torch and onnx) into a temporary folder, trained a few steps in headless Chromium by
 * createOnnxTrainer on onnxruntime-web's wasm backend (one thread), with AdamW float32, ScionLight
 * with bfloat16 weights and G, and the same with the Kahan compensation buffer (the sign LMO, signUnscaled(), so that
 * Newton–Schulz's time does not make the large models' steps take minutes). Each run gets a fresh
 * browser; a configuration stops at its first failure. A run whose renderer passes `--budget` MiB of
 * resident memory (default 8 GiB) is stopped there, or whose peak passed it once it is done, and counts as not fitting: the budget of a tab on
 * a laptop, and what a machine shared with others can spare. Reports, per run, the peak resident memory of
 * the tab's renderer process (Linux VmHWM, sampled), every WebAssembly memory's size after each
 * phase (fetch, createOnnxTrainer, each step) and the JS heap in use.
 *
 * `--no-arena` makes every onnxruntime session (the backend's and the training session) without its CPU memory
 * arena (`enableCpuMemArena: false`): each tensor is allocated and freed on its own in the WebAssembly
 * memory instead of kept in an arena that grows to a session's largest need.
 *
 *   pnpm --filter @lmo/browser-tests memory [-- --sizes 8x512,12x768,... --steps 2 --budget 8192 --no-arena --json results/memory.json]
 *
 * Not part of the browser tests (it takes many minutes).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { launchChromium, serveDirectory } from '../harness/index.js';
import type { MemoryResult, MemoryRun } from './page.js';

const { values } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: {
    sizes: { type: 'string', default: '8x512,12x768,12x1024,16x1024,18x1152,20x1152,24x1280' },
    budget: { type: 'string', default: '8192' },
    optimizers: { type: 'string', default: 'adamw-float32,scionlight-bfloat16,scionlight-bfloat16-kahan' },
    steps: { type: 'string', default: '2' },
    timeout: { type: 'string', default: '900' },
    'no-arena': { type: 'boolean', default: false },
    json: { type: 'string' },
  },
});
const steps = Number(values.steps);
/** The tab's budget (MiB of the renderer's resident memory): a run that passes it is stopped there and counts as not fitting. */
const budget = Number(values.budget);
/** Whether onnxruntime's sessions keep their CPU memory arena (`--no-arena`: every session made with `enableCpuMemArena: false`). */
const cpuArena = !values['no-arena'];
const dist = fileURLToPath(new URL('../dist', import.meta.url));
const exporter = fileURLToPath(new URL('../../adapters/onnxruntime/bench/export-gpt.py', import.meta.url));
if (!existsSync(join(dist, 'memory.html'))) throw new Error(`${dist}/memory.html is missing: run \`vite build\` in browser/ first`);

/** Collects the page's WebAssembly memories (made by `new WebAssembly.Memory` or exported by an instance). */
const INIT = `(() => {
  const mems = (window.lmoWasmMemories = []);
  const M = WebAssembly.Memory;
  WebAssembly.Memory = new Proxy(M, { construct(t, a) { const m = Reflect.construct(t, a); mems.push(m); return m; } });
  const track = (r) => { const inst = r.instance ?? r; for (const v of Object.values(inst.exports ?? {})) if (v instanceof M && !mems.includes(v)) mems.push(v); return r; };
  const i = WebAssembly.instantiate; WebAssembly.instantiate = (...a) => i.apply(WebAssembly, a).then(track);
  const s = WebAssembly.instantiateStreaming; if (s) WebAssembly.instantiateStreaming = (...a) => s.apply(WebAssembly, a).then(track);
})();`;

const mib = (kib: number): number => Math.round(kib / 1024);
/** A process's peak and current resident memory (KiB; 0 once it is gone). */
function residentKiB(pid: number): { peak: number; now: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return { peak: Number(/VmHWM:\s+(\d+) kB/.exec(status)![1]), now: Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) };
  } catch {
    return { peak: 0, now: 0 };
  }
}

interface Row {
  readonly size: string;
  readonly optimizer: MemoryRun['optimizer'];
  readonly parameters: number;
  readonly onnxMiB: number;
  readonly ok: boolean;
  readonly error?: string;
  readonly rendererPeakMiB: number;
  readonly result?: MemoryResult;
}

async function runOne(size: string, optimizer: MemoryRun['optimizer'], origin: string): Promise<Omit<Row, 'size' | 'parameters' | 'onnxMiB'>> {
  const browser = await launchChromium({ webgpu: false, extraFlags: ['--js-flags=--max-old-space-size=16384'] });
  let peak = 0;
  let over: string | undefined;
  const renderers = new Set<number>();
  const cdp = await browser.newBrowserCDPSession();
  const poll = setInterval(() => {
    void cdp
      .send('SystemInfo.getProcessInfo')
      .then((info) => {
        for (const p of (info as { processInfo: Array<{ type: string; id: number }> }).processInfo) if (p.type === 'renderer') renderers.add(p.id);
      })
      .catch(() => {});
    for (const pid of renderers) {
      const { peak: hwm, now } = residentKiB(pid);
      peak = Math.max(peak, hwm);
      if (now > budget * 1024 && over === undefined) {
        over = `the tab passed the ${budget} MiB budget (${mib(now)} MiB resident)`;
        process.kill(pid, 'SIGKILL');
      }
    }
  }, 250);
  try {
    const page = await browser.newPage();
    await page.addInitScript(INIT);
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('crash', () => errors.push('the tab crashed'));
    await page.goto(`${origin}/memory.html`, { waitUntil: 'load' });
    await page.waitForFunction(() => window.lmoMemory !== undefined, undefined, { timeout: 60_000 });
    const spec: MemoryRun = { modelUrl: `${origin}/models/${size}.onnx`, optimizer, steps, cpuArena };
    try {
      const result = await page.evaluate((s) => window.lmoMemory!.run(s), spec);
      for (const pid of renderers) peak = Math.max(peak, residentKiB(pid).peak);
      // the sampling can miss a short excursion past the budget that the peak (VmHWM) still shows
      if (mib(peak) > budget) return { optimizer, ok: false, error: `the tab's peak passed the ${budget} MiB budget`, rendererPeakMiB: mib(peak), result };
      return { optimizer, ok: true, rendererPeakMiB: mib(peak), result };
    } catch (e) {
      const message = over ?? `${e instanceof Error ? e.message.split('\n')[0] : String(e)}${errors.length > 0 ? ` (${errors.join('; ')})` : ''}`;
      return { optimizer, ok: false, error: message, rendererPeakMiB: mib(peak) };
    }
  } finally {
    clearInterval(poll);
    await browser.close();
  }
}

const tmp = mkdtempSync(join(tmpdir(), 'lmo-tab-memory-'));
const link = join(dist, 'models');
if (existsSync(link)) unlinkSync(link);
symlinkSync(tmp, link);
const server = await serveDirectory(dist);
const rows: Row[] = [];
const failed = new Set<string>();
try {
  for (const size of values.sizes!.split(',')) {
    const optimizers = values.optimizers!.split(',').filter((o) => !failed.has(o)) as Array<MemoryRun['optimizer']>;
    if (optimizers.length === 0) break;
    const [layers, width] = size.split('x').map(Number) as [number, number];
    const file = join(tmp, `${size}.onnx`);
    const heads = width / 64;
    const parameters = Number(
      execFileSync('/usr/bin/python3', [exporter, file, '1', '--n-layer', String(layers), '--n-head', String(heads), '--n-embd', String(width)], {
        env: { ...process.env, OMP_WAIT_POLICY: 'PASSIVE' },
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }).trim(),
    );
    const onnxMiB = Math.round(statSync(file).size / 2 ** 20);
    console.log(`${size}: ${layers} layers, width ${width}, ${heads} heads: ${(parameters / 1e6).toFixed(1)}M parameters (ONNX ${onnxMiB} MiB)`);
    for (const optimizer of optimizers) {
      const started = Date.now();
      const row: Row = { size, parameters, onnxMiB, ...(await runOne(size, optimizer, server.origin)) };
      rows.push(row);
      const last = row.result?.phases.at(-1);
      const made = row.result?.phases.find((p) => p.name === 'trainer made');
      console.log(
        `  ${optimizer.padEnd(26)} ${row.ok ? 'trained' : 'FAILED '} in ${((Date.now() - started) / 1000).toFixed(0)} s; renderer peak ${row.rendererPeakMiB} MiB` +
          (row.ok ? `; wasm ${last!.wasmMiB.join(' + ')} MiB (after createOnnxTrainer ${made!.wasmMiB.join(' + ')}); JS heap ${last!.heapMiB} MiB; loss ${row.result!.losses.map((l) => l.toFixed(3)).join(' → ')}` : `: ${row.error}`),
      );
      if (!row.ok) failed.add(optimizer);
    }
    rmSync(file, { force: true });
  }
} finally {
  await server.close();
  unlinkSync(link);
  rmSync(tmp, { recursive: true, force: true });
}
const largest = Object.fromEntries(values.optimizers!.split(',').map((o) => [o, Math.max(0, ...rows.filter((r) => r.optimizer === o && r.ok).map((r) => r.parameters))]));
console.log('largest trained:', Object.entries(largest).map(([o, n]) => `${o} ${(n / 1e6).toFixed(1)}M`).join(', '));
if (values.json !== undefined) {
  const command = ['pnpm --filter @lmo/browser-tests memory --', ...process.argv.slice(2).filter((a) => a !== '--')].join(' ');
  writeFileSync(values.json, `${JSON.stringify({ command, block: 64, batch: 1, steps, budgetMiB: budget, cpuArena, largest, rows }, null, 2)}\n`);
}
