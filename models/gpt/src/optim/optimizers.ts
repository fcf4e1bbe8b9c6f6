import {
  adamw,
  createOptimizer,
  muon,
  normalizedSGD,
  signSGD,
  stateFromJSON,
  stateToJSON,
  transformerGroups,
  warmupCosine,
  type LmoOptimizer,
  type OptimizerOptions,
  type Schedule,
  type TensorBackend,
} from '@lmo/core';
import type { ParamMap } from '../model.js';
import { PAPER_SCION, PAPER_USCION, recipeOptimizer, recipeOptions, recipeSchedule, TUNED_USCION, type Recipe } from './recipe.js';
import { UsageError } from '../errors.js';
import type { StorageOptions } from './storage.js';
import type { TrainOptimizer } from './types.js';

/** An optimizer entry: its default lr, a one-line description, and the recipe it is (Scion-family presets). */
interface OptimizerEntry {
  readonly lr: number;
  readonly about: string;
  readonly recipe?: Recipe;
}

/** Optimizers the benchmark knows, with the learning rate each starts from. */
export const OPTIMIZERS = {
  'uscion-tuned': {
    lr: TUNED_USCION.lr,
    about: "the tuned recipe for the main job: uSCG, core's transformerGroups() with the gains' radius 1.5, linear decay to zero (src/optim/recipe.ts)",
    recipe: TUNED_USCION,
  },
  adamw: { lr: 1e-3, about: 'AdamW as nanoGPT (β 0.9/0.99, wd 0.1 on 2-D, clip 1.0)' },
  scion: { lr: PAPER_SCION.lr, about: "the paper's Scion (SCG, constrained), core's transformerGroups()", recipe: PAPER_SCION },
  uscion: { lr: PAPER_USCION.lr, about: "the paper's unconstrained Scion (uSCG), same groups", recipe: PAPER_USCION },
  scionlight: { lr: 2 ** -8, about: 'ScionLight (no momentum buffer), same groups' },
  muon: { lr: 0.02, about: "core's muon preset (spectral, scale max(1,√(out/in)), momentum 0.05)" },
  signsgd: { lr: 3e-4, about: "core's signSGD preset (no momentum)" },
  nsgd: { lr: 0.05, about: "core's normalized SGD preset (per-tensor Frobenius, no momentum)" },
} as const satisfies Record<string, OptimizerEntry>;

export type OptimizerName = keyof typeof OPTIMIZERS;

/** What `pnpm nanogpt` trains without `--optimizer`: the tuned recipe. */
export const DEFAULT_OPTIMIZER: OptimizerName = 'uscion-tuned';

export function isOptimizerName(s: string): s is OptimizerName {
  return Object.hasOwn(OPTIMIZERS, s);
}

/** nanoGPT's schedule: warmup 100 (`(t+1)/(warmup+1)`), cosine to lr/10 at the last iteration. */
export function nanoGptSchedule(iters: number, warmup = 100): Schedule {
  return warmupCosine({ warmup: Math.min(warmup, iters), decaySteps: iters, final: 0.1 });
}

/** The recipe behind optimizer `name`, when it is one. */
export function recipeOf(name: OptimizerName): Recipe | undefined {
  return (OPTIMIZERS[name] as OptimizerEntry).recipe;
}

/** The schedule a run of `iters` iterations uses: the recipe's for a recipe preset, else nanoGPT's. */
export function scheduleFor(name: OptimizerName, iters: number): Schedule {
  const recipe = recipeOf(name);
  return recipe ? recipeSchedule(recipe, iters) : nanoGptSchedule(iters);
}

/**
 * Builds optimizer `name` over `params` on `backend` with base `lr` and `schedule`, its buffers and
 * the weights' updates as `storage` says ({@link storageOptions}; float32 when empty). A recipe preset
 * is its recipe ({@link recipeOptimizer}); AdamW is core's `adamw` (one WebAssembly pass per step
 * where the backend keeps host arrays, as onnxruntime does).
 */
export function createTrainOptimizer<T>(
  name: OptimizerName,
  backend: TensorBackend<T>,
  params: ParamMap<T>,
  lr: number,
  schedule: Schedule,
  storage: StorageOptions = {},
): TrainOptimizer<T> {
  if (name === 'adamw') return wrap(name, adamw(backend, params, { lr, schedule, nonFinite: 'ignore', ...storage }));
  const recipe = recipeOf(name);
  if (recipe) return recipeTrainOptimizer(name, recipe, backend, params, schedule, lr, storage);
  const opts = { lr, schedule, nonFinite: 'ignore' as const, ...storage };
  switch (name) {
    case 'scionlight':
      return wrap(name, createOptimizer(backend, params, { ...scionFamilyOptions(name, lr, schedule), ...storage }));
    case 'muon':
      return wrap(name, muon(backend, params, opts));
    case 'signsgd':
      return wrap(name, signSGD(backend, params, opts));
    case 'nsgd':
      return wrap(name, normalizedSGD(backend, params, opts));
    default:
      throw new Error(`optimizer "${name}" has no builder`);
  }
}

/**
 * The core options of a Scion-family optimizer (a recipe preset or ScionLight) with base `lr` and
 * `schedule`: what its optimizer is built from, and what a handoff to PyTorch describes.
 * @throws UsageError for the other optimizers.
 */
export function scionFamilyOptions(name: OptimizerName, lr: number, schedule: Schedule): OptimizerOptions {
  const recipe = recipeOf(name);
  if (recipe) return recipeOptions(recipe, schedule, lr);
  if (name === 'scionlight') return { lr, schedule, nonFinite: 'ignore', groups: transformerGroups(), light: true };
  throw new UsageError(`optimizer ${name} is not of the Scion family (${SCION_FAMILY.join(', ')}), which scion.py continues`);
}

/** The optimizers {@link scionFamilyOptions} describes. */
export const SCION_FAMILY: readonly OptimizerName[] = (Object.keys(OPTIMIZERS) as OptimizerName[]).filter((n) => recipeOf(n) !== undefined || n === 'scionlight');

/** A recipe's optimizer in the trainer's interface. */
export function recipeTrainOptimizer<T>(
  name: string,
  recipe: Recipe,
  backend: TensorBackend<T>,
  params: ParamMap<T>,
  schedule: Schedule,
  lr: number = recipe.lr,
  storage: StorageOptions = {},
): TrainOptimizer<T> {
  return wrap(name, recipeOptimizer(recipe, backend, params, schedule, lr, storage));
}

function wrap<T>(name: string, opt: LmoOptimizer<T>): TrainOptimizer<T> {
  const first = opt.parameters[0]!.name;
  let stepMs = 0;
  return {
    name,
    currentLr: () => opt.learningRate(first),
    async step(grads) {
      const t0 = performance.now();
      try {
        await opt.step(grads);
      } finally {
        stepMs += performance.now() - t0;
      }
    },
    // ScionLight's gradient buffers (empty for every other optimizer)
    gradients: opt.gradients,
    get stepMs() {
      return stepMs;
    },
    get ownedBytes() {
      return opt.ownedBytes;
    },
    // core's versioned state, JSON-safe through stateToJSON (ScionLight's gradient buffers included)
    async saveState() {
      return stateToJSON(await opt.getState());
    },
    async loadState(saved: unknown) {
      await opt.loadState(stateFromJSON(saved));
    },
    dispose: () => opt.dispose(),
  };
}
