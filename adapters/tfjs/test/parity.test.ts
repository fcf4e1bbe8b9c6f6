import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { auto, biasRMS, colNorm, createOptimizer, frobenius, muonNorm, rowNorm, sign, signUnscaled, spectral, spectralConv, type Norm } from '@lmo/core';
import { referenceBackend } from '@lmo/core/reference';
import { ScionOptimizer } from '../src/index.js';
import { kerasToReferenceConv, normals, relativeError, transpose2d } from './helpers/data.js';
import { ENGINES, useEngine } from './helpers/engines.js';

const TOLERANCE = 1e-5;
const STEPS = 3;

type Mode = 'scg' | 'uscg' | 'light' | 'no-momentum';
const MODES: readonly Mode[] = ['scg', 'uscg', 'light', 'no-momentum'];

interface Case {
  readonly label: string;
  readonly norm: () => Norm;
  /** Reference shape. */
  readonly shape: readonly number[];
}

const CASES: readonly Case[] = [
  { label: 'sign', norm: () => sign(), shape: [4, 6] },
  { label: 'sign(unnormalized)', norm: () => sign({ normalized: false }), shape: [5, 3] },
  { label: 'signUnscaled', norm: () => signUnscaled(), shape: [7] },
  { label: 'spectral (wide)', norm: () => spectral(), shape: [4, 9] },
  { label: 'spectral (tall)', norm: () => spectral(), shape: [9, 4] },
  { label: 'spectral(max, unnormalized)', norm: () => spectral({ max: true, normalized: false }), shape: [6, 3] },
  { label: 'spectral(polar-express)', norm: () => spectral({ method: 'polar-express' }), shape: [5, 8] },
  { label: 'colNorm', norm: () => colNorm(), shape: [5, 4] },
  { label: 'colNorm(normalized, transpose)', norm: () => colNorm({ normalized: true, transpose: true }), shape: [6, 3] },
  { label: 'rowNorm', norm: () => rowNorm(), shape: [3, 7] },
  { label: 'rowNorm(unnormalized, transpose)', norm: () => rowNorm({ normalized: false, transpose: true }), shape: [4, 5] },
  { label: 'biasRMS', norm: () => biasRMS(), shape: [8] },
  { label: 'frobenius', norm: () => frobenius(), shape: [3, 5] },
  { label: 'spectralConv (conv2d)', norm: () => spectralConv(), shape: [4, 3, 3, 3] },
  { label: 'spectralConv (conv1d)', norm: () => spectralConv(), shape: [6, 2, 3] },
  { label: 'auto (vector)', norm: () => auto(), shape: [5] },
  { label: 'auto (matrix)', norm: () => auto(), shape: [3, 6] },
  { label: 'muonNorm', norm: () => muonNorm(), shape: [6, 3] },
];

function options(mode: Mode, norm: Norm) {
  return {
    lr: 0.05,
    scale: 2,
    momentum: mode === 'no-momentum' ? 1 : 0.3,
    unconstrained: mode === 'uscg',
    norm,
  };
}

/** Runs the reference backend (ScionLight adds each gradient into its buffer G within the step). */
function referenceRun(mode: Mode, norm: Norm, shape: readonly number[], w0: Float32Array, grads: Float32Array[]): Float32Array {
  const b = referenceBackend;
  const w = b.fromArray(w0, shape);
  const opt = createOptimizer(b, { w }, { ...options(mode, norm), light: mode === 'light' });
  for (const g of grads) opt.step({ w: b.fromArray(g, shape) });
  return b.read(w) as Float32Array;
}

/** The same through ScionOptimizer.applyGradients, on the tfjs variable `v` (any layout). */
function tfjsRun(mode: Mode, norm: Norm, v: tf.Variable, grads: Float32Array[]): void {
  const opt = new ScionOptimizer({ ...options(mode, norm), light: mode === 'light' });
  for (const g of grads) {
    const gt = tf.tensor(g, v.shape);
    opt.applyGradients({ [v.name]: gt });
    gt.dispose();
  }
  opt.dispose();
}

function gradients(size: number, seed: number): Float32Array[] {
  return Array.from({ length: STEPS }, (_, k) => normals(size, seed * 100 + k));
}

