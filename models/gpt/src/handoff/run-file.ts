/**
 * `nanogpt.json`, the part of a handoff bundle that is not core's: what the training loop needs
 * besides the weights and the optimizer state (the model config, the batch stream's seed, the
 * schedule's length, the evaluations so far), in the names of the PyTorch side
 * (`benchmarks/nanogpt/torch/train_handoff.py`), which reads and writes the same folder.
 */
import type { GPTConfig } from '../config.js';
import { UsageError } from '../errors.js';
import type { EvalRecord } from '../train/trainer.js';

/** The files of a bundle: core's two safetensors files (`encodeTorchHandoff`) and the run. */
export const BUNDLE_FILES = { model: 'model.safetensors', optimizer: 'optimizer.safetensors', run: 'nanogpt.json' } as const;

export const BUNDLE_FORMAT = 'lmo-nanogpt-handoff';
export const BUNDLE_VERSION = 1;

/**
 * What a run trains with, under the names its files record them by: a bundle's `nanogpt.json` and
 * the run identity of the benchmark's checkpoints alike.
 */
export interface RunFields {
  /** The optimizer's name here (its groups, radii and schedule kind) and base learning rate. */
  readonly optimizer: string;
  readonly lr: number;
  /** The run's seed: its batch streams derive from it. */
  readonly seed: number;
  /** The run's length (the schedule's horizon). */
  readonly iters: number;
  readonly batch_size: number;
  readonly eval_every: number;
  readonly eval_iters: number;
}

/** `nanogpt.json`. */
export interface BundleRun extends RunFields {
  readonly format: typeof BUNDLE_FORMAT;
  readonly version: typeof BUNDLE_VERSION;
  /** nanoGPT's `GPTConfig` fields, as `model.py` takes them. */
  readonly config: { readonly vocab_size: number; readonly block_size: number; readonly n_layer: number; readonly n_head: number; readonly n_embd: number };
  /** The corpus it trains on: the SHA-256 of its bytes, and where it was (the default place to look for it). */
  readonly data: { readonly sha256: string; readonly path?: string };
  /** The evaluations so far. */
  readonly evals: readonly EvalRecord[];
  /** lmo's model backend it trained on, which a resume continues on (PyTorch keeps the field as it is). */
  readonly backend?: string;
}

export function torchConfig(c: GPTConfig): BundleRun['config'] {
  return { vocab_size: c.vocabSize, block_size: c.blockSize, n_layer: c.nLayer, n_head: c.nHead, n_embd: c.nEmbd };
}

export function gptConfig(c: BundleRun['config']): GPTConfig {
  return { vocabSize: c.vocab_size, blockSize: c.block_size, nLayer: c.n_layer, nHead: c.n_head, nEmbd: c.n_embd };
}

const positive = (v: unknown): boolean => Number.isSafeInteger(v) && (v as number) > 0;

/** Checks `nanogpt.json`'s fields: a usage error `"<at>: <the field and what it must be>"`. */
export function checkBundleRun(raw: unknown, at: string): BundleRun {
  const bad = (why: string): never => {
    throw new UsageError(`${at}: ${why}`);
  };
  if (raw === null || typeof raw !== 'object') bad('not a JSON object');
  const r = raw as Record<string, unknown>;
  if (r['format'] !== BUNDLE_FORMAT) bad(`format is ${JSON.stringify(r['format'])}, expected "${BUNDLE_FORMAT}"`);
  if (r['version'] !== BUNDLE_VERSION) bad(`version ${JSON.stringify(r['version'])} is not supported (this nanogpt reads ${BUNDLE_VERSION})`);
  if (typeof r['optimizer'] !== 'string') bad('"optimizer" must be a string');
  if (typeof r['lr'] !== 'number' || !(r['lr'] >= 0)) bad('"lr" must be a number ≥ 0');
  if (!Number.isSafeInteger(r['seed'])) bad('"seed" must be an integer');
  for (const key of ['iters', 'batch_size', 'eval_every', 'eval_iters']) if (!positive(r[key])) bad(`"${key}" must be a positive integer`);
  const c = (r['config'] ?? {}) as Record<string, unknown>;
  for (const key of ['vocab_size', 'block_size', 'n_layer', 'n_head', 'n_embd']) if (!positive(c[key])) bad(`"config.${key}" must be a positive integer`);
  const sha = (r['data'] as { sha256?: unknown } | undefined)?.sha256;
  if (typeof sha !== 'string' || !/^[0-9a-f]{64}$/.test(sha)) bad('"data.sha256" must be the corpus\'s SHA-256 in hex');
  const where = (r['data'] as { path?: unknown }).path;
  if (where !== undefined && typeof where !== 'string') bad('"data.path" must be a string');
  if (r['backend'] !== undefined && typeof r['backend'] !== 'string') bad('"backend" must be a string');
  const evals = r['evals'];
  if (!Array.isArray(evals)) bad('"evals" must be a list');
  (evals as unknown[]).forEach((e, i) => {
    const x = e as Record<string, unknown> | null;
    const ok = x !== null && typeof x === 'object' && Number.isSafeInteger(x['iter']) && ['train_loss', 'val_loss', 'lr', 'ms_per_iter'].every((k) => typeof x[k] === 'number');
    if (!ok) bad(`evals[${i}] must be { iter, train_loss, val_loss, lr, ms_per_iter }`);
  });
  return raw as BundleRun;
}
