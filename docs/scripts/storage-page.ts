/**
 * The measured part of concepts/16-bit-storage.md: tables and plots rendered from the results files
 * of the memory, budget and quality benches (adapters/onnxruntime/bench/results/gpt-memory.json,
 * gpt-budget-*.json, quality*.json) and of the browser-tab experiment (browser/results/memory*.json),
 * each with the command that writes it. Pure: scripts/storage.ts reads the files and writes the page.
 */
import { lineChartSvg, PALETTE, type Series } from '../../benchmarks/nanogpt/src/report/plot-svg.js';

type Row = Record<string, number | string>;
/** bench/gpt-memory.ts's file. */
export interface GptMemoryFile {
  readonly command: string;
  readonly steps: number;
  readonly models: ReadonlyArray<{ readonly model: string; readonly description: string; readonly rows: readonly Row[] }>;
}
/** bench/gpt-budget.ts's file. */
export interface GptBudgetFile {
  readonly command: string;
  readonly budget: string;
  readonly budgetBytes: number;
  readonly steps: number;
  /** onnxruntime's CPU memory arena (absent: on). */
  readonly cpuArena?: boolean;
  readonly model: { readonly vocab: number; readonly layers: number; readonly heads: number; readonly block: number; readonly batch: number; readonly widthMultiple: number };
  readonly results: ReadonlyArray<{ readonly config: string; readonly width: number; readonly parameters: number; readonly row?: Row }>;
}
/** bench/quality.ts's file. */
export interface QualityFile {
  readonly command: string;
  readonly config: { readonly layers: number; readonly width: number; readonly batch: number; readonly block: number; readonly lr: number; readonly steps: number; readonly evalBatches: number };
  readonly runs: ReadonlyArray<{ readonly label: string; readonly steps: readonly number[]; readonly val: readonly number[] }>;
}
/** browser/memory/run.ts's file. */
export interface TabMemoryFile {
  readonly command: string;
  readonly steps: number;
  /** The tab's budget (MiB of the renderer's resident memory). */
  readonly budgetMiB?: number;
  /** onnxruntime's CPU memory arena (absent: on). */
  readonly cpuArena?: boolean;
  readonly rows: ReadonlyArray<{
    readonly size: string;
    readonly optimizer: string;
    readonly parameters: number;
    readonly onnxMiB: number;
    readonly ok: boolean;
    readonly error?: string;
    readonly rendererPeakMiB: number;
    readonly result?: { readonly persistentBytesPerParameter: number; readonly phases: ReadonlyArray<{ readonly name: string; readonly ms: number; readonly wasmMiB: readonly number[]; readonly heapMiB: number }> };
  }>;
}
export interface StorageInputs {
  readonly memory?: { readonly path: string; readonly file: GptMemoryFile };
  /** In any order: shown by budget, smallest first. */
  readonly budgets?: ReadonlyArray<{ readonly path: string; readonly file: GptBudgetFile }>;
  readonly quality: ReadonlyArray<{ readonly path: string; readonly file: QualityFile }>;
  /** The tab experiment's files (onnxruntime's CPU memory arena on, then off): a table each, one plot. */
  readonly tabs?: ReadonlyArray<{ readonly path: string; readonly file: TabMemoryFile }>;
}

const millions = (n: number): string => (n >= 1e6 ? `${(n / 1e6).toFixed(1)}M` : n.toLocaleString('en-US'));

function memorySection(memory: StorageInputs['memory']): string[] {
  if (memory === undefined) return ['No memory results yet.', ''];
  const md: string[] = [];
  for (const m of memory.file.models) {
    md.push(`**${m.model}** (${m.description}; ${millions(Number(m.rows[0]?.['parameters'] ?? 0))} parameters, ${memory.file.steps} steps):`, '');
    md.push('| optimizer, storage | weights | optimizer buffers | gradients | **persistent** | peak over the steps (above before them) |', '|---|---:|---:|---:|---:|---:|');
    for (const r of m.rows) {
      md.push(`| ${r['config']} | ${r['weights']} | ${r['optimizer']} | ${r['gradients']} | **${r['persistent']}** | ${r['stepsPeakMiB']} MiB (${r['stepsPeakBytesPerParameter']} B/param) |`);
    }
    md.push('');
  }
  md.push(`Bytes per parameter. Written to \`${memory.path}\` by:`, '', '```sh', memory.file.command, '```', '');
  return md;
}

