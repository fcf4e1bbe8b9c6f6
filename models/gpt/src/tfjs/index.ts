/** `@lmo/gpt/tfjs`: the GPT as TensorFlow.js ops (tfjs autodiff), on whichever tfjs backend is active. */
export { TfjsModel, tfjsGpt } from './backend.js';
