/**
 * `@lmo/core/node`: what a training loop on Node needs so that it never loses a run — files written
 * atomically (a kill at any moment leaves the previous version whole), checkpoints written and read that
 * way, one process at a time in a run directory (a lock that a killed process does not leave stale),
 * the leftovers of killed writers removed, and stopping at a step boundary on Ctrl-C or SIGTERM. Node
 * only (`node:fs`, `node:os`, signals): browser code imports the other entry points.
 *
 * @packageDocumentation
 * @module @lmo/core/node
 */
export { writeFileAtomic } from './atomic-write.js';
export { readCheckpointFile, writeCheckpointFile } from './checkpoint-file.js';
export { acquireLock, type Lock, type LockOptions, type LockOwner } from './lock.js';
export { removeLeftovers } from './process.js';
export { exitCodeFor, FORWARDED_WINDOW_MS, PAIR_WAIT_MS, StopRequests, type StopHandlers, type StopReason } from './stop.js';
