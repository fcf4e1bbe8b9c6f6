/**
 * ms per training iteration (forward, backward and the optimizer's step) of nanoGPT's default CPU
 * model (vocab 65, block 64, 4 layers, 4 heads, width 128, batch 12), trained by `createOnnxTrainer`
 * two ways in interleaved rounds on the same batches, same session options and threads:
 *
 * - `gpt`: the forward graph the nanoGPT benchmark trains (the repository's GPT package writes it
 *   with this package's GraphBuilder, one-hot tokens, parameters as initializers);
 * - `torch` (with `--torch`, needs python3 with torch): nanoGPT's GPT as torch.onnx.export writes it.
 *
 *   pnpm --filter @lmo/onnxruntime bench:train [-- --optimizer adamw,scion --rounds 6 --steps 10 --warmup 3 --threads 2 --torch --json FILE]
 *
 * The optimizers are the benchmark's (core's AdamW and Scion with transformerGroups()), the same
 * object type on every side. Reports the median ms per iteration of each side (wall clock, and the
 * CPU time the process used, which a loaded machine disturbs less) and the ratio torch / gpt of the
 * medians, with the per-round ratios.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { Random } from '@lmo/core';
// The GPT package is private to this repository; the bench reads it from its sources.
import { CPU_CONFIG, paramSpecs, type GPTConfig } from '../../../models/gpt/src/config.js';
import { initParams } from '../../../models/gpt/src/init.js';
import { gptForwardModel } from '../../../models/gpt/src/onnxruntime/forward.js';
import { createTrainOptimizer, scheduleFor, OPTIMIZERS, type OptimizerName } from '../../../models/gpt/src/optim/optimizers.js';
import { createOnnxTrainer, onnxBackend, sessionOptions as ortSessionOptions, OnnxModel, type OnnxTrainer, type TrainerOptimizer } from '../src/index.js';

const { values } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: {
    optimizer: { type: 'string', default: 'adamw,scion' },
    rounds: { type: 'string', default: '6' },
    steps: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '3' },
    batch: { type: 'string', default: '12' },
    threads: { type: 'string' },
    torch: { type: 'boolean', default: false },
    json: { type: 'string' },
  },
});
const rounds = Number(values.rounds);
const steps = Number(values.steps);
const warmup = Number(values.warmup);
const B = Number(values.batch);
const threads = values.threads !== undefined ? Number(values.threads) : availableParallelism();
const cfg: GPTConfig = { ...CPU_CONFIG, vocabSize: 65 };
const T = cfg.blockSize;
const N = B * T;
const loadBefore = loadavg()[0]!;

/** Random token batches (the same for every side). */
const rng = new Random(7);
const batches = Array.from({ length: 8 }, () => {
  const x = Int32Array.from({ length: N }, () => Math.floor(rng.uniform() * cfg.vocabSize));
  const y = Int32Array.from({ length: N }, () => Math.floor(rng.uniform() * cfg.vocabSize));
  return { x, y, batchSize: B, blockSize: T };
});

interface Side {
  readonly name: string;
  step(i: number): Promise<number>;
  dispose(): Promise<void>;
}

/** A trainer side: feeds come from `feeds(batch)`. */
async function trainerSide(label: string, model: OnnxModel, trainable: readonly string[], name: OptimizerName, feeds: (b: (typeof batches)[number]) => Record<string, Float32Array | BigInt64Array>): Promise<Side> {
  const sessionOptions = ortSessionOptions({ intraOpNumThreads: threads });
  const backend = onnxBackend({ executionProviders: ['cpu'], intraOpNumThreads: threads, sessionOptions: { extra: sessionOptions.extra } });
  const trainer: OnnxTrainer<TrainerOptimizer> = await createOnnxTrainer(model, {
    trainable,
    loss: 'loss',
    backend,
    sessionOptions,
    optimizer: (params, b) => createTrainOptimizer(name, b, params, OPTIMIZERS[name].lr, scheduleFor(name, 10_000)) as TrainerOptimizer,
  });
  return {
    name: label,
    step: (i) => trainer.step(feeds(batches[i % batches.length]!)),
    async dispose() {
      await trainer.dispose();
      await backend.close();
    },
  };
}

function oneHots(b: (typeof batches)[number]): Record<string, Float32Array> {
  const x = new Float32Array(N * cfg.vocabSize);
  const y = new Float32Array(N * cfg.vocabSize);
  for (let n = 0; n < N; n++) {
    x[n * cfg.vocabSize + b.x[n]!] = 1;
    y[n * cfg.vocabSize + b.y[n]!] = 1;
  }
  return { x_onehot: x, y_onehot: y };
}

