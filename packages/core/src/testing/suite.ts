/**
 * The conformance suite as plain data and functions, independent of any test runner: prepare the
 * checks for a backend, run one, or run them all and get a report.
 */
import type { TensorBackend } from '../backend/contract.js';
import { allChecks, DEFAULT_TOLERANCES, type ConformanceTolerances } from './checks/index.js';
import { rngFor } from './harness.js';
import { lacksStorage } from './checks/storage.js';

/** Options of the suite. */
export interface ConformanceOptions {
  /**
   * Loosen (or tighten) tolerances, e.g. `{ matmul: 1e-3 }` for a GPU backend. Defaults:
   * `elementwise` 1e-5 (`|got − want| ≤ tol·|want|`), `reduction` 1e-5 (`≤ tol·√n·|want|` over `n`
   * values), `matmul` 1e-4 (`≤ tol·‖row of op(a)‖·‖column of op(b)‖`; TF32 or half-precision engines
   * need about 1e-2), `newtonSchulz` 1e-4 (`‖got − want‖_F ≤ tol·‖want‖_F`).
   */
  readonly tolerance?: Partial<ConformanceTolerances>;
  /**
   * Checks not to run, each with the reason. A key is a check id from {@link conformanceCheckIds}
   * (e.g. `"matmul.square130.tt"`) or a prefix of ids ending at a dot boundary (e.g. `"matmul"`).
   */
  readonly skip?: Readonly<Record<string, string>>;
  /** Per-check timeout in milliseconds, for runners that support one. */
  readonly timeout?: number;
  /** Seed of the inputs. Default `1`. */
  readonly seed?: number;
}

/** One check, ready to run against a backend. */
export interface PreparedCheck {
  readonly id: string;
  /** Why it is skipped (from `options.skip`), if it is. */
  readonly skipped?: string;
  /**
   * Runs it. Resolves when the backend passes, rejects with a `ConformanceFailure` (or the
   * backend's own error) when it does not, and resolves to a reason when the backend lacks an
   * optional capability the check needs (e.g. a fused kernel).
   */
  run<T>(backend: TensorBackend<T>): Promise<string | undefined>;
}

/** The ids of every check, in order, grouped by their first segment (`data`, `elementwise`, `reduce`, `matmul`, `effects`, `fused`, `storage`). */
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
 * The checks with the options applied, and the `skip` keys that name no check (a typo would
 * otherwise silently run everything).
 */
export function prepareConformance(options: ConformanceOptions = {}): { readonly checks: readonly PreparedCheck[]; readonly unknownSkips: readonly string[] } {
  const tol: ConformanceTolerances = { ...DEFAULT_TOLERANCES, ...options.tolerance };
  const seed = options.seed ?? 1;
  const checks = allChecks();
  const unknownSkips = Object.keys(options.skip ?? {}).filter((key) => !checks.some((c) => c.id === key || c.id.startsWith(`${key}.`)));
  return {
    unknownSkips,
    checks: checks.map((c): PreparedCheck => {
      const skipped = skipReason(c.id, options.skip);
      return {
        id: c.id,
        ...(skipped !== undefined ? { skipped } : {}),
        async run<T>(b: TensorBackend<T>): Promise<string | undefined> {
          if (c.needs === 'fused.newtonSchulz' && b.fused?.newtonSchulz === undefined) return `${b.name} has no fused.newtonSchulz`;
          if (c.needs === 'mode.async' && b.mode !== 'async') return 'only asynchronous backends order their runs';
          const lacks = c.needs?.startsWith('storage.') === true ? lacksStorage(b, c.needs) : undefined;
          if (lacks !== undefined) return lacks;
          await c.run({ b, tol, rng: rngFor(c.id, seed), id: c.id });
          return undefined;
        },
      };
    }),
  };
}

/** The outcome of {@link runConformance}. */
export interface ConformanceReport {
  readonly passed: readonly string[];
  readonly failed: ReadonlyArray<{ readonly id: string; readonly error: unknown }>;
  readonly skipped: ReadonlyArray<{ readonly id: string; readonly reason: string }>;
}

/**
 * Runs every check against `backend`, one after the other, and reports. Use it from any test
 * runner (or none); `@lmo/core/testing/vitest` registers the same checks as vitest tests.
 */
export async function runConformance<T>(backend: TensorBackend<T>, options: ConformanceOptions = {}): Promise<ConformanceReport> {
  const { checks, unknownSkips } = prepareConformance(options);
  if (unknownSkips.length > 0) throw new Error(`options.skip names no check: ${unknownSkips.join(', ')} (see conformanceCheckIds())`);
  const passed: string[] = [];
  const failed: Array<{ id: string; error: unknown }> = [];
  const skipped: Array<{ id: string; reason: string }> = [];
  for (const c of checks) {
    if (c.skipped !== undefined) {
      skipped.push({ id: c.id, reason: c.skipped });
      continue;
    }
    try {
      const reason = await c.run(backend);
      if (reason === undefined) passed.push(c.id);
      else skipped.push({ id: c.id, reason });
    } catch (error) {
      failed.push({ id: c.id, error });
    }
  }
  return { passed, failed, skipped };
}