function budgetSection(budgets: StorageInputs['budgets'], svgs: Map<string, string>): string[] {
  if (budgets === undefined || budgets.length === 0) return ['No budget results yet.', ''];
  const md: string[] = [
    'The widest GPT that trains a few steps on onnxruntime-node with the process\'s peak resident memory within the budget. ' +
      'The budget counts the whole process (its VmHWM): node and the packages, the model as loaded, the trainer, and everything a step allocates. ' +
      "Each cell: the widest width that fits, its parameters (× the first row's) and the process's peak.",
    '',
  ];
  const shapeOf = (f: GptBudgetFile): string => {
    const m = f.model;
    return `vocab ${m.vocab}, ${m.layers} layers, ${m.heads} heads, block ${m.block}, batch ${m.batch}, width a multiple of ${m.widthMultiple}; ${f.steps} steps${f.cpuArena === false ? "; onnxruntime's CPU memory arena off" : ''}`;
  };
  const groups = new Map<string, Array<{ path: string; file: GptBudgetFile }>>();
  const arena = (f: GptBudgetFile): number => (f.cpuArena === false ? 1 : 0);
  for (const b of [...budgets].sort((x, y) => y.file.model.batch - x.file.model.batch || arena(x.file) - arena(y.file) || x.file.budgetBytes - y.file.budgetBytes)) {
    const key = shapeOf(b.file);
    groups.set(key, [...(groups.get(key) ?? []), b]);
  }
  [...groups].forEach(([shape, files], k) => {
    const m = files[0]!.file.model;
    const configs = [...new Set(files.flatMap((f) => f.file.results.map((r) => r.config)))];
    md.push(`**GPT ${shape}:**`, '');
    md.push(`| optimizer, storage | ${files.map((f) => `within ${f.file.budget}`).join(' | ')} |`, `|---|${files.map(() => '---:').join('|')}|`);
    for (const config of configs) {
      const cells = files.map(({ file }) => {
        const r = file.results.find((x) => x.config === config);
        const first = file.results[0]!;
        if (r === undefined) return '';
        if (r.width === 0) return 'none fits';
        const ratio = r === first || first.parameters === 0 ? '' : ` (${(r.parameters / first.parameters).toFixed(2)}×)`;
        return `**${r.width}**, ${millions(r.parameters)}${ratio}, ${r.row?.['processPeakMiB'] ?? '?'} MiB`;
      });
      md.push(`| ${config} | ${cells.join(' | ')} |`);
    }
    const start = files.flatMap((f) => f.file.results.map((r) => Number(r.row?.['startMiB']))).filter(Number.isFinite);
    if (start.length > 0) md.push('', `Of each process's peak, ${Math.min(...start)}–${Math.max(...start)} MiB is the process before it loads the model (node, onnxruntime, the packages).`);
    for (const { path, file } of files) md.push('', `${file.budget}: written to \`${path}\` by:`, '', '```sh', file.command, '```');
    md.push('');
    if (files.length < 2) return; // a plot across budgets needs two
    const name = `budget-${k}.svg`;
    const series: Series[] = configs.map((config, i) => ({
      label: config,
      color: PALETTE[i % PALETTE.length]!,
      points: files.flatMap(({ file }) => file.results.filter((r) => r.config === config).map((r) => [file.budgetBytes / 2 ** 20, r.parameters / 1e6] as const)),
    }));
    const arenaNote = files[0]!.file.cpuArena === false ? ', no CPU arena' : '';
    svgs.set(name, lineChartSvg(series, { title: `Widest GPT within a memory budget (${m.layers} layers, block ${m.block}, batch ${m.batch}${arenaNote})`, xLabel: 'budget: process peak RSS (MiB)', yLabel: 'parameters (millions)' }));
    md.push(`![Parameters of the widest GPT (batch ${m.batch}${arenaNote}) that trains within each budget, one line per optimizer and storage](/storage-results/${name})`, '');
  });
  return md;
}

