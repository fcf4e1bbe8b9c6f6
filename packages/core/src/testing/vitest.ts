/**
 * `@lmo/core/testing/vitest`: the conformance suite registered as vitest tests.
 *
 * @example
 * ```ts
 * // my-backend.conformance.test.ts
 * import { describeBackendConformance } from '@lmo/core/testing/vitest';
 * import { createMyBackend } from '../src/index.js';
 *
 * describeBackendConformance('my-backend', () => createMyBackend(), {
 *   tolerance: { matmul: 1e-3 },
 *   skip: { 'reduce.nan': 'the engine’s max ignores NaN' },
 * });
 * ```
 * @packageDocumentation
 * @module @lmo/core/testing/vitest
 */
import { beforeAll, describe, it } from 'vitest';
import type { TensorBackend } from '../backend/contract.js';
import { prepareConformance, type ConformanceOptions } from './suite.js';

/**
 * Registers the conformance suite for a backend: one `describe` named
 * `backend conformance: {name}`, one nested `describe` per group, one `it` per check.
 *
 * Every primitive is compared with a float64 computation made by the suite itself. The suite
 * drives the backend the way core does — operations inside `run`, results kept through `assign`
 * into persistent tensors, `read`/`run`/`allFinite` awaited — so synchronous and asynchronous
 * backends are both supported. It also checks that no operation changes its inputs. Checks of
 * optional capabilities (fused kernels, async call order) are skipped where they do not apply.
 *
 * @param name shown in the test names.
 * @param makeBackend called once, before the first check (may be async).
 * @param options tolerances, skipped checks, timeout and seed.
 */
export function describeBackendConformance<T>(
  name: string,
  makeBackend: () => TensorBackend<T> | Promise<TensorBackend<T>>,
  options: ConformanceOptions = {},
): void {
  const { checks, unknownSkips } = prepareConformance(options);
  describe(`backend conformance: ${name}`, () => {
    let backend: TensorBackend<T> | undefined;
    beforeAll(async () => {
      backend = await makeBackend();
    }, options.timeout);

    if (unknownSkips.length > 0) {
      it('options.skip names known checks', () => {
        throw new Error(`options.skip names no check: ${unknownSkips.join(', ')} (see conformanceCheckIds())`);
      });
    }
    const groups = new Map<string, typeof checks[number][]>();
    for (const c of checks) {
      const g = c.id.slice(0, c.id.indexOf('.'));
      groups.set(g, [...(groups.get(g) ?? []), c]);
    }
    for (const [group, list] of groups) {
      describe(group, () => {
        for (const c of list) {
          if (c.skipped !== undefined) {
            it.skip(`${c.id} (skipped: ${c.skipped})`, () => {});
            continue;
          }
          it(
            c.id,
            async (ctx) => {
              if (backend === undefined) throw new Error(`backend ${name} was not created`);
              const reason = await c.run(backend);
              if (reason !== undefined) ctx.skip(reason);
            },
            options.timeout,
          );
        }
      });
    }
  });
}