function torchModel(): OnnxModel {
  const dir = mkdtempSync(join(tmpdir(), 'lmo-gpt-'));
  const script = fileURLToPath(new URL('./export-gpt.py', import.meta.url));
  execFileSync('/usr/bin/python3', [script, join(dir, 'gpt.onnx'), String(B)], { env: { ...process.env, OMP_WAIT_POLICY: 'PASSIVE' }, stdio: ['ignore', 'ignore', 'inherit'] });
  return OnnxModel.fromBytes(readFileSync(join(dir, 'gpt.onnx')));
}

/** The model's parameters (the forward graph's other initializers are constants: the mask, scalars). */
const parameterNames = paramSpecs(cfg).map((s) => s.name);
/** The `q`-quantile of `xs` (linear interpolation between order statistics, numpy's default). */
function quantile(xs: readonly number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  return s[lo]! + (s[Math.min(lo + 1, s.length - 1)]! - s[lo]!) * (pos - lo);
}
const median = (xs: readonly number[]): number => quantile(xs, 0.5);

const results: Record<string, unknown>[] = [];
const torch = values.torch ? torchModel() : undefined;
for (const name of values.optimizer.split(',') as OptimizerName[]) {
  const sides: Side[] = [
    await trainerSide('gpt', OnnxModel.fromBytes(gptForwardModel(cfg, B, cfg.blockSize, 'loss', initParams(cfg, 1))), parameterNames, name, oneHots),
    ...(torch ? [await trainerSide('torch', torch, parameterNames, name, (b) => ({ idx: BigInt64Array.from(b.x, BigInt), targets: BigInt64Array.from(b.y, BigInt) }))] : []),
  ];
  const ms = new Map(sides.map((s) => [s.name, [] as number[]]));
  const cpu = new Map(sides.map((s) => [s.name, [] as number[]]));
  const roundRatios: number[] = [];
  const roundCpuRatios: number[] = [];
  for (const s of sides) for (let i = 0; i < warmup; i++) await s.step(i);
  for (let r = 0; r < rounds; r++) {
    const roundMedians = new Map<string, number>();
    const roundCpu = new Map<string, number>();
    for (const s of sides) {
      const times: number[] = [];
      for (let i = 0; i < steps; i++) {
        const c0 = process.cpuUsage();
        const t0 = performance.now();
        await s.step(r * steps + i);
        times.push(performance.now() - t0);
        const c = process.cpuUsage(c0);
        cpu.get(s.name)!.push((c.user + c.system) / 1000);
      }
      ms.get(s.name)!.push(...times);
      roundMedians.set(s.name, median(times));
      roundCpu.set(s.name, median(cpu.get(s.name)!.slice(-steps)));
    }
    if (torch) {
      roundRatios.push(roundMedians.get('torch')! / roundMedians.get('gpt')!);
      roundCpuRatios.push(roundCpu.get('torch')! / roundCpu.get('gpt')!);
    }
  }
  for (const s of sides) await s.dispose();
  const summary = Object.fromEntries(
    [...ms].map(([k, v]) => [k, { medianMs: +median(v).toFixed(2), p10: +quantile(v, 0.1).toFixed(2), p90: +quantile(v, 0.9).toFixed(2), cpuMedianMs: +median(cpu.get(k)!).toFixed(2) }]),
  );
  const torchRatio = torch ? median(ms.get('torch')!) / median(ms.get('gpt')!) : undefined;
  const torchCpuRatio = torch ? median(cpu.get('torch')!) / median(cpu.get('gpt')!) : undefined;
  console.log(
    `${name}: gpt ${summary['gpt']!.medianMs} ms (CPU ${summary['gpt']!.cpuMedianMs})` +
      (torch ? `, torch ${summary['torch']!.medianMs} ms (CPU ${summary['torch']!.cpuMedianMs})` : '') +
      (torchRatio !== undefined ? ` — torch/gpt ${torchRatio.toFixed(3)}, CPU time ${torchCpuRatio!.toFixed(3)} (rounds, CPU: ${roundCpuRatios.map((x) => x.toFixed(3)).join(', ')})` : ''),
  );
  results.push({
    optimizer: name,
    ms: summary,
    ...(torchRatio !== undefined
      ? { torchOverGpt: +torchRatio.toFixed(4), torchOverGptCpu: +torchCpuRatio!.toFixed(4), roundRatios: roundRatios.map((x) => +x.toFixed(4)), roundCpuRatios: roundCpuRatios.map((x) => +x.toFixed(4)) }
      : {}),
  });
}
const record = {
  command: `pnpm --filter @lmo/onnxruntime bench:train -- ${process.argv.slice(2).filter((a) => a !== '--').join(' ')}`,
  node: process.version,
  cores: availableParallelism(),
  config: { ...cfg, batch: B, threads, rounds, steps, warmup },
  loadavgBefore: loadBefore,
  loadavgAfter: loadavg()[0],
  results,
};
if (values.json) writeFileSync(resolve(values.json), `${JSON.stringify(record, null, 1)}\n`);
