import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Random, biasRMS, decodeSafetensors, scion, spectral } from '@lmo/core';
import { createOnnxTrainer, exportSafetensors, loadOnnxModel } from '@lmo/onnxruntime';

// The MLP of the ONNX training guide, exported by PyTorch without constant folding, and the state_dict
// it was exported from (safetensors.torch.save_file(model.state_dict(), "mlp.safetensors")).
const model = await loadOnnxModel(new URL('./models/mlp.onnx', import.meta.url));
const stateDict = decodeSafetensors(readFileSync(new URL('./models/mlp.safetensors', import.meta.url))).tensors;

// Fine-tune the last two layers; fc1 stays frozen.
const trainer = await createOnnxTrainer(model, {
  trainable: ['fc2.*', 'head.*'],
  loss: { meanSquaredError: 'y' },
  optimizer: (params, backend) =>
    scion(backend, params, {
      lr: 0.02,
      groups: [
        { match: '*.bias', norm: biasRMS(), scale: 1 },
        { norm: spectral(), scale: 3 },
      ],
    }),
});
const rng = new Random(0);
const batch = () => {
  const x = Float32Array.from({ length: 5 * 6 }, () => rng.normal());
  return { x, targets: x.filter((_, i) => i % 6 < 3).map(Math.tanh) }; // y = tanh(x[:, :3])
};
const held = batch();
export const before = await trainer.evaluate(held);
for (let step = 0; step < 100; step++) await trainer.step(batch());
export const after = await trainer.evaluate(held);

// Back to PyTorch: every initializer under its state_dict key, checked against the module's shapes.
export const dir = mkdtempSync(join(tmpdir(), 'lmo-onnx-torch-'));
const file = join(dir, 'mlp-finetuned.safetensors');
writeFileSync(file, await exportSafetensors(trainer, { stateDict }));
await trainer.dispose();

export const written = [...decodeSafetensors(readFileSync(file)).tensors.keys()];
console.log(`held-out loss ${before.toFixed(3)} → ${after.toFixed(3)}; wrote ${written.join(', ')}`);
