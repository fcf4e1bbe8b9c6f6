/**
 * The checkpoint reader over random damage: byte flips, truncations and random metadata edits are
 * either refused with a one-line `INVALID_CHECKPOINT` error or — where the bytes changed mean
 * nothing — read back as exactly the checkpoint written; never another error, never other values.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LmoError } from '../src/errors.js';
import { decodeCheckpoint, decodeSafetensors, encodeCheckpoint, encodeSafetensors, scion, type DecodedCheckpoint, type OptimizerState } from '../src/index.js';
import { Random } from '../src/random.js';
import { ref } from './helpers/backend.js';

function written(): Uint8Array {
  const rng = new Random(5);
  const make = () => new Map([['w', ref.fromArray(Float32Array.from({ length: 12 }, () => rng.normal()), [3, 4])], ['b', ref.fromArray(Float32Array.from({ length: 3 }, () => rng.normal()), [3])]]);
  const params = make();
  const opt = scion(ref, params, { lr: 0.01, bufferDtype: 'bfloat16' });
  opt.step(make());
  const weights = new Map([...params].map(([k, p]) => [k, ref.read(p) as Float32Array]));
  return encodeCheckpoint({ weights, state: opt.getState() as OptimizerState, metadata: { run: { seed: 1 }, record: [1.5, 2] } });
}

const GOOD = written();
const EXPECTED = decodeCheckpoint(GOOD);

function readsSameOrRefuses(bytes: Uint8Array): 'read' | 'refused' {
  let out: DecodedCheckpoint;
  try {
    out = decodeCheckpoint(bytes);
  } catch (e) {
    if (!(e instanceof LmoError) || e.code !== 'INVALID_CHECKPOINT' || e.message.includes('\n')) throw e;
    return 'refused';
  }
  expect(out).toEqual(EXPECTED);
  return 'read';
}

describe('the checkpoint reader under random damage', () => {
  it('byte flips and truncations are refused, or change nothing', () => {
    const outcomes = { read: 0, refused: 0 };
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }), fc.option(fc.nat()), (flips, cut) => {
        const bytes = GOOD.slice();
        for (const [at, x] of flips) bytes[at % bytes.length]! ^= x;
        outcomes[readsSameOrRefuses(cut === null ? bytes : bytes.subarray(0, cut % bytes.length))]++;
      }),
      { numRuns: 500 },
    );
    expect(outcomes.refused).toBeGreaterThan(400);
  });

  it('every single-bit flip is refused', () => {
    for (let at = 0; at < GOOD.length; at++) {
      const bytes = GOOD.slice();
      bytes[at]! ^= 1 << at % 8;
      expect(readsSameOrRefuses(bytes), `byte ${at}`).toBe('refused');
    }
  });

  it('random JSON in any metadata entry is refused', () => {
    const file = decodeSafetensors(GOOD);
    fc.assert(
      fc.property(fc.constantFrom(...Object.keys(file.metadata)), fc.json(), (key, text) => {
        fc.pre(text !== file.metadata[key]);
        expect(readsSameOrRefuses(encodeSafetensors(file.tensors, { ...file.metadata, [key]: text }))).toBe('refused');
      }),
      { numRuns: 300 },
    );
  });
});
