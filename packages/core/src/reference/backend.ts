import type { FusedKernels, MatmulOptions, RunOptions, Shape, StorageDtype, StorageSupport, TensorBackend } from '../backend/contract.js';
import { ImmediateExecution } from '../backend/immediate.js';
import { LmoError, shown } from '../errors.js';
import { requireDtype } from '../storage/dtypes.js';
import { roundNearest, roundStochastic } from '../storage/rounding.js';
import { matmul } from './matmul.js';
import { newtonSchulz } from './newton-schulz.js';
import * as ops from './ops.js';
import { RefTensor, dims2, formatShape, sameShape } from './tensor.js';

/** Options for {@link createReferenceBackend}. */
export interface ReferenceBackendOptions {
  /** The backend's {@link TensorBackend.name}. Default `"reference"`. */
  readonly name?: string;
  /**
   * Offer the fused Newton–Schulz kernel (`fused.newtonSchulz`). Default `true`. Turn it off to
   * exercise core's fallback through the primitives.
   */
  readonly fusedNewtonSchulz?: boolean;
}

/** The reference backend's type: the contract over {@link RefTensor}, synchronous. */
export type ReferenceBackend = TensorBackend<RefTensor, 'sync'>;

/**
 * Creates the plain `Float32Array` backend: eager, synchronous, garbage-collected.
 *
 * Every operation computes at once and returns a new {@link RefTensor} owning fresh data;
 * `read` returns a copy, `dispose` does nothing (the garbage collector frees memory). An `assign`
 * copies into the target, at once outside `run` and when the scope ends inside it (so a scope
 * that throws writes nothing). Elementwise work is done in float64 and rounded to float32 once
 * per result; reductions accumulate in float64; `matmul` is the blocked kernel of {@link matmul}.
 *
 * 16-bit storage (`storage`): bfloat16 and float16 tensors keep their raw bits in `Uint16Array`s
 * and enter every operation widened exactly to float32; writes into them round to nearest, ties to
 * even, as engines' casts do; `storage.round` also rounds stochastically from a seed (the stream of
 * `roundStochastic` in `@lmo/core/backend`).
 */
export function createReferenceBackend(options: ReferenceBackendOptions = {}): ReferenceBackend {
  const fused: FusedKernels<RefTensor> = options.fusedNewtonSchulz === false ? {} : { newtonSchulz };
  const execution = new ImmediateExecution<RefTensor>({
    allFinite: ops.allFinite,
    commit: (writes) => {
      for (const { target, value } of writes) ops.assign(target, value);
    },
  });
  const storage: StorageSupport<RefTensor> = {
    dtypes: ['float32', 'bfloat16', 'float16'],
    stochasticRounding: true,
    dtype: (x) => x.dtype,
    round(x: RefTensor, dtype: StorageDtype, seed?: number): RefTensor {
      requireDtype(backend, dtype, 'storage.round(dtype)');
      if (seed !== undefined && !(Number.isInteger(seed) && seed >= 0 && seed < 2 ** 32)) {
        throw new LmoError('INVALID_HYPERPARAMETER', `storage.round: seed must be an integer in [0, 2³²), got ${shown(seed)}`);
      }
      return new RefTensor(seed === undefined ? roundNearest(x.data, dtype) : roundStochastic(x.data, dtype, seed), x.shape);
    },
  };
  const backend: ReferenceBackend = {
    name: options.name ?? 'reference',
    mode: 'sync',

    isTensor: (x: unknown): x is RefTensor => x instanceof RefTensor,
    fromArray(data: Float32Array, shape: Shape, dtype: StorageDtype = 'float32'): RefTensor {
      requireDtype(backend, dtype, 'fromArray(dtype)');
      return ops.fromArray(data, shape, dtype);
    },
    read: (x) => (x.bits === undefined ? x.data.slice() : x.data),
    shape: (x) => x.shape,
    zerosLike(x: RefTensor, dtype: StorageDtype = x.dtype): RefTensor {
      requireDtype(backend, dtype, 'zerosLike(dtype)');
      return ops.zeros(x.shape, dtype);
    },
    reshape: ops.reshape,
    transpose: ops.transpose,

    add: ops.add,
    sub: ops.sub,
    mul: ops.mul,
    div: ops.div,
    scale: ops.scale,
    addScalar: ops.addScalar,
    axpby: ops.axpby,
    sign: ops.sign,
    sqrt: ops.sqrt,
    abs: ops.abs,

    sumSquares: ops.sumSquares,
    maxAbs: ops.maxAbs,
    allFinite: ops.allFinite,

    matmul(a: RefTensor, b: RefTensor, mm: MatmulOptions = {}): RefTensor {
      dims2(a, 'matmul');
      dims2(b, 'matmul');
      const c = matmul(a.data, a.shape, b.data, b.shape, mm);
      const m = mm.transposeA === true ? a.shape[1]! : a.shape[0]!;
      const n = mm.transposeB === true ? b.shape[0]! : b.shape[1]!;
      return new RefTensor(c, [m, n]);
    },

    assign(target: RefTensor, value: RefTensor): void {
      if (!sameShape(target.shape, value.shape)) {
        throw new LmoError('SHAPE_MISMATCH', `assign: value ${formatShape(value.shape)} does not have the target's shape ${formatShape(target.shape)}`);
      }
      execution.assign(target, value);
    },
    dispose: () => {},
    run: (fn: () => void, opts?: RunOptions<RefTensor>): boolean => execution.run(fn, opts),

    fused,
    storage,
  };
  return backend;
}

/** The shared default instance of {@link createReferenceBackend}. */
export const referenceBackend: ReferenceBackend = createReferenceBackend();
