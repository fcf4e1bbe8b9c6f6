import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { PACKAGE_DIR } from '../package-dir.js';
import { isBundle, readBundle, resumeBundle } from '../handoff/bundle.js';
import { adoptBundle } from '../handoff/run-dir.js';
import { convertSaved, requireDtype, storageLabel, trainStorage, type TrainStorage, gptConfig, paramCount, type GPTConfig, readBuffers, OPTIMIZERS, type OptimizerName, checkLoads, disposeOutcome, optimizerName, trainWith, type LiveRun, type GptSession, type Resume, type RunOutcome, sampleText, DivergedError, type TrainResult, type TrainSettings, type TrainStart } from '@lmo/gpt';
import { BACKENDS, checkFits, createModel, isBackendName, prepareCorpus } from '@lmo/gpt/node';
import { exitCodeFor, StopRequests, type StopReason } from '@lmo/core/node';
import { peakRssMb, type SummaryRecord } from '../report/jsonl.js';
import { barStream, progressHooks } from '../report/progress.js';
import { nonFinite } from '../run/checkpoint-check.js';
import { saveCheckpoint, type Checkpoint, type LoadedCheckpoint } from '../run/checkpoint.js';
import { CHANGEABLE_OPTIONS, describeDifference, type Difference, type RunIdentity } from '../run/identity.js';
import { RunOutputs } from '../run/outputs.js';
import { checkOutputs, claimNewRunDir, clearRun, defaultRunName, ensureDirectory, holdsRun, lockRunDir, newRunRecord, runPaths, writeRunRecord, type RunPaths } from '../run/run-dir.js';
import { UsageError } from '../util/errors.js';
import { typedPath } from '../util/shell.js';
import type { RunOptions } from './options.js';
import { checkResume, identityFor, resumePlan, type ResumePlan, type Resumed } from './resume.js';

/** The options of a new run with every path absolute (relative to the working directory). */
function absolutePaths(o: RunOptions): RunOptions {
  const abs = (p: string | undefined): string | undefined => (p === undefined ? undefined : resolve(p));
  return { ...o, data: abs(o.data), json: abs(o.json), plot: abs(o.plot), out: abs(o.out), resume: undefined, force: undefined, acceptChanges: undefined };
}

/**
 * Everything `pnpm nanogpt` does after parsing; returns the exit code. Bad input throws a
 * {@link UsageError} before anything is written; signals stop the run at a step boundary.
 */
export async function runNanogpt(cli: RunOptions, explicit: ReadonlySet<string>, command: string): Promise<number> {
  const bar = barStream(cli.progress);
  const again = (reason: StopReason): string => (reason === 'SIGINT' ? 'a second Ctrl-C' : 'a second signal');
  const ui = { stopProgress: (): void => {}, continueWith: undefined as string | undefined };
  const stop = new StopRequests({
    onRequest(reason) {
      ui.stopProgress();
      process.stderr.write(`nanogpt: ${reason}: stopping after this step with a final checkpoint (${again(reason)} stops at once)\n`);
    },
    onForce(reason) {
      ui.stopProgress();
      const next = ui.continueWith ? `; continue with: ${ui.continueWith}` : '';
      process.stderr.write(`nanogpt: ${reason} again: stopped at once (the last checkpoint stays)${next}\n`);
    },
  });
  try {
    return await run(cli, explicit, command, { stop, bar, ui });
  } finally {
    stop.dispose();
  }
}

interface Session {
  readonly stop: StopRequests;
  readonly bar: NodeJS.WriteStream | undefined;
  readonly ui: { stopProgress: () => void; continueWith: string | undefined };
}

