// With a bundler (Vite, webpack, esbuild, …): tfjs-core, one backend and tfjs-layers instead of the
// whole @tensorflow/tfjs. The gradient registrations are a separate import there; Node cannot load
// it (use @tensorflow/tfjs or @tensorflow/tfjs-node in Node).
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients'; // autodiff for minimize and model.fit
import '@tensorflow/tfjs-backend-cpu'; // or -wasm, -webgl, -webgpu
import * as tfl from '@tensorflow/tfjs-layers';
import { biasRMS, spectral } from '@lmo/core';
import { train } from '@lmo/tfjs';

await tf.setBackend('cpu');
const x = tf.randomNormal([64, 4], 0, 1, 'float32', 5);
const y = tf.matMul(x, tf.randomNormal([4, 1], 0, 1, 'float32', 6));
const model = tfl.sequential({ layers: [tfl.layers.dense({ units: 16, inputShape: [4], activation: 'relu' }), tfl.layers.dense({ units: 1 })] });
model.compile({
  optimizer: train.scion({ lr: 0.02, groups: [{ match: '*/kernel', norm: spectral(), scale: 3 }, { match: '*/bias', norm: biasRMS() }] }),
  loss: 'meanSquaredError',
});
const history = await model.fit(x, y, { epochs: 10, batchSize: 16, verbose: 0 });
export const losses = history.history['loss'] as number[];
console.log(`tfjs-core + cpu backend: loss ${losses[0]!.toFixed(4)} → ${losses[9]!.toFixed(4)}`);
