/**
 * The tf.Optimizer is a shell over core's optimizer: its presets are core's (no drifted copy), a
 * typo'd group pattern fails as core fails, a disposed optimizer refuses to step, and a null
 * gradient leaves its variable and buffer alone.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { LmoError, frobenius, muon, sign, signSGD, type LmoOptimizer } from '@lmo/core';
import { referenceBackend, type RefTensor } from '@lmo/core/reference';
import { ScionOptimizer, train } from '../src/index.js';
import { normals } from './helpers/data.js';
import { useEngine } from './helpers/engines.js';

let counter = 0;
const variable = (values: Float32Array, shape: number[], name: string): tf.Variable => tf.variable(tf.tensor(values, shape), true, `${name}_s${counter++}`);

/** Steps a tfjs preset and core's preset of the same name with the same gradients; returns both parameters. */
function sideBySide(
  tfjs: ScionOptimizer,
  core: (w: RefTensor) => LmoOptimizer<RefTensor, 'sync'>,
  shape: number[],
): { tfjs: Float32Array; core: Float32Array } {
  const size = shape.reduce((a, d) => a * d, 1);
  const w0 = normals(size, 1);
  const v = variable(w0, shape, 'side');
  const w = referenceBackend.fromArray(w0, shape);
  const opt = core(w);
  for (let k = 0; k < 4; k++) {
    const g = normals(size, 10 + k);
    const t = tf.tensor(g, shape);
    tfjs.applyGradients({ [v.name]: t });
    t.dispose();
    opt.step({ w: referenceBackend.fromArray(g, shape) });
  }
  const out = { tfjs: v.dataSync() as Float32Array, core: referenceBackend.read(w) };
  tfjs.dispose();
  v.dispose();
  return out;
}

function close(a: Float32Array, b: Float32Array, tol = 1e-5): void {
  expect(a.length).toBe(b.length);
  a.forEach((x, i) => expect(Math.abs(x - b[i]!), `[${i}]`).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(b[i]!))));
}

describe('@lmo/tfjs as a shell over @lmo/core', () => {
  beforeAll(async () => {
    await useEngine('cpu');
  });

  it('train.signSGD({ momentum: undefined }) keeps no buffer and uses sign (core\'s preset), as signSGD({ norm: undefined })', () => {
    for (const options of [{ lr: 0.01, momentum: undefined }, { lr: 0.01, norm: undefined }]) {
      const opt = train.signSGD(options);
      const v = variable(normals(6, 2), [6], 'sgd');
      const g = tf.ones([6]);
      opt.applyGradients({ [v.name]: g });
      expect(opt.parameters[0]).toMatchObject({ norm: 'signUnscaled', buffered: false });
      tf.dispose([v, g]);
      opt.dispose();
    }
    const { tfjs, core } = sideBySide(train.signSGD({ lr: 0.01, momentum: undefined }), (w) => signSGD(referenceBackend, { w }, { lr: 0.01, momentum: undefined }), [2, 3]);
    close(tfjs, core);
  });

  it('train.muon({ momentum: undefined }) uses α = 0.05, as core\'s muon', () => {
    const opt = train.muon({ lr: 0.02, momentum: undefined });
    expect(opt.options.momentum).toBe(0.05);
    opt.dispose();
    const { tfjs, core } = sideBySide(train.muon({ lr: 0.02, momentum: undefined }), (w) => muon(referenceBackend, { w }, { lr: 0.02, momentum: undefined }), [6]);
    close(tfjs, core);
  });

  it('a group whose pattern matches no variable is an error at the first applyGradients, as in core (not a silent default group)', () => {
    const kernel = variable(normals(6, 3), [2, 3], 'typo_dense/kernel');
    const opt = new ScionOptimizer({ lr: 0.1, groups: [{ name: 'hidden', match: '*/kernal', norm: frobenius() }, { name: 'rest', norm: sign() }] });
    const g = tf.onesLike(kernel);
    const before = kernel.dataSync().slice();
    expect(() => opt.applyGradients({ [kernel.name]: g })).toThrow(expect.objectContaining({ code: 'GROUP_ROUTING', message: expect.stringContaining('"hidden" matches no parameter') }));
    expect(kernel.dataSync()).toEqual(before);
    expect(opt.parameters).toEqual([]);
    tf.dispose([kernel, g]);
    opt.dispose();
  });

  it('applyGradients, getWeights and setWeights after dispose() are errors, not a silent restart of the momentum', async () => {
    const v = variable(normals(6, 4), [2, 3], 'disposed');
    const g = tf.onesLike(v);
    const opt = train.scion({ lr: 0.1 });
    opt.applyGradients({ [v.name]: g });
    opt.dispose();
    const before = v.dataSync().slice();
    expect(() => opt.applyGradients({ [v.name]: g })).toThrow(LmoError);
    expect(() => opt.applyGradients({ [v.name]: g })).toThrow(/disposed/);
    expect(v.dataSync()).toEqual(before);
    await expect(opt.getWeights()).rejects.toThrow(/disposed/);
    await expect(opt.setWeights([])).rejects.toThrow(/disposed/);
    opt.dispose(); // twice is fine
    tf.dispose([v, g]);
  });

  it('a null gradient leaves its variable and its momentum unchanged; iterations is core\'s step counter', async () => {
    const a = variable(normals(6, 5), [2, 3], 'nul_a');
    const b = variable(normals(3, 6), [3], 'nul_b');
    const opt = train.scion({ lr: 0.1, momentum: 0.5 });
    const [ga, gb] = [tf.onesLike(a), tf.onesLike(b)];
    opt.applyGradients({ [a.name]: ga, [b.name]: gb });
    const weights = async () => new Map(await Promise.all((await opt.getWeights()).map(async (w) => [w.name, Array.from(await w.tensor.data())] as const)));
    const before = { b: b.dataSync().slice(), buffer: (await weights()).get(`${b.name}/lmo_momentum`) };
    opt.applyGradients([{ name: a.name, tensor: ga }, { name: b.name, tensor: null as never }]);
    expect(b.dataSync()).toEqual(before.b);
    expect((await weights()).get(`${b.name}/lmo_momentum`)).toEqual(before.buffer);
    expect(opt.iterations).toBe(2);
    await opt.setWeights(await opt.getWeights());
    expect(opt.iterations).toBe(2);
    tf.dispose([a, b, ga, gb]);
    opt.dispose();
  });

  it('unknown options are errors that say what they are called here', () => {
    expect(() => new ScionOptimizer({ lr: 0.1, weight_decay: 0.01 } as never)).toThrow(/unknown option "weight_decay" \(the constrained update/);
  });
});

describe('AdamW groups', () => {
  it('are refused with what to use instead (the saved weights hold one buffer per variable)', () => {
    expect(() => new ScionOptimizer({ lr: 0.1, groups: [{ match: '*bias', adamw: {} }, { norm: sign() }] })).toThrow(/groups\[0\]: ScionOptimizer has no AdamW groups.*tf\.train\.adam/);
  });
});
