/**
 * Benchmark: optimizer-step time on nanoGPT's default model, and Newton–Schulz GFLOP/s, for every
 * gpu.js mode that works here, against core's reference backend.
 *
 *   pnpm --filter @lmo/gpujs bench                      # every available mode
 *   pnpm --filter @lmo/gpujs bench -- --modes cpu,webasm --ns 768x768
 *
 * Options: --modes a,b (cpu, webasm, headlessgl, webgpu; default all), --steps N (timed optimizer
 * steps, default 10), --ns LIST (Newton–Schulz sizes, default 768x768,768x3072, plus 4096x4096 on a
 * real GPU), --reps N (timed NS runs, default 2),
 * --warmup N (untimed NS runs first, default 1), --json FILE (the results, relative to the directory
 * the command was typed in).
 * webgpu: as in the tests, a Vulkan adapter if there is one, else Dawn's GL-compat adapter on Mesa
 * (software; numbers then measure llvmpipe, not a GPU). headlessgl needs a built `gl` and a display.
 */
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { resolve } from 'node:path';
import { biasRMS, colNorm, scion, sign, spectral } from '@lmo/core';
import type { TensorBackend } from '@lmo/core';
import { orthogonalizationPlan } from '@lmo/core/backend';
import { createReferenceBackend } from '@lmo/core/reference';
import { createGpujsBackend, probeMode } from '../src/index.js';
import type { GpujsBackendOptions, GpujsMode } from '../src/index.js';
import { webgpuOptions } from '../test/webgpu.js';

const args = process.argv.slice(2);
const opt = (name: string, fallback: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? (args[i + 1] as string) : fallback;
};
const STEPS = Number(opt('steps', '10'));
const REPS = Number(opt('reps', '2'));
const WARMUP = Number(opt('warmup', '1'));
const MODES = opt('modes', 'cpu,webasm,headlessgl,webgpu').split(',') as GpujsMode[];

/** nanoGPT's default (CPU) config: vocab 65, block 64, 4 layers, 128 wide, tied head, bias=false. */
function nanoGptShapes(): Map<string, number[]> {
  const C = 128;
  const m = new Map<string, number[]>([
    ['wte', [65, C]],
    ['wpe', [64, C]],
  ]);
  for (let l = 0; l < 4; l++) {
    m.set(`h.${l}.ln_1`, [C]);
    m.set(`h.${l}.attn.c_attn`, [3 * C, C]);
    m.set(`h.${l}.attn.c_proj`, [C, C]);
    m.set(`h.${l}.ln_2`, [C]);
    m.set(`h.${l}.mlp.c_fc`, [4 * C, C]);
    m.set(`h.${l}.mlp.c_proj`, [C, 4 * C]);
  }
  m.set('ln_f', [C]);
  return m;
}

function filled(size: number, seed: number): Float32Array {
  const out = new Float32Array(size);
  let s = seed >>> 0;
  for (let i = 0; i < size; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s / 4294967296 - 0.5) * 0.04;
  }
  return out;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

async function stepTime<T>(b: TensorBackend<T>): Promise<{ median: number; first: number }> {
  const shapes = nanoGptShapes();
  const params = new Map([...shapes].map(([n, s], i) => [n, b.fromArray(filled(s.reduce((p, d) => p * d, 1), i + 1), s)]));
  const grads = new Map([...shapes].map(([n, s], i) => [n, b.fromArray(filled(s.reduce((p, d) => p * d, 1), 100 + i), s)]));
  const o = scion(b, params, {
    lr: 2 ** -8,
    groups: [
      { name: 'embed', match: 'wte', norm: sign({ normalized: true }), scale: 180 },
      { name: 'pos', match: 'wpe', norm: colNorm({ transpose: true }), scale: 3 },
      { name: 'gains', match: (_n: string, s: readonly number[]) => s.length === 1, norm: biasRMS(), scale: 3 },
      { name: 'hidden', norm: spectral(), scale: 3 },
    ],
  });
  // the step is complete when a parameter can be read back
  const sync = async (): Promise<void> => {
    await b.read(params.get('ln_f') as T);
  };
  let t = performance.now();
  await o.step(grads);
  await sync();
  const first = performance.now() - t;
  await o.step(grads);
  await sync();
  const times: number[] = [];
  for (let i = 0; i < STEPS; i++) {
    t = performance.now();
    await o.step(grads);
    await sync();
    times.push(performance.now() - t);
  }
  o.dispose();
  for (const x of [...params.values(), ...grads.values()]) b.dispose(x);
  return { median: median(times), first };
}

