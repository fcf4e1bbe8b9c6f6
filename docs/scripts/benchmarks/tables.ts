/** The Benchmarks page's tables, each computed from result files (see parse.ts). */
import { lrText } from './commands.js';
import { storageOf, type ParityDoc, type Run, type SpeedDoc } from './parse.js';

const fixed = (v: number, digits: number): string => v.toFixed(digits);
const cell = (s: string): string => s.replace(/\|/g, '\\|');
function signed(v: number, digits: number): string {
  const s = v.toFixed(digits);
  return v > 0 ? `+${s}` : s === (-0).toFixed(digits) ? (0).toFixed(digits) : s;
}

/** Mean and sample standard deviation (n − 1; 0 for a single value). */
export function meanSd(xs: readonly number[]): { mean: number; sd: number } {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = xs.length > 1 ? Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (xs.length - 1)) : 0;
  return { mean, sd };
}

/**
 * A markdown table without the columns in which every row holds the same value: those are named in
 * a line above it ("Every row: Backend onnxruntime."), so a table shows what tells its rows apart
 * and stays narrow enough for the page. A column that is empty ("—") in every row is left out.
 */
export function distinctColumnsTable(head: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const keep = head.map((_, j) => rows.length < 2 || rows.some((r) => r[j] !== rows[0]![j]));
  const constant = head.flatMap((h, j) => (!keep[j] && rows[0]![j] !== '—' ? [`${h} ${rows[0]![j]}`] : []));
  const pick = <T>(xs: readonly T[]): T[] => xs.filter((_, j) => keep[j]);
  return [
    ...(constant.length > 0 ? [`Every row: ${constant.join('; ')}.`, ''] : []),
    `| ${pick(head).join(' | ')} |`,
    `|${pick(head).map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${pick(r).join(' | ')} |`),
  ];
}

const fileName = (path: string): string => path.split('/').pop()!.replace(/\.(jsonl?|ndjson)$/, '');

const groupBy = <T>(xs: readonly T[], key: (x: T) => string): Map<string, T[]> => {
  const out = new Map<string, T[]>();
  for (const x of xs) out.set(key(x), [...(out.get(key(x)) ?? []), x]);
  return out;
};

/**
 * Every run's final and best val loss, with its file (★ for the files in `marked`); runs with the same
 * optimizer, lr, seed and length compared with the reference backend.
 */
export function runsTable(runs: readonly Run[], marked: ReadonlySet<string> = new Set()): string[] {
  const head = ['File', 'Optimizer', 'lr', 'Seed', 'Iterations', 'Backend', 'Final val loss', 'Best val loss', 'Δ final vs reference'];
  const rows: string[][] = [];
  for (const group of groupBy(runs, (r) => `${r.summary.optimizer}|${r.summary.lr}|${storageOf(r.summary)}|${r.summary.seed}|${r.summary.iters}`).values()) {
    const ref = group.find((r) => r.summary.backend === 'reference');
    for (const r of group) {
      const s = r.summary;
      const delta = ref && ref !== r ? signed(s.final_val_loss - ref.summary.final_val_loss, 4) : ref === r ? '(reference)' : '—';
      const file = `\`${fileName(r.file)}\`${marked.has(r.file) ? ' ★' : ''}`;
      const storage = storageOf(s);
      rows.push([file, cell(storage === 'float32' ? s.optimizer : `${s.optimizer} (${storage})`), lrText(s.lr), String(s.seed), String(s.iters), cell(s.backend), fixed(s.final_val_loss, 4), fixed(s.best_val_loss, 4), delta]);
    }
  }
  return distinctColumnsTable(head, rows);
}

