import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Random, biasRMS, scion, spectral, stateFromJSON, stateToJSON } from '@lmo/core';
import { createOnnxTrainer, loadOnnxModel, type OnnxModel } from '@lmo/onnxruntime';
import * as ort from 'onnxruntime-node';

// An MLP exported by PyTorch as above: y = head(tanh(fc2(relu(fc1(x))))), x [5, 6] → y [5, 3].
const file = new URL('./models/mlp.onnx', import.meta.url);
const model = await loadOnnxModel(file);
console.log(model.initializers.map((t) => `${t.name} [${t.shape.join(', ')}]`).join(', '));

/** The trainer: every initializer trains, against the mean squared error of `y` and fed targets. */
function trainerFor(m: OnnxModel) {
  return createOnnxTrainer(m, {
    trainable: '*',
    loss: { meanSquaredError: 'y' }, // adds an input `targets` shaped like `y`
    optimizer: (params, backend) =>
      scion(backend, params, {
        lr: 0.02,
        groups: [
          { match: '*.bias', norm: biasRMS(), scale: 1 },
          { norm: spectral(), scale: 3 }, // the weight matrices
        ],
      }),
  });
}

// The task: targets are a fixed random function of the inputs.
const rng = new Random(0);
const mix = Float32Array.from({ length: 6 * 3 }, () => rng.normal());
function batch() {
  const x = Float32Array.from({ length: 5 * 6 }, () => rng.normal());
  const targets = new Float32Array(5 * 3);
  for (let n = 0; n < 5; n++) for (let j = 0; j < 3; j++) for (let i = 0; i < 6; i++) targets[n * 3 + j]! += Math.tanh(x[n * 6 + i]! * mix[i * 3 + j]!);
  return { x, targets };
}

const trainer = await trainerFor(model);
export const losses: number[] = [];
for (let step = 0; step < 150; step++) losses.push(await trainer.step(batch())); // one session run + one optimizer step

// Save: the trained model as an ONNX file, and the optimizer's state in core's JSON format.
export const dir = mkdtempSync(join(tmpdir(), 'lmo-onnx-'));
writeFileSync(join(dir, 'mlp-trained.onnx'), await trainer.exportModel());
writeFileSync(join(dir, 'optimizer.json'), JSON.stringify(stateToJSON(await trainer.optimizer.getState())));
await trainer.dispose();

// Resume from the files, and go on training.
const resumed = await trainerFor(await loadOnnxModel(join(dir, 'mlp-trained.onnx')));
await resumed.optimizer.loadState(stateFromJSON(JSON.parse(readFileSync(join(dir, 'optimizer.json'), 'utf8'))));
for (let step = 0; step < 50; step++) losses.push(await resumed.step(batch()));
export const steps = resumed.optimizer.stepCount;
writeFileSync(join(dir, 'mlp-trained.onnx'), await resumed.exportModel());
await resumed.dispose();

// The exported file is a plain ONNX model: onnxruntime runs it for inference.
const session = await ort.InferenceSession.create(join(dir, 'mlp-trained.onnx'));
const { x, targets } = batch();
const { y } = await session.run({ x: new ort.Tensor('float32', x, [5, 6]) });
export const inference = { y: y!.data as Float32Array, targets };
await session.release();
console.log(`loss ${losses[0]!.toFixed(3)} → ${losses.at(-1)!.toFixed(3)} in ${steps} steps; saved to ${dir}`);
