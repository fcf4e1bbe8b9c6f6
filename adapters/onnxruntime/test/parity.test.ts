import { afterAll, describe, expect, it } from 'vitest';
import { auto, biasRMS, colNorm, createOptimizer, frobenius, muon, muonNorm, rowNorm, sign, signUnscaled, spectral, spectralConv, transformerGroups, transposed, warmupCosine, type NamedTensors, type Norm, type OptimizerOptions, type TensorBackend } from '@lmo/core';
import { referenceBackend } from '@lmo/core/reference';
import { onnxBackend } from '../src/index.js';
import { nanoGptShapes, pseudoRandom } from '../bench/nanogpt-params.js';

const ort = onnxBackend({ intraOpNumThreads: 1 });
afterAll(async () => {
  await ort.close();
});

const STEPS = 4;
const TOLERANCE = 1e-5;

/** ‖a − b‖∞ / ‖b‖∞: the error relative to the reference's magnitude. */
function relativeError(a: Float32Array, b: Float32Array): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return scale === 0 ? diff : diff / scale;
}

type Make = <T>(backend: TensorBackend<T>, params: NamedTensors<T>) => { step(g: NamedTensors<T>): unknown; getState(): unknown };

/** Run `STEPS` steps on a backend; return parameters and momentum buffers after each step. */
async function trajectory<T>(backend: TensorBackend<T>, shapes: readonly (readonly [string, number[]])[], make: Make): Promise<Float32Array[][]> {
  const size = (s: number[]): number => s.reduce((a, d) => a * d, 1);
  const params = Object.fromEntries(shapes.map(([n, s], i) => [n, backend.fromArray(pseudoRandom(size(s), 7 + i), s)]));
  const opt = make(backend, params);
  const out: Float32Array[][] = [];
  for (let k = 0; k < STEPS; k++) {
    // Fresh gradients each step (ScionLight adds them into its gradient buffers within the step).
    const grads = Object.fromEntries(shapes.map(([n, s], i) => [n, backend.fromArray(pseudoRandom(size(s), 1000 * k + i + 1), s)]));
    await opt.step(grads);
    const state = (await opt.getState()) as { parameters: { momentum?: Float32Array }[] };
    const values = await Promise.all(shapes.map(([n]) => backend.read(params[n]!)));
    out.push([...values, ...state.parameters.flatMap((p) => (p.momentum ? [p.momentum] : []))]);
  }
  return out;
}

async function expectParity(shapes: readonly (readonly [string, number[]])[], make: Make): Promise<number> {
  const [got, want] = await Promise.all([trajectory(ort, shapes, make), trajectory(referenceBackend, shapes, make)]);
  let worst = 0;
  got.forEach((tensors, k) =>
    tensors.forEach((t, j) => {
      const err = relativeError(t, want[k]![j]!);
      worst = Math.max(worst, err);
      expect(err, `step ${k}, tensor ${j}`).toBeLessThan(TOLERANCE);
    }),
  );
  return worst;
}

const matrix: [string, number[]][] = [
  ['wide', [6, 10]],
  ['tall', [12, 5]],
  ['square', [8, 8]],
];

const norms: [string, Norm, [string, number[]][]][] = [
  ['sign(normalized)', sign({ normalized: true }), matrix],
  ['sign(unnormalized)', sign({ normalized: false }), matrix],
  ['signUnscaled', signUnscaled(), matrix],
  ['spectral', spectral(), matrix],
  ['spectral(max, unnormalized)', spectral({ max: true, normalized: false }), matrix],
  ['spectral(polar-express)', spectral({ method: 'polar-express' }), matrix],
  ['colNorm', colNorm(), matrix],
  ['colNorm(normalized, transpose)', colNorm({ normalized: true, transpose: true }), matrix],
  ['rowNorm', rowNorm(), matrix],
  ['rowNorm(unnormalized, transpose)', rowNorm({ normalized: false, transpose: true }), matrix],
  ['transposed(rowNorm)', transposed(rowNorm()), matrix],
  ['biasRMS', biasRMS(), [['bias', [16]], ['gain', [9]], ['scalar', []]]],
  ['frobenius', frobenius(), [...matrix, ['v', [7]]]],
  ['spectralConv', spectralConv(), [['conv1d', [6, 3, 3]], ['conv2d', [4, 2, 3, 3]]]],
  ['auto', auto(), [...matrix, ['b', [5]], ['k', [4, 2, 3]]]],
  ['muonNorm', muonNorm(), [...matrix, ['b', [5]]]],
];

describe('onnxruntime backend: parity with the reference backend (relative error < 1e-5)', () => {
  for (const [label, norm, shapes] of norms) {
    it(`${label}, SCG`, async () => {
      await expectParity(shapes, (b, p) => createOptimizer(b, p, { lr: 0.05, groups: [{ norm, scale: 2 }] }));
    });
  }

  const updates: [string, Partial<OptimizerOptions>][] = [
    ['uSCG', { unconstrained: true }],
    ['ScionLight', { light: true }],
    ['ScionLight, uSCG', { light: true, unconstrained: true }],
    ['momentum 1 (no buffer)', { momentum: 1 }],
    ['scheduled lr', { schedule: warmupCosine({ warmup: 2, decaySteps: 4, final: 0.1 }) }],
  ];
  for (const [label, options] of updates) {
    it(`update rule: ${label}`, async () => {
      await expectParity([...matrix, ['b', [5]]], (b, p) => createOptimizer(b, p, { lr: 0.05, momentum: 0.3, ...options }));
    });
  }

  it('preset: muon', async () => {
    await expectParity(matrix, (b, p) => muon(b, p, { lr: 0.02 }));
  });

  it('nanoGPT (small) with Scion default groups', async () => {
    const shapes = nanoGptShapes({ vocab: 17, block: 8, layers: 2, width: 16 });
    await expectParity(shapes, (b, p) => createOptimizer(b, p, { lr: 2 ** -8, groups: transformerGroups() }));
  });
});
