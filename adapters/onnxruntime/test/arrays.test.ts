// `arrays()`: the values of tensors in call order, without copies.
import { expect, it } from 'vitest';
import { onnxBackend } from '../src/index.js';

it('yields a persistent tensor\'s own array (no copy), after every earlier run, and computes lazy tensors', async () => {
  const b = onnxBackend({ intraOpNumThreads: 1 });
  const p = b.fromArray(Float32Array.of(1, 2, 3, 4), [2, 2]);
  const [first] = await b.arrays([p]);
  const [again] = await b.arrays([p]);
  expect(again).toBe(first); // the same array object: nothing copied
  expect(await b.read(p)).not.toBe(first); // read() copies
  const step = b.run(() => b.assign(p, b.scale(p, 2)));
  // issued after the run: sees its result; an op made before the run executes sees p as it was then
  const pending = b.arrays([p, b.addScalar(p, 1)]);
  await step;
  const [after, lazy] = await pending;
  expect(Array.from(after!)).toEqual([2, 4, 6, 8]);
  expect(Array.from(lazy!)).toEqual([2, 3, 4, 5]);
  expect(Array.from(first!)).toEqual([1, 2, 3, 4]); // the earlier snapshot is unchanged
  expect(() => b.arrays([{} as never])).toThrow(/arrays\(xs\[0\]\): not a tensor of this backend/);
  b.dispose(p);
  expect(() => b.arrays([p])).toThrow(/arrays\(xs\[0\]\): tensor used after dispose\(\)/);
  await b.close();
});
