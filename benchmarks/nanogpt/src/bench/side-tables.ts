import { markdownTable } from '../report/table.js';
import type { EnvRecord, GemmRecord, MemoryRecord, NsDtype, NsKernelRecord, PartName, PartRecord, SideRecord } from './side-records.js';
import { quantile } from './timing.js';

/** The records of one run of `pnpm bench torch`. */
export type Run = readonly SideRecord[];

interface PartKey {
  readonly part: PartName;
  readonly optimizer?: string;
  readonly ns_dtype?: NsDtype;
}

/** The table's rows: which torch part is set against which lmo part. */
const PART_ROWS: ReadonlyArray<{ label: string; torch: PartKey; lmo: PartKey }> = [
  { label: 'forward+backward', torch: { part: 'fwd_bwd' }, lmo: { part: 'fwd_bwd' } },
  { label: 'AdamW step (with clipping)', torch: { part: 'step', optimizer: 'adamw' }, lmo: { part: 'step', optimizer: 'adamw' } },
  { label: 'Scion step (torch NS bf16)', torch: { part: 'step', optimizer: 'scion', ns_dtype: 'bf16' }, lmo: { part: 'step', optimizer: 'scion' } },
  { label: 'Scion step (torch NS fp32)', torch: { part: 'step', optimizer: 'scion', ns_dtype: 'fp32' }, lmo: { part: 'step', optimizer: 'scion' } },
  { label: 'iteration, AdamW', torch: { part: 'iteration', optimizer: 'adamw' }, lmo: { part: 'iteration', optimizer: 'adamw' } },
  { label: 'iteration, Scion (torch NS bf16)', torch: { part: 'iteration', optimizer: 'scion', ns_dtype: 'bf16' }, lmo: { part: 'iteration', optimizer: 'scion' } },
  { label: 'iteration, Scion (torch NS fp32)', torch: { part: 'iteration', optimizer: 'scion', ns_dtype: 'fp32' }, lmo: { part: 'iteration', optimizer: 'scion' } },
];

const median = (xs: readonly number[]): number => quantile(xs, 0.5);

function part(run: Run, side: 'torch' | 'lmo', backend: string | undefined, key: PartKey): PartRecord | undefined {
  return run.find(
    (r): r is PartRecord =>
      r.kind === 'part' &&
      r.side === side &&
      (side === 'torch' || r.backend === backend) &&
      r.part === key.part &&
      (key.optimizer === undefined || r.optimizer === key.optimizer) &&
      (key.ns_dtype === undefined || r.ns_dtype === key.ns_dtype),
  );
}

function gemm(run: Run, side: 'torch' | 'lmo', backend: string | undefined, shape: string): GemmRecord | undefined {
  return run.find(
    (r): r is GemmRecord =>
      r.kind === 'gemm' && r.side === side && (side === 'torch' || r.backend === backend) && shapeLabel(r.shape) === shape,
  );
}

function kernel(run: Run, backend: string | undefined): NsKernelRecord | undefined {
  return run.find((r): r is NsKernelRecord => r.kind === 'ns_kernel' && r.backend === backend);
}

const shapeLabel = (shape: GemmRecord['shape']): string => (shape === 'all' ? 'all' : `[${shape.join(', ')}]`);

/** The lmo backends present in the runs, in order of appearance. */
export function lmoBackends(runs: readonly Run[]): string[] {
  const names: string[] = [];
  for (const run of runs) for (const r of run) if (r.side === 'lmo' && r.kind === 'part' && r.backend && !names.includes(r.backend)) names.push(r.backend);
  return names;
}

/** Median over the runs of `f` (runs where it is undefined are left out; undefined if none has it). */
function acrossRuns(runs: readonly Run[], f: (run: Run) => number | undefined): number | undefined {
  const xs = runs.map(f).filter((x): x is number => x !== undefined);
  return xs.length === 0 ? undefined : median(xs);
}

