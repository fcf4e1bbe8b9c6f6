/**
 * Reads the nanoGPT benchmark's result files (benchmarks/nanogpt/results/) for the Benchmarks page.
 * Pure: the caller reads the files.
 *
 * - `pnpm nanogpt --json F.jsonl`: one line per evaluation `{iter, train_loss, val_loss, lr,
 *   ms_per_iter, optimizer?}`, then one summary line per optimizer `{summary: true, backend,
 *   optimizer, lr, seed, iters, final_val_loss, best_val_loss, tokens_per_s, ms_fwd_bwd,
 *   ms_optimizer, peak_rss_mb, …}`. A file may hold two runs (`--compare`).
 * - `pnpm bench parity --json F.json`: one document `{config, optimizer, steps, reference_losses, rows}`.
 * - `pnpm bench speed --json F.json`: one document `{config, iters, warmup, machine, rows}`.
 * - `pnpm bench torch --json F.jsonl`: records `{side: "torch" | "lmo", kind, …}` of one side-by-side
 *   run (the benchmark's own parser reads them: `side-records.ts`).
 */
import type { SummaryRecord } from '@lmo/bench-nanogpt/report/jsonl';
import type { EvalRecord } from '@lmo/gpt';

/** An evaluation line, as the benchmark writes it (with the optimizer's name in a compare run). */
export type EvalLine = EvalRecord & { readonly optimizer?: string };

/** The model and evaluation settings a summary records; files written before they were added lack them. */
type RunSettings = 'n_layer' | 'n_head' | 'n_embd' | 'block_size' | 'batch_size' | 'eval_every' | 'eval_iters';

/** A summary line, as the benchmark writes it. */
export type SummaryLine = Omit<SummaryRecord, RunSettings> & Partial<Pick<SummaryRecord, RunSettings>>;

/** How a run stored its weights and optimizer buffers: `float32` (also for files from before the choice), `bfloat16`, `bfloat16 + kahan`. */
export function storageOf(s: Pick<SummaryLine, 'dtype' | 'compensation'>): string {
  const dtype = s.dtype ?? 'float32';
  return s.compensation === undefined || s.compensation === 'none' ? dtype : `${dtype} + ${s.compensation}`;
}

/** One training run: its summary and the evaluations that preceded it in its file. */
export interface Run {
  readonly file: string;
  readonly summary: SummaryLine;
  readonly evals: readonly EvalLine[];
}

export interface ParityDoc {
  readonly file: string;
  readonly config: { nLayer: number; nHead: number; nEmbd: number; blockSize: number };
  readonly batchSize?: number;
  readonly seed?: number;
  readonly optimizer: string;
  readonly steps: number;
  readonly reference_losses: readonly number[];
  readonly rows: ReadonlyArray<{ backend: string; losses: readonly number[]; max_loss_diff: number; max_grad_rel_err_step0: number; max_grad_rel_err: number; ok: boolean }>;
}

export interface SpeedDoc {
  readonly file: string;
  readonly config: { nLayer: number; nHead: number; nEmbd: number; blockSize: number };
  readonly batchSize: number;
  readonly iters: number;
  readonly warmup: number;
  readonly machine: { cpus: number; node: string; load_average_before: number; load_average_after: number };
  readonly rows: ReadonlyArray<{
    backend: string;
    ms_fwd_bwd: number;
    cpu_ms_fwd_bwd: number;
    tokens_per_s: number;
    optimizers: Record<string, { ms: number; cpu_ms: number }>;
  }>;
}

export interface ResultFile {
  /** Path relative to the repository root, e.g. `benchmarks/nanogpt/results/scion-reference.jsonl`. */
  readonly path: string;
  readonly text: string;
}

export interface Results {
  readonly runs: Run[];
  readonly parity: ParityDoc[];
  readonly speed: SpeedDoc[];
  /** Side-by-side runs against PyTorch (`bench torch`), one file each. */
  readonly sideBySide: ResultFile[];
  /** What could not be used, with the reason. */
  readonly skipped: string[];
}

