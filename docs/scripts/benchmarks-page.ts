/**
 * Turns the nanoGPT benchmark's JSON-lines output into the docs' Benchmarks page: parity and speed
 * tables plus SVG loss plots. Pure: no file system access (see benchmarks.ts for the I/O).
 *
 * Input format (benchmarks/nanogpt `--json`): one line per evaluation
 * `{iter, train_loss, val_loss, lr, ms_per_iter, optimizer?}`, then one summary line per run
 * `{summary: true, backend, optimizer, lr, seed, iters, final_val_loss, best_val_loss, tokens_per_s,
 * ms_fwd_bwd, ms_optimizer, peak_rss_mb}`. A file may hold several runs (`--compare`).
 */

export interface EvalLine {
  readonly iter: number;
  readonly train_loss: number;
  readonly val_loss: number;
  readonly lr: number;
  readonly ms_per_iter: number;
  readonly optimizer?: string;
}

export interface SummaryLine {
  readonly summary: true;
  readonly backend: string;
  readonly optimizer: string;
  readonly lr: number;
  readonly seed: number;
  readonly iters: number;
  readonly final_val_loss: number;
  readonly best_val_loss: number;
  readonly tokens_per_s: number;
  readonly ms_fwd_bwd: number;
  readonly ms_optimizer: number;
  readonly peak_rss_mb: number;
  /** Optional: the exact command line, when the producer records it. */
  readonly command?: string;
}

/** One run: its summary and the evaluations that preceded it in its file. */
export interface Run {
  readonly file: string;
  readonly summary: SummaryLine;
  readonly evals: readonly EvalLine[];
}

export interface ResultFile {
  /** Path relative to the repository root, e.g. `benchmarks/nanogpt/results/scion-reference.jsonl`. */
  readonly path: string;
  readonly text: string;
}

export interface BenchmarksPage {
  readonly markdown: string;
  /** SVG files to write under `public/benchmarks/`, by file name. */
  readonly svgs: ReadonlyMap<string, string>;
  readonly runs: readonly Run[];
  /** Lines that could not be used, with the reason. */
  readonly skipped: readonly string[];
}

const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

function isSummary(v: Record<string, unknown>): v is SummaryLine & Record<string, unknown> {
  return (
    v.summary === true &&
    typeof v.backend === 'string' &&
    typeof v.optimizer === 'string' &&
    ['lr', 'seed', 'iters', 'final_val_loss', 'best_val_loss', 'tokens_per_s', 'ms_fwd_bwd', 'ms_optimizer', 'peak_rss_mb'].every((k) =>
      isNum(v[k]),
    )
  );
}

function isEval(v: Record<string, unknown>): v is EvalLine & Record<string, unknown> {
  return ['iter', 'train_loss', 'val_loss', 'lr', 'ms_per_iter'].every((k) => isNum(v[k]));
}

/** Splits files into runs. Evaluations belong to the next summary of the same optimizer in the same file. */
export function parseRuns(files: readonly ResultFile[]): { runs: Run[]; skipped: string[] } {
  const runs: Run[] = [];
  const skipped: string[] = [];
  for (const file of files) {
    const pending = new Map<string, EvalLine[]>();
    const lines = file.text.split(/\r?\n/);
    lines.forEach((line, i) => {
      if (line.trim() === '') return;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        skipped.push(`${file.path}:${i + 1}: not JSON`);
        return;
      }
      if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        skipped.push(`${file.path}:${i + 1}: not an object`);
        return;
      }
      const v = value as Record<string, unknown>;
      if (isSummary(v)) {
        const evals = pending.get(v.optimizer) ?? pending.get('') ?? [];
        pending.delete(v.optimizer);
        pending.delete('');
        runs.push({ file: file.path, summary: v, evals: [...evals].sort((a, b) => a.iter - b.iter) });
      } else if (isEval(v)) {
        const key = typeof v.optimizer === 'string' ? v.optimizer : '';
        const list = pending.get(key) ?? [];
        list.push(v);
        pending.set(key, list);
      } else {
        skipped.push(`${file.path}:${i + 1}: neither an evaluation nor a summary line`);
      }
    });
    for (const [key, list] of pending) {
      skipped.push(`${file.path}: ${list.length} evaluation line(s)${key ? ` of ${key}` : ''} without a summary (unfinished run?)`);
    }
  }
  return { runs, skipped };
}

// ---- formatting ---------------------------------------------------------------------------------

