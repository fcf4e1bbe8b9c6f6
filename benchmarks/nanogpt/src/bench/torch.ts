import { loadavg } from 'node:os';
import type { CharDataset } from '../data/char-dataset.js';
import type { GPTConfig } from '../model/config.js';
import { createModelBackend, type BackendName } from '../model/registry.js';
import { peakRssMb } from '../report/jsonl.js';
import { UsageError } from '../util/errors.js';
import { timeNsGemmsOnnx } from './ns-gemm-onnx.js';
import { timeNsKernelOnnx } from './ns-kernel-onnx.js';
import { timeParts } from './parts.js';
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

/**
 * PyTorch eager against lmo at one thread count, in one run: the Python script times nanoGPT with
 * AdamW and Scion (its records come first), then each lmo backend is timed part by part the same
 * way ({@link timeParts}), onnxruntime with `threads` intra-op threads. Newton–Schulz's GEMMs alone
 * are timed on torch (fp32) and on onnxruntime. Without Python or torch the result says why.
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
  log(`torch: ${s.python} ${s.script ?? TORCH_SCRIPT} ${args.join(' ')}`);
  const torch = await runTorchScript(s.python, args, s.script);
  if (!torch.ok) return torch;
  const env = torch.records.find((r): r is EnvRecord => r.kind === 'env');
  if (env?.blas === 'reference') log(`torch runs on the generic reference BLAS (about 8× slower than OpenBLAS): ${TORCH_INSTALL}`);
  else if (env !== undefined && env.blas !== 'openblas') log(`torch's BLAS: ${String(env.blas)}`);
  return { ok: true, records: [...torch.records, ...(await lmoSide(data, config, s, log))] };
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

async function lmoSide(data: CharDataset, config: GPTConfig, s: TorchBenchSettings, log: (line: string) => void): Promise<SideRecord[]> {
  const records: SideRecord[] = [];
  const previous = process.env['NANOGPT_ORT_THREADS'];
  process.env['NANOGPT_ORT_THREADS'] = String(s.threads);
  try {
    records.push({
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
    });
    for (const name of s.backends) {
      let model: Awaited<ReturnType<typeof createModelBackend>>;
      try {
        model = await createModelBackend(name, config);
      } catch (e) {
        if (!(e instanceof UsageError)) throw e;
        log(`${name}: skipped (${e.message})`);
        continue;
      }
      log(`lmo ${model.name}: timing ${s.iters} runs per part after ${s.warmup} warm-up runs`);
      try {
        const t = await timeParts(model, data, { optimizers: ['adamw', 'scion'], iters: s.iters, warmup: s.warmup, batchSize: s.batchSize, seed: s.seed, iterations: true });
        records.push(part(model.name, { part: 'fwd_bwd' }, t.fwdBwd));
        records.push(part(model.name, { part: 'step', optimizer: 'adamw' }, t.steps.get('adamw')!));
        records.push(part(model.name, { part: 'step', optimizer: 'scion', ns_dtype: 'fp32' }, t.steps.get('scion')!));
        records.push(part(model.name, { part: 'iteration', optimizer: 'adamw' }, t.iterations.get('adamw')!));
        records.push(part(model.name, { part: 'iteration', optimizer: 'scion', ns_dtype: 'fp32' }, t.iterations.get('scion')!));
      } finally {
        model.dispose();
      }
      if (name === 'onnxruntime') records.push(...(await onnxGemms(config, s)), await onnxKernel(config, s));
    }
    records.push({ side: 'lmo', kind: 'memory', peak_rss_mb: peakRssMb() });
  } finally {
    if (previous === undefined) delete process.env['NANOGPT_ORT_THREADS'];
    else process.env['NANOGPT_ORT_THREADS'] = previous;
  }
  return records;
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
