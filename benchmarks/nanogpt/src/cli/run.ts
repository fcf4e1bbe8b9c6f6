import { resolve } from 'node:path';
import { PACKAGE_DIR } from '../data/locate.js';
import { paramCount, type GPTConfig } from '../model/config.js';
import { createModelBackend, isBackendName, BACKENDS } from '../model/registry.js';
import { readBuffers } from '../optim/buffers.js';
import { OPTIMIZERS } from '../optim/factory.js';
import { peakRssMb, type SummaryRecord } from '../report/jsonl.js';
import { barStream, progressHooks, restoreTerminal } from '../report/progress.js';
import { CHECKPOINT_FORMAT, CHECKPOINT_VERSION, loadCheckpoint, saveCheckpoint, type Checkpoint } from '../run/checkpoint.js';
import { RunOutputs } from '../run/outputs.js';
import { checkOutputs, claimNewRunDir, clearRun, defaultRunName, ensureDirectory, holdsRun, readRunRecord, runPaths, writeRunRecord } from '../run/run-dir.js';
import { checkFits } from '../run/size-check.js';
import { exitCodeFor, StopRequests, type StopReason } from '../run/stop.js';
import { disposeOutcome, optimizerName, prepare, trainWith, type LiveRun, type Resume, type RunOutcome } from '../train/experiment.js';
import { sampleText } from '../train/sample.js';
import { DivergedError, type TrainResult, type TrainSettings, type TrainStart } from '../train/trainer.js';
import { UsageError } from '../util/errors.js';
import { typedPath } from '../util/shell.js';
import { RESUME_FLAGS, type RunOptions } from './options.js';

/** The generated text goes beside the plot: `x.svg` → `x.sample.txt`. */
export function samplePath(svg: string): string {
  return svg.replace(/\.svg$/i, '') + '.sample.txt';
}

/** The options of a new run with every path absolute (relative to the working directory). */
function absolutePaths(o: RunOptions): RunOptions {
  const abs = (p: string | undefined): string | undefined => (p === undefined ? undefined : resolve(p));
  return { ...o, data: abs(o.data), json: abs(o.json), plot: abs(o.plot), out: abs(o.out), resume: undefined, force: undefined };
}

