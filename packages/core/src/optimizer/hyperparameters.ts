import { LmoError } from '../errors.js';

/** A learning rate must be a finite number ≥ 0. */
export function checkLr(name: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new LmoError('INVALID_HYPERPARAMETER', `${name} must be a finite number ≥ 0, got ${String(value)}`);
  }
}

/** Momentum α (the reference's `momentum`, 1 − β) must lie in (0, 1]. */
export function checkMomentum(name: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !(value > 0 && value <= 1)) {
    throw new LmoError(
      'INVALID_HYPERPARAMETER',
      `${name} must be in (0, 1] (it is 1 − β: 0.1 means β = 0.9; 1 disables momentum), got ${String(value)}`,
    );
  }
}

/** A radius ρ must be a finite number > 0. */
export function checkScale(name: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new LmoError('INVALID_HYPERPARAMETER', `${name} must be a finite number > 0, got ${String(value)}`);
  }
}
