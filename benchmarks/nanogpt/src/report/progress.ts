import type { EvalRecord, TrainHooks } from '@lmo/gpt';

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

/** Progress hooks, and how they end: `stop()` clears the bar, `stop(true)` keeps its last state (a stop on a signal). */
export type Progress = TrainHooks & { stop(keep?: boolean): void };

/**
 * Progress for one run: with a `bar` stream, a bar with iteration, loss, tokens/s and ETA on it
 * (cleared whenever a line is printed and at the end, so that the scrollback keeps only those
 * lines); otherwise plain log lines (every `every` iterations or 30 s, and at each evaluation).
 */
export function progressHooks(label: string, iters: number, bar: NodeJS.WritableStream | undefined, every = 50): Progress {
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

const BAR_WIDTH = 24;
/** Redraws at most this often. */
const REDRAW_MS = 200;
// Hide the cursor and turn line wrap off while the bar is drawn (a wrapped bar could not be redrawn in place).
const BAR_ON = '\x1b[?25l\x1b[?7l';

/**
 * The bar, drawn on one line with a carriage return and erased with erase-in-line: no cursor saving
 * and restoring, so it never moves to where it once was (over lines others printed since). It is
 * drawn only while the process that started this one is still its parent: a wrapper such as pnpm
 * exits at a Ctrl-C and gives the terminal back to the shell, whose prompt is then on that line.
 */
function barHooks(label: string, iters: number, stream: NodeJS.WritableStream): Progress {
  const parent = process.ppid;
  const ours = (): boolean => process.ppid === parent;
  let drawn = false;
  let stopped = false;
  let lastDraw = -Infinity;
  let fields = { iter: 0, loss: '-', tps: '-', lr: '-', eta: '-', status: '' };
  const draw = (update: Partial<typeof fields>, now = false): void => {
    fields = { ...fields, ...update };
    if (stopped || !ours() || (!now && performance.now() - lastDraw < REDRAW_MS)) return;
    lastDraw = performance.now();
    const filled = Math.min(BAR_WIDTH, Math.round((BAR_WIDTH * fields.iter) / iters));
    const f = fields;
    const line = `${label} |${'█'.repeat(filled)}${'░'.repeat(BAR_WIDTH - filled)}| ${f.iter}/${iters} | loss ${f.loss} | ${f.tps} tok/s | lr ${f.lr} | ETA ${f.eta}${f.status ? ` ${f.status}` : ''}`;
    stream.write(`${drawn ? '' : BAR_ON}\r${line}\x1b[K`);
    drawn = true;
  };
  /** Takes the bar off its line (`keep`: leaves it there as it is and moves to the next line). */
  const hide = (keep: boolean): void => {
    if (!drawn) return;
    drawn = false;
    restoreTerminal(stream);
    if (keep || !ours()) stream.write('\n');
    else stream.write('\r\x1b[2K');
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
      draw({ iter: iter + 1, loss: loss.toFixed(4), tps: tps.toFixed(0), lr: lr.toExponential(2), eta, status: '' });
    },
    onEvalStart(iter) {
      draw({ iter, status: '(evaluating)' }, true);
    },
    onEval(r) {
      hide(false);
      console.log(evalLine(label, r));
      fields = { ...fields, status: '' };
      last = performance.now(); // the evaluation's time is not training time
    },
    stop(keep = false) {
      hide(keep);
      stopped = true;
    },
  };
}
