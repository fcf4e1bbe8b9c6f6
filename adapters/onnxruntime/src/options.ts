/** The backend's options, and the onnxruntime session settings they give. */
import type * as ort from 'onnxruntime-common';
import type { OrtApi } from './session-cache.js';

/**
 * Options of `onnxBackend` and of {@link sessionOptions}. The defaults are what made the nanoGPT
 * benchmark's training steps fast on a shared CPU: sequential execution, no memory pattern, worker
 * threads that do not spin.
 */
export interface OnnxBackendOptions {
  /**
   * Execution providers, in order of preference (passed to `InferenceSession.create`).
   * Default `['cpu']` (`['wasm']` from `@lmo/onnxruntime/web`). Names such as `'cuda'`,
   * `'webgpu'`, `'dml'`, `'coreml'` work where the installed onnxruntime build includes them.
   */
  readonly executionProviders?: readonly ort.InferenceSession.ExecutionProviderConfig[];
  /** Threads used inside one operator (onnxruntime's `intraOpNumThreads`; default: onnxruntime's choice, one per core). */
  readonly intraOpNumThreads?: number;
  /** Threads used across operators (`interOpNumThreads`). */
  readonly interOpNumThreads?: number;
  /** onnxruntime graph optimization level. Default `'all'`. */
  readonly graphOptimizationLevel?: ort.InferenceSession.SessionOptions['graphOptimizationLevel'];
  /**
   * Let the intra-op worker threads spin while they wait for work. Default `false`: on a shared or
   * busy machine spinning workers take the cores that the other threads (and processes) need.
   */
  readonly allowSpinning?: boolean;
  /**
   * onnxruntime's memory pattern (one block per run, planned ahead). Default `false`: each
   * session's tensors come from its arena one by one, which lowers peak memory at the same speed.
   */
  readonly enableMemPattern?: boolean;
  /**
   * Further session options, merged over the ones above and over the defaults `executionMode:
   * 'sequential'` and `logSeverityLevel: 3` (errors only: onnxruntime's warnings about where it
   * places the graphs' shape nodes are noise). An `extra` given here is merged with the
   * spinning setting.
   */
  readonly sessionOptions?: ort.InferenceSession.SessionOptions;
  /**
   * The onnxruntime module to use. Default: `onnxruntime-node` from `@lmo/onnxruntime`,
   * `onnxruntime-web` from `@lmo/onnxruntime/web`. Any module with the same
   * `InferenceSession.create` / `Tensor` API works.
   */
  readonly ort?: OrtApi;
  /**
   * Offer core the fused Newton–Schulz kernel (`fused.newtonSchulz`): each matrix's polynomial
   * steps become three `Gemm`s per step with the elementwise tail folded into them. Default `true`;
   * `false` leaves the steps to core's primitives (one GEMM-sized elementwise pass more per term).
   */
  readonly fusedNewtonSchulz?: boolean;
}

/**
 * The session options the backend compiles its graphs with, from the same options: use them for
 * your own sessions (a model's forward and backward graphs) so that both run alike, e.g.
 * `ort.InferenceSession.create(model, sessionOptions({ intraOpNumThreads: 4 }))`.
 */
export function sessionOptions(options: Omit<OnnxBackendOptions, 'ort' | 'fusedNewtonSchulz'> = {}): ort.InferenceSession.SessionOptions {
  const extra = options.sessionOptions?.extra as { session?: Record<string, unknown> } | undefined;
  return {
    executionProviders: [...(options.executionProviders ?? ['cpu'])],
    graphOptimizationLevel: options.graphOptimizationLevel ?? 'all',
    executionMode: 'sequential',
    enableMemPattern: options.enableMemPattern ?? false,
    logSeverityLevel: 3,
    ...(options.intraOpNumThreads !== undefined ? { intraOpNumThreads: options.intraOpNumThreads } : {}),
    ...(options.interOpNumThreads !== undefined ? { interOpNumThreads: options.interOpNumThreads } : {}),
    ...options.sessionOptions,
    extra: {
      ...extra,
      session: { ...extra?.session, intra_op: { allow_spinning: options.allowSpinning === true ? '1' : '0', ...(extra?.session?.['intra_op'] as object | undefined) } },
    },
  };
}