async function nsGflops<T>(b: TensorBackend<T>, m: number, n: number): Promise<{ ms: number; gflops: number }> {
  const plan = orthogonalizationPlan('quintic', 5);
  const lmo = spectral({ steps: 5 });
  const g = b.fromArray(filled(m * n, 7), [m, n]);
  const out = b.zerosLike(g);
  const once = async (): Promise<number> => {
    const t = performance.now();
    // Spectral's LMO: the orthogonalization (five quintic steps) times a scale
    await b.run(() => b.assign(out, lmo.lmo(b, g, [m, n])));
    await b.read(out);
    return performance.now() - t;
  };
  for (let i = 0; i < WARMUP; i++) await once();
  const times: number[] = [];
  for (let i = 0; i < REPS; i++) times.push(await once());
  b.dispose(g);
  b.dispose(out);
  const [s, l] = [Math.min(m, n), Math.max(m, n)];
  const flops = plan.coefficients.length * (4 * s * s * l + 2 * s * s * s);
  const ms = median(times);
  return { ms, gflops: flops / (ms * 1e6) };
}

interface Target {
  readonly label: string;
  readonly make: () => TensorBackend<unknown>;
  readonly gpu: boolean;
}

async function targets(): Promise<Target[]> {
  const list: Target[] = [{ label: 'reference', make: () => createReferenceBackend() as TensorBackend<unknown>, gpu: false }];
  for (const mode of MODES) {
    let options: GpujsBackendOptions = { mode };
    let label = `gpujs-${mode}`;
    let gpu = false;
    if (mode === 'webgpu') {
      const w = await webgpuOptions();
      if ('reason' in w) {
        console.log(`# ${label}: skipped (${w.reason})`);
        continue;
      }
      options = w.options;
      gpu = !w.adapter.startsWith('opengles');
      label += gpu ? '' : ' (Dawn GL-compat on llvmpipe, software)';
    }
    const p = await probeMode(mode, options);
    if (!p.available) {
      console.log(`# ${label}: skipped (${p.reason ?? ''})`);
      continue;
    }
    list.push({ label, make: () => createGpujsBackend(options) as TensorBackend<unknown>, gpu });
  }
  return list;
}

const list = await targets();
const anyGpu = list.some((t) => t.gpu);
const sizes = opt('ns', anyGpu ? '768x768,768x3072,4096x4096' : '768x768,768x3072')
  .split(',')
  .map((s) => s.split('x').map(Number) as [number, number]);

const loadBefore = loadavg()[0]!;
const rows: Array<{ backend: string; step_median_ms: number; first_step_ms: number; newton_schulz: Array<{ m: number; n: number; ms: number; gflops: number }> }> = [];
console.log(`# node ${process.version}, ${process.platform}-${process.arch}; optimizer steps: ${STEPS} timed (median), NS reps: ${REPS} after ${WARMUP} warmup`);
console.log('| backend | Scion step, nanoGPT default (ms, median) | first step incl. compile (ms) | ' +
  sizes.map(([m, n]) => `NS ${m}×${n} ms (GFLOP/s)`).join(' | ') + ' |');
console.log('|---|---|---|' + sizes.map(() => '---|').join(''));
for (const t of list) {
  const b = t.make();
  const st = await stepTime(b);
  const cells = [t.label, st.median.toFixed(1), st.first.toFixed(0)];
  const row = { backend: t.label, step_median_ms: st.median, first_step_ms: st.first, newton_schulz: [] as Array<{ m: number; n: number; ms: number; gflops: number }> };
  rows.push(row);
  for (const [m, n] of sizes) {
    if (m * n >= 4096 * 4096 && !t.gpu) {
      cells.push('(GPU only)');
      continue;
    }
    const r = await nsGflops(b, m, n);
    cells.push(`${r.ms.toFixed(0)} (${r.gflops.toFixed(2)})`);
    row.newton_schulz.push({ m, n, ms: r.ms, gflops: r.gflops });
  }
  console.log(`| ${cells.join(' | ')} |`);
  (b as { destroy?: () => void }).destroy?.();
}
const json = opt('json', '');
if (json !== '') {
  const file = resolve(process.env.INIT_CWD ?? process.cwd(), json);
  const machine = { cpus: cpus().length, node: process.version, load_average_before: loadBefore, load_average_after: loadavg()[0]! };
  writeFileSync(file, `${JSON.stringify({ steps: STEPS, reps: REPS, warmup: WARMUP, machine, rows }, null, 2)}\n`);
  console.log(`json: ${file}`);
}
process.exit(0);
