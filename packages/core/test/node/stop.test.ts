// Which signals are one stop request and which a second one (the signal handling itself is run against
// real processes in benchmarks/nanogpt's signals.test.ts and run.test.ts).
import { afterEach, describe, expect, it } from 'vitest';
import { FORWARDED_WINDOW_MS, StopRequests, type StopReason } from '../../src/node/index.js';

let open: StopRequests[] = [];
afterEach(() => {
  for (const s of open) s.dispose();
  open = [];
});

/** Requests on a fake clock; `announced` collects what `onRequest` was called with. */
function requests() {
  let t = 0;
  const announced: StopReason[] = [];
  const s = new StopRequests({ onRequest: (r) => announced.push(r), onForce: () => {}, now: () => t });
  open.push(s);
  return { s, announced, advance: (ms: number) => (t += ms) };
}

describe('stop requests', () => {
  it.each([
    ['SIGINT then the SIGTERM pnpm forwards', ['SIGINT', 'SIGTERM']],
    ['the forwarded SIGTERM first, then the SIGINT', ['SIGTERM', 'SIGINT']],
    ['the wrapper exits first, then both signals', ['parent exited', 'SIGTERM', 'SIGINT']],
  ] as const)('%s: one request, reported as SIGINT; a further Ctrl-C forces', (_what, order) => {
    const { s, announced, advance } = requests();
    for (const r of order) {
      expect(s.classify(r)).not.toBe('force');
      s.signal(r);
      advance(5);
    }
    s.announce();
    expect(s.requested).toBe('SIGINT');
    expect(announced).toEqual(['SIGINT']);
    expect(s.classify('SIGINT')).toBe('force');
    expect(s.classify('SIGTERM')).toBe('force');
    expect(s.classify('parent exited')).toBe('same');
  });

  it('a SIGTERM long after the Ctrl-C is a second request', () => {
    const { s, advance } = requests();
    s.signal('SIGINT');
    advance(FORWARDED_WINDOW_MS + 1);
    expect(s.classify('SIGTERM')).toBe('force');
  });

  it('two Ctrl-Cs are two requests, however close', () => {
    const { s } = requests();
    s.signal('SIGINT');
    expect(s.classify('SIGINT')).toBe('force');
  });

  it('kill PID alone: SIGTERM', () => {
    const { s, announced } = requests();
    s.signal('SIGTERM');
    s.announce();
    expect(announced).toEqual(['SIGTERM']);
    expect(s.classify('SIGTERM')).toBe('force');
  });
});
