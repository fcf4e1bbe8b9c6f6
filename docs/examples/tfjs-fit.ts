import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients'; // autodiff for tfjs-core's ops
import '@tensorflow/tfjs-backend-cpu'; // or tfjs-backend-wasm, -webgl, -webgpu, tfjs-node
import * as tfl from '@tensorflow/tfjs-layers';
import { biasRMS, sign, spectral, train } from '@lmo/tfjs';

export async function fitClassifier(x: tf.Tensor2D, y: tf.Tensor2D, epochs = 20) {
  await tf.setBackend('cpu');
  const model = tfl.sequential({
    layers: [
      tfl.layers.dense({ units: 32, inputShape: [x.shape[1]], activation: 'relu' }),
      tfl.layers.dense({ units: 32, activation: 'relu' }),
      tfl.layers.dense({ units: y.shape[1], activation: 'softmax', name: 'head' }),
    ],
  });

  // Drop-in for tf.train.adam(…): groups match the variables' names (`dense_Dense1/kernel`, …).
  // Dense kernels are stored [d_in, d_out]; the optimizer applies each norm to the [d_out, d_in]
  // view automatically (layout 'auto'), so the updates equal the PyTorch-layout reference's.
  const optimizer = train.scion({
    lr: 0.02,
    schedule: { kind: 'cosineDecay', steps: epochs * Math.ceil(x.shape[0] / 32) }, // saved with the model
    groups: [
      { name: 'hidden', match: 'dense_Dense*/kernel', norm: spectral(), scale: 3 },
      { name: 'head', match: 'head/kernel', norm: sign(), scale: 30 },
      { name: 'biases', match: '*/bias', norm: biasRMS() },
    ],
  });

  model.compile({ optimizer, loss: 'categoricalCrossentropy' });
  const history = await model.fit(x, y, { epochs, batchSize: 32, verbose: 0 });
  return { model, optimizer, losses: history.history['loss'] as number[] };
}
