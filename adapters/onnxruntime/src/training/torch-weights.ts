/**
 * A trained model's weights back to PyTorch: the initializers as safetensors under the `state_dict`
 * keys of the module the model was exported from, in PyTorch's layout.
 */
import { encodeSafetensors, LmoError, type SafetensorsTensor } from '@lmo/core';
import { ElemType } from '../onnx/schema.js';
import { floatValues, typeName } from '../onnx/tensor-data.js';
import { listNames, trainingError } from './errors.js';
import type { OnnxTrainer } from './trainer.js';

/** Options of {@link exportSafetensors}. */
export interface ExportSafetensorsOptions {
  /**
   * State_dict keys of initializers whose ONNX names differ from them (initializer name → key), or
   * `null` to leave an initializer out of the file. Every other initializer is written under its own
   * name. Each name here must be an initializer of the model.
   */
  readonly names?: ReadonlyMap<string, string | null> | Readonly<Record<string, string | null>>;
  /** Whether the frozen initializers are written too, as they are in the file (default `true`). */
  readonly frozen?: boolean;
  /**
   * The module's `state_dict` (its keys and shapes), e.g. `decodeSafetensors(bytes).tensors` of the
   * pretrained weights: then every key written must be one of it, with the same shape.
   */
  readonly stateDict?: ReadonlyMap<string, { readonly shape: readonly number[] }> | Readonly<Record<string, { readonly shape: readonly number[] }>>;
  /** String metadata for the file's `__metadata__`, over `{ format: 'pt' }` (what Hugging Face tools expect of PyTorch weights). */
  readonly metadata?: Readonly<Record<string, string>>;
}

/** A name `torch.onnx.export` makes up for a value that no module attribute holds (`onnx::MatMul_196`, `196`). */
const MADE_UP = /^onnx::|^\d+$/;

function fail(code: 'UNKNOWN_PARAMETER' | 'SHAPE_MISMATCH' | 'INVALID_HYPERPARAMETER', message: string): never {
  throw trainingError(code, `exportSafetensors: ${message}`);
}

const entries = <V>(m: ReadonlyMap<string, V> | Readonly<Record<string, V>>): [string, V][] => (m instanceof Map ? [...m] : Object.entries(m));

/**
 * The trained model's weights as a safetensors file that PyTorch loads into the module the ONNX file
 * was exported from: `module.load_state_dict(safetensors.torch.load_file(path), strict=False)`.
 * The trainable initializers are written with their current values ({@link OnnxTrainer.weights}),
 * the frozen ones (unless `frozen: false`) as the file holds them, all as `F32`, under their
 * `state_dict` keys and with their shapes and row-major layout, which are PyTorch's when the model
 * was exported without constant folding (`do_constant_folding=False`, with
 * `training=TrainingMode.TRAINING` or `PRESERVE`): then every initializer is a parameter or buffer
 * under its own key. Runs after the steps already called, like {@link OnnxTrainer.weights}.
 *
 * Initializers the exporter merged because their values were equal (with `training=EVAL`: the
 * others become `Identity` nodes of the one kept, named after their keys) are written under each key.
 * What the exporter leaves out is not in the file: a tied weight is one initializer under its first
 * key (nanoGPT's `transformer.wte.weight`, not `lm_head.weight`), and BatchNorm's
 * `num_batches_tracked` is not exported; `load_state_dict(…, strict=False)` lists them as missing.
 *
 * @throws LmoError before anything is encoded, one line naming the tensor: `UNKNOWN_PARAMETER` for a
 * `names` entry that is no initializer of the model, an initializer that has no `state_dict` key (a
 * name the exporter made up, `onnx::MatMul_196`: a weight transposed or folded by constant folding),
 * a non-float32 initializer, two initializers under one key, or a key that is not in `stateDict`;
 * `SHAPE_MISMATCH` for an initializer whose shape is not its key's in `stateDict`.
 *
 * @example
 * ```ts
 * const trainer = await createOnnxTrainer(await loadOnnxModel('gpt.onnx'), { trainable: 'transformer.h.1.*', loss: 'loss', optimizer });
 * for (const batch of batches) await trainer.step(batch);
 * writeFileSync('finetuned.safetensors', await exportSafetensors(trainer));
 * // PyTorch: model.load_state_dict(load_file('finetuned.safetensors'), strict=False)
 * ```
 */
