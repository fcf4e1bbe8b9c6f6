/**
 * Stopping on request: SIGINT (Ctrl-C), SIGTERM (`kill PID`, a process manager, `child.kill()`),
 * or the parent process going away (what a SIGKILL of the `pnpm nanogpt` wrapper looks like from
 * here). The first request is noted and training stops at the next step boundary, after a final
 * checkpoint; a second SIGINT or SIGTERM ends the process at once (the last checkpoint stays).
 */
export type StopReason = 'SIGINT' | 'SIGTERM' | 'parent exited';

/** The conventional exit code: 128 + the signal's number (a vanished parent counts as SIGTERM). */
export function exitCodeFor(reason: StopReason): number {
  return reason === 'SIGINT' ? 130 : 143;
}

export class StopRequests {
  private reason: StopReason | undefined;
  private readonly handlers: Array<[NodeJS.Signals, () => void]> = [];
  private timer: NodeJS.Timeout | undefined;

  /**
   * @param onRequest called once, at the first request (restore the terminal, say what happens)
   * @param onForce called before exiting at a second signal
   */
  constructor(
    private readonly onRequest: (reason: StopReason) => void,
    private readonly onForce: () => void,
  ) {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      const handler = (): void => this.request(signal);
      process.on(signal, handler);
      this.handlers.push([signal, handler]);
    }
    // The parent (pnpm, a shell) gone means nobody is waiting for this run: stop it cleanly too.
    const parent = process.ppid;
    this.timer = setInterval(() => {
      if (process.ppid !== parent) this.request('parent exited');
    }, 500);
    this.timer.unref();
  }

  get requested(): StopReason | undefined {
    return this.reason;
  }

  private request(reason: StopReason): void {
    if (this.reason !== undefined) {
      if (reason === 'parent exited') return;
      this.onForce();
      process.exit(exitCodeFor(reason));
    }
    this.reason = reason;
    this.onRequest(reason);
  }

  dispose(): void {
    for (const [signal, handler] of this.handlers) process.off(signal, handler);
    if (this.timer !== undefined) clearInterval(this.timer);
  }
}

/** Shows the cursor and turns line wrap back on (what a progress bar switches off), on a terminal. */
export function restoreTerminal(): void {
  if (process.stdout.isTTY) process.stdout.write('\x1b[?25h\x1b[?7h');
}
