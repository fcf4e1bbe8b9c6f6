/** Every check of the conformance suite, as data: an id (`group.name[.case]`) and an async body. */
import type { Check } from './common.js';
import { dataChecks } from './data.js';
import { effectChecks } from './effects.js';
import { elementwiseChecks } from './elementwise.js';
import { fusedChecks } from './fused.js';
import { matmulChecks } from './matmul.js';
import { reductionChecks } from './reduce.js';
import { storageChecks } from './storage.js';

export { DEFAULT_TOLERANCES, type Check, type CheckContext, type ConformanceTolerances } from './common.js';

/** Every check, in registration order. */
export function allChecks(): Check[] {
  return [...dataChecks(), ...elementwiseChecks(), ...reductionChecks(), ...matmulChecks(), ...effectChecks(), ...fusedChecks(), ...storageChecks()];
}