export async function exportSafetensors(trainer: OnnxTrainer, options: ExportSafetensorsOptions = {}): Promise<Uint8Array> {
  if (options === null || typeof options !== 'object') fail('INVALID_HYPERPARAMETER', 'options must be an object { names?, frozen?, stateDict?, metadata? }');
  const { initializers } = trainer.model.graph;
  const names = new Map<string, string | null>();
  for (const [from, to] of entries(options.names ?? {})) {
    if (!initializers.has(from)) {
      fail('UNKNOWN_PARAMETER', `names maps "${from}", which is no initializer of the model (its initializers are ${listNames([...initializers.keys()])})`);
    }
    if (to !== null && (typeof to !== 'string' || to === '')) fail('INVALID_HYPERPARAMETER', `names["${from}"] must be a state_dict key or null, got ${JSON.stringify(to)}`);
    names.set(from, to);
  }
  const stateDict = options.stateDict === undefined ? undefined : new Map(entries(options.stateDict));

  const trainable = new Set(trainer.parameters.keys());
  const written = new Map<string, string>(); // key → what it holds, for messages
  const plan: { readonly name: string; readonly key: string; readonly dims: number[] }[] = [];
  /** Takes `key` for `what` (`initializer "…"`), checking that it is new and, given a state_dict, one of its keys with the shape `dims`. */
  const take = (key: string, what: string, dims: readonly number[]): void => {
    const other = written.get(key);
    if (other !== undefined) fail('UNKNOWN_PARAMETER', `${other} and ${what} would both be written as "${key}"`);
    if (stateDict !== undefined) {
      const expected = stateDict.get(key);
      const from = what === `initializer "${key}"` ? '' : ` (${what})`;
      if (expected === undefined) fail('UNKNOWN_PARAMETER', `"${key}"${from} is not a key of the state_dict (its keys are ${listNames([...stateDict.keys()])})`);
      if (expected.shape.length !== dims.length || expected.shape.some((d, i) => d !== dims[i])) {
        const transposed = dims.length === 2 && expected.shape[0] === dims[1] && expected.shape[1] === dims[0];
        fail('SHAPE_MISMATCH', `"${key}"${from} is [${dims.join(', ')}] but the state_dict's is [${expected.shape.join(', ')}]${transposed ? ' (a transposed weight: export with do_constant_folding=False)' : ''}`);
      }
    }
    written.set(key, what);
  };

  const sources = new Map<string, (typeof plan)[number]>(); // value name → what the file holds for it
  for (const [name, t] of initializers) {
    if (!trainable.has(name) && options.frozen === false) continue;
    const mapped = names.get(name);
    if (mapped === null) continue;
    const key = mapped ?? name;
    const dims = t.dims.map(Number);
    if (mapped === undefined && MADE_UP.test(name)) {
      fail(
        'UNKNOWN_PARAMETER',
        `initializer "${name}" [${dims.join(', ')}] has a name torch.onnx.export made up (constant folding transposes or folds weights into new initializers), so it has no state_dict key; export with do_constant_folding=False, or give its key in names (null leaves it out)`,
      );
    }
    if (t.dataType !== ElemType.FLOAT) fail('UNKNOWN_PARAMETER', `initializer "${name}" is ${typeName(t.dataType)}; only float32 initializers are written (names: { "${name}": null } leaves it out)`);
    take(key, `initializer "${name}"`, dims);
    const entry = { name, key, dims };
    plan.push(entry);
    sources.set(name, entry);
  }
  // Initializers the exporter merged because their values were equal (training=EVAL): the others are
  // Identity nodes of the one kept, whose outputs have their keys; they get its values. (Values of
  // the graph proper are named "/…" or by the exporter.)
  for (const n of trainer.model.proto.graph!.node) {
    const source = n.opType === 'Identity' && (n.domain ?? '') === '' ? sources.get(n.input[0] ?? '') : undefined;
    const key = n.output[0] ?? '';
    if (source === undefined || key === '' || key.startsWith('/') || MADE_UP.test(key)) continue;
    take(key, `initializer "${source.name}" through Identity "${n.name ?? ''}"`, source.dims);
    const entry = { name: source.name, key, dims: source.dims };
    plan.push(entry);
    sources.set(key, entry);
  }

  const weights = await trainer.weights();
  const tensors = new Map<string, SafetensorsTensor>();
  for (const { name, key, dims } of plan) {
    let data = weights.get(name);
    if (data === undefined) {
      try {
        data = floatValues(initializers.get(name)!);
      } catch (error) {
        fail('UNKNOWN_PARAMETER', `cannot read initializer "${name}": ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    tensors.set(key, { dtype: 'F32', shape: dims, data });
  }
  try {
    return encodeSafetensors(tensors, { format: 'pt', ...options.metadata });
  } catch (error) {
    throw error instanceof LmoError ? error : trainingError('BACKEND', String(error), error);
  }
}