async function run(cli: RunOptions, explicit: ReadonlySet<string>, command: string, { stop, bar, ui }: Session): Promise<number> {
  // ---- validate everything first: nothing is written when the input is bad ----
  // A handoff bundle PyTorch wrote becomes a run directory first (checked completely before).
  if (cli.resume !== undefined && isBundle(resolve(cli.resume)) && !holdsRun(resolve(cli.resume))) await adopt(resolve(cli.resume), cli, explicit, command);
  const plan: ResumePlan | undefined = cli.resume !== undefined ? resumePlan(cli, explicit) : undefined;
  if (plan === undefined && cli.acceptChanges === true) throw new UsageError('--accept-changes goes with --resume (it accepts what changed since the last checkpoint)');
  const o = plan?.options ?? absolutePaths(cli);
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
  const storage = trainStorage(o.dtype, o.compensation);
  const force = plan === undefined && cli.force === true;
  const refuseHeld = (dir: string): void => {
    const d = typedPath(dir);
    if (plan === undefined && !force && holdsRun(dir)) throw new UsageError(`--out ${d} already holds a run: --resume ${d} continues it, --force starts it over`);
  };
  if (o.out !== undefined) refuseHeld(o.out);
  const base = resolve(PACKAGE_DIR, 'out');
  const name = defaultRunName(names, o.backend, o.seed);
  checkOutputs(runPaths(plan?.dir ?? o.out ?? resolve(base, name), o.json, o.plot), names, plan !== undefined || force);
  const { data, source, config, fingerprint } = await prepareCorpus(o.data, { nLayer: o.nLayer, nHead: o.nHead, nEmbd: o.nEmbd, blockSize: o.blockSize });
  checkFits(config, o.batchSize, o.backend);
  const model = await createModel(o.backend, config);
  const outcomes: RunOutcome<unknown>[] = [];
  const restored: Array<GptSession<unknown>> = [];
  try {
    requireDtype(model, storage.dtype);
    if (stop.requested !== undefined) {
      stop.announce();
      console.log('nanogpt: stopped before training began; nothing was written');
      return exitCodeFor(stop.requested);
    }

    // ---- the run directory, locked: no other run works in it until this one ends ----
    const dir = plan?.dir ?? o.out ?? claimNewRunDir(base, name);
    if (dir === o.out) ensureDirectory(dir, `the run directory ${dir}`);
    const lock = lockRunDir(dir, plan !== undefined ? `--resume ${typedPath(dir)}` : o.out !== undefined ? `--out ${typedPath(dir)}` : 'the run directory');
    try {
      refuseHeld(dir); // again, holding the lock: a run started at the same instant may have claimed it
      const paths = runPaths(dir, o.json, o.plot);
      const lrOf = (opt: OptimizerName): number => (names.length === 1 ? o.lr : undefined) ?? OPTIMIZERS[opt].lr;
      const identity = (opt: OptimizerName): RunIdentity => identityFor(o, opt, lrOf(opt), model.name, config, fingerprint);
      // Every checkpoint is checked before anything trains or is written.
      const resumed = new Map<OptimizerName, Resumed>();
      if (plan !== undefined) {
        for (const opt of names) {
          const r = checkResume(paths.checkpoint(opt), identity(opt), plan, source.path);
          if (r === undefined) continue;
          const c = r.checkpoint;
          if (o.stopAt !== undefined && o.stopAt <= c.step) throw new UsageError(`--stop-at ${o.stopAt}: ${typedPath(c.file)} is already at step ${c.step}`);
          const stored = restore(r, storage);
          await checkLoads(model, opt, lrOf(opt), o.iters, { start: c, weights: stored.weights, optimizerState: stored.optimizer_state, source: typedPath(c.file) }, storage);
          resumed.set(opt, { ...r, checkpoint: stored });
        }
        recordChanges(paths, plan, command, resumed);
      } else {
        if (force && holdsRun(dir)) clearRun(paths);
        writeRunRecord(paths, newRunRecord(command, { ...o, out: dir, stopAt: undefined })); // --stop-at holds for this command only
      }
      ui.continueWith = `pnpm nanogpt --resume ${typedPath(dir)}`;

      const settings: TrainSettings = { iters: o.iters, batchSize: o.batchSize, evalEvery: o.evalEvery, evalIters: o.evalIters, seed: o.seed, storage };
      const storageSuffix = storage.dtype === 'float32' ? '' : `, ${storageLabel(storage)}`;
      const outputs = new RunOutputs(paths, `nanoGPT shakespeare_char on ${model.name}: ${names.join(' vs ')} (seed ${o.seed}${storageSuffix})`, names);
      console.log(
        `nanogpt: ${data.train.length + data.val.length} characters from ${source.path} (${source.how}), vocab ${data.vocabSize}; ` +
          `GPT ${config.nLayer} layers × ${config.nHead} heads × ${config.nEmbd} wide, block ${config.blockSize}, ` +
          `${(paramCount(config) / 1e6).toFixed(2)}M parameters; batch ${o.batchSize}, ${o.iters} iterations; backend ${model.name}, weights and optimizer buffers ${storageLabel(storage)}; run ${dir}`,
      );
      for (const opt of names) {
        const ckPath = paths.checkpoint(opt);
        const found = resumed.get(opt);
        const ck = found?.checkpoint;
        if (ck?.finished === true && ck.step === o.iters) {
          // Trained before the interruption: its outputs and final weights (for the sample) come back.
          for (const e of ck.evals) outputs.addEval(opt, e);
          if (ck.summary) outputs.addSummary(ck.summary);
          restored.push(await model.session(new Map(Object.entries(ck.weights))));
          continue;
        }
        if (ck !== undefined) {
          const changes = found!.changes.length > 0 ? ` with ${found!.changes.map(describeDifference).join(', ')}` : '';
          console.log(`${opt}: resuming at step ${ck.step} of ${o.iters}${changes} from ${typedPath(ck.file)}${storageNote(found!.changes)}`);
        }
        // A finished run continued to more iterations evaluates its last step again (the same
        // numbers) where that step is on the evaluation schedule.
        const evals = ck?.finished === true && ck.step % o.evalEvery === 0 ? ck.evals.filter((e) => e.iter < ck.step) : ck?.evals;
        const resume: Resume | undefined = ck && { start: { step: ck.step, evals: evals!, timing: ck.timing }, weights: ck.weights, optimizerState: ck.optimizer_state, source: typedPath(ck.file) };
        for (const e of resume?.start.evals ?? []) outputs.addEval(opt, e);
        const progress = progressHooks(opt, o.iters, bar);
        ui.stopProgress = () => progress.stop(true); // a signal: the bar stays as it was, the messages go below it
        const id = identity(opt);
        let last: Omit<Checkpoint, 'finished' | 'evals' | 'timing' | 'summary'> | undefined;
        const save = async (live: LiveRun<unknown>, state: TrainStart): Promise<void> => {
          const weights = await readBuffers(model.tensors, live.params);
          // Weights that are no longer finite are a diverged run, not a checkpoint: the last good one stays.
          const bad = nonFinite(weights);
          if (bad !== undefined) throw new DivergedError(state.step, `${bad.name}[${bad.index}] (${bad.value})`);
          last = { ...id, step: state.step, weights, optimizer_state: await live.optimizer.saveState() };
          saveCheckpoint(ckPath, { ...last, finished: false, evals: [...state.evals], timing: state.timing });
        };
        let outcome: RunOutcome<unknown>;
        let stepsDone = resume?.start.step ?? 0;
        try {
          outcome = await trainWith(model, data, opt, lrOf(opt), settings, (live) => ({
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
              stepsDone = step;
              if ((o.saveEvery > 0 && step % o.saveEvery === 0) || step === o.iters || step === o.stopAt || stop.requested !== undefined) await save(live, state);
            },
            shouldStop: () => stop.requested !== undefined || stepsDone === o.stopAt,
          }), resume).finally(() => progress.stop());
        } catch (e) {
          if (!(e instanceof DivergedError)) throw e;
          outputs.flush();
          process.stderr.write(`nanogpt: ${opt} diverged: ${e.message}; kept ${paths.metrics}, ${paths.plot} and the last checkpoint ${ckPath}\n`);
          return 1;
        }
        outcomes.push(outcome);
        const r = outcome.result;
        if (r.stopped && stop.requested === undefined) {
          outputs.flush();
          console.log(`${opt}: stopped at step ${r.step} of ${o.iters} (--stop-at); checkpoint ${typedPath(ckPath)}\ncontinue with: ${ui.continueWith}, or hand the run to PyTorch: pnpm nanogpt export-torch ${typedPath(dir)}`);
          continue;
        }
        if (r.stopped) {
          outputs.flush();
          stop.announce();
          const reason = stop.requested ?? 'SIGTERM';
          console.log(`${opt}: stopped at step ${r.step} of ${o.iters} (${reason}); checkpoint ${typedPath(ckPath)}\ncontinue with: ${ui.continueWith}`);
          return exitCodeFor(reason);
        }
        const summary = summaryOf(model.name, opt, outcome.lr, o, config, r, storage);
        outputs.addSummary(summary);
        outputs.flush();
        if (last === undefined) await save(outcome.training, { step: r.step, evals: r.evals, timing: r.timing });
        saveCheckpoint(ckPath, { ...last!, finished: true, evals: r.evals, timing: r.timing, summary });
        console.log(
          `${opt}${storageSuffix}: final val loss ${r.finalValLoss.toFixed(4)} (best ${r.bestValLoss.toFixed(4)}), ` +
            `${r.msFwdBwd.toFixed(1)} ms fwd+bwd + ${r.msOptimizer.toFixed(1)} ms optimizer per iteration, ` +
            `${r.tokensPerS.toFixed(0)} tokens/s, ${r.trainSeconds.toFixed(0)} s in all`,
        );
      }

      const first = restored[0] ?? outcomes[0]?.training;
      const stoppedAt = outcomes.some((out) => out.result.stopped);
      if (o.sample > 0 && first !== undefined && stop.requested === undefined && !stoppedAt) {
        const text = await sampleText(first, data, o.sample, o.seed);
        console.log(`\n---- sample (${names[0]}, temperature 0.8) ----\n${text}\n----`);
        outputs.writeSample(text);
      }
      outputs.flush();
      console.log(`plot: ${paths.plot}${o.sample > 0 && !stoppedAt ? `\nsample: ${paths.sample}` : ''}\njson: ${paths.metrics}\nrun: ${dir}`);
      stop.announce();
      return stop.requested !== undefined ? exitCodeFor(stop.requested) : 0;
    } finally {
      lock.release();
    }
  } finally {
    for (const out of outcomes) await disposeOutcome(out);
    for (const session of restored) await session.dispose();
    await model.dispose();
  }
}