const ms = (x: number | undefined): string => (x === undefined ? '–' : x.toFixed(1));
const ratio = (x: number | undefined): string => (x === undefined ? '–' : `${x.toFixed(2)}×`);

/** Which time {@link partsTable} shows: wall or process-CPU milliseconds, their median or 10th percentile. */
export interface PartsView {
  readonly stat?: 'median' | 'p10';
  readonly clock?: 'wall' | 'cpu';
}

/** The time of a part or GEMM record that `view` asks for. */
const pick = (r: PartRecord | GemmRecord | NsKernelRecord | undefined, view: PartsView): number | undefined =>
  r?.[view.clock === 'cpu' ? 'cpu_ms' : 'wall_ms'][view.stat ?? 'median'];

/** The unit of the times `view` asks for: `ms`, `CPU ms`, `ms (p10)`, … */
const unit = (view: PartsView): string => `${view.clock === 'cpu' ? 'CPU ms' : 'ms'}${(view.stat ?? 'median') === 'median' ? '' : ' (p10)'}`;

/**
 * Per-part medians (wall ms) of torch and each lmo backend, and torch/lmo (above 1: lmo is faster);
 * `stat: 'p10'` shows the 10th percentiles instead (the least disturbed runs on a busy machine),
 * `clock: 'cpu'` the process CPU time (what each side's threads used, waiting for a core excluded;
 * spinning while waiting for work included).
 * Over several runs: each time is the median of the runs' values, each ratio the median of the
 * runs' own ratios (a ratio within one run is what a noisy machine leaves comparable).
 */
export function partsTable(runs: readonly Run[], view: PartsView = {}): string {
  const backends = lmoBackends(runs);
  const head = ['part', `torch ${unit(view)}`, ...backends.flatMap((b) => [`${b} ${unit(view)}`, `torch / ${b}`])];
  const body: string[][] = [];
  for (const row of PART_ROWS) {
    const torchMs = acrossRuns(runs, (run) => pick(part(run, 'torch', undefined, row.torch), view));
    if (torchMs === undefined && backends.every((b) => acrossRuns(runs, (run) => pick(part(run, 'lmo', b, row.lmo), view)) === undefined)) continue;
    const cells = backends.flatMap((b) => {
      const lmoMs = acrossRuns(runs, (run) => pick(part(run, 'lmo', b, row.lmo), view));
      const r = acrossRuns(runs, (run) => {
        const t = pick(part(run, 'torch', undefined, row.torch), view);
        const l = pick(part(run, 'lmo', b, row.lmo), view);
        return t !== undefined && l !== undefined ? t / l : undefined;
      });
      return [ms(lmoMs), ratio(r)];
    });
    body.push([row.label, ms(torchMs), ...cells]);
  }
  return markdownTable(head, body);
}


/**
 * Newton–Schulz's GEMMs alone at the model's shapes, on torch (fp32) and on each lmo backend that
 * measured them, as ms and GFLOP/s; then the whole Scion step's achieved rate, its Newton–Schulz
 * flops over its measured time. `view` as for {@link partsTable} (the p10 is the engine's rate when
 * it had the cores to itself, near enough).
 */
