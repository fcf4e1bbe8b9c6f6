import type { GPTConfig, CharDataset, GptModel } from '@lmo/gpt';
import { createModel, type BackendName } from '@lmo/gpt/node';
import { markdownTable } from '../report/table.js';
import { timeFwdBwd, timeSteps, type PartSettings, type StepSamples } from './parts.js';
import { summarize, type Samples } from './timing.js';
import { UsageError } from '../util/errors.js';

/** One backend's speed. Times are per iteration; `cpu` is process CPU time (robust to other load). */
export interface SpeedRow {
  readonly backend: string;
  readonly ms_fwd_bwd: number;
  readonly cpu_ms_fwd_bwd: number;
  readonly tokens_per_s: number;
  /**
   * Per optimizer: step time, and the bytes of state it allocated (ScionLight's gradient buffers are
   * where the backward pass accumulates, so a trainer needs no gradient memory of its own for it).
   */
  readonly optimizers: Record<string, { ms: number; cpu_ms: number; owned_bytes: number }>;
  /** Scion's optimizer step time over AdamW's on this backend. */
  readonly scion_over_adamw?: number;
}

export interface SpeedSettings extends PartSettings {
  readonly backends: readonly BackendName[];
}

/** The model of backend `name`, or `undefined` (with a line saying why) for an engine that does not run here (gpujs-webgpu without a `navigator.gpu`). */
export async function startModel(name: BackendName, config: GPTConfig, log: (l: string) => void): Promise<GptModel<unknown> | undefined> {
  try {
    return await createModel(name, config);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    log(`${name}: skipped (${e.message})`);
    return undefined;
  }
}

/** Times forward+backward and each optimizer's step on each backend (after warm-up iterations). */
export async function speedBench(data: CharDataset, config: GPTConfig, s: SpeedSettings, log: (l: string) => void): Promise<SpeedRow[]> {
  const rows: SpeedRow[] = [];
  for (const name of s.backends) {
    const model = await startModel(name, config, log);
    if (model === undefined) continue;
    let fwdBwd: Samples;
    let steps: Map<string, StepSamples>;
    try {
      fwdBwd = await timeFwdBwd(model, data, s);
      steps = await timeSteps(model, data, s);
    } finally {
      model.dispose();
    }
    const optimizers: Record<string, { ms: number; cpu_ms: number; owned_bytes: number }> = {};
    for (const [o, t] of steps) optimizers[o] = { ms: mean(t.wallMs), cpu_ms: mean(t.cpuMs), owned_bytes: t.ownedBytes };
    const msFb = mean(fwdBwd.wallMs);
    const row: SpeedRow = {
      backend: model.name,
      ms_fwd_bwd: msFb,
      cpu_ms_fwd_bwd: mean(fwdBwd.cpuMs),
      tokens_per_s: (s.batchSize * config.blockSize * 1000) / (msFb + (optimizers['scion']?.ms ?? 0)),
      optimizers,
      ...(optimizers['scion'] && optimizers['adamw'] ? { scion_over_adamw: optimizers['scion'].cpu_ms / optimizers['adamw'].cpu_ms } : {}),
    };
    rows.push(row);
    log(`${model.name}: fwd+bwd ${msFb.toFixed(1)} ms (cpu ${row.cpu_ms_fwd_bwd.toFixed(1)} ms); ` +
      Object.entries(optimizers).map(([k, v]) => `${k} ${v.ms.toFixed(1)} ms (cpu ${v.cpu_ms.toFixed(1)}, state ${(v.owned_bytes / 1024).toFixed(0)} KiB)`).join(', '));
  }
  return rows;
}

/** A plain-text table of {@link speedBench}'s rows. */
export function speedTable(rows: readonly SpeedRow[], optimizers: readonly string[]): string {
  const head = ['backend', 'fwd+bwd ms', 'cpu ms', ...optimizers.map((o) => `${o} ms (state KiB)`), 'tokens/s (scion)', 'scion/adamw'];
  const body = rows.map((r) => [
    r.backend,
    r.ms_fwd_bwd.toFixed(1),
    r.cpu_ms_fwd_bwd.toFixed(1),
    ...optimizers.map((o) => {
      const v = r.optimizers[o];
      return v ? `${v.ms.toFixed(1)} (${(v.owned_bytes / 1024).toFixed(0)})` : '-';
    }),
    r.tokens_per_s.toFixed(0),
    r.scion_over_adamw !== undefined ? `${r.scion_over_adamw.toFixed(1)}×` : '-',
  ]);
  return markdownTable(head, body);
}

const mean = (xs: readonly number[]): number => summarize(xs).mean;
