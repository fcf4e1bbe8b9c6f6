import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { biasRMS, colNorm, createOptimizer, linearWarmup, LmoError, Random, sign, spectral } from '@lmo/core';
import { referenceBackend } from '@lmo/core/reference';
import { ScionOptimizer, registerScionOptimizer, train } from '../src/index.js';
import { normals, transpose2d } from './helpers/data.js';
import { ENGINES, useEngine } from './helpers/engines.js';

let counter = 0;
function variable(values: Float32Array, shape: number[], name: string): tf.Variable {
  return tf.variable(tf.tensor(values, shape), true, `${name}_${counter++}`);
}

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return e instanceof LmoError ? e.code : String(e);
  }
  return undefined;
}

describe.each(ENGINES)('ScionOptimizer as a tf.Optimizer on tfjs-%s', (engine) => {
  beforeAll(async () => {
    await useEngine(engine);
  });

  it('is a tf.Optimizer and minimize(f) lowers a least-squares loss', () => {
    const A = tf.tensor(normals(20 * 6, 11), [20, 6]);
    const y = tf.matMul(A, tf.tensor(normals(6 * 3, 12, 0.5), [6, 3]));
    const W = variable(normals(6 * 3, 13, 0.1), [6, 3], 'ls/kernel');
    const opt = train.scion({ lr: 0.05, scale: 5 });
    expect(opt).toBeInstanceOf(tf.Optimizer);
    const loss = () => tf.mean(tf.square(tf.sub(tf.matMul(A, W), y))) as tf.Scalar;
    const first = (opt.minimize(loss, true) as tf.Scalar).dataSync()[0]!;
    let last = first;
    for (let i = 0; i < 60; i++) {
      const cost = opt.minimize(loss, true)!;
      last = cost.dataSync()[0]!;
      cost.dispose();
    }
    expect(last).toBeLessThan(first * 0.8);
    expect(opt.iterations).toBe(61);
    expect(opt.parameters[0]).toMatchObject({ name: W.name, layout: 'keras', norm: 'transposed', buffered: true });
    opt.dispose();
    tf.dispose([A, y, W]);
  });

  it('map and list forms of applyGradients agree; state is keyed by name, not by position', () => {
    const w0a = normals(12, 1);
    const w0b = normals(5, 2);
    const grads = Array.from({ length: 4 }, (_, k) => [normals(12, 10 + k), normals(5, 20 + k)] as const);
    const run = (form: 'map' | 'list' | 'shuffled'): Float32Array[] => {
      const a = variable(w0a, [3, 4], 'a');
      const b = variable(w0b, [5], 'b');
      const opt = new ScionOptimizer({ lr: 0.1, momentum: 0.5 });
      grads.forEach(([ga, gb], k) => {
        const ta = tf.tensor(ga, [3, 4]);
        const tb = tf.tensor(gb, [5]);
        if (form === 'map') opt.applyGradients({ [a.name]: ta, [b.name]: tb });
        else if (form === 'list') opt.applyGradients([{ name: a.name, tensor: ta }, { name: b.name, tensor: tb }]);
        else if (k % 2) opt.applyGradients([{ name: b.name, tensor: tb }, { name: a.name, tensor: ta }]);
        else opt.applyGradients({ [b.name]: tb, [a.name]: ta });
        tf.dispose([ta, tb]);
      });
      const out = [a.dataSync() as Float32Array, b.dataSync() as Float32Array];
      opt.dispose();
      tf.dispose([a, b]);
      return out;
    };
    const byMap = run('map');
    expect(run('list')).toEqual(byMap);
    expect(run('shuffled')).toEqual(byMap);
  });

  it('follows a schedule by optimizer iteration, like core with the same schedule', () => {
    const w0 = normals(6, 3);
    const gs = Array.from({ length: 4 }, (_, k) => normals(6, 30 + k));
    const ref = referenceBackend.fromArray(w0, [6]);
    const core = createOptimizer(referenceBackend, { w: ref }, { lr: 0.2, schedule: linearWarmup(3) });
    const v = variable(w0, [6], 'sched');
    const opt = new ScionOptimizer({ lr: 0.2, schedule: { kind: 'linearWarmup', steps: 3 } });
    for (const g of gs) {
      core.step({ w: referenceBackend.fromArray(g, [6]) });
      const t = tf.tensor(g, [6]);
      opt.applyGradients({ [v.name]: t });
      t.dispose();
    }
    const want = referenceBackend.read(ref) as Float32Array;
    const got = v.dataSync();
    want.forEach((x, i) => expect(got[i]).toBeCloseTo(x, 5));
    opt.dispose();
    v.dispose();
  });

  it('routes variables to groups by glob, RegExp and canonical name', () => {
    const kernel = variable(normals(12, 1), [4, 3], 'dense_Dense7/kernel');
    const emb = variable(normals(12, 2), [6, 2], 'embedding_E1/embeddings');
    const bias = variable(normals(3, 3), [3], 'dense_Dense7/bias');
    const opt = train.scion({
      lr: 0.01,
      groups: [
        { name: 'hidden', match: '*/kernel', norm: spectral() },
        { name: 'embeddings', match: /embeddings$/, norm: colNorm({ transpose: true }), scale: 10 },
        { name: 'rest', norm: biasRMS() },
      ],
    });
    const grads = Object.fromEntries([kernel, emb, bias].map((v) => [v.name, tf.onesLike(v)]));
    opt.applyGradients(grads);
    expect(opt.parameters.map((p) => [p.group, p.layout, p.norm])).toEqual([
      ['hidden', 'keras', 'transposed'],
      ['embeddings', 'reference', 'colNorm'],
      ['rest', 'reference', 'biasRMS'],
    ]);
    // the names carry a "_<k>" suffix (as tfjs's uniquified names do): "*/kernel" matched the canonical name
    expect(kernel.name).toMatch(/kernel_\d+$/);
    tf.dispose([...Object.values(grads), kernel, emb, bias]);
    opt.dispose();
  });

  it('a call that throws changes nothing (unknown variable, shape, NaN, routing)', () => {
    const w = variable(normals(6, 4), [2, 3], 'atomic');
    const before = w.dataSync().slice();
    const opt = new ScionOptimizer({ lr: 0.1 });
    const good = tf.ones([2, 3]);
    const nan = tf.tensor([1, 2, NaN, 4, 5, 6], [2, 3]);
    expect(code(() => opt.applyGradients({ [w.name]: good, nosuch: good }))).toBe('UNKNOWN_PARAMETER');
    expect(code(() => opt.applyGradients({ [w.name]: tf.ones([3, 2]) }))).toBe('SHAPE_MISMATCH');
    expect(code(() => opt.applyGradients({ [w.name]: nan }))).toBe('NON_FINITE_GRADIENT');
    expect(w.dataSync()).toEqual(before);
    expect(opt.iterations).toBe(0);
    const skipping = new ScionOptimizer({ lr: 0.1, nonFinite: 'skip' });
    skipping.applyGradients({ [w.name]: nan });
    expect(skipping.skippedSteps).toBe(1);
    expect(w.dataSync()).toEqual(before);
    const strict = new ScionOptimizer({ lr: 0.1, groups: [{ match: 'nothing*', norm: sign() }] });
    expect(code(() => strict.applyGradients({ [w.name]: good }))).toBe('GROUP_ROUTING');
    const twice = new ScionOptimizer({ lr: 0.1, groups: [{ match: 'atomic*', norm: sign() }, { match: /atomic/, norm: sign() }] });
    expect(code(() => twice.applyGradients({ [w.name]: good }))).toBe('GROUP_ROUTING');
    expect(w.dataSync()).toEqual(before);
    expect(code(() => new ScionOptimizer({ lr: -1 }))).toBe('INVALID_HYPERPARAMETER');
    expect(code(() => new ScionOptimizer({ lr: 1, momentum: 0 }))).toBe('INVALID_HYPERPARAMETER');
    expect(code(() => new ScionOptimizer({ lr: 1, norm: sign(), groups: [{ norm: sign() }] }))).toBe('INVALID_HYPERPARAMETER');
    [opt, skipping, strict, twice].forEach((o) => o.dispose());
    tf.dispose([w, good, nan]);
  });

  it('getConfig → fromConfig rebuilds the same optimizer (norms, groups, schedule)', () => {
    const opt = train.muon({
      lr: 0.02,
      schedule: { kind: 'warmupCosine', warmup: 2, decaySteps: 10 },
      groups: [
        { name: 'my_hidden', match: ['*/kernel', /dense_\d+/i], norm: spectral({ method: 'polar-express', steps: 4 }), scale: 3 },
        { name: 'rest', norm: biasRMS(), lr: 0.5, momentum: 0.2, layout: 'reference' },
      ],
    });
    const config = opt.getConfig();
    const json = JSON.parse(JSON.stringify(config)) as tf.serialization.ConfigDict;
    const copy = ScionOptimizer.fromConfig(ScionOptimizer, json);
    expect(copy.getConfig()).toEqual(config);
    expect(copy.getClassName()).toBe('LmoScion');
    const fn = new ScionOptimizer({ lr: 1, schedule: () => 1 });
    expect(code(() => fn.getConfig())).toBe('INVALID_HYPERPARAMETER');
    const custom = new ScionOptimizer({ lr: 1, groups: [{ match: (n) => n.length > 0, norm: sign() }] });
    expect(code(() => custom.getConfig())).toBe('GROUP_ROUTING');
  });

  it('init() gives a Dense kernel the reference init of its [d_out, d_in] view, times the scale', () => {
    const kernel = variable(new Float32Array(15), [3, 5], 'init_dense/kernel');
    const bias = variable(normals(5, 1), [5], 'init_dense/bias');
    const opt = train.scion({ lr: 0.1, groups: [{ match: '*/kernel', norm: spectral(), scale: 2 }, { norm: biasRMS() }] });
    opt.init([kernel, { read: () => bias }], 7);
    const rng = new Random(7);
    const want = transpose2d(spectral().init([5, 3], rng), 5, 3).map((x) => 2 * x);
    const got = kernel.dataSync();
    want.forEach((x, i) => expect(got[i]).toBeCloseTo(x, 6));
    expect(Array.from(bias.dataSync())).toEqual(Array.from(biasRMS().init([5], rng)));
    opt.dispose();
    tf.dispose([kernel, bias]);
  });

  it('16-bit buffers are refused at construction: tfjs stores float32 only', () => {
    expect(code(() => new ScionOptimizer({ lr: 0.1, bufferDtype: 'bfloat16' }))).toBe('BACKEND');
    expect(() => new ScionOptimizer({ lr: 0.1, bufferDtype: 'float16' })).toThrow(/bufferDtype: the tfjs-\w+ backend does not store float16 \(it stores float32\)/);
  });

  it('is registered with tf.serialization under "LmoScion"', () => {
    expect(registerScionOptimizer()).toBe(ScionOptimizer);
    const map = tf.serialization.SerializationMap.getMap().classNameMap;
    expect(map['LmoScion']?.[0]).toBe(ScionOptimizer);
  });
});
