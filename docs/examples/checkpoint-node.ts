import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Random, scion } from '@lmo/core';
import { acquireLock, exitCodeFor, readCheckpointFile, StopRequests, writeCheckpointFile, removeLeftovers } from '@lmo/core/node';
import { referenceBackend as backend } from '@lmo/core/reference';

const shapes: Record<string, number[]> = { 'fc.weight': [8, 4], 'fc.bias': [8] };
const size = (shape: number[]) => shape.reduce((a, d) => a * d, 1);

/** Trains up to step `until` in run directory `dir`, continuing from its checkpoint if it has one. */
export function train(dir: string, until: number): { from: number; to: number } {
  const lock = acquireLock(join(dir, '.lock')); // a second process here gets LOCKED; a killed one's lock is taken over
  removeLeftovers(dir); // what writes killed midway left
  const stop = new StopRequests({
    onRequest: (reason) => console.log(`${reason}: stopping after this step`),
    onForce: (reason) => console.log(`${reason} again: stopped at once, the last checkpoint stays`),
  });
  try {
    const file = join(dir, 'checkpoint.safetensors');
    const saved = readCheckpointFile(file); // undefined on the first start; every checksum checked
    const rng = new Random(7);
    const params = Object.fromEntries(
      Object.entries(shapes).map(([name, shape]) => [name, backend.fromArray(saved?.weights.get(name) ?? Float32Array.from({ length: size(shape) }, () => 0.1 * rng.normal()), shape)]),
    );
    const optimizer = scion(backend, params, { lr: 0.01 });
    if (saved) optimizer.loadState(saved.state);
    const save = () => writeCheckpointFile(file, { weights: Object.fromEntries(Object.entries(params).map(([name, p]) => [name, backend.read(p)])), state: optimizer.getState() });
    const from = optimizer.stepCount;
    while (optimizer.stepCount < until && stop.requested === undefined) {
      optimizer.step(Object.fromEntries(Object.entries(shapes).map(([name, shape]) => [name, backend.fromArray(Float32Array.from({ length: size(shape) }, () => rng.normal()), shape)]))); // your gradients
      if (optimizer.stepCount % 10 === 0) save(); // the previous checkpoint stays until this one is on disk
    }
    save();
    if (stop.requested !== undefined) process.exitCode = exitCodeFor(stop.requested); // 130 after Ctrl-C
    return { from, to: optimizer.stepCount };
  } finally {
    stop.dispose();
    lock.release();
  }
}

const dir = mkdtempSync(join(tmpdir(), 'run-'));
const first = train(dir, 25);
const second = train(dir, 50); // as after a crash or a Ctrl-C: the same command again
console.log(`steps ${first.from}→${first.to}, then ${second.from}→${second.to}`);