function qualitySection(quality: StorageInputs['quality'], svgs: Map<string, string>): string[] {
  if (quality.length === 0) return ['No quality results yet.', ''];
  const md: string[] = [];
  quality.forEach(({ path, file }, k) => {
    const c = file.config;
    const base = file.runs[0]!.val.at(-1)!;
    md.push(`**lr ${c.lr}** (linearly decayed to 0 over ${c.steps} steps; GPT ${c.layers} layers, width ${c.width}, block ${c.block}, batch ${c.batch}; val loss over ${c.evalBatches} held-out batches):`, '');
    md.push('| weights and G | val loss at the start | at the end | vs float32 |', '|---|---:|---:|---:|');
    for (const r of file.runs) {
      const end = r.val.at(-1)!;
      md.push(`| ${r.label} | ${r.val[0]!.toFixed(4)} | ${end.toFixed(4)} | ${r === file.runs[0] ? '' : `${end - base >= 0 ? '+' : ''}${(end - base).toFixed(4)}`} |`);
    }
    const name = `quality-${k}.svg`;
    const series: Series[] = file.runs.map((r, i) => ({ label: r.label, color: PALETTE[i % PALETTE.length]!, points: r.steps.map((s, j) => [s, r.val[j]!] as const).filter(([s]) => s > 0) }));
    svgs.set(name, lineChartSvg(series, { title: `ScionLight, lr ${c.lr} → 0: val loss by storage`, xLabel: 'step', yLabel: 'val loss' }));
    md.push('', `![Val loss along the run for each storage, lr ${c.lr}](/storage-results/${name})`, '', `Written to \`${path}\` by:`, '', '```sh', file.command, '```', '');
  });
  return md;
}

/** One tab results file: its table, the largest each optimizer trained and where that run's memory went. */
function tabFileSection(tab: { readonly path: string; readonly file: TabMemoryFile }): string[] {
  const rows = tab.file.rows;
  const md: string[] = [];
  md.push(`**onnxruntime's CPU memory arena ${tab.file.cpuArena === false ? 'off' : 'on'}** (written to \`${tab.path}\`; a tab budget of ${tab.file.budgetMiB ?? 8192} MiB):`, '');
  md.push('| model | parameters | ONNX file | optimizer | trained? | tab peak (renderer VmHWM) | WebAssembly memories at the end | JS heap |', '|---|---:|---:|---|---|---:|---:|---:|');
  for (const r of rows) {
    const last = r.result?.phases.at(-1);
    md.push(
      `| ${r.size} | ${millions(r.parameters)} | ${r.onnxMiB} MiB | ${r.optimizer} | ${r.ok ? 'yes' : `no: ${(r.error ?? '').replace(/\|/g, '\\|').slice(0, 160)}`} | ${r.rendererPeakMiB} MiB | ${last === undefined ? '' : `${last.wasmMiB.filter((w) => w > 0).join(' + ')} MiB`} | ${last === undefined ? '' : `${last.heapMiB} MiB`} |`,
    );
  }
  const optimizers = [...new Set(rows.map((r) => r.optimizer))];
  const largest = optimizers.map((o) => [o, Math.max(0, ...rows.filter((r) => r.optimizer === o && r.ok).map((r) => r.parameters))] as const);
  const [first, firstLargest] = largest[0] ?? ['', 0];
  const ratio = (n: number): string => (firstLargest > 0 ? ` (${(n / firstLargest).toFixed(2)}× ${first}'s)` : '');
  md.push('', `Largest trained: ${largest.map(([o, n], i) => `${o} ${millions(n)}${i === 0 ? '' : ratio(n)}`).join(', ')}.`);
  // where the memory of each optimizer's largest run went, per parameter
  const perParam = (mib: number, n: number): string => ((mib * 2 ** 20) / n).toFixed(1);
  for (const [o, n] of largest) {
    const r = rows.find((x) => x.optimizer === o && x.ok && x.parameters === n);
    const phases = r?.result?.phases;
    if (r === undefined || phases === undefined) continue;
    const made = phases.find((p) => p.name === 'trainer made')!;
    const last = phases.at(-1)!;
    const sum = (xs: readonly number[]): number => xs.reduce((a, v) => a + v, 0);
    const stopped = rows.find((x) => x.optimizer === o && !x.ok);
    md.push(
      '',
      `${o} at ${millions(n)}, in bytes per parameter: persistent state ${r.result!.persistentBytesPerParameter.toFixed(1)}; the tab's peak ${perParam(r.rendererPeakMiB, n)}; ` +
        `WebAssembly memory ${perParam(sum(last.wasmMiB), n)} (${last.wasmMiB.filter((w) => w > 0).map((w) => perParam(w, n)).join(' + ')}), ${perParam(sum(made.wasmMiB), n)} of it by the end of \`createOnnxTrainer\`, before any step; ` +
        `the JS heap ${perParam(made.heapMiB, n)} once the trainer was made, ${perParam(last.heapMiB, n)} after the last step. ` +
        `Its largest WebAssembly memory reached ${Math.max(...last.wasmMiB)} of the 4096 MiB one can hold; ` +
        `${stopped === undefined ? 'no larger model was tried' : `the next size, ${stopped.size} (${millions(stopped.parameters)}), did not train: ${stopped.error ?? ''}`}.`,
    );
  }
  md.push('', 'Written by:', '', '```sh', tab.file.command, '```', '');
  return md;
}