describe.each(ENGINES)('parity with the reference backend on tfjs-%s', (engine) => {
  beforeAll(async () => {
    await useEngine(engine);
  });

  describe.each(MODES)('%s', (mode) => {
    it.each(CASES.map((c) => [c.label, c] as const))('%s', (_label, c) => {
      const size = c.shape.reduce((a, d) => a * d, 1);
      const w0 = normals(size, 1, 0.5);
      const grads = gradients(size, 2);
      const expected = referenceRun(mode, c.norm(), c.shape, w0, grads);
      const v = tf.variable(tf.tensor(w0, [...c.shape]), true, `parity/${engine}/${mode}/${c.label}`.replace(/[^\w/.-]/g, '_'));
      tfjsRun(mode, c.norm(), v, grads);
      const actual = v.dataSync() as Float32Array;
      v.dispose();
      expect(relativeError(actual, expected)).toBeLessThanOrEqual(TOLERANCE);
    });
  });

  it('a tf.layers Dense kernel [d_in, d_out] gets the reference LMO of its [d_out, d_in] view', () => {
    for (const norm of [spectral(), colNorm(), rowNorm(), sign()]) {
      const [dOut, dIn] = [5, 3];
      const w0 = normals(dOut * dIn, 3, 0.5);
      const grads = gradients(dOut * dIn, 4);
      const expected = referenceRun('scg', norm, [dOut, dIn], w0, grads);
      const v = tf.variable(tf.tensor(transpose2d(w0, dOut, dIn), [dIn, dOut]), true, `dense_${engine}_${norm.kind}/kernel`);
      tfjsRun('scg', norm, v, grads.map((g) => transpose2d(g, dOut, dIn)));
      const actual = transpose2d(v.dataSync() as Float32Array, dIn, dOut);
      v.dispose();
      expect(relativeError(actual, expected), norm.kind).toBeLessThanOrEqual(TOLERANCE);
    }
  });

  it('a Conv2D kernel [kh, kw, in, out] gets the reference LMO of its [out, in, kh, kw] view', () => {
    const [kh, kw, cin, cout] = [3, 2, 3, 4];
    const taps = kh * kw;
    const size = taps * cin * cout;
    const w0 = normals(size, 5, 0.5);
    const grads = gradients(size, 6);
    const toRef = (d: Float32Array) => kerasToReferenceConv(d, taps, cin, cout);
    for (const norm of [spectralConv(), auto(), signUnscaled(), frobenius()]) {
      const expected = referenceRun('scg', norm, [cout, cin, kh, kw], toRef(w0), grads.map(toRef));
      const v = tf.variable(tf.tensor(w0, [kh, kw, cin, cout]), true, `conv2d_${engine}_${norm.kind}/kernel`);
      tfjsRun('scg', norm, v, grads);
      const actual = toRef(v.dataSync() as Float32Array);
      v.dispose();
      expect(relativeError(actual, expected), norm.kind).toBeLessThanOrEqual(TOLERANCE);
    }
  });

  it('a depthwise kernel [kh, kw, in, m] gets the reference LMO of PyTorch\'s [in·m, 1, kh, kw]', () => {
    const [kh, kw, cin, m] = [2, 2, 3, 2];
    const size = kh * kw * cin * m;
    const w0 = normals(size, 7, 0.5);
    const grads = gradients(size, 8);
    // [t, in, m] flattened is [t, in·m]; PyTorch's [in·m, 1, t] is its transpose.
    const toRef = (d: Float32Array) => transpose2d(d, kh * kw, cin * m);
    const expected = referenceRun('scg', spectralConv(), [cin * m, 1, kh, kw], toRef(w0), grads.map(toRef));
    const v = tf.variable(tf.tensor(w0, [kh, kw, cin, m]), true, `dw_${engine}/depthwise_kernel`);
    tfjsRun('scg', spectralConv(), v, grads);
    const actual = toRef(v.dataSync() as Float32Array);
    v.dispose();
    expect(relativeError(actual, expected)).toBeLessThanOrEqual(TOLERANCE);
  });
});
