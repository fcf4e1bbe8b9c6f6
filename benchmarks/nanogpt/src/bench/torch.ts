import { loadavg } from 'node:os';
import { type CharDataset, type GPTConfig, type GptModel } from '@lmo/gpt';
import type { BackendName } from '@lmo/gpt/node';
import { peakRssMb } from '../report/jsonl.js';
import { timeFwdBwd, timeIterations, timeSteps, type PartSettings } from './parts.js';
import { startModel } from './speed.js';
import { newtonSchulzGflop, spectralMatrices, timeNewtonSchulzOnnx, type SpectralMatrix } from './newton-schulz.js';
import type { EnvRecord, NsDtype, PartRecord, SideRecord } from './side-records.js';
import { summarize, type Samples } from './timing.js';
import { runTorchScript, TORCH_INSTALL, TORCH_SCRIPT } from './torch-python.js';

/** Settings of {@link torchBench}. */
export interface TorchBenchSettings extends Omit<PartSettings, 'optimizers'> {
  /** The Python interpreter that has torch. */
  readonly python: string;
  /** torch's threads (and its OpenMP's and BLAS's), and onnxruntime's intra-op threads. */
  readonly threads: number;
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
  let models: Array<GptModel<unknown>> | undefined;
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
        models = [];
        for (const name of s.backends) {
          const model = await startModel(name, config, log);
          if (model !== undefined) models.push(model);
        }
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
    scion_step_gflop: newtonSchulzGflop(spectralMatrices(config), 'direct'),
    scion_step_gflop_kernel: newtonSchulzGflop(spectralMatrices(config), 'fused'),
  };
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
async function lmoPart(phase: Phase, model: GptModel<unknown>, data: CharDataset, config: GPTConfig, s: TorchBenchSettings): Promise<SideRecord[]> {
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
      return model.name === 'onnxruntime' ? onnxNewtonSchulz(config, s) : [];
  }
}

/**
 * Newton–Schulz on onnxruntime: the fused kernel (what Scion runs there) on the matrices of each
 * shape of the model, then on all of them in one graph run — the GEMM rates, counted as the flops the
 * kernel executes — and the last again as the kernel's record with the direct form's flops beside.
 */
async function onnxNewtonSchulz(config: GPTConfig, s: TorchBenchSettings): Promise<SideRecord[]> {
  const matrices = spectralMatrices(config);
  const byShape = new Map<string, SpectralMatrix[]>();
  for (const m of matrices) byShape.set(m.shape.join(','), [...(byShape.get(m.shape.join(',')) ?? []), m]);
  const groups: Array<{ shape: readonly number[] | 'all'; matrices: SpectralMatrix[] }> = [
    ...[...byShape.values()].map((ms) => ({ shape: [...ms[0]!.shape], matrices: ms })),
    { shape: 'all', matrices },
  ];
  const out: SideRecord[] = [];
  for (const g of groups) {
    const gflop = newtonSchulzGflop(g.matrices, 'fused');
    const t = await timeNewtonSchulzOnnx(g.matrices, { iters: s.iters, warmup: s.warmup, seed: s.seed, threads: s.threads });
    const timed = { count: g.matrices.length, gflop, n: t.wallMs.length, wall_ms: summarize(t.wallMs), cpu_ms: summarize(t.cpuMs) };
    const gflops_per_s = gflop / (timed.wall_ms.median / 1e3);
    out.push({ side: 'lmo', backend: 'onnxruntime', kind: 'gemm', dtype: 'fp32', shape: g.shape, ...timed, gflops_per_s });
    if (g.shape === 'all') out.push({ side: 'lmo', backend: 'onnxruntime', kind: 'ns_kernel', ...timed, gflop_nominal: newtonSchulzGflop(matrices, 'direct'), gflops_per_s });
  }
  return out;
}
