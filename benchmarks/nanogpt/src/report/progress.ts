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
 * Where the progress bar can be seen: stderr (the results go to stdout), when it is a terminal and
 * progress was not turned off; `undefined` means plain log lines on stdout instead.
 */
export function barStream(progress: boolean, stderr: NodeJS.WriteStream = process.stderr): NodeJS.WriteStream | undefined {
  return progress && stderr.isTTY === true ? stderr : undefined;
}

/** Shows the cursor and turns line wrap back on (what a progress bar switches off), on a terminal. */
export function restoreTerminal(stream: NodeJS.WritableStream | undefined): void {
  if (stream !== undefined) stream.write('\x1b[?25h\x1b[?7h');
}

/**
 * Progress for one run: with a `bar` stream, a bar with iteration, loss, tokens/s and ETA on it
 * (cleared whenever a line is printed and at the end, so that the scrollback keeps only the log
 * lines); otherwise plain log lines (every `every` iterations or 30 s, and at each evaluation).
 */
export function progressHooks(label: string, iters: number, bar: NodeJS.WritableStream | undefined, every = 50): TrainHooks & { stop(): void } {
  if (bar !== undefined) return barHooks(label, iters, bar);
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

function barHooks(label: string, iters: number, stream: NodeJS.WritableStream): TrainHooks & { stop(): void } {
  const bar = new cliProgress.SingleBar(
    {
      format: `${label} |{bar}| {value}/{total} | loss {loss} | {tps} tok/s | lr {lr} | ETA {eta_text} {status}`,
      barsize: 24,
      hideCursor: true,
      clearOnComplete: true,
      etaBuffer: 50,
      stream,
      fps: 5,
    },
    cliProgress.Presets.shades_classic,
  );
  // The bar is drawn from the first iteration or evaluation on and cleared before each log line;
  // once stopped (the end, or a signal) it stays stopped: nothing hides the cursor again.
  let shown = false;
  let stopped = false;
  const show = (iter: number, payload: Record<string, string>): void => {
    if (stopped) return;
    if (!shown) bar.start(iters, iter, { loss: '-', tps: '-', lr: '-', eta_text: '-', status: '', ...payload });
    else bar.update(iter, payload);
    shown = true;
  };
  const hide = (): void => {
    if (shown) bar.stop();
    shown = false;
  };
  // The ETA is this run's mean time per training iteration so far (evaluations excluded) times
  // the iterations left.
  let trainMs = 0;
  let trained = 0;
  let last = performance.now();
  return {
    onIter(iter, loss, lr, tps) {
      const now = performance.now();
      trainMs += now - last;
      last = now;
      trained++;
      const eta = formatDuration(((iters - iter - 1) * trainMs) / trained / 1000);
      show(iter + 1, { loss: loss.toFixed(4), tps: tps.toFixed(0), lr: lr.toExponential(2), eta_text: eta, status: '' });
    },
    onEvalStart(iter) {
      show(iter, { status: '(evaluating)' });
    },
    onEval(r) {
      hide();
      console.log(evalLine(label, r));
      last = performance.now(); // the evaluation's time is not training time
    },
    stop() {
      hide();
      stopped = true;
    },
  };
}