/**
 * Makes the handoff bundle in `dir` a run directory (see {@link adoptBundle}): the bundle is read and
 * checked against the run it describes and the corpus this command trains on, then `run.json` and
 * the checkpoint are written beside its files, holding the directory's lock.
 */
async function adopt(dir: string, cli: RunOptions, explicit: ReadonlySet<string>, command: string): Promise<void> {
  // The corpus: --data, else where the bundle says it was (when it is there), else the usual places.
  const { run } = readBundle(dir);
  const recorded = run.data.path;
  const data = cli.data !== undefined ? resolve(cli.data) : recorded !== undefined && existsSync(recorded) ? recorded : undefined;
  const { data: dataset, source: corpus, fingerprint } = await prepareCorpus(data, gptConfig(run.config));
  const b = resumeBundle(dir, fingerprint.sha256);
  if (dataset.vocabSize !== b.config.vocabSize) throw new UsageError(`${typedPath(dir)}: its vocabulary has ${b.config.vocabSize} characters, the corpus ${dataset.vocabSize}`);
  const lock = lockRunDir(dir, `--resume ${typedPath(dir)}`);
  try {
    if (holdsRun(dir)) return; // a run started at the same instant adopted it
    const backend = explicit.has('backend') ? cli.backend : (b.backend ?? cli.backend);
    adoptBundle(dir, b, { ...absolutePaths(cli), backend, data: corpus.path }, fingerprint, command);
  } finally {
    lock.release();
  }
  console.log(`nanogpt: ${typedPath(dir)} is a handoff bundle at step ${b.resume.start.step} of ${b.settings.iters} (${b.optimizer}): it is now a run directory (run.json and ${typedPath(runPaths(dir).checkpoint(b.optimizer))} beside its files)`);
}

