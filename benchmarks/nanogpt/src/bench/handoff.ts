/**
 * The handoff check on the main job: for each optimizer, lmo trains the run straight (several seeds,
 * the spread), and the first seed's run is handed over at `handoffAt` both ways — lmo → PyTorch (one
 * process, and DistributedDataParallel), PyTorch → lmo (from PyTorch runs that started from lmo's
 * initial weights, one process and DDP) — with the same batches and schedule. Every run is a record
 * (its per-iteration losses and evaluations); `handoff-report.ts` compares them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CharDataset, GptModel, OptimizerName, RunSettings } from '@lmo/gpt';
import { lmoRun, torchRun, writeInitialBundle, type RunLog } from '../handoff/runs.js';
import type { HandoffRecord, HandoffRunKind } from '../report/handoff-report.js';

export interface HandoffBenchOptions {
  readonly optimizers: readonly OptimizerName[];
  readonly seeds: readonly number[];
  readonly handoffAt: number;
  /** Processes of the DDP runs (0: none). */
  readonly ddp: number;
  readonly python: string;
  /** The corpus file (the PyTorch side reads it too). */
  readonly dataPath: string;
  /** torch's threads in a single-process run (each DDP process takes one). */
  readonly threads: number;
}

/**
 * Runs the check and hands each run's record to `emit` as soon as it is done (the caller writes
 * them); `settings(name, seed)` is the run of one optimizer and seed (lr, length, evaluation).
 */
export async function handoffBench<T>(
  model: GptModel<T>,
  data: CharDataset,
  settings: (name: OptimizerName, seed: number) => RunSettings,
  o: HandoffBenchOptions,
  emit: (record: HandoffRecord) => void,
  log: (line: string) => void,
): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'nanogpt-handoff-bench-'));
  try {
    for (const name of o.optimizers) {
      const dir = (label: string): string => join(work, `${name}-${label}`);
      /** Runs one run of the check and emits its record. */
      const record = async (run: HandoffRunKind, s: RunSettings, train: () => Promise<RunLog>): Promise<void> => {
        const started = performance.now();
        const l = await train();
        const seconds = Math.round((performance.now() - started) / 100) / 10;
        emit({
          handoff: true,
          optimizer: name,
          lr: s.lr,
          seed: s.settings.seed,
          run,
          handoff_at: run === 'lmo' || run === 'torch' || run === 'torch-ddp' ? null : o.handoffAt,
          lmo_backend: model.name,
          processes: run.includes('ddp') ? o.ddp : 1,
          iters: s.settings.iters,
          seconds,
          losses: l.iters.map((r) => [r.iter, r.loss]),
          evals: l.evals.map((e) => [e.iter, e.train_loss, e.val_loss]),
        });
        log(`${name} seed ${s.settings.seed} ${run}: ${l.iters.length} iterations, final val ${l.evals[l.evals.length - 1]?.val_loss.toFixed(4)} (${seconds} s)`);
      };
      const torch = (from: string, extra: { processes?: number; saveAt?: { step: number; dir: string } } = {}) =>
        torchRun({ python: o.python, from, out: dir(`out-${Math.random().toString(36).slice(2, 8)}`), data: o.dataPath, threads: extra.processes ? 1 : o.threads, ...extra });

      const [first, ...others] = o.seeds;
      const s = settings(name, first!);
      await writeInitialBundle(model, s, dir('lmo-0'));
      await record('lmo', s, () => lmoRun(model, data, s, { bundles: { [o.handoffAt]: dir('lmo-half') } }));
      await record('lmo→torch', s, () => torch(dir('lmo-half')));
      if (o.ddp > 1) await record('lmo→torch-ddp', s, () => torch(dir('lmo-half'), { processes: o.ddp }));
      await record('torch', s, () => torch(dir('lmo-0'), { saveAt: { step: o.handoffAt, dir: dir('torch-half') } }));
      await record('torch→lmo', s, () => lmoRun(model, data, s, { from: dir('torch-half') }));
      if (o.ddp > 1) {
        await record('torch-ddp', s, () => torch(dir('lmo-0'), { processes: o.ddp, saveAt: { step: o.handoffAt, dir: dir('ddp-half') } }));
        await record('torch-ddp→lmo', s, () => lmoRun(model, data, s, { from: dir('ddp-half') }));
      }
      for (const seed of others) {
        const other = settings(name, seed);
        await record('lmo', other, () => lmoRun(model, data, other));
      }
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