/** With `--resume DIR`: the options the run was started with (only `--no-progress` may be added). */
function resumedOptions(cli: RunOptions, explicit: ReadonlySet<string>): { o: RunOptions; dir: string } {
  const dir = resolve(cli.resume!);
  const extra = [...explicit].filter((k) => !RESUME_FLAGS.has(k));
  if (extra.length > 0) {
    const flag = `--${extra[0]!.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
    throw new UsageError(`--resume continues a run with the options it was started with; ${flag} cannot be changed (drop it)`);
  }
  const record = readRunRecord<RunOptions>(dir);
  return { o: { ...record.options, progress: cli.progress, out: dir }, dir };
}

/** Everything `pnpm nanogpt` does after parsing; returns the exit code. Bad input throws before anything is written. */
export async function runNanogpt(cli: RunOptions, explicit: ReadonlySet<string>, command: string): Promise<number> {
  // ---- validate everything first: nothing is written when the input is bad ----
  const resuming = cli.resume !== undefined;
  const { o, dir: resumeDir } = resuming ? resumedOptions(cli, explicit) : { o: absolutePaths(cli), dir: undefined };
  if (!isBackendName(o.backend)) throw new UsageError(`unknown backend "${o.backend}" (choose one of: ${BACKENDS.join(', ')})`);
  const names = [optimizerName(o.optimizer)];
  if (o.compare !== undefined) {
    const other = optimizerName(o.compare);
    if (other === names[0]) throw new UsageError(`--compare ${other} is the same optimizer as --optimizer`);
    names.push(other);
  }
  if (o.compare !== undefined && o.lr !== undefined) {
    throw new UsageError('--lr applies to one optimizer; with --compare each uses its default lr (run them separately to set both)');
  }
  let dir = resumeDir ?? o.out;
  if (!resuming && dir !== undefined && holdsRun(dir) && cli.force !== true) {
    throw new UsageError(`--out ${dir} already holds a run: --resume ${dir} continues it, --force starts it over`);
  }
  const base = resolve(PACKAGE_DIR, 'out');
  const name = defaultRunName(names, o.backend, o.seed);
  checkOutputs(runPaths(dir ?? resolve(base, name), o.json, o.plot), names, resuming || cli.force === true);
  const { data, source, config } = await prepare(o.data, { nLayer: o.nLayer, nHead: o.nHead, nEmbd: o.nEmbd, blockSize: o.blockSize });
  checkFits(config, o.batchSize);
  const model = await createModelBackend(o.backend, config);

  // ---- the run directory ----
  if (dir === undefined) dir = claimNewRunDir(base, name);
  else ensureDirectory(dir, `the run directory ${dir}`);
  const paths = runPaths(dir, o.json, o.plot);
  if (!resuming) {
    if (cli.force === true && holdsRun(dir)) clearRun(paths);
    writeRunRecord(paths, command, { ...o, out: dir });
  }
  const settings: TrainSettings = { iters: o.iters, batchSize: o.batchSize, evalEvery: o.evalEvery, evalIters: o.evalIters, seed: o.seed };
  const outputs = new RunOutputs(paths, `nanoGPT shakespeare_char on ${model.name}: ${names.join(' vs ')} (seed ${o.seed})`, names);
  const bar = barStream(o.progress);
  const again = (reason: StopReason): string => (reason === 'SIGINT' ? 'a second Ctrl-C' : 'a second signal');
  const continueWith = `pnpm nanogpt --resume ${typedPath(dir)}`;
  let stopProgress = (): void => {};
  const stop = new StopRequests(
    (reason) => {
      stopProgress();
      restoreTerminal(bar);
      process.stderr.write(`nanogpt: ${reason}: stopping after this step with a final checkpoint (${again(reason)} stops at once)\n`);
    },
    (reason) => {
      stopProgress();
      restoreTerminal(bar);
      process.stderr.write(`nanogpt: ${reason} again: stopped at once (the last checkpoint stays); continue with: ${continueWith}\n`);
    },
  );

  console.log(
    `nanogpt: ${data.train.length + data.val.length} characters from ${source.path} (${source.how}), vocab ${data.vocabSize}; ` +
      `GPT ${config.nLayer} layers × ${config.nHead} heads × ${config.nEmbd} wide, block ${config.blockSize}, ` +
      `${(paramCount(config) / 1e6).toFixed(2)}M parameters; batch ${o.batchSize}, ${o.iters} iterations; backend ${model.name}; run ${dir}`,
  );
  const outcomes: RunOutcome<unknown>[] = [];
  const restored: Array<Map<string, unknown>> = [];
  try {
    for (const opt of names) {
      const ckPath = paths.checkpoint(opt);
      const ck = resuming ? loadCheckpoint(ckPath) : undefined;
      if (ck !== undefined) checkMatches(ck, opt, model.name, o, config);
      if (ck?.finished === true) {
        // Trained before the interruption: its outputs and final weights (for the sample) come back.
        for (const e of ck.evals) outputs.addEval(opt, e);
        if (ck.summary) outputs.addSummary(ck.summary);
        restored.push(model.createParams(new Map(Object.entries(ck.weights))));
        continue;
      }
      if (ck !== undefined) {
        for (const e of ck.evals) outputs.addEval(opt, e);
        console.log(`${opt}: resuming at step ${ck.step} of ${o.iters} from ${ckPath}`);
      }
      const resume: Resume | undefined = ck && { start: { step: ck.step, evals: ck.evals, timing: ck.timing }, weights: ck.weights, optimizerState: ck.optimizer_state };
      const lr = names.length === 1 ? o.lr : undefined;
      const progress = progressHooks(opt, o.iters, bar);
      stopProgress = () => progress.stop();
      let last: Omit<Checkpoint, 'finished' | 'evals' | 'timing' | 'summary'> | undefined;
      const save = async (live: LiveRun<unknown>, state: TrainStart, baseLr: number): Promise<void> => {
        last = {
          format: CHECKPOINT_FORMAT, version: CHECKPOINT_VERSION, optimizer: opt, backend: model.name, lr: baseLr, seed: o.seed, iters: o.iters,
          config, batch_size: o.batchSize, step: state.step, weights: await readBuffers(model.tensors, live.params), optimizer_state: await live.optimizer.saveState(),
        };
        saveCheckpoint(ckPath, { ...last, finished: false, evals: [...state.evals], timing: state.timing });
      };
      let outcome: RunOutcome<unknown>;
      try {
        outcome = await trainWith(model, data, opt, lr, settings, (live) => ({
          ...progress,
          onEval(r) {
            progress.onEval?.(r);
            outputs.addEval(opt, r);
            outputs.flush();
          },
          async afterStep(step, state) {
            // Let the event loop run once per step: a synchronous backend would otherwise never
            // deliver a signal (or the parent check) while it trains.
            await new Promise((r) => setImmediate(r));
            if ((o.saveEvery > 0 && step % o.saveEvery === 0) || step === o.iters || stop.requested !== undefined) {
              await save(live, state, lr ?? OPTIMIZERS[opt].lr);
            }
          },
          shouldStop: () => stop.requested !== undefined,
        }), resume).finally(() => progress.stop());
      } catch (e) {
        if (!(e instanceof DivergedError)) throw e;
        outputs.flush();
        process.stderr.write(`nanogpt: ${opt} diverged: ${e.message}; kept ${paths.metrics}, ${paths.plot} and the last checkpoint ${ckPath}\n`);
        return 1;
      }
      outcomes.push(outcome);
      const r = outcome.result;
      if (r.stopped) {
        outputs.flush();
        stop.announce();
        const reason = stop.requested ?? 'SIGTERM';
        console.log(`${opt}: stopped at step ${r.step} of ${o.iters} (${reason}); checkpoint ${typedPath(ckPath)}\ncontinue with: ${continueWith}`);
        return exitCodeFor(reason);
      }
      const summary = summaryOf(model.name, opt, outcome.lr, o, config, r);
      outputs.addSummary(summary);
      outputs.flush();
      if (last !== undefined) saveCheckpoint(ckPath, { ...last, finished: true, evals: r.evals, timing: r.timing, summary });
      else await save({ params: outcome.params, optimizer: outcome.trained }, { step: r.step, evals: r.evals, timing: r.timing }, outcome.lr);
      console.log(
        `${opt}: final val loss ${r.finalValLoss.toFixed(4)} (best ${r.bestValLoss.toFixed(4)}), ` +
          `${r.msFwdBwd.toFixed(1)} ms fwd+bwd + ${r.msOptimizer.toFixed(1)} ms optimizer per iteration, ` +
          `${r.tokensPerS.toFixed(0)} tokens/s, ${r.trainSeconds.toFixed(0)} s in all`,
      );
    }

    const firstParams = restored[0] ?? outcomes[0]?.params;
    if (o.sample > 0 && firstParams !== undefined && stop.requested === undefined) {
      const text = await sampleText(model, firstParams, data, o.sample, o.seed);
      console.log(`\n---- sample (${names[0]}, temperature 0.8) ----\n${text}\n----`);
      outputs.writeSample(text);
    }
    outputs.flush();
    console.log(`plot: ${paths.plot}${o.sample > 0 ? `\nsample: ${paths.sample}` : ''}\njson: ${paths.metrics}\nrun: ${dir}`);
    return stop.requested !== undefined ? exitCodeFor(stop.requested) : 0;
  } finally {
    stop.dispose();
    for (const out of outcomes) disposeOutcome(model, out);
    for (const p of restored) for (const t of p.values()) model.tensors.dispose(t);
    model.dispose();
  }
}

/** A checkpoint must belong to this run (it always does unless files were moved around). */
function checkMatches(ck: Checkpoint, opt: string, backend: string, o: RunOptions, config: GPTConfig): void {
  const same = ck.optimizer === opt && ck.backend === backend && ck.seed === o.seed && ck.iters === o.iters && ck.batch_size === o.batchSize &&
    JSON.stringify(ck.config) === JSON.stringify(config);
  if (!same) throw new UsageError(`checkpoint of ${ck.optimizer} on ${ck.backend} does not match this run (${opt} on ${backend}, its run.json): was it moved from another run?`);
}

function summaryOf(backend: string, optimizer: string, lr: number, o: RunOptions, config: GPTConfig, r: TrainResult): SummaryRecord {
  const round = (v: number): number => Math.round(v * 100) / 100;
  return {
    summary: true, backend, optimizer, lr, seed: o.seed, iters: o.iters,
    final_val_loss: r.finalValLoss, best_val_loss: r.bestValLoss, tokens_per_s: Math.round(r.tokensPerS),
    ms_fwd_bwd: round(r.msFwdBwd), ms_optimizer: round(r.msOptimizer), peak_rss_mb: peakRssMb(),
    n_layer: config.nLayer, n_head: config.nHead, n_embd: config.nEmbd, block_size: config.blockSize,
    batch_size: o.batchSize, eval_every: o.evalEvery, eval_iters: o.evalIters,
  };
}
