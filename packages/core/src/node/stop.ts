/**
 * Stopping a training loop on request, at a step boundary: SIGINT (Ctrl-C), SIGTERM (`kill PID`, a
 * process manager, `child.kill()`), or the parent process going away (what a SIGKILL of a wrapper such
 * as `pnpm run` looks like from here). The loop asks {@link StopRequests.requested} after each step and,
 * when set, writes its checkpoint and returns; a second request ends the process at once with
 * {@link exitCodeFor} (the last checkpoint stays).
 *
 * A wrapper that runs the program as its child (pnpm, npm) answers Ctrl-C by sending the child SIGTERM,
 * while the terminal's SIGINT reaches the child too, and the two may arrive in either order: a SIGINT and
 * a SIGTERM within {@link FORWARDED_WINDOW_MS} of each other are that one Ctrl-C, not a second request.
 * The parent's exit is no request of the user's: the first signal after it belongs to the same stop. A
 * stop is announced a moment late ({@link PAIR_WAIT_MS}) unless a SIGINT began it, so that a Ctrl-C whose
 * SIGTERM (or whose wrapper's exit) came first is still reported as SIGINT.
 */
export type StopReason = 'SIGINT' | 'SIGTERM' | 'parent exited';

/** How long after a SIGINT a SIGTERM still counts as the same request, forwarded by a wrapper. */
export const FORWARDED_WINDOW_MS = 3000;

/** How long the announcement of a stop waits for the SIGINT of the same Ctrl-C. */
export const PAIR_WAIT_MS = 50;

/** The conventional exit code: 128 + the signal's number (a vanished parent counts as SIGTERM). */
export function exitCodeFor(reason: StopReason): number {
  return reason === 'SIGINT' ? 130 : 143;
}

/** What {@link StopRequests} calls. */
export interface StopHandlers {
  /** Called once, for the first request: restore the terminal, say what happens next. */
  readonly onRequest: (reason: StopReason) => void;
  /** Called at a second request, just before the process exits with {@link exitCodeFor} its reason. */
  readonly onForce: (reason: StopReason) => void;
  /** The clock, in milliseconds (for tests; default `performance.now`). */
  readonly now?: () => number;
}

/** Listens for stop requests from its construction until {@link StopRequests.dispose}. */
export class StopRequests {
  private reason: StopReason | undefined;
  /** The signals that make up the request, and when the first of them came. */
  private readonly signals = new Set<StopReason>();
  private signalledAt = 0;
  private announced = false;
  private announceTimer: NodeJS.Timeout | undefined;
  private readonly handlers: Array<[NodeJS.Signals, () => void]> = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly on: StopHandlers) {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      const handler = (): void => this.signal(signal);
      process.on(signal, handler);
      this.handlers.push([signal, handler]);
    }
    // The parent (pnpm, a shell) gone means nobody is waiting for this run: stop it cleanly too.
    const parent = process.ppid;
    this.timer = setInterval(() => {
      if (process.ppid !== parent) this.signal('parent exited');
    }, 500);
    this.timer.unref();
  }

  /** The reason of the request, once there is one: stop at the next step boundary. */
  get requested(): StopReason | undefined {
    return this.reason;
  }

  /**
   * What a signal (or the parent's exit) means now: `'stop'` (the first request), `'same'` (part of
   * the request already noted), or `'force'` (a second request: stop at once).
   */
  classify(reason: StopReason): 'stop' | 'same' | 'force' {
    if (this.reason === undefined) return 'stop';
    if (reason === 'parent exited' || this.signals.size === 0) return 'same';
    const pair = this.signals.size === 1 && !this.signals.has(reason) && this.now() - this.signalledAt <= FORWARDED_WINDOW_MS;
    return pair ? 'same' : 'force';
  }

  /** Handles a signal as {@link classify} says; `'force'` exits the process. */
  signal(reason: StopReason): void {
    const verdict = this.classify(reason);
    if (verdict === 'force') {
      this.announce();
      this.on.onForce(reason);
      process.exit(exitCodeFor(reason));
    }
    if (reason !== 'parent exited') {
      if (this.signals.size === 0) this.signalledAt = this.now();
      this.signals.add(reason);
    }
    // A Ctrl-C, whichever of its signals came first; else the first signal; else the parent's exit.
    this.reason = this.signals.has('SIGINT') ? 'SIGINT' : this.signals.has('SIGTERM') ? 'SIGTERM' : reason;
    if (this.reason === 'SIGINT') this.announce();
    else if (!this.announced && this.announceTimer === undefined) this.announceTimer = setTimeout(() => this.announce(), PAIR_WAIT_MS);
  }

  /** Calls `onRequest` now if a request is waiting to be announced (before saying how the run stopped). */
  announce(): void {
    if (this.announceTimer !== undefined) clearTimeout(this.announceTimer);
    this.announceTimer = undefined;
    if (this.reason === undefined || this.announced) return;
    this.announced = true;
    this.on.onRequest(this.reason);
  }

  private now(): number {
    return this.on.now?.() ?? performance.now();
  }

  /** Stops listening (the signals' default behaviour returns). */
  dispose(): void {
    if (this.announceTimer !== undefined) clearTimeout(this.announceTimer);
    for (const [signal, handler] of this.handlers) process.off(signal, handler);
    if (this.timer !== undefined) clearInterval(this.timer);
  }
}
