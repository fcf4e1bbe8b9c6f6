/**
 * A handoff bundle's folder: core's two safetensors files (`model.safetensors`, `optimizer.safetensors`:
 * weights in PyTorch's layout, the optimizer state in scion.py's) and `nanogpt.json` (the run, `@lmo/gpt`'s
 * `BundleRun`), written and read here, checked by the GPT package.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TorchHandoff } from '@lmo/core';
import { BUNDLE_FILES, checkBundleRun, resumeFromBundle, type BundleResume, type BundleRun } from '@lmo/gpt';
import { writeFileAtomic } from '@lmo/core/node';
import { UsageError } from '../util/errors.js';
import { typedPath } from '../util/shell.js';

/** Whether `dir` holds a bundle (its three files). */
export function isBundle(dir: string): boolean {
  return Object.values(BUNDLE_FILES).every((f) => existsSync(join(dir, f)));
}

/** Writes a bundle into `dir` (created if needed), each file atomically. */
export function writeBundle(dir: string, run: BundleRun, files: TorchHandoff): void {
  mkdirSync(dir, { recursive: true });
  writeFileAtomic(join(dir, BUNDLE_FILES.model), files.model);
  writeFileAtomic(join(dir, BUNDLE_FILES.optimizer), files.optimizer);
  writeFileAtomic(join(dir, BUNDLE_FILES.run), `${JSON.stringify(run, null, 2)}\n`);
}

/** Reads a bundle: its run and the bytes of its safetensors files (checked when decoded). */
export function readBundle(dir: string): { run: BundleRun; files: TorchHandoff } {
  for (const f of Object.values(BUNDLE_FILES)) {
    if (!existsSync(join(dir, f))) throw new UsageError(`${typedPath(dir)} is not a handoff bundle: it has no ${f}`);
  }
  const path = join(dir, BUNDLE_FILES.run);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new UsageError(`${typedPath(path)} cannot be read (${(e as Error).message.split('\n')[0]})`);
  }
  const run = checkBundleRun(raw, typedPath(path));
  const files = { model: readFileSync(join(dir, BUNDLE_FILES.model)), optimizer: readFileSync(join(dir, BUNDLE_FILES.optimizer)) };
  return { run, files };
}

/** Reads the bundle in `dir` and checks it against its run and the corpus (`@lmo/gpt`'s `resumeFromBundle`). */
export function resumeBundle(dir: string, dataHash: string): BundleResume {
  return resumeFromBundle(readBundle(dir), dataHash, typedPath(dir));
}