const fixed = (v: number, digits: number): string => v.toFixed(digits);
function signed(v: number, digits: number): string {
  const s = v.toFixed(digits);
  return v > 0 ? `+${s}` : s === (-0).toFixed(digits) ? (0).toFixed(digits) : s;
}
function lrText(lr: number): string {
  const log2 = Math.log2(lr);
  if (Number.isInteger(log2)) return `2^${log2}`;
  return String(lr);
}
const cell = (s: string): string => s.replace(/\|/g, '\\|');

export function commandFor(run: Run): string {
  if (run.summary.command) return run.summary.command;
  const s = run.summary;
  // `pnpm nanogpt` runs in benchmarks/nanogpt, so --json paths are relative to it.
  const json = run.file.replace(/^benchmarks\/nanogpt\//, '');
  return `pnpm nanogpt --backend ${s.backend} --optimizer ${s.optimizer} --lr ${s.lr} --seed ${s.seed} --iters ${s.iters} --json ${json}`;
}

function slug(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'plot';
}

// ---- SVG plot -----------------------------------------------------------------------------------

const PALETTE = ['#3b82f6', '#ef4444', '#10b981', '#f59e0b', '#8b5cf6', '#ec4899', '#14b8a6', '#64748b'];

interface Series {
  readonly label: string;
  readonly color: string;
  readonly dashed: boolean;
  readonly points: ReadonlyArray<readonly [number, number]>;
}

function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function niceTicks(lo: number, hi: number, count: number): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  const ticks: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) ticks.push(Number(t.toPrecision(12)));
  return ticks;
}

