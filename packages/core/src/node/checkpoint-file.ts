import { readFileSync } from 'node:fs';
import { decodeCheckpoint } from '../io/checkpoint/decode.js';
import { encodeCheckpoint } from '../io/checkpoint/encode.js';
import type { Checkpoint, DecodedCheckpoint } from '../io/checkpoint/format.js';
import { LmoError } from '../errors.js';
import { writeFileAtomic } from './atomic-write.js';

/**
 * Writes `checkpoint` (`encodeCheckpoint`: weights, optimizer state and metadata, each part checksummed)
 * to `path` atomically: until the new file is complete and on disk the previous checkpoint stays at
 * `path`, whole, so a crash or a kill at any moment leaves one that loads.
 *
 * @throws {@link LmoError} `INVALID_CHECKPOINT` for what `encodeCheckpoint` cannot write (nothing is
 *   written), `WRITE_FAILED` when the file cannot be written (the previous one stays).
 */
export function writeCheckpointFile(path: string, checkpoint: Checkpoint): void {
  writeFileAtomic(path, encodeCheckpoint(checkpoint));
}

/**
 * Reads the checkpoint at `path` (`decodeCheckpoint`: every checksum is checked first), or `undefined`
 * when there is no file: a run's first start. Give `state` to the optimizer's `loadState`, `weights` to
 * your model.
 *
 * @throws {@link LmoError} `INVALID_CHECKPOINT`, `PATH: <what is damaged>`, for a file that is not a
 *   whole, unchanged checkpoint; a file that exists but cannot be read throws the system's error.
 */
export function readCheckpointFile(path: string): DecodedCheckpoint | undefined {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  try {
    return decodeCheckpoint(bytes);
  } catch (e) {
    if (e instanceof LmoError) throw new LmoError(e.code, `${path}: ${e.message}`, { cause: e });
    throw e;
  }
}
