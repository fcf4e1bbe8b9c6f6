import { loadavg } from 'node:os';
import { type CharDataset, type GPTConfig, type ModelBackend } from '@lmo/gpt';
import { createModelBackend, type BackendName } from '@lmo/gpt/node';
import { peakRssMb } from '../report/jsonl.js';
import { UsageError } from '../util/errors.js';
import { timeNsGemmsOnnx } from './ns-gemm-onnx.js';
import { timeNsKernelOnnx } from './ns-kernel-onnx.js';
import { timeFwdBwd, timeIterations, timeSteps } from './parts.js';
import { newtonSchulzFlops, scionStepFlops, scionStepKernelFlops, spectralMatrices } from './scion-flops.js';
import type { EnvRecord, GemmRecord, NsDtype, NsKernelRecord, PartRecord, SideRecord } from './side-records.js';
import { summarize, type Samples } from './timing.js';
import { runTorchScript, TORCH_INSTALL, TORCH_SCRIPT } from './torch-python.js';

/** Settings of {@link torchBench}. */
export interface TorchBenchSettings {
  /** The Python interpreter that has torch. */
  readonly python: string;
  /** torch's threads (and its OpenMP's and BLAS's), and onnxruntime's intra-op threads. */
  readonly threads: number;
  readonly iters: number;
  readonly warmup: number;
  readonly batchSize: number;
  readonly seed: number;
  readonly backends: readonly BackendName[];
  /** Newton–Schulz precisions torch's Scion is timed with. */
  readonly nsDtypes: readonly NsDtype[];
  /** OMP_WAIT_POLICY for torch: `passive` keeps OpenMP's idle workers off the cores OpenBLAS needs. */
  readonly ompWaitPolicy: 'passive' | 'active' | 'default';
  /** The timing script (default: this package's `torch/bench.py`). */
  readonly script?: string;
}

export type TorchBenchResult = { readonly ok: true; readonly records: SideRecord[] } | { readonly ok: false; readonly reason: string };

/** The parts, in the order they are timed; torch and lmo alternate part by part. */
const PHASES = ['fwd_bwd', 'step', 'iteration', 'gemm'] as const;
type Phase = (typeof PHASES)[number];

/**
 * PyTorch eager against lmo at one thread count, in one run. For each part in turn (forward+backward,
 * optimizer steps, whole iterations, Newton–Schulz's GEMMs alone) the Python script times torch's,
 * then each lmo backend times its own the same way ({@link timeFwdBwd} and its siblings), so that the
 * two sides of a ratio are measured close together, not a whole run apart, on a machine whose load
 * drifts. onnxruntime runs with `threads` intra-op threads (`NANOGPT_ORT_THREADS`). Without Python
 * or torch the result says why.
 */
export async function torchBench(data: CharDataset, config: GPTConfig, s: TorchBenchSettings, log: (line: string) => void): Promise<TorchBenchResult> {
  const args = [
    ['--threads', s.threads],
    ['--iters', s.iters],
    ['--warmup', s.warmup],
    ['--vocab-size', config.vocabSize],
    ['--block-size', config.blockSize],
    ['--n-layer', config.nLayer],
    ['--n-head', config.nHead],
    ['--n-embd', config.nEmbd],
    ['--batch-size', s.batchSize],
    ['--seed', s.seed],
    ['--ns-dtypes', s.nsDtypes.join(',')],
    ['--omp-wait-policy', s.ompWaitPolicy],
  ].flatMap(([k, v]) => [String(k), String(v)]);
  log(`torch: ${s.python} ${s.script ?? TORCH_SCRIPT} ${args.join(' ')} --parts <each part in turn>`);
  const head: SideRecord[] = [];
  const timed: SideRecord[] = [];
  let torchPeak = 0;
  let models: Array<ModelBackend<unknown>> | undefined;
  const previous = process.env['NANOGPT_ORT_THREADS'];
  process.env['NANOGPT_ORT_THREADS'] = String(s.threads);
  try {
    for (const phase of PHASES) {
      const torch = await runTorchScript(s.python, [...args, '--parts', phase], s.script);
      if (!torch.ok) return torch;
      for (const r of torch.records) {
        if (r.kind === 'memory') torchPeak = Math.max(torchPeak, r.peak_rss_mb);
        else if (r.kind !== 'env') timed.push(r);
        else if (models === undefined) head.push(r);
      }
      if (models === undefined) {
        const env = torch.records.find((r): r is EnvRecord => r.kind === 'env');
        if (env?.blas === 'reference') log(`torch runs on the generic reference BLAS (about 8× slower than OpenBLAS): ${TORCH_INSTALL}`);
        else if (env !== undefined && env.blas !== 'openblas') log(`torch's BLAS: ${String(env.blas)}`);
        head.push(lmoEnv(config, s));
        models = await createModels(config, s.backends, log);
      }
      for (const model of models) timed.push(...(await lmoPart(phase, model, data, config, s)));
      log(`${phase}: timed`);
    }
  } finally {
    for (const m of models ?? []) m.dispose();
    if (previous === undefined) delete process.env['NANOGPT_ORT_THREADS'];
    else process.env['NANOGPT_ORT_THREADS'] = previous;
  }
  const memory: SideRecord[] = [
    { side: 'torch', kind: 'memory', peak_rss_mb: torchPeak },
    { side: 'lmo', kind: 'memory', peak_rss_mb: peakRssMb() },
  ];
  return { ok: true, records: [...head, ...timed, ...memory] };
}

