/**
 * The widest nanoGPT each optimizer and storage (bench/gpt-training.ts's configurations) can train
 * within a memory budget on onnxruntime-node.
 *
 * The budget counts the whole process: the peak resident memory (Linux's VmHWM) of a node process
 * that loads the GPT's ONNX file, makes its trainer with `createOnnxTrainer` and trains `--steps`
 * steps — node and the packages (about `startMiB` of it, reported), the model as loaded, the
 * trainer's sessions, weights and buffers, and everything a step allocates. Each try runs in a
 * process of its own, stopped as soon as its peak passes the budget.
 *
 * The GPT's depth, heads, block and batch are fixed (`--layers 6 --heads 6 --block 64 --batch 12`
 * by default: nanoGPT's Shakespeare depth, the main job's block and batch); its width is a
 * multiple of `8 × heads`, searched by doubling, then bisection (bench/budget.ts), each width
 * exported once by bench/export-gpt.py (needs python3 with torch) and shared by the configurations.
 * The search assumes that a narrower model never needs more memory than a wider one. `--no-arena`
 * turns onnxruntime's CPU memory arena off in every session (`sessionOptions: { enableCpuMemArena:
 * false }` of `onnxBackend`): each tensor is allocated and freed on its own, instead of kept in an
 * arena that grows to a session's largest need and never shrinks.
 *
 *   pnpm --filter @lmo/onnxruntime bench:gpt-budget -- --budget 512MiB [--steps 3 --threads 2 --layers 6 --heads 6 --block 64 --batch 12 --no-arena --only 'AdamW float32' --json bench/results/gpt-budget-512MiB.json]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { formatBytes, largestFitting, parseBytes } from './budget.js';
import { CONFIGS, configNamed, exportGpt, measureTraining, type GptShape } from './gpt-training.js';

const { values } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: {
    budget: { type: 'string' },
    steps: { type: 'string', default: '3' },
    threads: { type: 'string', default: '2' },
    layers: { type: 'string', default: '6' },
    heads: { type: 'string', default: '6' },
    block: { type: 'string', default: '64' },
    batch: { type: 'string', default: '12' },
    'max-width': { type: 'string', default: '3072' },
    only: { type: 'string', multiple: true },
    'no-arena': { type: 'boolean', default: false },
    json: { type: 'string' },
    child: { type: 'string' },
    model: { type: 'string' },
  },
});

/** A positive integer option, or a clear error. */
function positive(name: string): number {
  const text = values[name as keyof typeof values] as string;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, got "${text}"`);
  return n;
}
const steps = positive('steps');
const threads = positive('threads');
const cpuArena = !values['no-arena'];

interface Try {
  readonly width: number;
  readonly parameters: number;
  readonly fits: boolean;
  /** Whole-process peak (MiB); for a try stopped at the budget, the peak when it was stopped. */
  readonly processPeakMiB: number;
  readonly seconds: number;
  readonly row?: Record<string, number | string>;
  readonly error?: string;
}

/** VmHWM of process `pid` in MiB, or undefined once it is gone. */
function peakOf(pid: number): number | undefined {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m === null ? undefined : Number(m[1]) / 1024;
  } catch {
    return undefined;
  }
}

/** One try in a child process, watched: killed once its peak passes `budgetMiB`. */
function runChild(label: string, file: string, budgetMiB: number): Promise<{ row?: Record<string, number | string>; stoppedAt?: number; error?: string }> {
  const self = fileURLToPath(import.meta.url);
  return new Promise((resolve) => {
    const args = [self, '--child', label, '--model', file, '--steps', String(steps), '--threads', String(threads), ...(cpuArena ? [] : ['--no-arena'])];
    const child = spawn(process.execPath, [...process.execArgv, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let stoppedAt: number | undefined;
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const watch = setInterval(() => {
      const peak = peakOf(child.pid!);
      if (peak !== undefined && peak > budgetMiB && stoppedAt === undefined) {
        stoppedAt = peak;
        child.kill('SIGKILL');
      }
    }, 20);
    child.on('close', (code) => {
      clearInterval(watch);
      if (stoppedAt !== undefined) resolve({ stoppedAt });
      else if (code !== 0) resolve({ error: `exit ${code}: ${err.trim().split('\n').slice(-3).join(' / ')}` });
      else resolve({ row: JSON.parse(out.trim().split('\n').pop()!) as Record<string, number | string> });
    });
  });
}

if (values.child !== undefined) {
  const row = await measureTraining(configNamed(values.child), values.model!, steps, threads, cpuArena);
  process.stdout.write(`${JSON.stringify(row)}\n`);
} else {
  if (values.budget === undefined) throw new Error('--budget is required, e.g. --budget 512MiB');
  const budget = parseBytes(values.budget);
  const budgetMiB = budget / 2 ** 20;
  const base = { layers: positive('layers'), heads: positive('heads'), block: positive('block'), batch: positive('batch') };
  const unit = 8 * base.heads;
  const maxK = Math.floor(positive('max-width') / unit);
  const configs = values.only === undefined ? CONFIGS : values.only.map(configNamed);
  const dir = mkdtempSync(join(tmpdir(), 'lmo-gpt-budget-'));
  const exported = new Map<number, { file: string; parameters: number }>();
  const modelOf = (width: number): { file: string; parameters: number } => {
    let m = exported.get(width);
    if (m === undefined) {
      const file = join(dir, `gpt-${width}.onnx`);
      const shape: GptShape = { ...base, width };
      m = { file, parameters: exportGpt(file, shape) };
      exported.set(width, m);
    }
    return m;
  };
  console.log(
    `budget ${formatBytes(budget)} (${budget} bytes) of whole-process peak RSS; GPT vocab 65, ${base.layers} layers, ${base.heads} heads, block ${base.block}, batch ${base.batch}, width a multiple of ${unit}; ${steps} steps, ${threads} threads${cpuArena ? '' : ', no CPU memory arena'}`,
  );
  const results: Array<{ config: string; width: number; parameters: number; row?: Record<string, number | string>; tries: Try[] }> = [];
  try {
    for (const config of configs) {
      const tries: Try[] = [];
      const k = await largestFitting(async (k) => {
        const width = k * unit;
        const started = performance.now();
        const { file, parameters } = modelOf(width);
        const run = await runChild(config.label, file, budgetMiB);
        const seconds = Number(((performance.now() - started) / 1000).toFixed(1));
        const peak = run.row === undefined ? (run.stoppedAt ?? 0) : Number(run.row['processPeakMiB']);
        const fits = run.row !== undefined && peak <= budgetMiB && Number.isFinite(Number(run.row['loss']));
        tries.push({ width, parameters, fits, processPeakMiB: Math.round(peak), seconds, ...(run.row && { row: run.row }), ...(run.error !== undefined && { error: run.error }) });
        const what = run.error ?? (run.stoppedAt !== undefined ? `stopped at ${Math.round(peak)} MiB` : `peak ${Math.round(peak)} MiB, loss ${run.row!['loss']}`);
        console.log(`  ${config.label.padEnd(31)} width ${String(width).padStart(4)} (${(parameters / 1e6).toFixed(2)}M params): ${fits ? 'fits' : 'over'}, ${what} (${seconds} s)`);
        return fits;
      }, maxK);
      const best = tries.find((t) => t.width === k * unit);
      results.push({ config: config.label, width: k * unit, parameters: best?.parameters ?? 0, ...(best?.row && { row: best.row }), tries });
      console.log(`${config.label}: widest width ${k * unit}${best === undefined ? '' : `, ${(best.parameters / 1e6).toFixed(2)}M parameters, peak ${best.processPeakMiB} MiB`}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  if (values.json !== undefined) {
    const quote = (a: string): string => (/^[\w./=:-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);
    const command = `pnpm --filter @lmo/onnxruntime bench:gpt-budget -- ${process.argv.slice(2).filter((a) => a !== '--').map(quote).join(' ')}`;
    writeFileSync(values.json, `${JSON.stringify({ command, budget: values.budget, budgetBytes: budget, steps, threads, cpuArena, model: { vocab: 65, ...base, widthMultiple: unit }, results }, null, 2)}\n`);
  }
}
