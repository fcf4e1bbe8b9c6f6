import { describe, expect, it } from 'vitest';
import { LmoError } from '../src/errors.js';
import { createReferenceBackend, referenceBackend as b, RefTensor } from '../src/reference/index.js';

const t = (values: number[], shape: number[]): RefTensor => b.fromArray(Float32Array.from(values), shape);

describe('reference backend specifics', () => {
  it('is named and synchronous', () => {
    expect(b.name).toBe('reference');
    expect(createReferenceBackend({ name: 'x' }).name).toBe('x');
    const x = t([1, 2], [1, 2]);
    expect(b.read(x)).toBeInstanceOf(Float32Array);
    expect(b.allFinite([x])).toBe(true);
    expect(b.mode).toBe('sync');
    expect(b.run(() => {})).toBe(true);
  });

  it('never aliases results with inputs, reshape included', () => {
    const x = t([1, 2, 3, 4], [2, 2]);
    const r = b.reshape(x, [4]);
    b.assign(r, t([9, 9, 9, 9], [4]));
    expect(Array.from(b.read(x))).toEqual([1, 2, 3, 4]);
    expect(b.add(x, b.zerosLike(x)).data).not.toBe(x.data);
  });

  it('offers the fused Newton–Schulz kernel unless disabled', () => {
    expect(b.fused?.newtonSchulz).toBeTypeOf('function');
    expect(createReferenceBackend({ fusedNewtonSchulz: false }).fused?.newtonSchulz).toBeUndefined();
  });

  it('rejects bad shapes with LmoError', () => {
    const x = t([1, 2, 3, 4, 5, 6], [2, 3]);
    const cases: [() => unknown, string, RegExp][] = [
      [() => t([1, 2, 3], [2, 2]), 'SHAPE_MISMATCH', /holds 4 values/],
      [() => t([1, 2], [-1, -2]), 'SHAPE_MISMATCH', /non-negative integers/],
      [() => b.reshape(x, [4]), 'SHAPE_MISMATCH', /cannot view/],
      [() => b.transpose(t([1, 2], [2])), 'UNSUPPORTED_SHAPE', /2-D/],
      [() => b.mul(x, t([1, 2], [1, 2])), 'SHAPE_MISMATCH', /broadcast \[1, 2\] against \[2, 3\]/],
      [() => b.div(x, t([1, 2, 3], [3, 1])), 'SHAPE_MISMATCH', /broadcast/],
      [() => b.axpby(1, x, 1, t([1, 2, 3], [1, 3])), 'SHAPE_MISMATCH', /shapes differ/],
      [() => b.sumSquares(t([1, 2], [2]), 0), 'UNSUPPORTED_SHAPE', /2-D/],
      [() => b.matmul(x, x), 'SHAPE_MISMATCH', /inner dimensions/],
      [() => b.assign(x, t([1], [1, 1])), 'SHAPE_MISMATCH', /does not have the target's shape/],
    ];
    for (const [f, code, message] of cases) {
      let caught: unknown;
      try {
        f();
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(LmoError);
      expect((caught as LmoError).code).toBe(code);
      expect((caught as LmoError).message).toMatch(message);
    }
  });

  it('reduces any rank fully to [1, 1]', () => {
    const x = t([1, 2, 3, 4, 5, 6, 7, 8], [2, 2, 2]);
    expect(b.shape(b.sumSquares(x))).toEqual([1, 1]);
    expect(b.read(b.sumSquares(x))[0]).toBe(204);
    expect(b.read(b.maxAbs(t([-9, 2], [2])))[0]).toBe(9);
    expect(b.read(b.maxAbs(t([3], [])))[0]).toBe(3);
  });

  it('assign needs the target\'s shape (core reshapes first), and changes nothing otherwise', () => {
    const x = b.zerosLike(t([0, 0, 0, 0], [2, 2]));
    expect(() => b.assign(x, t([1, 2, 3, 4], [4]))).toThrow(LmoError);
    expect(Array.from(b.read(x))).toEqual([0, 0, 0, 0]);
    b.assign(x, b.reshape(t([1, 2, 3, 4], [4]), [2, 2]));
    expect(Array.from(b.read(x))).toEqual([1, 2, 3, 4]);
  });

  it('assigns inside run take effect when the scope ends, and not at all if it throws', () => {
    const x = t([1, 2], [1, 2]);
    b.run(() => {
      b.assign(x, b.scale(x, 2));
      expect(Array.from(b.read(x))).toEqual([1, 2]); // not yet
    });
    expect(Array.from(b.read(x))).toEqual([2, 4]);
    expect(() =>
      b.run(() => {
        b.assign(x, b.scale(x, 2));
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(Array.from(b.read(x))).toEqual([2, 4]);
  });

  it('isTensor: its own tensors only, and RefTensor refuses data that disagrees with its shape', () => {
    expect(b.isTensor(t([1], [1]))).toBe(true);
    for (const x of [new Float32Array(2), { data: new Float32Array(2), shape: [2] }, null, 3, [1, 2]]) expect(b.isTensor(x)).toBe(false);
    expect(() => new RefTensor(new Float32Array(3), [2, 2])).toThrow(LmoError);
    expect(() => new RefTensor([1, 2] as unknown as Float32Array, [2])).toThrow(LmoError);
  });
});
