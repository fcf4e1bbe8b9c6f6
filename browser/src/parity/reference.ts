/** The parity problem on `@lmo/core`'s reference backend (plain Float32Array, the ground truth). */
import { scion } from '@lmo/core';
import { createReferenceBackend } from '@lmo/core/reference';
import { LR, MOMENTUM, PARAMS, STEPS, gradients, groups, initialWeights, schedule } from './problem.js';

/** Final weights after {@link STEPS} Scion steps. */
export function referenceRun(): Map<string, Float32Array> {
  const b = createReferenceBackend();
  const init = initialWeights();
  const params = new Map(PARAMS.map((p) => [p.name, b.fromArray(init.get(p.name)!, p.shape)] as const));
  const opt = scion(b, params, { lr: LR, momentum: MOMENTUM, schedule: schedule(), groups: groups() });
  for (let t = 0; t < STEPS; t++) {
    const g = gradients(t);
    opt.step(new Map(PARAMS.map((p) => [p.name, b.fromArray(g.get(p.name)!, p.shape)] as const)));
  }
  return new Map(PARAMS.map((p) => [p.name, Float32Array.from(b.read(params.get(p.name)!))] as const));
}
