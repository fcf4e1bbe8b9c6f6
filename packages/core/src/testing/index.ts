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
export { conformanceCheckIds, prepareConformance, runConformance, type ConformanceOptions, type ConformanceReport, type PreparedCheck } from './suite.js';
export { DEFAULT_TOLERANCES, type ConformanceTolerances } from './checks/index.js';
export { ConformanceFailure } from './assert.js';
export { relativeError } from './relative-error.js';
export { polynomialSteps64 } from './float64.js';
