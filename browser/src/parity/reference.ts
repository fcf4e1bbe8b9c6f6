/** The parity problem on `@lmo/core`'s reference backend (plain Float32Array, the ground truth). */
import { createReferenceBackend } from '@lmo/core/reference';
import { optimizerFor } from './page-optimizer.js';
import { PARAMS, STEPS, gradients, initialWeights, type StorageRun } from './problem.js';

/**
 * Final weights after {@link STEPS} steps: Scion in float32, or with `storage` ScionLight over
 * 16-bit weights and G (the reference emulates bfloat16 and float16 with the same rounding).
 */
export function referenceRun(storage?: StorageRun): Map<string, Float32Array> {
  const b = createReferenceBackend();
  const init = initialWeights();
  const params = new Map(PARAMS.map((p) => [p.name, b.fromArray(init.get(p.name)!, p.shape, storage?.dtype)] as const));
  const opt = optimizerFor(b, params, storage);
  for (let t = 0; t < STEPS; t++) {
    const g = gradients(t);
    opt.step(new Map(PARAMS.map((p) => [p.name, b.fromArray(g.get(p.name)!, p.shape)] as const)));
  }
  return new Map(PARAMS.map((p) => [p.name, Float32Array.from(b.read(params.get(p.name)!))] as const));
}
