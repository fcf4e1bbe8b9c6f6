/**
 * Milliseconds per optimizer step on nanoGPT's default parameter set (wte [65,128], wpe [64,128],
 * 4 × (c_attn [384,128], attn c_proj [128,128], c_fc [512,128], mlp c_proj [128,512], 2 LayerNorm
 * gains [128]), ln_f [128]) with Scion's default groups (docs/guide/norms.md, worked example), onnxruntime against the
 * reference backend, in one run.
 *
 *   pnpm --filter @lmo/onnxruntime bench [-- --steps 200 --warmup 20 --threads 2 --ref-steps 10 --json FILE]
 *
 * Timings are medians over `--steps` steps after `--warmup` steps (`--ref-steps` after 2 for the slow reference) (the first onnxruntime step also
 * compiles the graph: reported separately). The lr follows a warmup + cosine schedule, so every
 * step feeds new numbers through the same compiled graph.
 */
import { writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { scion, transformerGroups, warmupCosine, type NamedTensors, type TensorBackend } from '@lmo/core';
import { referenceBackend } from '@lmo/core/reference';
import { onnxBackend, type OnnxBackend } from '../src/index.js';
import { NANOGPT_DEFAULT, nanoGptShapes, pseudoRandom } from './nanogpt-params.js';

const { values } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: {
    steps: { type: 'string', default: '200' },
    warmup: { type: 'string', default: '20' },
    threads: { type: 'string' },
    'ref-steps': { type: 'string', default: '10' },
    json: { type: 'string' },
  },
});
const loadBefore = loadavg()[0]!;
const steps = Number(values.steps);
const warmup = Number(values.warmup);
const refSteps = Number(values['ref-steps']);
const threadChoices = values.threads !== undefined ? [Number(values.threads)] : [...new Set([1, availableParallelism()])];

const shapes = nanoGptShapes(NANOGPT_DEFAULT);
const size = (s: number[]): number => s.reduce((a, d) => a * d, 1);
const paramCount = shapes.reduce((a, [, s]) => a + size(s), 0);

interface Result {
  readonly label: string;
  readonly firstMs: number;
  readonly medianMs: number;
  readonly meanMs: number;
  readonly extra?: string;
}

async function measure<T>(label: string, backend: TensorBackend<T>, steps: number, warmup: number, describe?: () => string): Promise<Result> {
  const params: NamedTensors<T> = Object.fromEntries(shapes.map(([n, s], i) => [n, backend.fromArray(pseudoRandom(size(s), 1 + i), s)]));
  const grads: NamedTensors<T> = Object.fromEntries(shapes.map(([n, s], i) => [n, backend.fromArray(pseudoRandom(size(s), 100 + i), s)]));
  const opt = scion(backend, params, {
    lr: 2 ** -8,
    schedule: warmupCosine({ warmup: 100, decaySteps: 2000, final: 0.1 }),
    groups: transformerGroups(),
  });
  let t = performance.now();
  await opt.step(grads);
  const firstMs = performance.now() - t;
  for (let i = 1; i < warmup; i++) await opt.step(grads);
  const times: number[] = [];
  for (let i = 0; i < steps; i++) {
    t = performance.now();
    await opt.step(grads);
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  const result: Result = {
    label,
    firstMs,
    medianMs: times[Math.floor(times.length / 2)]!,
    meanMs: times.reduce((a, x) => a + x, 0) / times.length,
    ...(describe ? { extra: describe() } : {}),
  };
  opt.dispose();
  return result;
}

const results: Result[] = [];
for (const threads of threadChoices) {
  const backend: OnnxBackend = onnxBackend({ intraOpNumThreads: threads });
  const before = { ...backend.stats };
  results.push(
    await measure(`onnxruntime-node cpu, ${threads} thread${threads > 1 ? 's' : ''}`, backend, steps, warmup, () => {
      const runs = backend.stats.runs - before.runs;
      const runMs = (backend.stats.runMs - before.runMs) / runs;
      return `${backend.stats.sessionsCreated} session(s), compile ${backend.stats.compileMs.toFixed(0)} ms, session.run ${runMs.toFixed(2)} ms/step`;
    }),
  );
  await backend.close();
}
results.push(await measure('reference (Float32Array)', referenceBackend, refSteps, 2));

console.log(
  `nanoGPT default parameter set: ${shapes.length} tensors, ${paramCount.toLocaleString('en-US')} parameters; ` +
    `Scion default groups; timed steps: onnxruntime ${steps} after ${warmup} warm-up, reference ${refSteps} after 2; ` +
    `Node ${process.version}, ${availableParallelism()} CPUs`,
);
console.log('| backend | first step (ms) | median ms/step | mean ms/step | notes |');
console.log('|---|---:|---:|---:|---|');
for (const r of results) {
  console.log(`| ${r.label} | ${r.firstMs.toFixed(1)} | ${r.medianMs.toFixed(2)} | ${r.meanMs.toFixed(2)} | ${r.extra ?? ''} |`);
}
if (values.json !== undefined) {
  // Relative to the directory the command was typed in (pnpm runs scripts in the package).
  const file = resolve(process.env.INIT_CWD ?? process.cwd(), values.json);
  const machine = { cpus: availableParallelism(), node: process.version, load_average_before: loadBefore, load_average_after: loadavg()[0]! };
  writeFileSync(file, `${JSON.stringify({ steps, warmup, refSteps, tensors: shapes.length, parameters: paramCount, machine, results }, null, 2)}\n`);
  console.log(`json: ${file}`);
}
