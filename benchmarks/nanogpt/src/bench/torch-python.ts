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
 * Runs the Python timing script with `args` under `python` and parses its JSON lines. A missing
 * interpreter or a missing torch is a result (`ok: false`, with the reason and what to install); a
 * script that fails otherwise, or prints something that is not a record, is an error.
 */
export function runTorchScript(python: string, args: readonly string[], script = TORCH_SCRIPT): Promise<TorchRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(python, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT' || e.code === 'EACCES') resolve({ ok: false, reason: `no Python at ${python} (${e.code}): ${TORCH_INSTALL}` });
      else reject(e);
    });
    child.on('close', (code, signal) => {
      if (code !== 0) {
        const tail = stderr.trim().split('\n').slice(-5).join('\n');
        reject(new Error(`${python} ${script} exited with ${signal ?? `code ${code}`}${tail ? `:\n${tail}` : ''}`));
        return;
      }
      try {
        const records = parseSideRecords(stdout, `output of ${script}`);
        const skip = records.find((r) => r.kind === 'skip');
        if (skip !== undefined) resolve({ ok: false, reason: `${skip.reason}: ${TORCH_INSTALL}` });
        else resolve({ ok: true, records });
      } catch (e) {
        reject(e as Error);
      }
    });
  });
}