/**
 * A checkpoint to continue under `storage`: as it is when it was stored so, else (a change accepted
 * with `--accept-changes`) its weights and optimizer buffers converted ({@link convertSaved}).
 */
function restore(r: Resumed, storage: TrainStorage): LoadedCheckpoint {
  const c = r.checkpoint;
  if (!r.changes.some((d) => d.label === 'dtype' || d.label === 'compensation')) return c;
  const { weights, state } = convertSaved(c.weights, c.optimizer_state, storage);
  return { ...c, weights, optimizer_state: state };
}

/** What a storage change accepted on `--resume` did to the saved weights and buffers (see {@link convertSaved}). */
function storageNote(changes: readonly Difference[]): string {
  const dtype = changes.find((d) => d.label === 'dtype');
  const compensation = changes.find((d) => d.label === 'compensation');
  const notes = [
    ...(dtype ? [dtype.now === 'float32' ? 'the weights and optimizer buffers widened to float32 exactly' : `the weights and optimizer buffers rounded to ${String(dtype.now)}, to nearest even`] : []),
    ...(compensation?.was === 'kahan' ? ['the Kahan compensation folded into the weights'] : []),
    ...(compensation?.now === 'kahan' ? ['Kahan compensation buffers started from what rounding the weights left'] : []),
  ];
  return notes.length > 0 ? `; ${notes.join(', ')}` : '';
}

