import { scion } from '@lmo/core';
import { referenceBackend as backend, type RefTensor } from '@lmo/core/reference';
import { loadOptimizer, saveOptimizer } from './checkpointing.js';

export async function demo(gradients: Array<Record<string, RefTensor>>) {
  const weights = { w: backend.fromArray(new Float32Array(12), [3, 4]) };
  const optimizer = scion(backend, weights, { lr: 0.01 });
  optimizer.init(0);
  await optimizer.step(gradients[0]!);

  // Checkpoint: the optimizer state AND the weights (the optimizer does not own the weights).
  const savedState = await saveOptimizer(optimizer);
  const savedWeights = Array.from(await backend.read(weights.w));

  // Later, perhaps in another process: rebuild the same model and optimizer, then restore both.
  const resumedWeights = { w: backend.fromArray(Float32Array.from(savedWeights), [3, 4]) };
  const resumed = scion(backend, resumedWeights, { lr: 0.01 });
  await loadOptimizer(resumed, savedState);
  console.log(resumed.stepCount); // 1: schedules continue where they left off

  // Both now take identical steps.
  await optimizer.step(gradients[1]!);
  await resumed.step(gradients[1]!);
  return { original: weights.w, resumed: resumedWeights.w };
}
