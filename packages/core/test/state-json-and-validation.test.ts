import { describe, expect, it } from 'vitest';
import { LmoError, createOptimizer, sign, stateFromJSON, stateToJSON, type OptimizerState } from '../src/index.js';
import { RefTensor, referenceBackend as b } from '../src/reference/index.js';

const matrix = () => new RefTensor(new Float32Array(6), [2, 3]);

describe('stateToJSON / stateFromJSON', () => {
  it('round-trips NaN, ±Inf and −0 bit-exactly through JSON text', () => {
    const momentum = new Float32Array([NaN, Infinity, -Infinity, -0, 0, 1.1, -3.4028234663852886e38]);
    const state: OptimizerState = {
      format: 'lmo-optimizer-state',
      version: 1,
      step: 3,
      parameters: [{ name: 'w', shape: [7], group: 'g', momentum }],
    };
    const back = stateFromJSON(JSON.parse(JSON.stringify(stateToJSON(state))));
    const m = back.parameters[0]!.momentum!;
    expect(m).toBeInstanceOf(Float32Array);
    expect(new Uint32Array(m.buffer)).toEqual(new Uint32Array(momentum.buffer));
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
