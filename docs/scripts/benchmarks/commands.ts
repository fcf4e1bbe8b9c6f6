/**
 * The command that writes each result file, run from the repository root. Reconstructed from what
 * the file records; every setting that changes the numbers is spelled out.
 */
import type { ParityDoc, Run, SpeedDoc } from './parse.js';

/** A learning rate as the CLI accepts it: `2^-8` for powers of two, else the number. */
export function lrText(lr: number): string {
  const log2 = Math.log2(lr);
  return Number.isInteger(log2) ? `2^${log2}` : String(lr);
}

/** nanoGPT's CPU config and the CLI's evaluation defaults: flags are written only where a run differs. */
const RUN_DEFAULTS: Record<string, [flag: string, value: number]> = {
  n_layer: ['--n-layer', 4],
  n_head: ['--n-head', 4],
  n_embd: ['--n-embd', 128],
  block_size: ['--block-size', 64],
  batch_size: ['--batch-size', 12],
  eval_every: ['--eval-every', 250],
  eval_iters: ['--eval-iters', 200],
};

/** `pnpm nanogpt …` for the runs of one file (two runs: `--optimizer A --compare B`, each at its default lr). */
export function runCommand(runs: readonly Run[]): string {
  const s = runs[0]!.summary;
  const parts = ['pnpm nanogpt', `--backend ${s.backend}`, `--optimizer ${s.optimizer}`];
  if (runs.length > 1) parts.push(`--compare ${runs[1]!.summary.optimizer}`);
  else parts.push(`--lr ${lrText(s.lr)}`);
  if (s.dtype !== undefined && s.dtype !== 'float32') parts.push(`--dtype ${s.dtype}`);
  if (s.compensation !== undefined && s.compensation !== 'none') parts.push(`--compensation ${s.compensation}`);
  parts.push(`--seed ${s.seed}`, `--iters ${s.iters}`);
  for (const [key, [flag, fallback]] of Object.entries(RUN_DEFAULTS)) {
    const value = (s as unknown as Record<string, unknown>)[key];
    if (typeof value === 'number' && value !== fallback) parts.push(`${flag} ${value}`);
  }
  parts.push(`--json ${runs[0]!.file}`);
  return parts.join(' ');
}

const unique = <T>(xs: readonly T[]): T[] => [...new Set(xs)];

const shapeFlags = (c: ParityDoc['config'], batch: number | undefined): string[] => [
  `--n-layer ${c.nLayer}`,
  `--n-head ${c.nHead}`,
  `--n-embd ${c.nEmbd}`,
  `--block-size ${c.blockSize}`,
  ...(batch !== undefined ? [`--batch-size ${batch}`] : []),
];

/** `pnpm bench parity …` for a parity file. */
export function parityCommand(doc: ParityDoc): string {
  return [
    'pnpm bench parity',
    `--steps ${doc.steps}`,
    `--optimizer ${doc.optimizer}`,
    `--backends ${doc.rows.map((r) => r.backend).join(',')}`,
    ...shapeFlags(doc.config, doc.batchSize),
    ...(doc.seed !== undefined ? [`--seed ${doc.seed}`] : []),
    `--json ${doc.file}`,
  ].join(' ');
}

/** `pnpm bench speed …` for a speed file. */
export function speedCommand(doc: SpeedDoc): string {
  const optimizers = unique(doc.rows.flatMap((r) => Object.keys(r.optimizers)));
  return [
    'pnpm bench speed',
    `--iters ${doc.iters}`,
    `--warmup ${doc.warmup}`,
    `--optimizers ${optimizers.join(',')}`,
    `--backends ${doc.rows.map((r) => r.backend).join(',')}`,
    ...shapeFlags(doc.config, doc.batchSize),
    `--json ${doc.file}`,
  ].join(' ');
}
