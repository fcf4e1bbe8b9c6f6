import type { StorageDtype } from '@lmo/core';
import type { CompensationName, GPTConfig, RunFields } from '@lmo/gpt';
import type { CorpusFingerprint } from '@lmo/gpt/node';

/**
 * What one optimizer's training depends on: everything a checkpoint must agree with to be continued.
 * What it trains with is what a handoff bundle's `nanogpt.json` records too (`@lmo/gpt`'s `RunFields`).
 */
export interface RunIdentity extends RunFields {
  readonly backend: string;
  readonly config: GPTConfig;
  /** The corpus it trains on (`@lmo/gpt/node`'s fingerprint: its bytes' and its vocabulary's hashes). */
  readonly data: CorpusFingerprint;
  /** How weights and optimizer buffers are stored, and the 16-bit weights' compensation. */
  readonly dtype: StorageDtype;
  readonly compensation: CompensationName;
}

/**
 * One field of the identity: how it is read, named and shown, the option that sets it (the flag that
 * may change it on `--resume`), and whether it may change at all. The model's shape, its vocabulary
 * and the optimizer never may (the weights and the optimizer state would not fit); the rest may, as
 * a deliberate change: a longer run (`--iters`), another learning rate, batch size, seed (the batch
 * stream from here on), evaluation, backend, or an edited corpus with the same characters. The
 * storage (`confirm`) changes only with `--accept-changes`, even when given with `--resume`: it
 * converts the saved weights and buffers (widening is exact, narrowing rounds to nearest even).
 */
interface Field {
  readonly label: string;
  readonly get: (id: Partial<RunIdentity>) => unknown;
  readonly option?: string;
  readonly fixed: boolean;
  readonly confirm?: true;
}

const FIELDS: readonly Field[] = [
  { label: 'optimizer', get: (id) => id.optimizer, fixed: true },
  { label: 'n_layer', get: (id) => id.config?.nLayer, fixed: true },
  { label: 'n_head', get: (id) => id.config?.nHead, fixed: true },
  { label: 'n_embd', get: (id) => id.config?.nEmbd, fixed: true },
  { label: 'block_size', get: (id) => id.config?.blockSize, fixed: true },
  { label: 'vocabulary', get: (id) => id.config && `${id.config.vocabSize} characters${id.data ? ` (sha256 ${id.data.vocab_sha256})` : ''}`, fixed: true },
  { label: 'backend', get: (id) => id.backend, option: 'backend', fixed: false },
  { label: 'lr', get: (id) => id.lr, option: 'lr', fixed: false },
  { label: 'seed', get: (id) => id.seed, option: 'seed', fixed: false },
  { label: 'iters', get: (id) => id.iters, option: 'iters', fixed: false },
  { label: 'batch_size', get: (id) => id.batch_size, option: 'batchSize', fixed: false },
  { label: 'eval_every', get: (id) => id.eval_every, option: 'evalEvery', fixed: false },
  { label: 'eval_iters', get: (id) => id.eval_iters, option: 'evalIters', fixed: false },
  { label: 'corpus', get: (id) => id.data?.sha256, option: 'data', fixed: false },
  { label: 'dtype', get: (id) => id.dtype, option: 'dtype', fixed: false, confirm: true },
  { label: 'compensation', get: (id) => id.compensation, option: 'compensation', fixed: false, confirm: true },
];

/** The options (as commander names them) that set the fields that may change. */
export const CHANGEABLE_OPTIONS: readonly string[] = FIELDS.filter((f) => !f.fixed).map((f) => f.option!);

/** A field whose value differs between a checkpoint and the run that would continue it. */
export interface Difference {
  readonly label: string;
  readonly was: unknown;
  readonly now: unknown;
  /** The option that sets it (undefined for the fixed fields). */
  readonly option?: string;
  readonly fixed: boolean;
  /** A change that only `--accept-changes` accepts (the storage). */
  readonly confirm?: true;
}

/**
 * The fields in which `saved` (a checkpoint's identity; an old checkpoint may lack some, which are
 * then not compared) differs from `now`.
 */
export function differences(saved: Partial<RunIdentity>, now: RunIdentity): Difference[] {
  const out: Difference[] = [];
  for (const f of FIELDS) {
    const was = f.get(saved);
    const is = f.get(now);
    if (was === undefined || was === is) continue;
    // An old checkpoint records the vocabulary only by its size.
    if (f.label === 'vocabulary' && saved.data === undefined && saved.config?.vocabSize === now.config.vocabSize) continue;
    out.push({ label: f.label, was, now: is, ...(f.option ? { option: f.option } : {}), fixed: f.fixed, ...(f.confirm ? { confirm: true as const } : {}) });
  }
  return out;
}

/** `lr 0.00390625 → 0.01`; hashes shortened to 12 hex digits. */
export function describeDifference(d: Difference): string {
  const show = (v: unknown): string => String(v).replace(/\b([0-9a-f]{12})[0-9a-f]{52}\b/g, '$1…');
  return `${d.label} ${show(d.was)} → ${show(d.now)}`;
}
