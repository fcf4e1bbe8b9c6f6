/**
 * Option checks shared by the optimizers: an unknown option is an error that names it and, where
 * other libraries call something by that name, what it is called here.
 */
import { LmoError } from '../errors.js';

export function fail(message: string): never {
  throw new LmoError('INVALID_HYPERPARAMETER', message);
}

/** Other libraries' option names (PyTorch, optax, Keras, tf.train) → what lmo offers instead. */
const ELSEWHERE: Readonly<Record<string, { readonly optimizer?: string; readonly adamw?: string; readonly group?: string }>> = {
  learning_rate: { optimizer: 'it is "lr"', adamw: 'it is "lr"', group: 'it is "lr"' },
  learningRate: { optimizer: 'it is "lr"', adamw: 'it is "lr"', group: 'it is "lr"' },
  weight_decay: {
    optimizer: 'the constrained update (unconstrained: false, the default) is Scion\'s weight decay; AdamW\'s is "weightDecay" of adamw()',
    adamw: 'it is "weightDecay"',
    group: 'an LMO group decays through the constrained update; an AdamW group takes adamw: { weightDecay }',
  },
  weightDecay: {
    optimizer: 'the constrained update (unconstrained: false, the default) is Scion\'s weight decay; AdamW\'s is "weightDecay" of adamw()',
    group: 'an LMO group decays through the constrained update; an AdamW group takes adamw: { weightDecay }',
  },
  beta: { optimizer: 'lmo takes "momentum" α = 1 − β (β = 0.9 is momentum: 0.1)', group: 'lmo takes "momentum" α = 1 − β' },
  beta1: { optimizer: 'lmo takes "momentum" α = 1 − β₁', adamw: 'it is betas: [β₁, β₂]' },
  beta2: { adamw: 'it is betas: [β₁, β₂]' },
  beta_1: { optimizer: 'lmo takes "momentum" α = 1 − β₁', adamw: 'it is betas: [β₁, β₂]' },
  beta_2: { adamw: 'it is betas: [β₁, β₂]' },
  betas: { optimizer: 'an LMO optimizer takes "momentum" α = 1 − β; AdamW takes betas in adamw() or a group\'s adamw: {}' },
  momentum: { adamw: 'AdamW\'s first-moment decay is betas[0]' },
  epsilon: { adamw: 'it is "eps"' },
  eps: { optimizer: 'the LMOs need none (norms add their own 1e-8); AdamW\'s is "eps" of adamw()' },
  nesterov: { optimizer: 'lmo\'s momentum is the plain exponential average of the paper (no Nesterov variant)' },
  max_grad_norm: { optimizer: 'it is "clip"', adamw: 'it is "clip"' },
  clipnorm: { optimizer: 'it is "clip"', adamw: 'it is "clip"' },
  clip_grad_norm: { optimizer: 'it is "clip"', adamw: 'it is "clip"' },
  radius: { optimizer: 'it is "scale" (the radius ρ)', group: 'it is "scale" (the radius ρ)' },
  params: { group: 'a group selects parameters with "match"' },
  constrained: { optimizer: 'give unconstrained: false (SCG, the default) or true (uSCG)', group: 'give unconstrained: false or true' },
};

/**
 * Throws an `INVALID_HYPERPARAMETER` error for the first key of `object` not in `known`, saying what
 * it is called here when another library's name was used.
 */
export function checkKeys(object: object, known: readonly string[], where: string, kind: 'optimizer' | 'adamw' | 'group'): void {
  for (const key of Object.keys(object)) {
    if (known.includes(key) || (object as Record<string, unknown>)[key] === undefined) continue;
    const hint = ELSEWHERE[key]?.[kind];
    const list = known.map((k) => `"${k}"`).join(', ');
    fail(`${where}: unknown option "${key}" (${hint === undefined ? '' : `${hint}; `}the options are ${list})`);
  }
}