/** Records in run.json what `--resume` changed: the options it continues with, and each change. */
function recordChanges(paths: RunPaths, plan: ResumePlan, command: string, resumed: ReadonlyMap<string, Resumed>): void {
  const changed: Record<string, readonly [unknown, unknown]> = {};
  for (const r of resumed.values()) for (const d of r.changes) changed[d.label] = [d.was, d.now];
  const given = [...plan.given].filter((k) => !CHANGEABLE_OPTIONS.includes(k) && plan.record.options[k as keyof RunOptions] !== plan.options[k as keyof RunOptions]);
  for (const k of given) changed[k] ??= [plan.record.options[k as keyof RunOptions], plan.options[k as keyof RunOptions]];
  if (Object.keys(changed).length === 0) return;
  const step = Math.min(...[...resumed.values()].map((r) => r.checkpoint.step), Infinity);
  const options: RunOptions = { ...plan.options, progress: plan.record.options.progress, acceptChanges: undefined };
  const change = { at: new Date().toISOString(), command, step: Number.isFinite(step) ? step : 0, changed };
  writeRunRecord(paths, { ...plan.record, options, changes: [...(plan.record.changes ?? []), change] });
}

function summaryOf(backend: string, optimizer: string, lr: number, o: RunOptions, config: GPTConfig, r: TrainResult, storage: TrainStorage): SummaryRecord {
  const round = (v: number): number => Math.round(v * 100) / 100;
  return {
    summary: true, backend, optimizer, lr, seed: o.seed, iters: o.iters, dtype: storage.dtype, compensation: storage.compensation,
    final_val_loss: r.finalValLoss, best_val_loss: r.bestValLoss, tokens_per_s: Math.round(r.tokensPerS),
    ms_fwd_bwd: round(r.msFwdBwd), ms_optimizer: round(r.msOptimizer), peak_rss_mb: peakRssMb(),
    n_layer: config.nLayer, n_head: config.nHead, n_embd: config.nEmbd, block_size: config.blockSize,
    batch_size: o.batchSize, eval_every: o.evalEvery, eval_iters: o.evalIters,
  };
}
