/**
 * Which initializers train. Registered buffers (attention masks, BatchNorm's running statistics)
 * are initializers too, so there is no implicit default: the caller names them.
 */
import { listNames, trainingError } from './errors.js';
import type { OnnxModel, OnnxTensorInfo } from './model.js';

/**
 * Selects initializers: an exact name, a glob (`*` any run of characters, `?` one character), a
 * RegExp, or a predicate on the initializer's name and info.
 */
export type TrainableMatcher = string | RegExp | ((name: string, info: OnnxTensorInfo) => boolean);

/** One matcher or several (an initializer trains when any matches). */
export type TrainableSpec = TrainableMatcher | readonly TrainableMatcher[];

const isGlob = (s: string): boolean => /[*?]/.test(s);

function globRegExp(glob: string): RegExp {
  const source = [...glob].map((ch) => (ch === '*' ? '.*' : ch === '?' ? '.' : ch.replace(/[\\^$.|+()[\]{}]/g, '\\$&'))).join('');
  return new RegExp(`^${source}$`);
}

/**
 * The names of the trainable initializers, in the file's order. Exact names must be float32
 * initializers; globs, RegExps and predicates choose among the float32 initializers and must each
 * choose at least one.
 */
export function selectTrainable(model: OnnxModel, spec: TrainableSpec | undefined): string[] {
  if (spec === undefined || (Array.isArray(spec) && spec.length === 0)) {
    throw trainingError(
      'INVALID_HYPERPARAMETER',
      `say which initializers train with "trainable" (a name, a glob such as "*" or "encoder.*", a RegExp or a predicate); buffers such as attention masks or BatchNorm statistics are initializers too, so nothing trains by default`,
    );
  }
  const byName = new Map(model.initializers.map((t) => [t.name, t]));
  const floats = model.initializers.filter((t) => t.type === 'float32');
  const chosen = new Set<string>();
  const matchers: readonly TrainableMatcher[] = Array.isArray(spec) ? spec : [spec as TrainableMatcher];
  for (const m of matchers) {
    if (typeof m === 'string' && !isGlob(m)) {
      const info = byName.get(m);
      if (info === undefined) {
        const inputs = model.inputs.some((i) => i.name === m) ? ` ("${m}" is a graph input, fed at each step)` : '';
        throw trainingError('UNKNOWN_PARAMETER', `trainable: the model has no initializer named "${m}"${inputs}; its float initializers are ${listNames(floats.map((t) => t.name))}`);
      }
      if (info.type !== 'float32') throw trainingError('UNKNOWN_PARAMETER', `trainable: initializer "${m}" is ${info.type}; only float32 initializers train`);
      chosen.add(m);
      continue;
    }
    let test: (t: OnnxTensorInfo) => boolean;
    if (typeof m === 'string') {
      const re = globRegExp(m);
      test = (t) => re.test(t.name);
    } else if (m instanceof RegExp) {
      const re = new RegExp(m.source, m.flags.replace(/[gy]/g, ''));
      test = (t) => re.test(t.name);
    } else if (typeof m === 'function') {
      test = (t) => m(t.name, t);
    } else {
      throw trainingError('INVALID_HYPERPARAMETER', `trainable: expected a name, glob, RegExp or function, got ${JSON.stringify(m)}`);
    }
    const hits = floats.filter(test);
    if (hits.length === 0) throw trainingError('UNKNOWN_PARAMETER', `trainable: ${String(m)} matches no float32 initializer (they are ${listNames(floats.map((t) => t.name))})`);
    hits.forEach((t) => chosen.add(t.name));
  }
  return model.initializers.filter((t) => chosen.has(t.name)).map((t) => t.name);
}
