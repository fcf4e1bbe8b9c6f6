/**
 * What the GPT memory benches (bench/gpt-memory.ts, bench/gpt-budget.ts) share: the optimizer and
 * storage configurations, the GPT export (bench/export-gpt.py, needs python3 with torch), and one
 * measured training run, made in a process of its own so that its peak memory is its own.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { adamw, Random, type LmoOptimizer, scion, scionLight, transformerGroups, type StorageDtype } from '@lmo/core';
import { createOnnxTrainer, loadOnnxModel, onnxBackend, type OnnxBackend, type OnnxModel, type OnnxTensor } from '../src/index.js';
import { measureFrom, memory } from './proc-memory.js';

type Params = ReadonlyMap<string, OnnxTensor>;
export interface Config {
  readonly label: string;
  readonly dtype: StorageDtype;
  readonly optimizer: (p: Params, b: OnnxBackend) => LmoOptimizer<OnnxTensor>;
}
const groups = transformerGroups();
export const CONFIGS: readonly Config[] = [
  { label: 'AdamW float32', dtype: 'float32', optimizer: (p, b) => adamw(b, p, { lr: 1e-3 }) },
  { label: 'Scion float32', dtype: 'float32', optimizer: (p, b) => scion(b, p, { lr: 2 ** -6, groups }) },
  { label: 'ScionLight float32', dtype: 'float32', optimizer: (p, b) => scionLight(b, p, { lr: 2 ** -8, groups, unconstrained: true }) },
  { label: 'ScionLight bfloat16', dtype: 'bfloat16', optimizer: (p, b) => scionLight(b, p, { lr: 2 ** -8, groups, unconstrained: true, bufferDtype: 'bfloat16' }) },
  { label: 'ScionLight bfloat16 + Kahan', dtype: 'bfloat16', optimizer: (p, b) => scionLight(b, p, { lr: 2 ** -8, groups, unconstrained: true, bufferDtype: 'bfloat16', compensation: 'kahan' }) },
  { label: 'ScionLight bfloat16 stochastic', dtype: 'bfloat16', optimizer: (p, b) => scionLight(b, p, { lr: 2 ** -8, groups, unconstrained: true, bufferDtype: 'bfloat16', compensation: 'stochastic', roundingSeed: 1 }) },
];

/** The configuration labelled `label`, or a clear error listing those there are. */
export function configNamed(label: string): Config {
  const config = CONFIGS.find((c) => c.label === label);
  if (config === undefined) throw new Error(`unknown configuration "${label}"; expected one of: ${CONFIGS.map((c) => `"${c.label}"`).join(', ')}`);
  return config;
}

export interface GptShape {
  readonly layers: number;
  readonly heads: number;
  readonly width: number;
  readonly block: number;
  readonly batch: number;
}

/** Exports nanoGPT's GPT of `shape` (vocab 65) to `out` with bench/export-gpt.py; its parameter count. */
export function exportGpt(out: string, shape: GptShape): number {
  const script = fileURLToPath(new URL('./export-gpt.py', import.meta.url));
  const args = [script, out, String(shape.batch), '--n-layer', String(shape.layers), '--n-head', String(shape.heads), '--n-embd', String(shape.width), '--block', String(shape.block)];
  const printed = execFileSync('/usr/bin/python3', args, { env: { ...process.env, OMP_WAIT_POLICY: 'PASSIVE' }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  return Number(printed.trim().split('\n').pop());
}

/** Token batches for the model's fixed [B, T] inputs (seeded). */
function batches(shape: readonly number[]): Array<{ idx: BigInt64Array; targets: BigInt64Array }> {
  const rng = new Random(3);
  const n = shape.reduce((a, d) => a * d, 1);
  const tokens = (): BigInt64Array => BigInt64Array.from({ length: n }, () => BigInt(Math.floor(rng.uniform() * 65)));
  return Array.from({ length: 4 }, () => ({ idx: tokens(), targets: tokens() }));
}

/**
 * Loads the ONNX model `file`, makes its trainer with `config` and trains `steps` steps, in this
 * process (with onnxruntime's CPU memory arena, or without it: `cpuArena` false); what it measured (MiB from /proc/self/status, bytes per parameter as the packages count
 * them):
 *
 * - `persistent` = (optimizer.parameterBytes + optimizer.ownedBytes + the float32 gradients the
 *   session hands back when it does not add them into G) / parameters;
 * - `startMiB`, the resident memory of the process before the model is loaded (node, the
 *   packages); `modelMiB`, what loading the model added (no longer referenced once the trainer is
 *   made); `madeMiB`, what `createOnnxTrainer` added; `stepsPeakMiB`, the peak over the steps above the resident memory before them;
 * - `processPeakMiB`, the whole process's peak resident memory (VmHWM) from its start to the end of
 *   the steps.
 */
export async function measureTraining(config: Config, file: string, steps: number, threads: number, cpuArena = true): Promise<Record<string, number | string>> {
  const before = memory();
  // dropped once the trainer is made (the trainer keeps no copy of the weights), as a user would
  let model: OnnxModel | undefined = await loadOnnxModel(file);
  // every session (the probe, the training graph, the optimizer's steps) takes the backend's session options
  const backend = onnxBackend({ intraOpNumThreads: threads, ...(cpuArena ? {} : { sessionOptions: { enableCpuMemArena: false } }) });
  // the peak of each stretch is read before measureFrom resets it, so the process's is their maximum
  const peaks = [memory().peak];
  const from = measureFrom();
  const trainer = await createOnnxTrainer(model, { trainable: '*', loss: 'loss', dtype: config.dtype, backend, optimizer: config.optimizer });
  model = undefined;
  const made = memory();
  const data = batches(trainer.inputs.find((i) => i.name === 'idx')!.shape);
  peaks.push(memory().peak);
  const stepFrom = measureFrom();
  let loss = 0;
  for (let s = 0; s < steps; s++) loss = await trainer.step(data[s % data.length]!);
  const after = memory();
  peaks.push(after.peak);
  const n = [...trainer.parameters.values()].reduce((sum, p) => sum + p.shape.reduce((a, d) => a * d, 1), 0);
  const { parameterBytes, ownedBytes } = trainer.optimizer;
  const gradientBytes = trainer.accumulates ? 0 : 4 * n;
  await trainer.dispose();
  const perParam = (bytes: number): number => Number((bytes / n).toFixed(2));
  return {
    config: config.label,
    parameters: n,
    weights: perParam(parameterBytes),
    optimizer: perParam(ownedBytes),
    gradients: perParam(gradientBytes),
    persistent: perParam(parameterBytes + ownedBytes + gradientBytes),
    startMiB: Math.round(before.rss),
    modelMiB: Math.round(from.rss - before.rss),
    madeMiB: Math.round(made.rss - from.rss),
    stepsPeakMiB: Math.round(after.peak - stepFrom.rss),
    stepsPeakBytesPerParameter: perParam((after.peak - stepFrom.rss) * 2 ** 20),
    processPeakMiB: Math.round(Math.max(...peaks)),
    loss: Number(loss.toFixed(4)),
  };
}
