import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseSideRecords, type SideRecord } from './side-records.js';

/** What to install for the PyTorch side (Debian's CPU build, with OpenBLAS's threaded BLAS). */
export const TORCH_INSTALL = 'apt-get install python3-torch libopenblas0-pthread';

/** The Python timing script (`torch/bench.py` in this package). */
export const TORCH_SCRIPT = fileURLToPath(new URL('../../torch/bench.py', import.meta.url));

/** The script's records, or why it could not run (no python, no torch). */
export type TorchRun = { readonly ok: true; readonly records: SideRecord[] } | { readonly ok: false; readonly reason: string };

/**
 * Runs `command` with `args` to its end and returns its stdout. A process that cannot start rejects
 * with Node's error (`code` ENOENT, EACCES, …); one that ends otherwise than with exit code 0, with
 * the last `tail` lines of its stderr.
 */
export function runProcess(command: string, args: readonly string[], o: { readonly env?: NodeJS.ProcessEnv; readonly tail?: number } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...(o.env !== undefined ? { env: o.env } : {}) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const tail = stderr.trim().split('\n').slice(-(o.tail ?? 5)).join('\n');
      if (code === 0) resolve(stdout);
      else reject(new Error(`${command} ${args.join(' ')} exited with ${signal ?? `code ${code}`}${tail ? `:\n${tail}` : ''}`));
    });
  });
}

/**
 * Runs the Python timing script with `args` under `python` and parses its JSON lines. A missing
 * interpreter or a missing torch is a result (`ok: false`, with the reason and what to install); a
 * script that fails otherwise, or prints something that is not a record, is an error.
 */
export async function runTorchScript(python: string, args: readonly string[], script = TORCH_SCRIPT): Promise<TorchRun> {
  let stdout: string;
  try {
    stdout = await runProcess(python, [script, ...args]);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EACCES') return { ok: false, reason: `no Python at ${python} (${code}): ${TORCH_INSTALL}` };
    throw e;
  }
  const records = parseSideRecords(stdout, `output of ${script}`);
  const skip = records.find((r) => r.kind === 'skip');
  return skip !== undefined ? { ok: false, reason: `${skip.reason}: ${TORCH_INSTALL}` } : { ok: true, records };
}