export function gemmTable(runs: readonly Run[], view: PartsView = {}): string {
  const backends = lmoBackends(runs).filter((b) => runs.some((run) => gemm(run, 'lmo', b, 'all') !== undefined));
  const sides: Array<{ label: string; side: 'torch' | 'lmo'; backend?: string }> = [
    { label: 'torch fp32', side: 'torch' },
    ...backends.map((b) => ({ label: b, side: 'lmo' as const, backend: b })),
  ];
  const shapes: Array<{ label: string; count: number; gflop: number }> = [];
  for (const run of runs) {
    for (const r of run) {
      if (r.kind !== 'gemm') continue;
      const label = shapeLabel(r.shape);
      if (!shapes.some((s) => s.label === label)) shapes.push({ label, count: r.count, gflop: r.gflop });
    }
  }
  shapes.sort((a, b) => Number(a.label === 'all') - Number(b.label === 'all'));
  const head = ['Newton–Schulz work', 'GFLOP', ...sides.flatMap((s) => [`${s.label} ${unit(view)}`, `${s.label} GFLOP/s`])];
  const rate = (gflop: number, t: number | undefined): string => (t === undefined ? '–' : (gflop / (t / 1000)).toFixed(1));
  const body = shapes.map((s) => [
    s.label === 'all' ? `GEMMs only, all ${s.count} matrices` : `GEMMs only, ${s.count} × ${s.label}`,
    s.gflop.toFixed(3),
    ...sides.flatMap((side) => {
      const t = acrossRuns(runs, (run) => pick(gemm(run, side.side, side.backend, s.label), view));
      return [ms(t), rate(s.gflop, t)];
    }),
  ]);
  for (const side of sides) {
    const k = side.side === 'lmo' ? runs.map((run) => kernel(run, side.backend)).find((x) => x !== undefined) : undefined;
    if (k === undefined) continue;
    const t = acrossRuns(runs, (run) => pick(kernel(run, side.backend), view));
    body.push([
      `${side.label} fused kernel alone, all ${k.count} matrices`,
      k.gflop.toFixed(3),
      ...sides.flatMap((other) => (other === side ? [ms(t), rate(k.gflop, t)] : ['–', '–'])),
    ]);
  }
  const total = shapes.find((s) => s.label === 'all');
  if (total !== undefined) {
    for (const dtype of ['fp32', 'bf16'] as const) {
      const key: PartKey = { part: 'step', optimizer: 'scion', ns_dtype: dtype };
      const cells = sides.flatMap((side) => {
        if (side.side === 'lmo' && dtype === 'bf16') return ['–', '–'];
        const t = acrossRuns(runs, (run) => pick(part(run, side.side, side.backend, side.side === 'torch' ? key : { part: 'step', optimizer: 'scion' }), view));
        return [ms(t), rate(total.gflop, t)];
      });
      if (cells.every((c) => c === '–')) continue;
      body.push([dtype === 'fp32' ? 'whole Scion step (torch NS fp32)' : 'whole Scion step (torch NS bf16)', total.gflop.toFixed(3), ...cells]);
    }
  }
  return markdownTable(head, body);
}

/**
 * How close the Scion step comes to the GEMM rate at its shapes (all its matrices' Newton–Schulz
 * GEMMs alone, direct form): the step's nominal rate (the direct form's flops over the step's time)
 * as a share of that rate; for an lmo backend with a fused kernel that executes fewer flops, also
 * the executed flops, their rate and its share. Times as `view` asks ({@link partsTable}), medians
 * over the runs.
 */
