import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs'; // in Node: the cpu backend; see "Backends" for faster ones
import { biasRMS, sign, spectral } from '@lmo/core';
import { ScionOptimizer, train } from '@lmo/tfjs';

// A synthetic 3-class problem: 128 points in 8-D, labelled by a random linear "teacher".
const x = tf.randomNormal([128, 8], 0, 1, 'float32', 1);
const y = tf.oneHot(tf.argMax(tf.matMul(x, tf.randomNormal([8, 3], 0, 1, 'float32', 2)), 1), 3).toFloat();

const model = tf.sequential({
  layers: [
    tf.layers.dense({ units: 32, inputShape: [8], activation: 'relu' }),
    tf.layers.dense({ units: 32, activation: 'relu' }),
    tf.layers.dense({ units: 3, activation: 'softmax', name: 'head' }),
  ],
});

// Drop-in for tf.train.adam(…): groups match the variables' names (`dense_Dense1/kernel`, …).
// Dense kernels are stored [d_in, d_out]; the optimizer applies each norm to the [d_out, d_in]
// view automatically (layout 'auto'), so the updates equal the PyTorch-layout reference's.
export const optimizer = train.scion({
  lr: 0.02,
  schedule: { kind: 'cosineDecay', steps: 20 * 4 }, // factor on lr per iteration; saved with the model
  groups: [
    { name: 'hidden', match: 'dense_Dense*/kernel', norm: spectral(), scale: 3 },
    { name: 'head', match: 'head/kernel', norm: sign(), scale: 30 },
    { name: 'biases', match: '*/bias', norm: biasRMS() },
  ],
});

model.compile({ optimizer, loss: 'categoricalCrossentropy' });
const history = await model.fit(x, y, { epochs: 20, batchSize: 32, verbose: 0 });
export const losses = history.history['loss'] as number[];
console.log(`training loss ${losses[0]!.toFixed(4)} → ${losses[losses.length - 1]!.toFixed(4)} after 20 epochs`);

// Save the model with its optimizer state to a file, and load both back. `file://` paths need
// @tensorflow/tfjs-node; this handler works with any tfjs (in a browser use `indexeddb://…`).
const file = join(tmpdir(), 'scion-model.json');
await model.save(
  tf.io.withSaveHandler(async (artifacts) => {
    const weights = Buffer.from(tf.io.CompositeArrayBuffer.join(artifacts.weightData)).toString('base64');
    writeFileSync(file, JSON.stringify({ ...artifacts, weightData: weights }));
    return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
  }),
  { includeOptimizer: true },
);
const saved = JSON.parse(readFileSync(file, 'utf8')) as tf.io.ModelArtifacts & { weightData: string };
const reloaded = await tf.loadLayersModel(tf.io.fromMemory({ ...saved, weightData: new Uint8Array(Buffer.from(saved.weightData, 'base64')).buffer }));

// The optimizer came back with its iteration count and momentum buffers: training continues.
export const restored = reloaded.optimizer as ScionOptimizer;
console.log(`reloaded: ${restored.getClassName()} at iteration ${restored.iterations}`);
await reloaded.fit(x, y, { epochs: 1, batchSize: 32, verbose: 0 });