/** A self-contained SVG line plot: loss against iteration, solid val and dashed train per run. */
export function lossPlotSvg(title: string, series: readonly Series[]): string {
  const W = 720;
  const H = 420;
  const m = { left: 60, right: 20, top: 40, bottom: 50 };
  const all = series.flatMap((s) => s.points);
  const xs = all.map((p) => p[0]);
  const ys = all.map((p) => p[1]);
  const x0 = Math.min(...xs, 0);
  const x1 = Math.max(...xs, 1);
  let y0 = Math.min(...ys);
  let y1 = Math.max(...ys);
  if (!(y1 > y0)) {
    y0 -= 0.5;
    y1 += 0.5;
  }
  const pad = (y1 - y0) * 0.05;
  y0 -= pad;
  y1 += pad;
  const px = (x: number) => m.left + ((x - x0) / (x1 - x0)) * (W - m.left - m.right);
  const py = (y: number) => H - m.bottom - ((y - y0) / (y1 - y0)) * (H - m.top - m.bottom);
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" font-family="system-ui, sans-serif" font-size="12">`);
  out.push(`<title>${escapeXml(title)}</title>`);
  out.push(`<rect width="${W}" height="${H}" fill="#ffffff"/>`);
  out.push(`<text x="${W / 2}" y="22" text-anchor="middle" font-size="14" fill="#111827">${escapeXml(title)}</text>`);
  for (const t of niceTicks(y0, y1, 6)) {
    out.push(`<line x1="${m.left}" x2="${W - m.right}" y1="${py(t).toFixed(1)}" y2="${py(t).toFixed(1)}" stroke="#e5e7eb"/>`);
    out.push(`<text x="${m.left - 6}" y="${(py(t) + 4).toFixed(1)}" text-anchor="end" fill="#374151">${t}</text>`);
  }
  for (const t of niceTicks(x0, x1, 8)) {
    out.push(`<line x1="${px(t).toFixed(1)}" x2="${px(t).toFixed(1)}" y1="${H - m.bottom}" y2="${H - m.bottom + 5}" stroke="#374151"/>`);
    out.push(`<text x="${px(t).toFixed(1)}" y="${H - m.bottom + 18}" text-anchor="middle" fill="#374151">${t}</text>`);
  }
  out.push(`<line x1="${m.left}" x2="${W - m.right}" y1="${H - m.bottom}" y2="${H - m.bottom}" stroke="#374151"/>`);
  out.push(`<line x1="${m.left}" x2="${m.left}" y1="${m.top}" y2="${H - m.bottom}" stroke="#374151"/>`);
  out.push(`<text x="${(m.left + W - m.right) / 2}" y="${H - 12}" text-anchor="middle" fill="#111827">iteration</text>`);
  out.push(`<text x="16" y="${(m.top + H - m.bottom) / 2}" text-anchor="middle" fill="#111827" transform="rotate(-90 16 ${(m.top + H - m.bottom) / 2})">loss</text>`);
  for (const s of series) {
    if (s.points.length === 0) continue;
    const d = s.points.map(([x, y], i) => `${i === 0 ? 'M' : 'L'}${px(x).toFixed(1)},${py(y).toFixed(1)}`).join(' ');
    out.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`);
  }
  series.forEach((s, i) => {
    const y = m.top + 8 + i * 16;
    const x = W - m.right - 190;
    out.push(`<line x1="${x}" x2="${x + 24}" y1="${y}" y2="${y}" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`);
    out.push(`<text x="${x + 30}" y="${y + 4}" fill="#111827">${escapeXml(s.label)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}

// ---- the page -----------------------------------------------------------------------------------

const INTRO = `# Benchmarks

The nanoGPT benchmark in \`benchmarks/nanogpt\` trains karpathy/nanoGPT's GPT on tiny shakespeare
(character level, 65-symbol vocabulary, first 90% train, last 10% validation) with nanoGPT's CPU
configuration — block 64, batch 12, 4 layers, 4 heads, 128 wide — for 2000 iterations with 100 warmup
iterations and a cosine decay to lr/10, evaluating every 250 iterations on 200 batches of each split.
It runs the same model on several backends so that results can be compared:

- **parity**: the same seed gives the same initial weights and batches on every backend, so losses should
  agree with the reference backend within fp32 tolerance;
- **speed**: milliseconds per iteration split into forward+backward and optimizer, tokens per second, and
  the optimizer's cost against AdamW on the same backend.

Scion uses the groups of [Choosing norms and scales per layer](/guide/norms#worked-example-nanogpt);
AdamW is nanoGPT's (β = (0.9, 0.99), weight decay 0.1 on 2-D parameters, gradient clipping at 1.0,
lr 10⁻³).

This page is generated by \`docs/scripts/benchmarks.ts\` from the JSON-lines files under
\`benchmarks/nanogpt/results/\` each time the site is built; nothing on it is typed by hand.

## Producing results

From the repository root (\`pnpm nanogpt\` runs in \`benchmarks/nanogpt\`, so \`--json\` paths are relative to
that folder):

\`\`\`sh
# one run: JSON lines (an evaluation per line, a summary line at the end) and an SVG plot
pnpm nanogpt --backend tfjs-wasm --optimizer scion --json results/scion-tfjs-wasm.jsonl
# two optimizers on the same seed, data and backend
pnpm nanogpt --backend reference --optimizer scion --compare adamw --json results/scion-vs-adamw-reference.jsonl
# then rebuild the site
pnpm docs:build
\`\`\`

\`pnpm nanogpt --help\` lists every option (backends, optimizers, model size, iterations, seed).
`;

function parityTable(runs: readonly Run[]): string[] {
  const lines: string[] = [];
  // Compare runs of the same optimizer, lr, seed and length across backends.
  const key = (r: Run) => `${r.summary.optimizer}|${r.summary.lr}|${r.summary.seed}|${r.summary.iters}`;
  const groups = new Map<string, Run[]>();
  for (const r of runs) groups.set(key(r), [...(groups.get(key(r)) ?? []), r]);
  lines.push('| Optimizer | lr | Seed | Iterations | Backend | Final val loss | Best val loss | Δ final vs reference |');
  lines.push('|---|---|---|---|---|---|---|---|');
  for (const group of groups.values()) {
    const ref = group.find((r) => r.summary.backend === 'reference');
    for (const r of group) {
      const s = r.summary;
      const delta = ref && ref !== r ? signed(s.final_val_loss - ref.summary.final_val_loss, 4) : ref === r ? '(reference)' : '—';
      lines.push(
        `| ${cell(s.optimizer)} | ${lrText(s.lr)} | ${s.seed} | ${s.iters} | ${cell(s.backend)} | ${fixed(s.final_val_loss, 4)} | ${fixed(s.best_val_loss, 4)} | ${delta} |`,
      );
    }
  }
  return lines;
}

function speedTable(runs: readonly Run[]): string[] {
  const lines: string[] = [];
  lines.push('| Backend | Optimizer | Tokens/s | ms fwd+bwd / iter | ms optimizer / iter | Optimizer share | Optimizer vs AdamW | Peak RSS (MB) |');
  lines.push('|---|---|---|---|---|---|---|---|');
  const sorted = [...runs].sort((a, b) => a.summary.backend.localeCompare(b.summary.backend) || a.summary.optimizer.localeCompare(b.summary.optimizer));
  for (const r of sorted) {
    const s = r.summary;
    const adamw = runs.find((o) => o.summary.backend === s.backend && o.summary.optimizer === 'adamw' && o.summary.ms_optimizer > 0);
    const share = s.ms_fwd_bwd + s.ms_optimizer > 0 ? `${fixed((100 * s.ms_optimizer) / (s.ms_fwd_bwd + s.ms_optimizer), 1)}%` : '—';
    const vsAdamw = adamw ? (adamw === r ? '1.00×' : `${fixed(s.ms_optimizer / adamw.summary.ms_optimizer, 2)}×`) : '—';
    lines.push(
      `| ${cell(s.backend)} | ${cell(s.optimizer)} | ${Math.round(s.tokens_per_s)} | ${fixed(s.ms_fwd_bwd, 1)} | ${fixed(s.ms_optimizer, 1)} | ${share} | ${vsAdamw} | ${fixed(s.peak_rss_mb, 0)} |`,
    );
  }
  return lines;
}

/** Builds the page (and its SVGs) from the result files found. */
export function renderBenchmarksPage(files: readonly ResultFile[]): BenchmarksPage {
  const { runs, skipped } = parseRuns(files);
  const svgs = new Map<string, string>();
  const md: string[] = [INTRO];

  if (runs.length === 0) {
    md.push('## No results yet');
    md.push('');
    md.push(
      files.length === 0
        ? 'No result files were found under `benchmarks/nanogpt/results/` when this site was built. Run the commands above, commit the `.jsonl` files there, and rebuild: this section then becomes parity and speed tables and loss plots.'
        : `The files under \`benchmarks/nanogpt/results/\` hold no finished run (no summary line) yet, so there is nothing to tabulate.`,
    );
    md.push('');
  } else {
    md.push('## Results');
    md.push('');
    md.push(
      `${runs.length} run${runs.length === 1 ? '' : 's'} from ${new Set(runs.map((r) => r.file)).size} file${new Set(runs.map((r) => r.file)).size === 1 ? '' : 's'}. ` +
        'Timings depend on the machine that produced them; compare rows measured on the same machine only.',
    );
    md.push('');
    md.push('### Parity and quality');
    md.push('');
    md.push('Validation loss (mean cross-entropy, nats per character) at the last evaluation and the best one. Runs with the same optimizer, lr, seed and length are compared with the reference backend where it ran.');
    md.push('');
    md.push(...parityTable(runs));
    md.push('');
    md.push('### Speed');
    md.push('');
    md.push('Per training iteration, averaged by the benchmark (evaluation excluded). "Optimizer vs AdamW" divides the optimizer time by AdamW\'s on the same backend, when an AdamW run exists.');
    md.push('');
    md.push(...speedTable(runs));
    md.push('');
    md.push('### Loss curves');
    md.push('');
    const byFile = new Map<string, Run[]>();
    for (const r of runs) byFile.set(r.file, [...(byFile.get(r.file) ?? []), r]);
    for (const [file, list] of byFile) {
      const base = file.split('/').pop()!.replace(/\.(jsonl?|ndjson)$/, '');
      const name = `${slug(base)}.svg`;
      const series: Series[] = list.flatMap((r, i) => {
        const color = PALETTE[i % PALETTE.length]!;
        const label = `${r.summary.optimizer} (${r.summary.backend})`;
        return [
          { label: `${label} val`, color, dashed: false, points: r.evals.map((e) => [e.iter, e.val_loss] as const) },
          { label: `${label} train`, color, dashed: true, points: r.evals.map((e) => [e.iter, e.train_loss] as const) },
        ];
      });
      svgs.set(name, lossPlotSvg(base, series));
      md.push(`#### \`${file}\``);
      md.push('');
      md.push(`![Loss curves of ${base}: validation solid, training dashed](/benchmarks/${name})`);
      md.push('');
      md.push('Produced by (reconstructed from the summary line unless the file records the command):');
      md.push('');
      md.push('```sh');
      for (const r of list) md.push(commandFor(r));
      md.push('```');
      md.push('');
    }
  }
  if (skipped.length > 0) {
    md.push('::: details Lines the generator could not use');
    md.push('');
    for (const s of skipped) md.push(`- \`${s.replace(/`/g, "'")}\``);
    md.push('');
    md.push(':::');
    md.push('');
  }
  return { markdown: md.join('\n'), svgs, runs, skipped };
}
