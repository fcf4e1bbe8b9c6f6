import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const pkg = fileURLToPath(new URL('../..', import.meta.url));
export const root = join(pkg, '..', '..');
export const bin = join(pkg, 'bin', 'nanogpt.mjs');

export interface Ran {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  stdout: string;
}

/** Collects a child's output and waits for it to end. */
export function collect(p: ChildProcess): Promise<Ran> {
  return new Promise((done) => {
    let stderr = '';
    let stdout = '';
    p.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    p.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    p.on('close', (code, signal) => done({ code, signal, stderr, stdout }));
  });
}

/** Runs `command args` in `cwd` (default: the package) and collects its output. */
export function spawnIn(command: string, args: string[], cwd = pkg, env: NodeJS.ProcessEnv = process.env): Promise<Ran> {
  return collect(spawn(command, args, { cwd, env }));
}

/** The CLI through its bin, the way `pnpm nanogpt` starts it. */
export function run(args: string[], cwd = pkg, env?: NodeJS.ProcessEnv): Promise<Ran> {
  return spawnIn(process.execPath, [bin, ...args], cwd, env);
}

export const lines = (text: string): string[] => text.split('\n').filter((l) => l.trim() !== '');

/** The smallest run that still trains, evaluates, samples and plots. */
export const TINY = ['--backend', 'reference', '--iters', '2', '--eval-every', '1', '--eval-iters', '1', '--n-layer', '1', '--n-head', '1', '--n-embd', '8', '--block-size', '4', '--batch-size', '2', '--sample', '12', '--no-progress'];

const made: string[] = [];

/** A fresh directory with a small corpus in `corpus.txt` (removed by {@link removeWorkdirs}). */
export function workdir(prefix: string, text = 'to be or not to be, that is the question\n'.repeat(40)): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  writeFileSync(join(dir, 'corpus.txt'), text);
  return dir;
}

/** Removes the directories {@link workdir} made (call it in afterAll). */
export function removeWorkdirs(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** Polls `ok` every 25 ms until it holds or `ms` pass. */
export async function until(ok: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const started: ChildProcess[] = [];

/**
 * Spawns `command` as the leader of its own process group, remembered so that {@link killStarted}
 * ends it when a test fails before it does.
 */
export function spawnGroup(command: string, args: readonly string[], options: SpawnOptions = {}): ChildProcess {
  const child = spawn(command, args, { ...options, detached: true });
  started.push(child);
  return child;
}

/** SIGKILLs every process group {@link spawnGroup} started that is still alive (call it in afterEach). */
export function killStarted(): void {
  for (const child of started.splice(0)) {
    if (child.pid === undefined || !groupAlive(child.pid)) continue;
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // gone in between
    }
  }
}

/** Whether any process of process group `pgid` is still alive. */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/** PIDs of the processes whose command line starts with `argv0` and contains `marker`. */
export function findProcesses(argv0: string, marker: string): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let args: string[];
    try {
      args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    if (args[0] === argv0 && args.some((a) => a.includes(marker))) out.push(Number(entry));
  }
  return out;
}
