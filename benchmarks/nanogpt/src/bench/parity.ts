import { relativeError } from '@lmo/core/testing';
import { type GPTConfig, initParams, BatchSampler, type CharDataset, createTrainOptimizer, nanoGptSchedule, OPTIMIZERS, type OptimizerName, batchSeeds, recording, type ParamMap } from '@lmo/gpt';
import { createModel, type BackendName } from '@lmo/gpt/node';

/** Per-step record of one backend's trajectory. */
interface Trajectory {
  readonly backend: string;
  readonly losses: number[];
  readonly grads: Array<Map<string, Float32Array>>;
}

/** Parity of one backend against the reference. */
export interface ParityRow {
  readonly backend: string;
  /** Loss at each step (before that step's update). */
  readonly losses: number[];
  /** |loss − reference loss| per step. */
  readonly loss_diff: number[];
  /** Per parameter: the largest, over the steps, of max|g − g_ref| / max|g_ref|. */
  readonly grad_rel_err: Record<string, number>;
  readonly max_grad_rel_err_step0: number;
  readonly max_grad_rel_err: number;
  readonly max_loss_diff: number;
  readonly ok: boolean;
}

export interface ParitySettings {
  readonly backends: readonly BackendName[];
  readonly optimizer: OptimizerName;
  readonly steps: number;
  readonly batchSize: number;
  readonly seed: number;
  /** Tolerances (fp32): loss difference per step, gradient error at step 0 and over all steps. */
  readonly lossTol: number;
  readonly gradTol0: number;
  readonly gradTol: number;
}

/** Same seed, same batches, `steps` optimizer steps; records losses and gradients at each step. */
async function trajectory(name: BackendName, data: CharDataset, config: GPTConfig, s: ParitySettings): Promise<Trajectory> {
  const model = await createModel(name, config);
  // Fresh gradients to every optimizer, read before it steps (ScionLight adds them into its buffers within the step).
  const build = (params: ParamMap<unknown>) => recording(model.tensors, createTrainOptimizer(s.optimizer, model.tensors, params, OPTIMIZERS[s.optimizer].lr, nanoGptSchedule(s.steps, 0)));
  const training = await model.train(initParams(config, s.seed), build, s.batchSize);
  const sampler = new BatchSampler(data.train, s.batchSize, config.blockSize, batchSeeds(s.seed).train);
  const losses: number[] = [];
  try {
    for (let i = 0; i < s.steps; i++) losses.push(await training.step(sampler.next()));
  } finally {
    await training.dispose();
    await model.dispose();
  }
  return { backend: model.name, losses, grads: training.optimizer.grads };
}

/** The reference's losses and one row per compared backend. */
export interface ParityResult {
  readonly reference_losses: number[];
  readonly rows: ParityRow[];
}

/** Runs the reference and every other backend from the same start and compares them step by step. */
export async function parityBench(data: CharDataset, config: GPTConfig, s: ParitySettings, log: (l: string) => void): Promise<ParityResult> {
  const ref = await trajectory('reference', data, config, s);
  log(`reference: losses ${ref.losses.map((l) => l.toFixed(5)).join(', ')}`);
  const rows: ParityRow[] = [];
  for (const name of s.backends) {
    if (name === 'reference') continue;
    const t = await trajectory(name, data, config, s);
    const lossDiff = t.losses.map((l, i) => Math.abs(l - ref.losses[i]!));
    const perParam: Record<string, number> = {};
    let step0 = 0;
    t.grads.forEach((gs, step) => {
      for (const [k, g] of gs) {
        const e = relativeError(g, ref.grads[step]!.get(k)!);
        perParam[k] = Math.max(perParam[k] ?? 0, e);
        if (step === 0) step0 = Math.max(step0, e);
      }
    });
    const maxGrad = Math.max(...Object.values(perParam));
    const maxLoss = Math.max(...lossDiff);
    const ok = maxLoss <= s.lossTol && step0 <= s.gradTol0 && maxGrad <= s.gradTol;
    rows.push({
      backend: t.backend,
      losses: t.losses,
      loss_diff: lossDiff,
      grad_rel_err: perParam,
      max_grad_rel_err_step0: step0,
      max_grad_rel_err: maxGrad,
      max_loss_diff: maxLoss,
      ok,
    });
    log(
      `${t.backend}: losses ${t.losses.map((l) => l.toFixed(5)).join(', ')}\n` +
        `  max |Δloss| ${maxLoss.toExponential(2)} (tol ${s.lossTol}), max grad rel err step 0 ${step0.toExponential(2)} (tol ${s.gradTol0}), ` +
        `all steps ${maxGrad.toExponential(2)} (tol ${s.gradTol}) → ${ok ? 'OK' : 'BEYOND TOLERANCE'}`,
    );
    const worst = Object.entries(perParam).sort((a, b) => b[1] - a[1]).slice(0, 3);
    log(`  worst parameters: ${worst.map(([k, v]) => `${k} ${v.toExponential(2)}`).join(', ')}`);
  }
  return { reference_losses: ref.losses, rows };
}
