import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { writeFileAtomic } from '@lmo/core/node';


/** The final JSON line of a run (names as documented in the README). */
export interface SummaryRecord {
  readonly summary: true;
  readonly backend: string;
  readonly optimizer: string;
  readonly lr: number;
  readonly seed: number;
  readonly iters: number;
  /** How the weights and the optimizer's buffers were stored (absent in files from before 16-bit storage: float32). */
  readonly dtype?: string;
  readonly compensation?: string;
  readonly final_val_loss: number;
  readonly best_val_loss: number;
  readonly tokens_per_s: number;
  readonly ms_fwd_bwd: number;
  readonly ms_optimizer: number;
  readonly peak_rss_mb: number;
  /** The model and evaluation settings, so that the command can be reconstructed from the file. */
  readonly n_layer: number;
  readonly n_head: number;
  readonly n_embd: number;
  readonly block_size: number;
  readonly batch_size: number;
  readonly eval_every: number;
  readonly eval_iters: number;
}

/** Peak resident set size of this process, in MiB. */
export function peakRssMb(): number {
  return Math.round((process.resourceUsage().maxRSS / 1024) * 10) / 10;
}

/** Writes a JSON document atomically (a kill leaves the previous file, never half of one), its folder created. */
export function writeJson(path: string, value: unknown): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`);
}

/** Writes JSON lines, the whole file each time and atomically: a kill never leaves a torn last line. */
export function writeJsonLines(path: string, records: readonly unknown[]): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileAtomic(path, records.map((r) => `${JSON.stringify(r)}\n`).join(''));
}
