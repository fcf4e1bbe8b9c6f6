import * as tf from '@tensorflow/tfjs-core';
import { LmoError, type Shape, type StorageDtype, type TensorBackend } from '@lmo/core';
import { ImmediateExecution, formatShape, requireFloat32, sizeOf, type Axis, type FusedKernels, type MatmulOptions, type RunOptions } from '@lmo/core/backend';
import { tfjsNewtonSchulz } from './newton-schulz.js';

/** The tensor handle of the tfjs binding: any `tf.Tensor` (persistent ones are `tf.Variable`s). */
export type TfTensor = tf.Tensor;

/** Most inputs one `tf.addN` gets (see `allFinite`). */
const ADD_N_FAN_IN = 7;

/** The backend's name: tfjs's own backend at this moment. */
const backendName = (): string => `tfjs-${tf.getBackend()}`;

/** Options of {@link createTfjsBackend}. */
export interface TfjsBackendOptions {
  /**
   * Use the fused Newton–Schulz kernel (one `tf.tidy` per polynomial step, so the intermediates of
   * a step are freed before the next one starts). Default `true`; `false` runs core's
   * primitive-by-primitive fallback (the results agree to float32 rounding).
   */
  readonly fusedNewtonSchulz?: boolean;
  /**
   * Compute `matmul` with `transposeA`/`transposeB` as `tf.transpose` + a plain `tf.matMul`
   * instead of passing tfjs's transpose flags. Default `true`: the wasm backend (XNNPACK) has a
   * fast path only for untransposed operands (256×256: 2 ms plain, 67–90 ms with a flag, 5 ms with
   * an explicit transpose), and elsewhere the extra copy costs a few percent of the product.
   */
  readonly materializeTransposes?: boolean;
}

/**
 * Binds the lmo tensor contract to `@tensorflow/tfjs-core`.
 *
 * Every primitive is a tfjs op, so the binding runs on whichever tfjs backend is active
 * (`tf.getBackend()`): tfjs-node-gpu, tfjs-node, wasm, cpu, webgl or webgpu. It never reads a
 * backend's internals and never assumes one is present.
 *
 * - Persistent tensors (`fromArray`, `zerosLike`) are non-trainable `tf.Variable`s, so they can be
 *   `assign`ed and survive `tf.tidy`.
 * - {@link TensorBackend.run} is one `tf.tidy`: every temporary of an optimizer step is freed when
 *   the step ends, and the step stays synchronous (as `tf.Optimizer.applyGradients` requires). Its
 *   assigns are applied when `fn` returns (none if it throws or the guard fails).
 * - {@link TensorBackend.read} uses `dataSync()`; on GPU backends this waits for the device.
 *
 * @param options see {@link TfjsBackendOptions}.
 * @returns a {@link TensorBackend} over `tf.Tensor` handles; its `name` is `"tfjs-" + tf.getBackend()`.
 */
