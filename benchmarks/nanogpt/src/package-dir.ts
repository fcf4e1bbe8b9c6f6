import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** benchmarks/nanogpt: where `results/` and `out/` are. */
export const PACKAGE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');