export function gemmShareLine(runs: readonly Run[], view: PartsView = {}): string {
  const pct = (x: number | undefined): string => (x === undefined ? '–' : `${(100 * x).toFixed(0)}%`);
  const gemmRateOf = (run: Run, side: 'torch' | 'lmo', backend: string | undefined): number | undefined => {
    const g = gemm(run, side, backend, 'all');
    const t = pick(g, view);
    return g === undefined || t === undefined ? undefined : g.gflop / (t / 1000);
  };
  /** Median over the runs of (flops over the step's time) / the GEMM rate. */
  const share = (side: 'torch' | 'lmo', backend: string | undefined, key: PartKey, flops: (run: Run) => number | undefined) =>
    acrossRuns(runs, (run) => {
      const t = pick(part(run, side, backend, key), view);
      const f = flops(run);
      const g = gemmRateOf(run, side, backend);
      return t !== undefined && f !== undefined && g !== undefined ? f / (t / 1000) / g : undefined;
    });
  const nominal = (side: 'torch' | 'lmo', backend?: string) => (run: Run) => gemm(run, side, backend, 'all')?.gflop;
  const torch = `torch fp32 ${pct(share('torch', undefined, { part: 'step', optimizer: 'scion', ns_dtype: 'fp32' }, nominal('torch')))}`;
  const lmo = lmoBackends(runs)
    .filter((b) => runs.some((run) => gemm(run, 'lmo', b, 'all') !== undefined))
    .map((b) => {
      const key: PartKey = { part: 'step', optimizer: 'scion' };
      const executed = share('lmo', b, key, (run) => kernel(run, b)?.gflop);
      const gflop = runs.map((run) => kernel(run, b)?.gflop).find((x) => x !== undefined);
      const step = acrossRuns(runs, (run) => pick(part(run, 'lmo', b, key), view));
      const rateOf = (f: number | undefined) => (f === undefined || step === undefined ? '–' : (f / (step / 1000)).toFixed(1));
      const gemmRate = acrossRuns(runs, (run) => gemmRateOf(run, 'lmo', b));
      const total = runs.map((run) => gemm(run, 'lmo', b, 'all')?.gflop).find((x) => x !== undefined);
      const head = `${b} ${pct(share('lmo', b, key, nominal('lmo', b)))} (${rateOf(total)} of ${gemmRate?.toFixed(1) ?? '–'} GFLOP/s)`;
      return executed === undefined ? head : `${head}; ${b} executes ${gflop!.toFixed(3)} GFLOP per step (its Gram form): ${rateOf(gflop)} GFLOP/s, ${pct(executed)} of the GEMM rate`;
    });
  const of = `${view.clock === 'cpu' ? 'CPU ' : ''}${(view.stat ?? 'median') === 'median' ? 'medians' : 'p10s'}`;
  return `Scion step at this share of its GEMM rate (nominal flops, ${of}): ${[torch, ...lmo].join(', ')}`;
}

/** Peak resident memory of the torch process and of the Node process (all its backends). */
export function memoryLine(runs: readonly Run[]): string {
  const of = (side: 'torch' | 'lmo'): string => {
    const mb = acrossRuns(runs, (run) => run.find((r): r is MemoryRecord => r.kind === 'memory' && r.side === side)?.peak_rss_mb);
    return mb === undefined ? '–' : `${mb.toFixed(0)} MB`;
  };
  return `peak RSS: torch process ${of('torch')}, lmo (Node) process ${of('lmo')}`;
}

/** One line per side on what ran: torch version, BLAS and threads; Node and lmo's threads. */
export function envLine(runs: readonly Run[]): string {
  const env = (side: 'torch' | 'lmo'): EnvRecord | undefined => runs[0]?.find((r): r is EnvRecord => r.kind === 'env' && r.side === side);
  const t = env('torch');
  const l = env('lmo');
  const parts: string[] = [];
  if (t) parts.push(`torch ${String(t['torch'])} (${String(t.blas)}, ${t.threads} threads, OMP_WAIT_POLICY=${String(t['omp_wait_policy'])})`);
  if (l) parts.push(`lmo on Node ${String(l['node'])} (${l.threads} onnxruntime threads)`);
  const loads = runs.flatMap((run) => {
    const load = run.find((r): r is EnvRecord => r.kind === 'env' && Array.isArray(r['load_average']))?.['load_average'] as number[] | undefined;
    return load === undefined ? [] : [load[0]!.toFixed(1)];
  });
  const load = loads.length > 0 ? `; 1-minute load average at the start: ${loads.join(', ')}` : '';
  return `${parts.join(' vs ')}; ${runs.length} run${runs.length === 1 ? '' : 's'}${load}`;
}

/** Everything: what ran, the parts tables (medians, p10s, CPU), the Newton–Schulz tables (medians, p10s), peak memory. */
export function sideBySideReport(runs: readonly Run[]): string {
  const p10: PartsView = { stat: 'p10' };
  return [
    envLine(runs),
    '',
    partsTable(runs),
    '',
    partsTable(runs, p10),
    '',
    partsTable(runs, { clock: 'cpu' }),
    '',
    gemmTable(runs),
    gemmShareLine(runs),
    '',
    gemmTable(runs, p10),
    gemmShareLine(runs, p10),
    '',
    memoryLine(runs),
  ].join('\n');
}
