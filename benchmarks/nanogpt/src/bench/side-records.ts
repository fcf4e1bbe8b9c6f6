import type { Summary } from './timing.js';

/**
 * The JSON lines of the PyTorch side-by-side benchmark. The Python script prints the `torch` side's
 * records; `pnpm bench torch` adds the same kinds for each lmo backend (`side: "lmo"`).
 */
export type Side = 'torch' | 'lmo';
export type PartName = 'fwd_bwd' | 'step' | 'iteration';
export type NsDtype = 'bf16' | 'fp32';

/** Per-run wall and process-CPU milliseconds over `n` runs. */
interface Timed {
  readonly n: number;
  readonly wall_ms: Summary;
  readonly cpu_ms: Summary;
}

/** A timed part of a training iteration. */
export interface PartRecord extends Timed {
  readonly side: Side;
  readonly backend?: string;
  readonly kind: 'part';
  readonly part: PartName;
  readonly optimizer?: string;
  /** Newton–Schulz precision of a Scion part (lmo's is fp32). */
  readonly ns_dtype?: NsDtype;
}

/**
 * Newton–Schulz's GEMMs alone for the matrices of one shape (or `"all"` of them): torch's direct
 * iteration, an lmo backend's fused kernel (`gflop`: the flops it executes).
 */
export interface GemmRecord extends Timed {
  readonly side: Side;
  readonly backend?: string;
  readonly kind: 'gemm';
  readonly dtype: 'fp32';
  readonly shape: readonly number[] | 'all';
  readonly count: number;
  readonly gflop: number;
  readonly gflops_per_s: number;
}

/**
 * An lmo backend's fused Newton–Schulz kernel alone on all the matrices of a Scion step: `gflop` is
 * what it executes (its Gram form where cheaper), `gflop_nominal` the direct form's count.
 */
export interface NsKernelRecord extends Timed {
  readonly side: 'lmo';
  readonly backend: string;
  readonly kind: 'ns_kernel';
  readonly count: number;
  readonly gflop: number;
  readonly gflop_nominal: number;
  readonly gflops_per_s: number;
}

export interface EnvRecord {
  readonly side: Side;
  readonly backend?: string;
  readonly kind: 'env';
  readonly threads: number;
  /** torch: which BLAS its matmuls run on (`openblas`, `mkl`, `reference`, …). */
  readonly blas?: string;
  readonly [key: string]: unknown;
}

export interface MemoryRecord {
  readonly side: Side;
  readonly backend?: string;
  readonly kind: 'memory';
  readonly peak_rss_mb: number;
}

/** The Python side could not run (no torch): why. */
export interface SkipRecord {
  readonly side: Side;
  readonly kind: 'skip';
  readonly reason: string;
}

export type SideRecord = PartRecord | GemmRecord | NsKernelRecord | EnvRecord | MemoryRecord | SkipRecord;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

function summaryProblem(v: unknown, field: string): string | undefined {
  if (!isObject(v)) return `"${field}" must be an object`;
  for (const k of ['median', 'p10', 'p90', 'mean']) if (!isNumber(v[k])) return `"${field}.${k}" must be a number`;
  return undefined;
}

/** What is wrong with a record (undefined when it is well-formed). */
function problem(r: Record<string, unknown>): string | undefined {
  if (r['side'] !== 'torch' && r['side'] !== 'lmo') return `"side" must be "torch" or "lmo", got ${JSON.stringify(r['side'])}`;
  switch (r['kind']) {
    case 'skip':
      return typeof r['reason'] === 'string' ? undefined : '"reason" must be a string';
    case 'env':
      return isNumber(r['threads']) ? undefined : '"threads" must be a number';
    case 'memory':
      return isNumber(r['peak_rss_mb']) ? undefined : '"peak_rss_mb" must be a number';
    case 'part': {
      if (!['fwd_bwd', 'step', 'iteration'].includes(r['part'] as string)) return `unknown part ${JSON.stringify(r['part'])}`;
      if (r['part'] !== 'fwd_bwd' && typeof r['optimizer'] !== 'string') return `part "${String(r['part'])}" needs an "optimizer"`;
      if (r['ns_dtype'] !== undefined && r['ns_dtype'] !== 'bf16' && r['ns_dtype'] !== 'fp32') return `"ns_dtype" must be "bf16" or "fp32"`;
      return summaryProblem(r['wall_ms'], 'wall_ms') ?? summaryProblem(r['cpu_ms'], 'cpu_ms');
    }
    case 'gemm': {
      const shape = r['shape'];
      if (shape !== 'all' && !(Array.isArray(shape) && shape.every(isNumber))) return '"shape" must be a list of numbers or "all"';
      for (const k of ['count', 'gflop', 'gflops_per_s']) if (!isNumber(r[k])) return `"${k}" must be a number`;
      return summaryProblem(r['wall_ms'], 'wall_ms') ?? summaryProblem(r['cpu_ms'], 'cpu_ms');
    }
    case 'ns_kernel': {
      if (r['side'] !== 'lmo' || typeof r['backend'] !== 'string') return 'an "ns_kernel" record belongs to an lmo "backend"';
      for (const k of ['count', 'gflop', 'gflop_nominal', 'gflops_per_s']) if (!isNumber(r[k])) return `"${k}" must be a number`;
      return summaryProblem(r['wall_ms'], 'wall_ms') ?? summaryProblem(r['cpu_ms'], 'cpu_ms');
    }
    default:
      return `unknown kind ${JSON.stringify(r['kind'])}`;
  }
}

/**
 * Parses JSON lines (blank lines ignored) into records, checking each; `source` names the input in
 * errors, which give the line number and what is wrong.
 */
export function parseSideRecords(text: string, source: string): SideRecord[] {
  const out: SideRecord[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw new Error(`${source}, line ${i + 1}: not JSON: ${line.slice(0, 120)}`);
    }
    if (!isObject(value)) throw new Error(`${source}, line ${i + 1}: expected a JSON object`);
    const why = problem(value);
    if (why !== undefined) throw new Error(`${source}, line ${i + 1}: ${why}`);
    out.push(value as unknown as SideRecord);
  });
  return out;
}
