/**
 * The handoff reader over random damage: byte flips and truncations of either file, and random JSON
 * in the metadata, are either read (then into a state of the right shape) or refused with a one-line
 * LmoError, never another error.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LmoError } from '../src/errors.js';
import { createOptimizer, decodeSafetensors, decodeTorchHandoff, encodeSafetensors, encodeTorchHandoff, transformerGroups, warmupCosine, type OptimizerOptions, type TorchHandoff } from '../src/index.js';
import { Random } from '../src/random.js';
import { ref } from './helpers/backend.js';

const SHAPES: Record<string, number[]> = { 'transformer.wte.weight': [5, 4], 'transformer.wpe.weight': [3, 4], 'transformer.h.0.mlp.c_fc.weight': [8, 4], 'transformer.ln_f.weight': [4] };
const OPTIONS: OptimizerOptions = { lr: 0.01, schedule: warmupCosine({ warmup: 1, decaySteps: 5 }), groups: transformerGroups() };

function bundle(): TorchHandoff {
  const rng = new Random(2);
  const make = () => new Map(Object.entries(SHAPES).map(([k, s]) => [k, ref.fromArray(Float32Array.from({ length: s.reduce((a, d) => a * d, 1) }, () => rng.normal()), s)]));
  const params = make();
  const opt = createOptimizer(ref, params, OPTIONS);
  opt.step(make());
  const weights = new Map([...params].map(([k, p]) => [k, ref.read(p) as Float32Array]));
  return encodeTorchHandoff({ weights, options: OPTIONS, state: opt.getState() as never });
}

const GOOD = bundle();

function readsOrRefuses(b: TorchHandoff, options?: OptimizerOptions): 'read' | 'refused' {
  try {
    const out = decodeTorchHandoff(b, options);
    for (const p of out.state.parameters) expect(out.weights.get(p.name)!.length).toBe(p.shape.reduce((a, d) => a * d, 1));
    return 'read';
  } catch (e) {
    if (!(e instanceof LmoError) || e.message.includes('\n')) throw e;
    return 'refused';
  }
}

describe('the handoff reader under random damage', () => {
  it('an object whose toString is not a function, where a number belongs, is refused by name', () => {
    const file = decodeSafetensors(GOOD.optimizer);
    const groups = JSON.parse(file.metadata['param_groups']!) as Array<Record<string, unknown>>;
    for (const key of ['scale', 'lr', 'momentum', 'norm', 'unconstrained']) {
      const changed = groups.map((x, i) => (i === 0 ? { ...x, [key]: { toString: '' } } : x));
      const metadata = { ...file.metadata, param_groups: JSON.stringify(changed) };
      expect(readsOrRefuses({ ...GOOD, optimizer: encodeSafetensors(file.tensors, metadata) }, OPTIONS), key).toBe('refused');
    }
  });

  it('byte flips and truncations of either file', () => {
    fc.assert(
      fc.property(fc.boolean(), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }), fc.option(fc.nat()), fc.boolean(), (which, flips, cut, withOptions) => {
        const bytes = Uint8Array.from(which ? GOOD.model : GOOD.optimizer);
        for (const [at, x] of flips) bytes[at % bytes.length]! ^= x;
        const damaged = cut === null ? bytes : bytes.subarray(0, cut % bytes.length);
        readsOrRefuses(which ? { ...GOOD, model: damaged } : { ...GOOD, optimizer: damaged }, withOptions ? OPTIONS : undefined);
      }),
      { numRuns: 400 },
    );
  });

  it('random JSON in place of each metadata value', () => {
    const file = decodeSafetensors(GOOD.optimizer);
    fc.assert(
      fc.property(fc.constantFrom(...Object.keys(file.metadata)), fc.jsonValue(), fc.boolean(), (key, value, withOptions) => {
        const metadata = { ...file.metadata, [key]: JSON.stringify(value) };
        readsOrRefuses({ ...GOOD, optimizer: encodeSafetensors(file.tensors, metadata) }, withOptions ? OPTIONS : undefined);
      }),
      { numRuns: 300 },
    );
  });

  it('random values in the param groups', () => {
    const file = decodeSafetensors(GOOD.optimizer);
    const groups = JSON.parse(file.metadata['param_groups']!) as Array<Record<string, unknown>>;
    fc.assert(
      fc.property(fc.nat(groups.length - 1), fc.constantFrom('params', 'lr', 'initial_lr', 'momentum', 'scale', 'unconstrained', 'norm', 'norm_kwargs', 'name', 'other'), fc.jsonValue(), (g, key, value) => {
        const changed = groups.map((x, i) => (i === g ? { ...x, [key]: value } : x));
        const metadata = { ...file.metadata, param_groups: JSON.stringify(changed) };
        readsOrRefuses({ ...GOOD, optimizer: encodeSafetensors(file.tensors, metadata) }, OPTIONS);
      }),
      { numRuns: 300 },
    );
  });
});