function lmoEnv(config: GPTConfig, s: TorchBenchSettings): EnvRecord {
  return {
    side: 'lmo',
    kind: 'env',
    node: process.versions.node,
    load_average: loadavg().map((x) => Math.round(x * 100) / 100),
    threads: s.threads,
    config: { ...config, batchSize: s.batchSize },
    iters: s.iters,
    warmup: s.warmup,
    scion_step_gflop: scionStepFlops(config) / 1e9,
    scion_step_gflop_kernel: scionStepKernelFlops(config) / 1e9,
  };
}

/** The lmo backends that start here (one that cannot is skipped with a line saying why). */
async function createModels(config: GPTConfig, names: readonly BackendName[], log: (line: string) => void): Promise<Array<ModelBackend<unknown>>> {
  const models: Array<ModelBackend<unknown>> = [];
  for (const name of names) {
    try {
      models.push(await createModelBackend(name, config));
    } catch (e) {
      if (!(e instanceof UsageError)) throw e;
      log(`${name}: skipped (${e.message})`);
    }
  }
  return models;
}

const part = (backend: string, fields: Pick<PartRecord, 'part' | 'optimizer' | 'ns_dtype'>, t: Samples): PartRecord => ({
  side: 'lmo',
  backend,
  kind: 'part',
  ...fields,
  n: t.wallMs.length,
  wall_ms: summarize(t.wallMs),
  cpu_ms: summarize(t.cpuMs),
});

/** One part on one lmo backend, as records (Scion's Newton–Schulz runs in fp32 there). */
async function lmoPart(phase: Phase, model: ModelBackend<unknown>, data: CharDataset, config: GPTConfig, s: TorchBenchSettings): Promise<SideRecord[]> {
  const settings = { optimizers: ['adamw', 'scion'] as const, iters: s.iters, warmup: s.warmup, batchSize: s.batchSize, seed: s.seed };
  switch (phase) {
    case 'fwd_bwd':
      return [part(model.name, { part: 'fwd_bwd' }, await timeFwdBwd(model, data, settings))];
    case 'step':
    case 'iteration': {
      const t = phase === 'step' ? await timeSteps(model, data, settings) : await timeIterations(model, data, settings);
      return [
        part(model.name, { part: phase, optimizer: 'adamw' }, t.get('adamw')!),
        part(model.name, { part: phase, optimizer: 'scion', ns_dtype: 'fp32' }, t.get('scion')!),
      ];
    }
    case 'gemm':
      return model.name === 'onnxruntime' ? [...(await onnxGemms(config, s)), await onnxKernel(config, s)] : [];
  }
}

/** Newton–Schulz's GEMMs on onnxruntime: per matrix shape of the model, then all of them in one graph. */
async function onnxGemms(config: GPTConfig, s: TorchBenchSettings): Promise<GemmRecord[]> {
  const matrices = spectralMatrices(config);
  const steps = matrices[0]?.steps ?? 5;
  const byShape = new Map<string, Array<readonly [number, number]>>();
  for (const m of matrices) {
    const key = m.shape.join(',');
    byShape.set(key, [...(byShape.get(key) ?? []), m.shape]);
  }
  const groups: Array<{ shape: readonly number[] | 'all'; shapes: Array<readonly [number, number]> }> = [
    ...[...byShape.values()].map((shapes) => ({ shape: [...shapes[0]!], shapes })),
    { shape: 'all', shapes: matrices.map((m) => m.shape) },
  ];
  const out: GemmRecord[] = [];
  for (const g of groups) {
    const flops = g.shapes.reduce((sum, [r, c]) => sum + newtonSchulzFlops(r, c, steps), 0);
    const t = await timeNsGemmsOnnx(g.shapes, { steps, iters: s.iters, warmup: s.warmup, seed: s.seed, threads: s.threads });
    const wall = summarize(t.wallMs);
    out.push({
      side: 'lmo',
      backend: 'onnxruntime',
      kind: 'gemm',
      dtype: 'fp32',
      shape: g.shape,
      count: g.shapes.length,
      gflop: flops / 1e9,
      n: t.wallMs.length,
      wall_ms: wall,
      cpu_ms: summarize(t.cpuMs),
      gflops_per_s: flops / (wall.median * 1e6),
    });
  }
  return out;
}

/** The onnxruntime backend's fused Newton–Schulz kernel alone on every matrix of a Scion step. */
async function onnxKernel(config: GPTConfig, s: TorchBenchSettings): Promise<NsKernelRecord> {
  const matrices = spectralMatrices(config);
  const t = await timeNsKernelOnnx(matrices.map((m) => m.shape), { steps: matrices[0]?.steps ?? 5, iters: s.iters, warmup: s.warmup, seed: s.seed, threads: s.threads });
  const wall = summarize(t.wallMs);
  const flops = scionStepKernelFlops(config);
  return {
    side: 'lmo',
    backend: 'onnxruntime',
    kind: 'ns_kernel',
    count: matrices.length,
    gflop: flops / 1e9,
    gflop_nominal: scionStepFlops(config) / 1e9,
    n: t.wallMs.length,
    wall_ms: wall,
    cpu_ms: summarize(t.cpuMs),
    gflops_per_s: flops / (wall.median * 1e6),
  };
}