function tabSection(tabs: StorageInputs['tabs'], svgs: Map<string, string>): string[] {
  if (tabs === undefined || tabs.length === 0) return ['No browser results yet.', ''];
  const md = tabs.flatMap(tabFileSection);
  const arenaOff = (t: NonNullable<StorageInputs['tabs']>[number]): boolean => t.file.cpuArena === false;
  // one color per optimizer, dashed with the arena off
  const optimizers = [...new Set(tabs.flatMap((t) => t.file.rows.map((r) => r.optimizer)))];
  const series: Series[] = tabs.flatMap((t) =>
    optimizers.map((o, i) => ({
      label: `${o}${arenaOff(t) ? ', arena off' : ''}`,
      color: PALETTE[i % PALETTE.length]!,
      dashed: arenaOff(t),
      points: t.file.rows.filter((r) => r.optimizer === o && r.ok).map((r) => [r.parameters / 1e6, r.rendererPeakMiB] as const),
    })),
  ).filter((s) => s.points.length > 0);
  svgs.set('tab.svg', lineChartSvg(series, { title: `Peak memory of a tab training a GPT (${tabs[0]!.file.steps} steps, wasm)`, xLabel: 'parameters (millions)', yLabel: 'renderer peak (MiB)' }));
  md.push('![Peak memory of the tab against the GPT size, one line per optimizer, dashed with the arena off](/storage-results/tab.svg)', '');
  return md;
}

/** The page fragment (markdown) and its plots. */
export function renderStorageResults(inputs: StorageInputs): { markdown: string; svgs: Map<string, string> } {
  const svgs = new Map<string, string>();
  const md = [
    '<!-- generated by docs/scripts/storage.ts from the results files named below; do not edit -->',
    '',
    '### Bytes per parameter, on onnxruntime-node',
    '',
    ...memorySection(inputs.memory),
    '### The widest GPT within a memory budget',
    '',
    ...budgetSection(inputs.budgets, svgs),
    '### Quality against float32',
    '',
    ...qualitySection(inputs.quality, svgs),
    '### In a browser tab',
    '',
    ...tabSection(inputs.tabs, svgs),
  ];
  return { markdown: md.join('\n'), svgs };
}
