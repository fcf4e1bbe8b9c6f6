import { STATE_VERSION, stateFromJSON, stateToJSON, type BufferName, type OptimizerOptions, type StorageDtype } from '@lmo/core';
import { roundNearest, STORAGE_DTYPES } from '@lmo/core/backend';
import { UsageError } from '../errors.js';

/** How 16-bit weights take their updates (core's `compensation`, with `none` for rounding to nearest). */
export const COMPENSATIONS = ['none', 'kahan', 'stochastic'] as const;
export type CompensationName = (typeof COMPENSATIONS)[number];

/**
 * How a training stores its weights and the optimizer's buffers (see the docs' 16-bit storage
 * page): `dtype` for both (ScionLight's `G`, Scion's momentum, AdamW's moments: core's
 * `bufferDtype`), the arithmetic in float32, and `compensation` for the weights' updates.
 */
export interface TrainStorage {
  readonly dtype: StorageDtype;
  readonly compensation: CompensationName;
}

/** Everything in float32, as before 16-bit storage. */
export const FLOAT32_STORAGE: TrainStorage = { dtype: 'float32', compensation: 'none' };

/** The optimizer options that {@link storageOptions} sets. */
export type StorageOptions = Pick<OptimizerOptions, 'bufferDtype' | 'compensation' | 'roundingSeed'>;

/** Short names a command line may use. */
const DTYPE_ALIASES: Readonly<Record<string, StorageDtype>> = { fp32: 'float32', f32: 'float32', bf16: 'bfloat16', fp16: 'float16', f16: 'float16' };

/** A dtype as written on a command line: `float32`, `bfloat16`, `float16`, or `fp32`, `bf16`, `fp16`. */
export function parseDtype(text: string): StorageDtype {
  const t = text.trim().toLowerCase();
  const d = DTYPE_ALIASES[t] ?? t;
  if (!(STORAGE_DTYPES as readonly string[]).includes(d)) {
    throw new UsageError(`expected a dtype: ${STORAGE_DTYPES.join(', ')} (or bf16, fp16), got "${text}"`);
  }
  return d as StorageDtype;
}

/** A compensation name (usage error listing the choices). */
export function parseCompensation(text: string): CompensationName {
  const t = text.trim().toLowerCase();
  if (!(COMPENSATIONS as readonly string[]).includes(t)) throw new UsageError(`expected a compensation: ${COMPENSATIONS.join(', ')}, got "${text}"`);
  return t as CompensationName;
}

/** `dtype` and `compensation` checked together: compensation is for 16-bit weights only. */
export function trainStorage(dtype: StorageDtype = 'float32', compensation: CompensationName = 'none'): TrainStorage {
  if (dtype === 'float32' && compensation !== 'none') {
    throw new UsageError(`--compensation ${compensation} is for 16-bit weights: give it with --dtype bfloat16 or float16 (float32 weights lose no updates to rounding)`);
  }
  return { dtype, compensation };
}

/** `bfloat16 + kahan`, `float32`: for headers, summaries and plot titles. */
export function storageLabel(s: TrainStorage): string {
  return s.compensation === 'none' ? s.dtype : `${s.dtype} + ${s.compensation}`;
}

/**
 * core's optimizer options for `storage`: the buffers in its dtype, its compensation, and the seed
 * of stochastic rounding (the run's seed). Empty for float32, so float32 runs build exactly the
 * optimizer they always did.
 */
export function storageOptions(storage: TrainStorage, seed: number): StorageOptions {
  if (storage.dtype === 'float32') return {};
  return {
    bufferDtype: storage.dtype,
    ...(storage.compensation !== 'none' ? { compensation: storage.compensation } : {}),
    ...(storage.compensation === 'stochastic' ? { roundingSeed: seed >>> 0 } : {}),
  };
}

/**
 * A checkpoint's weights and optimizer state (core's, in `stateToJSON`'s form) converted to be
 * continued under `to`: every optimizer buffer into `to.dtype` (widening is exact, narrowing rounds
 * to nearest even), and the weights as Kahan compensation sees them, `w = x + c` (`c` = 0 without
 * one), stored anew: `x ← round(w)`, and with `to.compensation` `'kahan'` (16-bit) a compensation
 * buffer `c ← round(w − x)`, so that nothing a compensated run held is lost where it can be kept.
 */
export function convertSaved(weights: Readonly<Record<string, Float32Array>>, state: unknown, to: TrainStorage): { weights: Record<string, Float32Array>; state: unknown } {
  const s = stateFromJSON(state);
  if (s.version !== STATE_VERSION) throw new UsageError(`an optimizer state of version ${s.version} cannot change its storage: continue it as it was stored once first`);
  const out: Record<string, Float32Array> = { ...weights };
  const kahan = to.dtype !== 'float32' && to.compensation === 'kahan';
  const parameters = s.parameters.map((p) => {
    const { compensation, ...kept } = p.buffers ?? {};
    const x = weights[p.name];
    const buffers: Partial<Record<BufferName, Float32Array>> = {};
    for (const [b, v] of Object.entries(kept) as Array<[BufferName, Float32Array]>) buffers[b] = roundNearest(v, to.dtype);
    if (x !== undefined) {
      const w = compensation === undefined ? x : x.map((xi, i) => xi + compensation[i]!);
      const stored = roundNearest(w, to.dtype);
      out[p.name] = stored;
      if (kahan) buffers.compensation = roundNearest(w.map((wi, i) => wi - stored[i]!), to.dtype);
    }
    const names = Object.keys(buffers) as BufferName[];
    const dtypes = to.dtype === 'float32' ? {} : Object.fromEntries(names.map((b) => [b, to.dtype]));
    return { name: p.name, shape: p.shape, group: p.group, ...(names.length > 0 ? { buffers } : {}), ...(Object.keys(dtypes).length > 0 ? { dtypes } : {}) };
  });
  return { weights: out, state: stateToJSON({ ...s, parameters }) };
}
