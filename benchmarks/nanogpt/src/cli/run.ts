import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { PACKAGE_DIR } from '../data/locate.js';
import { paramCount } from '../model/config.js';
import { createModelBackend, isBackendName, BACKENDS } from '../model/registry.js';
import { JsonLines, peakRssMb, type SummaryRecord } from '../report/jsonl.js';
import { lineChartSvg, PALETTE, type Series } from '../report/plot-svg.js';
import { progressHooks } from '../report/progress.js';
import { disposeParams, optimizerName, prepare, trainWith, type RunOutcome } from '../train/experiment.js';
import { sampleText } from '../train/sample.js';
import type { TrainSettings } from '../train/trainer.js';
import { UsageError } from '../util/errors.js';
import type { RunOptions } from './options.js';

/** Where the SVG goes: --plot, else beside --json, else out/<optimizers>-<backend>.svg. */
function plotPath(o: RunOptions, names: string[]): string {
  if (o.plot !== undefined) return resolve(o.plot);
  if (o.json !== undefined) return resolve(o.json).replace(/\.[^./\\]*$/, '') + '.svg';
  return join(PACKAGE_DIR, 'out', `${names.join('-vs-')}-${o.backend}.svg`);
}

/** The generated text goes beside the plot: `x.svg` → `x.sample.txt`. */
export function samplePath(svg: string): string {
  return svg.replace(/\.svg$/i, '') + '.sample.txt';
}

/** Everything `pnpm nanogpt` does after parsing. Usage problems throw before anything is written. */
export async function runNanogpt(o: RunOptions): Promise<void> {
  // ---- validate everything first: nothing is written when the input is bad ----
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
  const { data, source, config } = await prepare(o.data, {
    nLayer: o.nLayer,
    nHead: o.nHead,
    nEmbd: o.nEmbd,
    blockSize: o.blockSize,
  });
  const model = await createModelBackend(o.backend, config);
  const settings: TrainSettings = {
    iters: o.iters,
    batchSize: o.batchSize,
    evalEvery: o.evalEvery,
    evalIters: o.evalIters,
    seed: o.seed,
  };

  // ---- run ----
  console.log(
    `nanogpt: ${data.train.length + data.val.length} characters from ${source.path} (${source.how}), vocab ${data.vocabSize}; ` +
      `GPT ${config.nLayer} layers × ${config.nHead} heads × ${config.nEmbd} wide, block ${config.blockSize}, ` +
      `${(paramCount(config) / 1e6).toFixed(2)}M parameters; batch ${o.batchSize}, ${o.iters} iterations; backend ${model.name}`,
  );
  const json = o.json !== undefined ? new JsonLines(resolve(o.json)) : undefined;
  const tty = o.progress && process.stdout.isTTY === true;
  const outcomes: RunOutcome<unknown>[] = [];
  try {
    for (const name of names) {
      const progress = progressHooks(name, o.iters, tty);
      const outcome = await trainWith(model, data, name, names.length === 1 ? o.lr : undefined, settings, {
        ...progress,
        onEval(r) {
          progress.onEval?.(r);
          json?.write({ ...r, optimizer: name });
        },
      }).finally(() => progress.stop());
      outcomes.push(outcome);
      const r = outcome.result;
      const summary: SummaryRecord = {
        summary: true,
        backend: model.name,
        optimizer: name,
        lr: outcome.lr,
        seed: o.seed,
        iters: o.iters,
        final_val_loss: r.finalValLoss,
        best_val_loss: r.bestValLoss,
        tokens_per_s: Math.round(r.tokensPerS),
        ms_fwd_bwd: round(r.msFwdBwd),
        ms_optimizer: round(r.msOptimizer),
        peak_rss_mb: peakRssMb(),
        n_layer: config.nLayer,
        n_head: config.nHead,
        n_embd: config.nEmbd,
        block_size: config.blockSize,
        batch_size: o.batchSize,
        eval_every: o.evalEvery,
        eval_iters: o.evalIters,
      };
      json?.write(summary);
      console.log(
        `${name}: final val loss ${r.finalValLoss.toFixed(4)} (best ${r.bestValLoss.toFixed(4)}), ` +
          `${r.msFwdBwd.toFixed(1)} ms fwd+bwd + ${r.msOptimizer.toFixed(1)} ms optimizer per iteration, ` +
          `${r.tokensPerS.toFixed(0)} tokens/s, ${r.trainSeconds.toFixed(0)} s in all`,
      );
    }

    const svgPath = plotPath(o, names);
    mkdirSync(dirname(svgPath), { recursive: true });
    let sampleFile: string | undefined;
    if (o.sample > 0) {
      const first = outcomes[0]!;
      const text = await sampleText(model, first.params, data, o.sample, o.seed);
      console.log(`\n---- sample (${first.optimizer}, temperature 0.8) ----\n${text}\n----`);
      sampleFile = samplePath(svgPath);
      writeFileSync(sampleFile, `${text}\n`);
    }

    const series: Series[] = outcomes.flatMap((out, i) => {
      const color = PALETTE[i % PALETTE.length]!;
      const ev = out.result.evals;
      return [
        { label: `${out.optimizer} val`, color, points: ev.map((e) => [e.iter, e.val_loss] as const) },
        { label: `${out.optimizer} train`, color, dashed: true, points: ev.map((e) => [e.iter, e.train_loss] as const) },
      ];
    });
    writeFileSync(
      svgPath,
      lineChartSvg(series, {
        title: `nanoGPT shakespeare_char on ${model.name}: ${names.join(' vs ')} (seed ${o.seed})`,
        xLabel: 'iteration',
        yLabel: 'loss (mean cross-entropy)',
      }),
    );
    console.log(`plot: ${svgPath}${sampleFile ? `\nsample: ${sampleFile}` : ''}${json ? `\njson: ${json.path}` : ''}`);
  } finally {
    for (const out of outcomes) disposeParams(model, out.params);
    model.dispose();
  }
}

function round(v: number): number {
  return Math.round(v * 100) / 100;
}