const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const has = (v: Record<string, unknown>, keys: string[]): boolean => keys.every((k) => isNum(v[k]));

function isSummary(v: Record<string, unknown>): v is SummaryLine & Record<string, unknown> {
  return v.summary === true && typeof v.backend === 'string' && typeof v.optimizer === 'string' &&
    has(v, ['lr', 'seed', 'iters', 'final_val_loss', 'best_val_loss', 'tokens_per_s', 'ms_fwd_bwd', 'ms_optimizer', 'peak_rss_mb']);
}
const isEval = (v: Record<string, unknown>): v is EvalLine & Record<string, unknown> => has(v, ['iter', 'train_loss', 'val_loss', 'lr', 'ms_per_iter']);

/** Whether a JSON-lines file is a `bench torch` run: its first line is a record of one of the two sides. */
function isSideBySide(file: ResultFile): boolean {
  const first = file.text.split(/\r?\n/).find((l) => l.trim() !== '');
  if (first === undefined) return false;
  try {
    const v = JSON.parse(first) as Record<string, unknown> | null;
    return v !== null && typeof v === 'object' && (v.side === 'torch' || v.side === 'lmo') && typeof v.kind === 'string';
  } catch {
    return false;
  }
}

/** A whole-file JSON document (parity or speed), or a reason why it is neither. */
function parseDocument(file: ResultFile): ParityDoc | SpeedDoc | string {
  let v: unknown;
  try {
    v = JSON.parse(file.text);
  } catch {
    return 'not JSON';
  }
  if (v === null || typeof v !== 'object' || !Array.isArray((v as { rows?: unknown }).rows)) return 'not a parity or speed result (no "rows")';
  const doc = v as Record<string, unknown>;
  if (Array.isArray(doc.reference_losses)) return { ...(doc as unknown as ParityDoc), file: file.path };
  if (doc.machine !== undefined) return { ...(doc as unknown as SpeedDoc), file: file.path };
  return 'a parity result without reference_losses, or a speed result without machine';
}

/** Splits every file into runs, parity and speed results. */
export function parseResults(files: readonly ResultFile[]): Results {
  const out: Results = { runs: [], parity: [], speed: [], sideBySide: [], skipped: [] };
  for (const file of files) {
    if (file.path.endsWith('.json')) {
      const doc = parseDocument(file);
      if (typeof doc === 'string') out.skipped.push(`${file.path}: ${doc}`);
      else if ('reference_losses' in doc) out.parity.push(doc);
      else out.speed.push(doc);
      continue;
    }
    if (isSideBySide(file)) {
      out.sideBySide.push(file);
      continue;
    }
    const pending = new Map<string, EvalLine[]>();
    file.text.split(/\r?\n/).forEach((line, i) => {
      if (line.trim() === '') return;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        out.skipped.push(`${file.path}:${i + 1}: not JSON`);
        return;
      }
      if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        out.skipped.push(`${file.path}:${i + 1}: not an object`);
        return;
      }
      const v = value as Record<string, unknown>;
      if (isSummary(v)) {
        const evals = pending.get(v.optimizer) ?? pending.get('') ?? [];
        pending.delete(v.optimizer);
        pending.delete('');
        out.runs.push({ file: file.path, summary: v, evals: [...evals].sort((a, b) => a.iter - b.iter) });
      } else if (isEval(v)) {
        const key = typeof v.optimizer === 'string' ? v.optimizer : '';
        pending.set(key, [...(pending.get(key) ?? []), v]);
      } else if ((v.side === 'torch' || v.side === 'lmo') && typeof v.kind === 'string') {
        // a record of `pnpm bench torch` (the side-by-side with PyTorch, tabulated by `pnpm bench torch-table`)
      } else {
        out.skipped.push(`${file.path}:${i + 1}: neither an evaluation nor a summary`);
      }
    });
    for (const [key, list] of pending) {
      out.skipped.push(`${file.path}: ${list.length} evaluation line(s)${key ? ` of ${key}` : ''} without a summary (unfinished run?)`);
    }
  }
  return out;
}
