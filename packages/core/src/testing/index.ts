/**
 * `@lmo/core/testing`: the conformance suite of the tensor contract. Any backend — ours or your
 * own — runs it under vitest to prove that it implements every primitive of {@link TensorBackend}
 * as core expects.
 *
 * @example
 * ```ts
 * // my-backend.conformance.test.ts
 * import { describeBackendConformance } from '@lmo/core/testing';
 * import { createMyBackend } from '../src/index.js';
 *
 * describeBackendConformance('my-backend', () => createMyBackend(), {
 *   tolerance: { matmul: 1e-3 },
 *   skip: { 'reduce.nan': 'the engine’s max ignores NaN' },
 * });
 * ```
 * @packageDocumentation
 */
import { beforeAll, describe, it } from 'vitest';
import type { TensorBackend } from '../backend.js';
import { allChecks, DEFAULT_TOLERANCES, type ConformanceTolerances } from './checks.js';
import { rngFor } from './harness.js';

export type { ConformanceTolerances } from './checks.js';
export { DEFAULT_TOLERANCES } from './checks.js';
export { ConformanceFailure } from './assert.js';

/** Options of {@link describeBackendConformance}. */
export interface ConformanceOptions {
  /** Loosen (or tighten) tolerances, e.g. `{ matmul: 1e-3 }` for a GPU backend. See {@link ConformanceTolerances}. */
  readonly tolerance?: Partial<ConformanceTolerances>;
  /**
   * Checks not to run, each with the reason (shown in the test name). A key is a check id from
   * {@link conformanceCheckIds} (e.g. `"matmul.square130.tt"`) or a prefix of ids ending at a dot
   * boundary (e.g. `"matmul"` or `"reduce.allFinite"`).
   */
  readonly skip?: Readonly<Record<string, string>>;
  /** Per-check timeout in milliseconds (compiling backends may need more). Default: vitest's. */
  readonly timeout?: number;
  /** Seed of the inputs. Default `1`. */
  readonly seed?: number;
}

/** The ids of every check, in order, grouped by their first segment (`data`, `elementwise`, `reduce`, `matmul`, `effects`, `fused`). */
export function conformanceCheckIds(): string[] {
  return allChecks().map((c) => c.id);
}

function skipReason(id: string, skip: Readonly<Record<string, string>> | undefined): string | undefined {
  if (skip === undefined) return undefined;
  for (const [key, reason] of Object.entries(skip)) {
    if (id === key || id.startsWith(`${key}.`)) return reason;
  }
  return undefined;
}

/**
 * Registers the conformance suite for a backend as vitest `describe`/`it` blocks: one `describe`
 * named `backend conformance: <name>`, one nested `describe` per group, one `it` per check.
 *
 * Every primitive is compared with a float64 computation made by the suite itself. The suite
 * drives the backend the way core does — operations inside `run`, results kept through `assign`
 * into persistent tensors, `read`/`run`/`allFinite` awaited — so synchronous and asynchronous
 * (lazily evaluating) backends are both supported. It also checks that no operation changes its
 * inputs. Checks of optional fused kernels are skipped when the backend lacks the kernel.
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
  const tol: ConformanceTolerances = { ...DEFAULT_TOLERANCES, ...options.tolerance };
  const seed = options.seed ?? 1;
  const checks = allChecks();
  const unknown = Object.keys(options.skip ?? {}).filter(
    (key) => !checks.some((c) => c.id === key || c.id.startsWith(`${key}.`)),
  );
  describe(`backend conformance: ${name}`, () => {
    let backend: TensorBackend<T> | undefined;
    beforeAll(async () => {
      backend = await makeBackend();
    }, options.timeout);

    if (unknown.length > 0) {
      it('options.skip names known checks', () => {
        throw new Error(`options.skip names no check: ${unknown.join(', ')} (see conformanceCheckIds())`);
      });
    }

    const groups = new Map<string, typeof checks>();
    for (const c of checks) {
      const g = c.id.slice(0, c.id.indexOf('.'));
      const list = groups.get(g) ?? [];
      list.push(c);
      groups.set(g, list);
    }
    for (const [group, list] of groups) {
      describe(group, () => {
        for (const c of list) {
          const reason = skipReason(c.id, options.skip);
          if (reason !== undefined) {
            it.skip(`${c.id} (skipped: ${reason})`, () => {});
            continue;
          }
          it(
            c.id,
            async (ctx) => {
              if (backend === undefined) throw new Error(`backend ${name} was not created`);
              if (c.needs === 'fused.newtonSchulz' && backend.fused?.newtonSchulz === undefined) {
                ctx.skip(`${name} has no fused.newtonSchulz`);
                return;
              }
              await c.run({ b: backend, tol, rng: rngFor(c.id, seed), id: c.id });
            },
            options.timeout,
          );
        }
      });
    }
  });
}
