import type { ExecutionMode, TensorBackend } from '@lmo/core';

/**
 * A backend that delegates every primitive to `inner` and counts the calls: a complete
 * implementation of the contract in a few lines, handy to see what an optimizer step costs.
 */
export function countingBackend<T, M extends ExecutionMode>(inner: TensorBackend<T, M>): { backend: TensorBackend<T, M>; counts: Map<string, number> } {
  const counts = new Map<string, number>();
  const count = (op: string): void => void counts.set(op, (counts.get(op) ?? 0) + 1);
  const backend: TensorBackend<T, M> = {
    name: `counting(${inner.name})`,
    mode: inner.mode,
    isTensor: (x): x is T => inner.isTensor(x), // a check, not counted
    fromArray: (data, shape, dtype) => (count('fromArray'), inner.fromArray(data, shape, dtype)),
    read: (x) => (count('read'), inner.read(x)),
    shape: (x) => inner.shape(x), // metadata, not counted
    zerosLike: (x, dtype) => (count('zerosLike'), inner.zerosLike(x, dtype)),
    reshape: (x, shape) => (count('reshape'), inner.reshape(x, shape)),
    transpose: (x) => (count('transpose'), inner.transpose(x)),
    add: (a, b) => (count('add'), inner.add(a, b)),
    sub: (a, b) => (count('sub'), inner.sub(a, b)),
    mul: (a, b) => (count('mul'), inner.mul(a, b)),
    div: (a, b) => (count('div'), inner.div(a, b)),
    scale: (x, s) => (count('scale'), inner.scale(x, s)),
    addScalar: (x, s) => (count('addScalar'), inner.addScalar(x, s)),
    axpby: (alpha, x, beta, y) => (count('axpby'), inner.axpby(alpha, x, beta, y)),
    sign: (x) => (count('sign'), inner.sign(x)),
    sqrt: (x) => (count('sqrt'), inner.sqrt(x)),
    abs: (x) => (count('abs'), inner.abs(x)),
    sumSquares: (x, axis) => (count('sumSquares'), inner.sumSquares(x, axis)),
    maxAbs: (x) => (count('maxAbs'), inner.maxAbs(x)),
    allFinite: (xs) => (count('allFinite'), inner.allFinite(xs)),
    matmul: (a, b, options) => (count('matmul'), inner.matmul(a, b, options)),
    assign: (target, value) => (count('assign'), inner.assign(target, value)),
    dispose: (x) => (count('dispose'), inner.dispose(x)),
    run: (fn, options) => (count('run'), inner.run(fn, options)),
    // 16-bit storage, when the inner backend has it (fromArray and zerosLike pass the dtype on)
    ...(inner.storage ? { storage: inner.storage } : {}),
  };
  // Optional fused kernels: pass them through when the inner backend has them.
  const newtonSchulz = inner.fused?.newtonSchulz;
  if (newtonSchulz) {
    return {
      backend: {
        ...backend,
        fused: { newtonSchulz: (xs, coefficients, side) => (count('fused.newtonSchulz'), newtonSchulz(xs, coefficients, side)) },
      },
      counts,
    };
  }
  return { backend, counts };
}
