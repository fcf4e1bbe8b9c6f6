/**
 * The handoff bundle: two safetensors files that PyTorch and the reference `scion.py` read.
 *
 * `model.safetensors` holds each parameter under its own name, float32, in PyTorch's layout
 * (`[d_out, d_in]` matrices), metadata `{"format": "pt"}`.
 *
 * `optimizer.safetensors` holds scion.py's per-parameter state under `state.<name>.<key>`:
 * `momentum_buffer` (Scion, uSCG: the momentum `d` of each parameter whose group has momentum < 1)
 * or `grad_state` (ScionLight: the gradient buffer `G` of every parameter). Its metadata:
 *
 * | key | value |
 * | --- | --- |
 * | `format` | `"pt"` |
 * | `lmo.handoff` | the bundle version, `"1"` |
 * | `optimizer` | `"Scion"` or `"ScionLight"` |
 * | `param_groups` | scion.py's `param_groups` as JSON, parameter names in place of indices |
 * | `step` | optimizer steps taken; also the schedule's position (`LambdaLR.last_epoch`) |
 * | `schedule` | the learning-rate schedule as a `ScheduleSpec` (JSON), absent when constant |
 *
 * Each param group: `params` (names), `lr` (the learning rate of the next step, base × schedule),
 * `initial_lr` (the base γ, as `LambdaLR` keeps it), `momentum` (α), `scale` (ρ), `unconstrained`,
 * `norm` and `norm_kwargs` (scion.py's), and `name` (the lmo group's name).
 */
import { LmoError, shown } from '../../errors.js';
import type { OptimizerOptions } from '../../optimizer/options.js';
import type { OptimizerState } from '../../optimizer/state.js';
import type { ScionNormName } from './scion-norms.js';

/** The bundle version this library writes and reads. */
export const HANDOFF_VERSION = '1';

/** The two files of a handoff bundle, as bytes (write them as `model.safetensors` and `optimizer.safetensors`). */
export interface TorchHandoff {
  readonly model: Uint8Array;
  readonly optimizer: Uint8Array;
}

/** Float32 values by parameter name: a Map or a plain object. */
export type NamedArrays = ReadonlyMap<string, Float32Array> | Readonly<Record<string, Float32Array>>;

/** A run at one point: the parameters' values, the optimizer's options, and its state (`getState()`). */
export interface HandoffRun {
  /** Each parameter's values, row-major, in lmo's layout (the shapes are the state's). */
  readonly weights: NamedArrays;
  readonly options: OptimizerOptions;
  readonly state: OptimizerState;
}

/** A run read from a bundle: {@link HandoffRun} with its weights in a Map. */
export interface DecodedHandoff extends HandoffRun {
  readonly weights: Map<string, Float32Array>;
}

/** One param group as the bundle writes it. */
export interface ScionParamGroup {
  readonly params: readonly string[];
  readonly lr: number;
  readonly initial_lr: number;
  readonly momentum: number;
  readonly scale: number;
  readonly unconstrained: boolean;
  readonly norm: ScionNormName;
  readonly norm_kwargs: Readonly<Record<string, boolean | number>>;
  readonly name: string;
}

/** The state key of each optimizer in scion.py. */
export const STATE_KEY = { Scion: 'momentum_buffer', ScionLight: 'grad_state' } as const;
export type ScionOptimizerName = keyof typeof STATE_KEY;

/** The tensor name of a parameter's optimizer state. */
export function stateTensorName(param: string, optimizer: ScionOptimizerName): string {
  return `state.${param}.${STATE_KEY[optimizer]}`;
}

/** A 2-D row-major matrix `rows × cols` transposed. */
export function transpose2d(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c]!;
  return out;
}

/** The index of the first value that is NaN or ±Inf, or -1. */
export function firstNonFinite(data: ArrayLike<number>): number {
  for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i]!)) return i;
  return -1;
}

/** A `STATE_MISMATCH` error about a bundle, one line. */
export function mismatch(message: string): never {
  throw new LmoError('STATE_MISMATCH', message);
}

/** Entries of a Map or a plain object. */
export function entriesOf<V>(values: ReadonlyMap<string, V> | Readonly<Record<string, V>>, what: string): Array<[string, V]> {
  if (values instanceof Map) return [...(values as ReadonlyMap<string, V>)];
  if (values === null || typeof values !== 'object') throw new LmoError('INVALID_HYPERPARAMETER', `${what} must be a Map or an object by parameter name, got ${shown(values)}`);
  return Object.entries(values);
}
