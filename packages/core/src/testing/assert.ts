/** Assertions of the conformance suite: plain functions that throw a descriptive `Error`. */
import type { Shape } from '../backend/contract.js';

/** Thrown when a backend fails a check. */
export class ConformanceFailure extends Error {
  override readonly name = 'ConformanceFailure';
}

/** Fails with `message` unless `condition` holds. */
export function check(condition: boolean, message: string): asserts condition {
  if (!condition) throw new ConformanceFailure(message);
}

export function fmtShape(s: Shape): string {
  return `[${s.join(', ')}]`;
}

/** Fails unless the shapes are equal. */
export function expectShape(got: Shape, want: Shape, label: string): void {
  const same = got.length === want.length && got.every((d, i) => d === want[i]);
  check(same, `${label}: shape is ${fmtShape(got)}, expected ${fmtShape(want)}`);
}

/** Fails unless `got` is bit-for-bit `want` (NaN equals NaN; ±0 are equal). */
export function expectExact(got: ArrayLike<number>, want: ArrayLike<number>, label: string): void {
  check(got.length === want.length, `${label}: ${got.length} values, expected ${want.length}`);
  for (let i = 0; i < want.length; i++) {
    const g = got[i]!;
    const w = want[i]!;
    check(g === w || (g !== g && w !== w), `${label}: element ${i} is ${g}, expected ${w}`);
  }
}

/**
 * Fails unless every `|got[i] − want[i]| ≤ tol · scale[i]` (scale defaults to `|want[i]|`).
 * NaN must match NaN and ±Inf must match exactly.
 */
export function expectClose(
  got: ArrayLike<number>,
  want: ArrayLike<number>,
  tol: number,
  label: string,
  scale?: ArrayLike<number> | number,
): void {
  check(got.length === want.length, `${label}: ${got.length} values, expected ${want.length}`);
  const bad: string[] = [];
  let worst = 0;
  for (let i = 0; i < want.length; i++) {
    const g = got[i]!;
    const w = want[i]!;
    let ok: boolean;
    if (w !== w) ok = g !== g;
    else if (!Number.isFinite(w)) ok = g === w;
    else {
      const s = scale === undefined ? Math.abs(w) : typeof scale === 'number' ? scale : scale[i]!;
      const err = Math.abs(g - w);
      ok = err <= tol * s;
      if (s > 0 && err / s > worst) worst = err / s;
      else if (s === 0 && err > 0) worst = Infinity;
    }
    if (!ok && bad.length < 5) bad.push(`[${i}] got ${g}, expected ${w}`);
    else if (!ok) bad.push('');
  }
  check(
    bad.length === 0,
    `${label}: ${bad.length} of ${want.length} values off by more than ${tol} relative ` +
      `(worst ${worst.toExponential(2)}): ${bad.filter((s) => s !== '').join('; ')}`,
  );
}
