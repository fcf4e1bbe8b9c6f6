// Ops with floating-point outputs whose gradient is zero wherever it exists (piecewise constant):
// they pass no gradient on. (Ops with integer or boolean outputs — Shape, Equal, ArgMax, … — carry
// none by their type and need no rule at all.)

import type { GradientRule } from './rule.js';

function zeroGradient(op: string): GradientRule {
  return { op, differentiable: [], backward: () => [], covers: 'zero gradient' };
}

export const sign = zeroGradient('Sign');
export const floor = zeroGradient('Floor');
export const ceil = zeroGradient('Ceil');
export const round = zeroGradient('Round');