/** Training-run timings from the summary lines. */
export function runSpeedTable(runs: readonly Run[]): string[] {
  const head = ['File', 'Backend', 'Optimizer', 'Tokens/s', 'ms: fwd+bwd + optimizer (share)', 'optimizer vs AdamW', 'peak RSS MB'];
  const sorted = [...runs].sort((a, b) => a.summary.backend.localeCompare(b.summary.backend) || a.summary.optimizer.localeCompare(b.summary.optimizer) || a.summary.seed - b.summary.seed);
  const rows = sorted.map((r) => {
    const s = r.summary;
    const adamw = runs.find((o) => o.summary.backend === s.backend && o.summary.optimizer === 'adamw' && o.file === r.file && o.summary.ms_optimizer > 0);
    const share = s.ms_fwd_bwd + s.ms_optimizer > 0 ? `${fixed((100 * s.ms_optimizer) / (s.ms_fwd_bwd + s.ms_optimizer), 1)}%` : '—';
    const vsAdamw = adamw ? (adamw === r ? '1.00×' : `${fixed(s.ms_optimizer / adamw.summary.ms_optimizer, 2)}×`) : '—';
    return [`\`${fileName(r.file)}\``, cell(s.backend), cell(s.optimizer), fixed(s.tokens_per_s, 0), `${fixed(s.ms_fwd_bwd, 1)} + ${fixed(s.ms_optimizer, 1)} (${share})`, vsAdamw, fixed(s.peak_rss_mb, 0)];
  });
  return distinctColumnsTable(head, rows);
}

/** Backend parity: each backend's largest loss difference and gradient errors against the reference. */
export function parityDocTable(doc: ParityDoc): string[] {
  const lines = [
    '| Backend | Losses | max \\|Δloss\\| | Gradient error, step 0 | Gradient error, all steps | Within tolerance |',
    '|---|---|---|---|---|---|',
    `| reference | ${doc.reference_losses.map((l) => fixed(l, 5)).join(', ')} | – | – | – | – |`,
  ];
  for (const r of doc.rows) {
    const same = r.losses.every((l, i) => fixed(l, 5) === fixed(doc.reference_losses[i]!, 5));
    const losses = same ? 'the same to 5 decimals' : r.losses.map((l) => fixed(l, 5)).join(', ');
    lines.push(`| ${cell(r.backend)} | ${losses} | ${r.max_loss_diff.toExponential(1)} | ${r.max_grad_rel_err_step0.toExponential(1)} | ${r.max_grad_rel_err.toExponential(1)} | ${r.ok ? 'yes' : '**no**'} |`);
  }
  return lines;
}

/** `pnpm bench speed`: ms per forward+backward and per optimizer step on each backend. */
export function speedDocTable(doc: SpeedDoc): string[] {
  const optimizers = [...new Set(doc.rows.flatMap((r) => Object.keys(r.optimizers)))];
  const lines = [
    `| Backend | fwd+bwd ms | fwd+bwd CPU ms | ${optimizers.map((o) => `${o} step ms`).join(' | ')} | tokens/s (Scion) |${optimizers.includes('adamw') ? ` ${optimizers.filter((o) => o !== 'adamw').map((o) => `${o} / adamw`).join(' | ')} |` : ''}`,
    `|---|---|---|${optimizers.map(() => '---').join('|')}|---|${optimizers.includes('adamw') ? `${optimizers.filter((o) => o !== 'adamw').map(() => '---').join('|')}|` : ''}`,
  ];
  const rows = [...doc.rows].sort((a, b) => a.ms_fwd_bwd - b.ms_fwd_bwd);
  for (const r of rows) {
    const steps = optimizers.map((o) => (r.optimizers[o] ? fixed(r.optimizers[o]!.ms, 1) : '—'));
    const adamw = r.optimizers['adamw']?.ms;
    const ratios = adamw ? optimizers.filter((o) => o !== 'adamw').map((o) => (r.optimizers[o] ? `${fixed(r.optimizers[o]!.ms / adamw, 1)}×` : '—')) : [];
    lines.push(`| ${cell(r.backend)} | ${fixed(r.ms_fwd_bwd, 1)} | ${fixed(r.cpu_ms_fwd_bwd, 1)} | ${steps.join(' | ')} | ${fixed(r.tokens_per_s, 0)} |${ratios.length ? ` ${ratios.join(' | ')} |` : ''}`);
  }
  return lines;
}