export function createTfjsBackend(options: TfjsBackendOptions = {}): TensorBackend<TfTensor, 'sync'> {
  const fusedNewtonSchulz = options.fusedNewtonSchulz ?? true;
  const materialize = options.materializeTransposes ?? true;
  const write = (target: tf.Variable, value: TfTensor): void => {
    tf.tidy(() => {
      target.assign(value.dtype === target.dtype ? value : tf.cast(value, target.dtype));
    });
  };
  const execution = new ImmediateExecution<TfTensor>({
    allFinite: (xs) => backend.allFinite(xs),
    commit: (writes) => {
      for (const { target, value } of writes) write(target as tf.Variable, value);
    },
    // an outermost scope is one tf.tidy: every temporary of a step is freed when it ends
    enclose: (body) => tf.tidy(body),
  });
  const backend: TensorBackend<TfTensor, 'sync'> = {
    get name(): string {
      return backendName();
    },
    mode: 'sync',

    isTensor(x: unknown): x is TfTensor {
      return x instanceof tf.Tensor && !x.isDisposed;
    },

    fromArray(data: Float32Array, shape: Shape, dtype?: StorageDtype): TfTensor {
      requireFloat32(backendName(), dtype, 'fromArray');
      if (!(data instanceof Float32Array)) {
        throw new LmoError('SHAPE_MISMATCH', `fromArray needs a Float32Array, got ${Object.prototype.toString.call(data)}`);
      }
      if (!Array.isArray(shape)) throw new LmoError('SHAPE_MISMATCH', `fromArray: shape must be an array of dimensions, got ${String(shape)}`);
      const size = sizeOf(shape); // throws SHAPE_MISMATCH for a dimension that is not an integer ≥ 0
      if (data.length !== size) {
        throw new LmoError('SHAPE_MISMATCH', `fromArray: ${data.length} values cannot fill shape ${formatShape(shape)} (${size} values)`);
      }
      // tf.tensor may keep a reference to the array on some backends: hand it a private copy.
      return tf.tidy(() => tf.variable(tf.tensor(Float32Array.from(data), [...shape], 'float32'), false));
    },
    read(x: TfTensor): Float32Array {
      if (x.dtype === 'float32') return Float32Array.from(x.dataSync() as Float32Array);
      return tf.tidy(() => Float32Array.from(tf.cast(x, 'float32').dataSync() as Float32Array));
    },
    shape(x: TfTensor): Shape {
      return x.shape;
    },
    zerosLike(x: TfTensor, dtype?: StorageDtype): TfTensor {
      requireFloat32(backendName(), dtype, 'zerosLike');
      return tf.tidy(() => tf.variable(tf.zeros(x.shape, 'float32'), false));
    },
    reshape(x: TfTensor, shape: Shape): TfTensor {
      return tf.reshape(x, [...shape]);
    },
    transpose(x: TfTensor): TfTensor {
      return tf.transpose(x);
    },

    add: (a, b) => tf.add(a, b),
    sub: (a, b) => tf.sub(a, b),
    mul: (a, b) => tf.mul(a, b),
    div: (a, b) => tf.div(a, b),
    scale: (x, s) => (s === 1 ? tf.clone(x) : tf.mul(x, s)),
    addScalar: (x, s) => tf.add(x, s),
    axpby(alpha: number, x: TfTensor, beta: number, y: TfTensor): TfTensor {
      if (beta === 0) return backend.scale(x, alpha);
      if (alpha === 0) return backend.scale(y, beta);
      const ax = alpha === 1 ? x : tf.mul(x, alpha);
      const by = beta === 1 ? y : tf.mul(y, beta);
      return tf.add(ax, by);
    },
    // Built from comparisons rather than tf.sign: tfjs's Sign kernel maps NaN to 0 (cpu) and tiny
    // normal values such as 1e-30 to 0 (wasm). The contract keeps NaN, so a poisoned step stays visible.
    sign: (x) =>
      tf.where(tf.notEqual(x, x), x, tf.sub(tf.cast(tf.greater(x, 0), 'float32'), tf.cast(tf.less(x, 0), 'float32'))),
    sqrt: (x) => tf.sqrt(x),
    abs: (x) => tf.abs(x),

    sumSquares(x: TfTensor, axis?: Axis): TfTensor {
      const squares = tf.square(x);
      if (axis === undefined) return tf.reshape(tf.sum(squares), [1, 1]);
      return tf.sum(squares, axis, true);
    },
    maxAbs(x: TfTensor): TfTensor {
      // max() drops NaN on some backends: adding Σ of the NaN entries (0 when there are none) brings
      // it back, without the overflow a plain Σx would risk on huge finite values.
      const nans = tf.sum(tf.where(tf.isNaN(x), x, tf.zerosLike(x)));
      return tf.reshape(tf.add(tf.max(tf.abs(x)), nans), [1, 1]);
    },
    allFinite(xs: readonly TfTensor[]): boolean {
      if (xs.length === 0) return true;
      // x·0 is 0 for finite x and NaN for NaN/±Inf, so one sum (one readback) answers for all tensors.
      // The sum is a tree of addN over at most 7 terms: tfjs-webgpu binds each input of a kernel as a
      // storage buffer, and WebGPU guarantees 8 per shader (7 inputs and the output).
      const probe = tf.tidy(() => {
        let terms = xs.map((x) => tf.reshape(tf.sum(tf.mul(x, 0)), []));
        while (terms.length > 1) {
          const next: TfTensor[] = [];
          for (let i = 0; i < terms.length; i += ADD_N_FAN_IN) {
            const chunk = terms.slice(i, i + ADD_N_FAN_IN);
            next.push(chunk.length === 1 ? chunk[0]! : tf.addN(chunk));
          }
          terms = next;
        }
        return terms[0]!.dataSync()[0];
      });
      return probe === 0;
    },

    matmul(a: TfTensor, b: TfTensor, opts: MatmulOptions = {}): TfTensor {
      const ta = opts.transposeA ?? false;
      const tb = opts.transposeB ?? false;
      if (!materialize) return tf.matMul(a, b, ta, tb);
      return tf.matMul(ta ? tf.transpose(a) : a, tb ? tf.transpose(b) : b);
    },

    assign(target: TfTensor, value: TfTensor): void {
      if (!(target instanceof tf.Variable)) {
        throw new LmoError('BACKEND', 'tfjs backend: assign() needs a tf.Variable target (a parameter or a tensor made by fromArray/zerosLike)');
      }
      if (!sameShape(value.shape, target.shape)) {
        throw new LmoError('SHAPE_MISMATCH', `assign: value of shape [${value.shape.join(', ')}] does not have the shape of variable "${target.name}" [${target.shape.join(', ')}]`);
      }
      execution.assign(target, value);
    },
    dispose(x: TfTensor): void {
      x.dispose();
    },
    run: (fn: () => void, opts?: RunOptions<TfTensor>): boolean => execution.run(fn, opts),
  };
  if (fusedNewtonSchulz) {
    const newtonSchulz: NonNullable<FusedKernels<TfTensor>['newtonSchulz']> = (xs, coefficients, side) =>
      tfjsNewtonSchulz(xs, coefficients, side, { materializeTransposes: materialize });
    Object.assign(backend, { fused: { newtonSchulz } });
  }
  return backend;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
