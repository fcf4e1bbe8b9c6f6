import { Random, scionLight, signUnscaled, spectral } from '@lmo/core';
import { createOnnxTrainer, loadOnnxModel } from '@lmo/onnxruntime';

// An MLP exported by PyTorch: y = head(tanh(fc2(relu(fc1(x))))), x [5, 6] → y [5, 3].
const model = await loadOnnxModel(new URL('./models/mlp.onnx', import.meta.url));

// The weights and ScionLight's gradient buffer G in bfloat16, with a bfloat16 Kahan compensation buffer.
const trainer = await createOnnxTrainer(model, {
  trainable: '*',
  loss: { meanSquaredError: 'y' },
  dtype: 'bfloat16',
  optimizer: (params, backend) =>
    scionLight(backend, params, {
      lr: 0.02,
      groups: [{ match: '*.bias', norm: signUnscaled(), scale: 0.1 }, { norm: spectral(), scale: 3 }],
      bufferDtype: 'bfloat16',
      compensation: 'kahan', // or 'stochastic' (no extra memory), or leave it out (round to nearest)
    }),
});

const rng = new Random(0);
const mix = Float32Array.from({ length: 6 * 3 }, () => rng.normal());
function batch() {
  const x = Float32Array.from({ length: 5 * 6 }, () => rng.normal());
  const targets = new Float32Array(5 * 3);
  for (let n = 0; n < 5; n++) for (let j = 0; j < 3; j++) for (let i = 0; i < 6; i++) targets[n * 3 + j]! += Math.tanh(x[n * 6 + i]! * mix[i * 3 + j]!);
  return { x, targets };
}
export const losses: number[] = [];
for (let step = 0; step < 150; step++) losses.push(await trainer.step(batch()));

// Bytes as stored: 2 per weight; G and the compensation buffer, 2 each.
const n = [...trainer.parameters.values()].reduce((sum, p) => sum + p.shape.reduce((a, d) => a * d, 1), 0);
export const bytesPerParameter = (trainer.optimizer.parameterBytes + trainer.optimizer.ownedBytes) / n;
console.log(`${n} parameters, ${bytesPerParameter} bytes each; loss ${losses[0]!.toFixed(3)} → ${losses.at(-1)!.toFixed(3)}`);
export const state = await trainer.optimizer.getState(); // its buffers' dtypes in state.parameters[i].dtypes
await trainer.dispose();
