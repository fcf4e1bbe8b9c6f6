import { describe, expect, it } from 'vitest';
import { LmoError, createOptimizer, sign, stateFromJSON, stateToJSON, type OptimizerState } from '../src/index.js';
import { RefTensor, referenceBackend as b } from '../src/reference/index.js';

const matrix = () => new RefTensor(new Float32Array(6), [2, 3]);

describe('stateToJSON / stateFromJSON', () => {
  const stateWith = (momentum: Float32Array): OptimizerState => ({
    format: 'lmo-optimizer-state',
    version: 3,
    step: 3,
    parameters: [{ name: 'w', shape: [momentum.length], group: 'g', buffers: { momentum } }],
  });

  it('round-trips −0, denormals and the float32 extremes bit-exactly through JSON text', () => {
    const momentum = new Float32Array([-0, 0, 1.1, -3.4028234663852886e38, 3.4028234663852886e38, 1e-45, -1.1754943508222875e-38]);
    const back = stateFromJSON(JSON.parse(JSON.stringify(stateToJSON(stateWith(momentum)))));
    const m = back.parameters[0]!.buffers!.momentum!;
    expect(m).toBeInstanceOf(Float32Array);
    expect(new Uint32Array(m.buffer)).toEqual(new Uint32Array(momentum.buffer));
  });

  it('stateToJSON refuses a buffer holding NaN or ±Inf (it could not be loaded), naming the parameter', () => {
    for (const bad of [NaN, Infinity, -Infinity]) {
      expect(() => stateToJSON(stateWith(Float32Array.of(1, bad)))).toThrow(/"w".*index 1/);
    }
  });

  it('stateFromJSON rejects every value that is not a finite float32 number, naming the parameter and index', () => {
    const json = stateToJSON(stateWith(Float32Array.of(1, 2, 3))) as { parameters: Array<{ buffers: { momentum: unknown[] } }> };
    for (const bad of ['NaN', 'Infinity', '1', 'x', null, {}, [], true, 1e39, -1e39, Number.NaN]) {
      const copy = structuredClone(json);
      copy.parameters[0]!.buffers.momentum[1] = bad;
      let caught: unknown;
      try {
        stateFromJSON(copy);
      } catch (e) {
        caught = e;
      }
      expect(caught, JSON.stringify(bad)).toBeInstanceOf(LmoError);
      expect((caught as LmoError).code).toBe('STATE_MISMATCH');
      expect((caught as LmoError).message).toMatch(/"w".*index 1/);
    }
    for (const broken of [null, 'x', 3, [], { format: 'other', parameters: [] }, { format: 'lmo-optimizer-state' }, { format: 'lmo-optimizer-state', parameters: [null] }]) {
      expect(() => stateFromJSON(broken), JSON.stringify(broken)).toThrow(LmoError);
    }
  });
});

describe('construction checks', () => {
  it('rejects two groups with the same name', () => {
    const make = () =>
      createOptimizer(b, { a: matrix(), c: matrix() }, {
        lr: 0.1,
        groups: [
          { name: 'same', match: 'a', norm: sign() },
          { name: 'same', match: 'c', norm: sign() },
        ],
      });
    expect(make).toThrowError(LmoError);
    expect(make).toThrowError(/"same"/);
  });

  it('rejects an undefined parameter with its name', () => {
    const make = () => createOptimizer(b, { w: undefined as unknown as RefTensor }, { lr: 0.1 });
    expect(make).toThrowError(/params\["w"\]/);
  });

  it('disposes its temporaries when init fails inside run', () => {
    const disposed: RefTensor[] = [];
    const failing = { ...b, run: () => { throw new Error('boom'); }, dispose: (t: RefTensor) => void disposed.push(t) };
    const opt = createOptimizer(failing, { w: matrix() }, { lr: 0.1, norm: sign() });
    expect(() => opt.init(1)).toThrowError('boom');
    expect(disposed.length).toBe(2); // the init values and the zeroed momentum
  });
});
