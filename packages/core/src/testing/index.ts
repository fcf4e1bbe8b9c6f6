/**
 * `@lmo/core/testing`: the conformance suite of the tensor contract. Any backend — ours or your
 * own — runs it to prove that it implements every primitive of `TensorBackend` as core expects.
 * This entry point needs no test runner: {@link runConformance} runs the checks and reports;
 * `@lmo/core/testing/vitest` registers them as vitest tests.
 *
 * @example
 * ```ts
 * import { runConformance } from '@lmo/core/testing';
 * const report = await runConformance(createMyBackend(), { tolerance: { matmul: 1e-3 } });
 * if (report.failed.length > 0) console.error(report.failed);
 * ```
 * @packageDocumentation
 * @module @lmo/core/testing
 */
export { conformanceCheckIds, runConformance, type ConformanceOptions, type ConformanceReport } from './suite.js';
export { relativeError } from './relative-error.js';
export { polynomialSteps64 } from './float64.js';
export { POLAR_EXPRESS, QUINTIC } from '../orthogonalize/coefficients.js';
