import * as tf from '@tensorflow/tfjs';
import { scion, spectral } from '@lmo/core';
import { createTfjsBackend } from '@lmo/tfjs';

// core's optimizers straight on tfjs tensors: your variables are the parameters.
const backend = createTfjsBackend();
const w = tf.variable(tf.randomNormal([16, 8], 0, 1, 'float32', 0), true, 'w');
const optimizer = scion(backend, { w }, { lr: 0.01, norm: spectral(), scale: 3 });

const before = w.dataSync().slice();
const gradient = tf.randomNormal([16, 8], 0, 1, 'float32', 1);
optimizer.step({ w: gradient }); // synchronous, inside tf.tidy
export const changed = w.dataSync().some((v, i) => v !== before[i]);
console.log(`one Scion step on a tf.Variable: ${changed ? 'updated' : 'unchanged'}`);
optimizer.dispose();
tf.dispose([w, gradient]);
