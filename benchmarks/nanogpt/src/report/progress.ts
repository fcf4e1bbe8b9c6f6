import cliProgress from 'cli-progress';
import type { EvalRecord, TrainHooks } from '../train/trainer.js';

const f3 = (v: number): string => v.toFixed(4);

/**
 * A duration for humans, rounded to whole seconds first so that no field reaches 60:
 * `45s`, `2m05s`, `1h02m` (seconds dropped past an hour); `-` when unknown.
 */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '-';
  const total = Math.round(seconds);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (h > 0) return `${h}h${String(m).padStart(2, '0')}m`;
  if (m > 0) return `${m}m${String(s).padStart(2, '0')}s`;
  return `${s}s`;
}

function evalLine(label: string, r: EvalRecord): string {
  const ms = r.ms_per_iter > 0 ? `, ${r.ms_per_iter.toFixed(0)} ms/iter` : '';
  return `${label} step ${r.iter}: train loss ${f3(r.train_loss)}, val loss ${f3(r.val_loss)}, lr ${r.lr.toExponential(3)}${ms}`;
}

/**
 * Progress for one run: a bar with iteration, loss, tokens/s and ETA on a terminal; plain log
 * lines (every `every` iterations or 30 s, and at each evaluation) otherwise.
 */
export function progressHooks(label: string, iters: number, tty: boolean, startIter = 0, every = 50, stream?: NodeJS.WritableStream): TrainHooks & { stop(): void } {
  if (tty) {
    const bar = new cliProgress.SingleBar(
      {
        format: `${label} |{bar}| {value}/{total} | loss {loss} | {tps} tok/s | lr {lr} | ETA {eta_text} {status}`,
        barsize: 24,
        hideCursor: true,
        etaBuffer: 50,
        ...(stream ? { stream } : {}),
        fps: 5,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(iters, startIter, { loss: '-', tps: '-', lr: '-', eta_text: '-', status: '' });
    // Once stopped (the end, or a signal) the bar stays stopped: nothing hides the cursor again.
    let stopped = false;
    // The ETA is this run's mean time per training iteration so far (evaluations excluded) times
    // the iterations left.
    let trainMs = 0;
    let trained = 0;
    let last = performance.now();
    return {
      onIter(iter, loss, lr, tps) {
        if (stopped) return;
        const now = performance.now();
        trainMs += now - last;
        last = now;
        trained++;
        const eta = formatDuration(((iters - iter - 1) * trainMs) / trained / 1000);
        bar.update(iter + 1, { loss: loss.toFixed(4), tps: tps.toFixed(0), lr: lr.toExponential(2), eta_text: eta, status: '' });
      },
      onEvalStart() {
        if (!stopped) bar.update({ status: '(evaluating)' });
      },
      onEval(r) {
        if (stopped) {
          console.log(evalLine(label, r));
          return;
        }
        bar.update({ status: '' });
        // Print above the bar.
        bar.stop();
        console.log(evalLine(label, r));
        if (r.iter < iters) bar.start(iters, r.iter, { loss: '-', tps: '-', lr: '-', eta_text: '-', status: '' });
        last = performance.now(); // the evaluation's time is not training time
      },
      stop() {
        if (!stopped) bar.stop();
        stopped = true;
      },
    };
  }
  let last = Date.now();
  return {
    onIter(iter, loss, lr, tps) {
      // every `every` iterations, and at least every 30 s on slow machines
      if ((iter + 1) % every === 0 || Date.now() - last > 30_000) {
        last = Date.now();
        console.log(`${label} iter ${iter + 1}/${iters}: loss ${f3(loss)}, lr ${lr.toExponential(3)}, ${tps.toFixed(0)} tok/s`);
      }
    },
    onEval(r) {
      console.log(evalLine(label, r));
    },
    stop() {},
  };
}
