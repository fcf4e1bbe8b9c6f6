import { LmoError, type LmoOptimizer } from '@lmo/core';

/**
 * Takes a step, and handles the errors a training loop can meaningfully recover from. Check
 * `error.code`, never the message: codes are stable, messages may improve.
 */
export async function safeStep<T>(optimizer: LmoOptimizer<T>, grads: Record<string, T>): Promise<'stepped' | 'skipped'> {
  try {
    await optimizer.step(grads);
    return 'stepped';
  } catch (error) {
    if (!(error instanceof LmoError)) throw error;
    switch (error.code) {
      case 'NON_FINITE_GRADIENT':
        // NaN/Inf in a gradient: nothing was written. Skip this batch (or lower the lr, check the loss).
        console.warn(`skipping a batch: ${error.message}`);
        return 'skipped';
      case 'MISSING_GRADIENT':
      case 'UNKNOWN_PARAMETER':
      case 'SHAPE_MISMATCH':
        // The gradients do not match the parameters the optimizer was built with: a bug to fix.
        throw new Error(`gradients do not match the model: ${error.message}`, { cause: error });
      default:
        throw error;
    }
  }
}
