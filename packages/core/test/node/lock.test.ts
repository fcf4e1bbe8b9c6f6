// One process at a time: a lock that a killed process does not leave stale, and the leftovers of killed
// writers removed (the CLI's races and SIGKILLs are run in benchmarks/nanogpt's lock.test.ts).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LmoError } from '../../src/errors.js';
import { acquireLock, removeLeftovers, type LockOwner } from '../../src/node/index.js';

/** A PID that no process has (a child that has exited and been reaped). */
async function deadPid(): Promise<number> {
  const p = spawn(process.execPath, ['-e', '']);
  await new Promise((r) => p.once('exit', r));
  return p.pid!;
}

function refusal(fn: () => unknown): LmoError {
  try {
    fn();
  } catch (e) {
    if (e instanceof LmoError) return e;
    throw e;
  }
  throw new Error('expected a refusal');
}

describe('acquireLock', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lmo-lock-'));
  const path = join(dir, '.run.lock');
  /** This process as a lock records it. */
  const me = (): LockOwner => {
    const lock = acquireLock(path);
    const owner = JSON.parse(readFileSync(path, 'utf8')) as LockOwner;
    lock.release();
    return owner;
  };
  const write = (owner: object): void => writeFileSync(path, JSON.stringify(owner));

  it('is held until released; a second claim meanwhile is refused with LOCKED, naming the holder', () => {
    const held = acquireLock(path, { holder: 'trainer' });
    const e = refusal(() => acquireLock(path, { holder: 'trainer', resource: 'runs/a' }));
    expect(e.code).toBe('LOCKED');
    expect(e.message).toMatch(new RegExp(`^runs/a is in use by a running trainer \\(pid ${process.pid}, since .*\\): wait for it to finish or stop it \\(kill ${process.pid}\\) first$`));
    held.release();
    expect(existsSync(path)).toBe(false);
    acquireLock(path).release();
    expect(readdirSync(dir)).toEqual([]);
  });

  it.each([
    ['whose process is gone', async () => ({ ...me(), pid: await deadPid() })],
    ['whose PID now belongs to a later process (another start time)', async () => ({ ...me(), started: '1' })],
    ['from before a reboot', async () => ({ ...me(), boot: '00000000-0000-0000-0000-000000000000' })],
    ['that is not a lock (damaged)', async () => ({ nonsense: true })],
  ])('a lock %s is taken over', async (_what, owner) => {
    write(await owner());
    const held = acquireLock(path);
    expect(JSON.parse(readFileSync(path, 'utf8'))).toMatchObject({ pid: process.pid, host: hostname() });
    held.release();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a lock from another host is left alone (its process cannot be checked from here)', () => {
    const other = { ...me(), host: `not-${hostname()}` };
    write(other);
    const e = refusal(() => acquireLock(path, { holder: 'trainer' }));
    expect(e.code).toBe('LOCKED');
    expect(e.message).toBe(`${dir} is locked by a trainer on host ${other.host} (pid ${process.pid}, since ${other.since}); if it has ended, delete ${path}`);
  });

  it('release gives back only its own lock, never one that another process took over since', () => {
    const dir2 = mkdtempSync(join(tmpdir(), 'lmo-lock-'));
    const p = join(dir2, 'lock');
    const held = acquireLock(p);
    writeFileSync(p, JSON.stringify({ pid: 1, host: hostname(), since: 'later' }));
    held.release();
    expect(existsSync(p)).toBe(true);
  });
});

describe('removeLeftovers', () => {
  it("removes what dead writers left (atomic writes' and locks' temporary files), not a live writer's nor other files", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lmo-leftovers-'));
    const dead = await deadPid();
    const names = [`.checkpoint.safetensors.${dead}.k1ll3d00.tmp`, `..run.lock.${dead}.0badc0de.stale`, `.metrics.jsonl.${process.pid}.l1ve0000.tmp`, 'checkpoint.safetensors', '.hidden'];
    for (const n of names) writeFileSync(join(dir, n), 'x');
    expect(removeLeftovers(dir).sort()).toEqual(names.slice(0, 2).sort());
    expect(readdirSync(dir).sort()).toEqual(names.slice(2).sort());
  });
});
