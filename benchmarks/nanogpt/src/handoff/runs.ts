/**
 * Runs on either side of a handoff, logged step by step: lmo training (from the seed or a bundle,
 * writing bundles on the way), and `torch/train_handoff.py` (one process, or DistributedDataParallel
 * under torchrun).
 */
import { createServer, type AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleRun, createTrainOptimizer, disposeOutcome, handoffOf, initParams, scheduleFor, trainWith, type CharDataset, type EvalRecord, type GptModel, type RunSettings } from '@lmo/gpt';
import { runProcess } from '../bench/torch-python.js';
import { resumeBundle, writeBundle } from './bundle.js';

/** The PyTorch side's training script. */
export const TRAIN_SCRIPT = fileURLToPath(new URL('../../torch/train_handoff.py', import.meta.url));

/** One training iteration: the batch's loss and the learning rate of its step. */
export interface IterRecord {
  readonly iter: number;
  readonly loss: number;
  readonly lr: number;
}

/** What a run logged. */
export interface RunLog {
  readonly iters: readonly IterRecord[];
  readonly evals: readonly EvalRecord[];
}

/** Writes the bundle of a run at step 0: the seed's weights and the optimizer's fresh state. */
export async function writeInitialBundle<T>(model: GptModel<T>, s: RunSettings, dir: string): Promise<void> {
  const training = await model.train(initParams(model.config, s.settings.seed), (params) => createTrainOptimizer(s.optimizer, model.tensors, params, s.lr, scheduleFor(s.optimizer, s.settings.iters)), s.settings.batchSize);
  try {
    writeBundle(dir, bundleRun(s, [], model.name), await handoffOf(model, training.params, training.optimizer, s));
  } finally {
    await training.dispose();
  }
}

/**
 * Trains in lmo from the seed (or from the bundle in `from`, whose run it then is), logging every
 * iteration; writes a bundle at each step of `bundles` (`{ step: dir }`) and stops after `stopAt`.
 */
export async function lmoRun<T>(
  model: GptModel<T>,
  data: CharDataset,
  s: RunSettings,
  o: { readonly from?: string; readonly bundles?: Readonly<Record<number, string>>; readonly stopAt?: number } = {},
): Promise<RunLog & { readonly settings: RunSettings }> {
  const resumed = o.from === undefined ? undefined : resumeBundle(o.from, s.dataHash);
  const run = resumed ?? s;
  const iters: IterRecord[] = [];
  const out = await trainWith(
    model,
    data,
    run.optimizer,
    run.lr,
    run.settings,
    (live) => ({
      onIter: (iter, loss, lr) => iters.push({ iter, loss, lr }),
      afterStep: async (step, state) => {
        const dir = o.bundles?.[step];
        if (dir !== undefined) writeBundle(dir, bundleRun(run, state.evals, model.name), await handoffOf(model, live.params, live.optimizer, run));
      },
      shouldStop: () => o.stopAt !== undefined && iters.length > 0 && iters[iters.length - 1]!.iter + 1 >= o.stopAt,
    }),
    resumed?.resume,
  );
  await disposeOutcome(out);
  return { iters, evals: out.result.evals, settings: run };
}

/** How to run the PyTorch side. */
export interface TorchRunOptions {
  /** The Python that has torch. */
  readonly python: string;
  /** The bundle to continue from, and where to write the one at the end. */
  readonly from: string;
  readonly out: string;
  /** The corpus file. */
  readonly data: string;
  /** Processes under torchrun (DistributedDataParallel); 1: a plain process. */
  readonly processes?: number;
  /** Train up to this iteration (default the run's). */
  readonly iters?: number;
  /** Also write a bundle at this step, into this folder. */
  readonly saveAt?: { readonly step: number; readonly dir: string };
  /** Newton–Schulz precision (default float32, as lmo). */
  readonly nsDtype?: 'float32' | 'bfloat16';
  readonly threads?: number;
}

/** A TCP port free on this machine now (for the processes of one DDP run to meet on). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * The command line of a PyTorch run: `torchrun` for several processes, meeting on `port` (torchrun's
 * default port, and `--standalone`'s, are fixed, so two runs at once on one machine would collide).
 */
export function torchCommand(o: TorchRunOptions, log: string, port = 29500): string[] {
  const args = [TRAIN_SCRIPT, o.from, '--out', o.out, '--data', o.data, '--log', log];
  if (o.iters !== undefined) args.push('--iters', String(o.iters));
  if (o.saveAt !== undefined) args.push('--save-at', String(o.saveAt.step), '--save-to', o.saveAt.dir);
  if (o.nsDtype !== undefined) args.push('--ns-dtype', o.nsDtype);
  if (o.threads !== undefined) args.push('--threads', String(o.threads));
  const n = o.processes ?? 1;
  if (n === 1) return [o.python, ...args];
  // Debian's torchrun under Python 3.11 cannot parse its default "--redirects 0" / "--tee 0": give them explicitly.
  return [o.python, '-m', 'torch.distributed.run', '--master_addr', '127.0.0.1', '--master_port', String(port), '--redirects', '1', '--tee', '1', '--nproc_per_node', String(n), ...args];
}

/** Runs the PyTorch side and returns what it logged; a failure is an error with the end of its stderr. */
export async function torchRun(o: TorchRunOptions): Promise<RunLog> {
  const dir = mkdtempSync(join(tmpdir(), 'nanogpt-torch-log-'));
  const log = join(dir, 'log.jsonl');
  const [cmd, ...args] = torchCommand(o, log, (o.processes ?? 1) > 1 ? await freePort() : undefined);
  try {
    await runProcess(cmd!, args, { env: { ...process.env, OMP_WAIT_POLICY: 'PASSIVE' }, tail: 8 });
    const records = readFileSync(log, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { kind: string } & Record<string, number>);
    return {
      iters: records.filter((r) => r.kind === 'iter').map(({ iter, loss, lr }) => ({ iter: iter!, loss: loss!, lr: lr! })),
      evals: records.filter((r) => r.kind === 'eval').map(({ iter, train_loss, val_loss, lr, ms_per_iter }) => ({ iter: iter!, train_loss: train_loss!, val_loss: val_loss!, lr: lr!, ms_per_iter: ms_per_iter! })),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
